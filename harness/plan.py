"""What expansion produces and the runner consumes: fully resolved trials, nothing left to look up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

StepKind = Literal["generate", "edit", "analyze"]
# image/both ask for TEXT+IMAGE, text asks for TEXT, any sends no responseModalities (the model decides)
Output = Literal["image", "text", "both", "any"]


@dataclass(frozen=True)
class GenConfig:
    """The request settings of one step, after defaults, style, variant, case and step overrides."""

    model: str
    aspect_ratio: str | None = "1:1"
    image_size: str | None = "1K"
    temperature: float | None = None
    seed: int | None = None
    response_modalities: tuple[str, ...] = ("TEXT", "IMAGE")
    system_instruction: str | None = None
    timeout_s: float = 120.0


@dataclass(slots=True)
class StepPlan:
    """One request of a trial. Not frozen: a frozen dataclass sets each field through
    object.__setattr__, several times slower to build, and a big suite builds one per trial."""

    index: int
    kind: StepKind
    prompt: str
    config: GenConfig
    inputs: tuple[Path, ...] = ()
    references: tuple[Path, ...] = ()
    expect: tuple[dict[str, Any], ...] = ()
    line: int | None = None  # where the step (or case) stands in the suite file


@dataclass(slots=True)
class TrialPlan:
    """One trial: a case under one variant and repeat (not frozen, as StepPlan; nothing changes one)."""

    suite: str
    suite_path: Path
    case: str
    variant: str
    repeat: int
    steps: tuple[StepPlan, ...]
    style: str | None = None
    style_version: str | None = None
    group: str | None = None
    tags: tuple[str, ...] = ()
    pass_rule: str = "all"
    line: int | None = None
    output: Output = "image"  # what the case asks the model for
    description: str | None = None  # the case's `description:`
    xfail: str | None = None  # why this case is expected to fail on this variant (a strict pytest xfail)

    @property
    def trial_id(self) -> str:
        return trial_id(self.suite, self.case, self.variant, self.repeat)

    @property
    def model(self) -> str:
        return self.steps[0].config.model

    @property
    def is_chain(self) -> bool:
        return len(self.steps) > 1


def trial_id(suite: str, case: str, variant: str, repeat: int) -> str:
    return f"{suite}::{case}[{variant}-r{repeat}]"
