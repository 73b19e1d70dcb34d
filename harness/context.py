"""Which trial a request belongs to, carried through asyncio tasks and worker threads, and the input
policy of the command that is running.

The transport reads the trial to tag recorded interactions and to name the trial in a replay miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RequestContext:
    suite: str
    case: str
    variant: str
    repeat: int
    step: int
    purpose: str = "generate"  # or "judge"

    def label(self) -> str:
        return f"{self.suite}::{self.case}[{self.variant}-r{self.repeat}] step {self.step}"


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
