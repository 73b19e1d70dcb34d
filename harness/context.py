"""Which trial a request belongs to, carried through asyncio tasks and worker threads.

The transport reads it to tag recorded interactions and to name the trial in a replay miss.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


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
