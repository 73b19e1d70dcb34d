"""Errors written for people: what is wrong, where, and what to do about it."""

from __future__ import annotations

from pathlib import Path


class HarnessError(Exception):
    """A failure a user can act on; `str()` names the place and the fix."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        case: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key
        self.case = case
        self.hint = hint

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.case:
            parts.append(f"case '{self.case}'")
        if self.key:
            parts.append(f"key '{self.key}'")
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text}\n  -> {self.hint}" if self.hint else text


class SuiteError(HarnessError):
    """Bad suite, template, style or input file: caught before any request is sent."""

    exit_code = 2


class ValidationFailed(HarnessError):
    """Several SuiteErrors at once, so one validate pass shows every problem."""

    exit_code = 2

    def __init__(self, errors: list[HarnessError], warnings: list[str] | None = None) -> None:
        self.errors = errors
        self.warnings = warnings or []
        super().__init__(f"{len(errors)} problem(s) found; no request was sent")

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(e) for e in self.errors)])


class UsageError(HarnessError):
    """A command line that cannot be carried out as given."""

    exit_code = 2


class ReplayMiss(HarnessError):
    """No recorded interaction answers this request; raised inside the transport, through the SDK call.

    Defined here, below every stage, so scoring (a judge replayed from a cassette) can recognise it
    without importing the transport."""
