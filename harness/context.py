"""Which trial a request belongs to, carried through asyncio tasks and worker threads, and the input
policy of the command that is running.

The transport reads the trial to tag recorded interactions and to name the trial in a replay miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    suite: str
    case: str
    variant: str
    repeat: int
    step: int
    purpose: str = "generate"  # or "judge"
    # The judge prompt's version (e.g. "judge-v1"): recorded beside the interaction, never in the request,
    # so a version change is a replay miss that names both versions while the request bytes stay the same.
    prompt_version: str | None = None

    def label(self) -> str:
        return f"{self.suite}::{self.case}[{self.variant}-r{self.repeat}] step {self.step}"

    def trial(self) -> dict[str, Any]:
        """What a cassette records about the request's trial (no prompt_version key when there is none)."""
        out = self._identity()
        if self.prompt_version is not None:
            out["prompt_version"] = self.prompt_version
        return out

    def same_trial(self, recorded: dict[str, Any] | None) -> bool:
        """Whether a recording was made by this very trial step (its prompt version aside). Asked of
        every recording a replayed request could take, so it builds no more than one small dict."""
        if not recorded:
            return False
        mine = self._identity()
        return len(recorded) - ("prompt_version" in recorded) == len(mine) and all(
            k in recorded and recorded[k] == v for k, v in mine.items()
        )

    def _identity(self) -> dict[str, Any]:
        """Every field but prompt_version, in declaration order (as asdict gives them)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "prompt_version"}

    def accepts_version(self, recorded: dict[str, Any] | None) -> bool:
        """A recording answers this request unless both name a prompt version and they differ
        (recordings made before versions were recorded match on the request body alone)."""
        theirs = (recorded or {}).get("prompt_version")
        return self.prompt_version is None or theirs is None or theirs == self.prompt_version


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)


@dataclass(frozen=True)
class InputPolicy:
    """What the user allowed beyond the safe defaults for this command (`--allow-outside PATH`,
    `--allow-unknown-model`); read by validation, which runs before any request is sent."""

    allow_outside: tuple[Path, ...] = ()
    allow_unknown_model: bool = False


DEFAULT_POLICY = InputPolicy()
input_policy: ContextVar[InputPolicy] = ContextVar("input_policy", default=DEFAULT_POLICY)


@contextmanager
def using_policy(policy: InputPolicy) -> Iterator[InputPolicy]:
    token = input_policy.set(policy)
    try:
        yield policy
    finally:
        input_policy.reset(token)
