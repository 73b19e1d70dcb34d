"""The suite file format as pydantic models: unknown keys are errors, so a typo is never silently ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from harness.models import DEFAULT_JUDGE_MODEL
from harness.suite.yaml_lines import LocatedYaml

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
MAX_REFERENCES = 14
CONFIG_KEYS = (
    "model",
    "aspect_ratio",
    "image_size",
    "temperature",
    "seed",
    "system_instruction",
    "timeout_s",
)

Expectation = dict[str, Any]


# image/both ask for TEXT+IMAGE, text asks for TEXT, any sends no responseModalities (the model decides)
Output = Literal["image", "text", "both", "any"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ImageConfig(Strict):
    """Request settings any layer may override; a key left out keeps the value from the layer below."""

    model: str | None = None
    aspect_ratio: str | None = None
    image_size: str | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    seed: int | None = None
    system_instruction: str | None = None
    timeout_s: float | None = Field(None, gt=0)

    @field_validator("image_size", "aspect_ratio", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        # `image_size: 512` arrives as an int; the API wants the text "512".
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def overrides(self) -> dict[str, Any]:
        """Only the config keys written in the file (an explicit null counts: it clears the value)."""
        return {k: getattr(self, k) for k in CONFIG_KEYS if k in self.model_fields_set}


class Defaults(ImageConfig):
    model: str | None = "gemini-2.5-flash-image"
    aspect_ratio: str | None = "1:1"
    image_size: str | None = "1K"
    temperature: float | None = Field(1.0, ge=0, le=2)
    repeats: int = Field(1, ge=1, le=1000)
    timeout_s: float | None = Field(120.0, gt=0)

    def overrides(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in CONFIG_KEYS}


class PromptSource(ImageConfig):
    """Where a prompt comes from: a literal prompt, a template with vars, and an optional style."""

    prompt: str | None = None
    template: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    style: str | None = None


class Variant(PromptSource):
    """One A/B arm: config overrides and/or a prompt change applied to every case."""

    description: str | None = None
    prompt_prefix: str | None = None
    prompt_suffix: str | None = None


class Step(PromptSource):
    """One turn of a chain. `edit:` is a literal instruction on the previous image (no style wrapping)."""

    edit: str | None = None
    inputs: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    output: Output | None = None
    expect: list[Expectation] = Field(default_factory=list)


class Case(PromptSource):
    id: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    inputs: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    output: Output = "image"
    group: str | None = None
    tags: list[str] = Field(default_factory=list)
    pass_rule: str = Field("all", alias="pass")
    expect: list[Expectation] = Field(default_factory=list)
    chain: list[Step] | None = None
    repeats: int | None = Field(None, ge=1, le=1000)
    # a known failure, kept visible: a reason for every variant, or {variant: reason}; the pytest plugin
    # reports it as a strict xfail (an unexpected pass fails), runs and diffs still count it as failed
    xfail: str | dict[str, str] | None = None


class PairwiseJudge(Strict):
    """`harness diff` and `harness compare` ask the judge which of two arms' images is better."""

    rubric: str | None = Field(
        None, min_length=3, description="what the better image shows; default: the prompt"
    )
    model: str | None = Field(None, description="judge model for pairs; default: the suite's judge model")


class Judge(Strict):
    model: str = DEFAULT_JUDGE_MODEL
    temperature: float = Field(0.0, ge=0, le=2)
    # true, or {rubric, model}: diffs of this suite's runs judge pairwise unless --no-pairwise
    pairwise: bool | PairwiseJudge = False


class Tolerance(Strict):
    """How much worse a run may get before `harness diff` calls it a regression. Every key gates the diff;
    per-scorer score moves are shown in it, not gated (a scorer's value may be a distance)."""

    pass_rate_drop: float = Field(0.05, ge=0, le=1)
    cost_increase: float | None = Field(None, ge=0)  # a fraction: 0.2 = 20% dearer
    latency_increase: float | None = Field(None, ge=0)


class Suite(Strict):
    suite: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    version: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    variants: dict[str, Variant] = Field(default_factory=dict)
    mode: Literal["live", "record", "replay", "auto"] | None = None
    batch: bool = False  # run through the Batch API (half price, answered within 24 h), as `run --batch`
    cassettes: Path | None = None
    judge: Judge | None = None
    tolerance: Tolerance | None = None
    max_cost: float | None = Field(None, gt=0)  # USD: validate and run refuse an estimate above it
    tags: list[str] = Field(default_factory=list)
    cases: list[Case]

    _path: Path = PrivateAttr(default=Path("suite.yaml"))
    _source: LocatedYaml | None = PrivateAttr(default=None)

    @field_validator("variants")
    @classmethod
    def _variant_names(cls, value: dict[str, Variant]) -> dict[str, Variant]:
        import re

        for name in value:
            if not re.match(NAME_PATTERN, str(name)):
                raise ValueError(f"variant name '{name}' may use letters, digits, '.', '_' and '-' only")
        return value

    @property
    def name(self) -> str:
        return self.suite

    @property
    def path(self) -> Path:
        return self._path

    @property
    def dir(self) -> Path:
        return self._path.parent

    @property
    def source(self) -> LocatedYaml | None:
        return self._source

    def line(self, *loc: str | int) -> int | None:
        return self._source.line(loc) if self._source else None

    def variant_names(self) -> list[str]:
        return list(self.variants) or ["default"]


class StylePreset(Strict):
    """A reusable look: prompt fragments, default image config, references and the promises it makes."""

    name: str | None = Field(None, pattern=NAME_PATTERN)
    version: str = "1"
    description: str | None = None
    extends: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    negative: list[str] | str = Field(default_factory=list)
    image: ImageConfig = Field(default_factory=ImageConfig)
    references: list[str] = Field(default_factory=list)
    vars: dict[str, Any] = Field(default_factory=dict)
    expect: list[Expectation] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
