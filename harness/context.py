"""Which trial a request belongs to, carried through asyncio tasks and worker threads.

The transport reads it to tag recorded interactions and to name the trial in a replay miss.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import asdict, dataclass
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
        out = asdict(self)
        if self.prompt_version is None:
            del out["prompt_version"]
        return out

    def same_trial(self, recorded: dict[str, Any] | None) -> bool:
        """Whether a recording was made by this very trial step (its prompt version aside)."""
        if not recorded:
            return False
        mine = self.trial()
        mine.pop("prompt_version", None)
        return {k: v for k, v in recorded.items() if k != "prompt_version"} == mine

    def accepts_version(self, recorded: dict[str, Any] | None) -> bool:
        """A recording answers this request unless both name a prompt version and they differ
        (recordings made before versions were recorded match on the request body alone)."""
        theirs = (recorded or {}).get("prompt_version")
        return self.prompt_version is None or theirs is None or theirs == self.prompt_version


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)
