"""The suite file format as pydantic models: unknown keys are errors, so a typo is never silently ignored."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator

from harness.models import DEFAULT_JUDGE_MODEL
from harness.plan import Output
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
# an expect: list item: one scorer entry, or the name of a set under the suite's `expectations:`
ExpectItem = Expectation | str


@dataclass
class CaseOrigin:
    """Where a loaded case was written: a suite case (`yaml_loc`, its place in the file as written, at
    `line`) or a data row (`file`, `line`, `row`); `expect_at[k]` is the file and line of its k-th resolved
    expectation."""

    file: Path
    line: int | None
    yaml_loc: tuple[str | int, ...] | None = None
    row: int | None = None
    dataset: str | None = None  # a shipped dataset offers every row's fields as vars; none is "unused"
    expect_at: dict[tuple[str | int, ...], list[tuple[Path, int | None]]] = field(default_factory=dict)


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


class CaseFilter(Strict):
    """Cases picked by tag or by id glob (`poster*`); a case matching either list is picked."""

    tags: list[str] = Field(default_factory=list)
    cases: list[str] = Field(default_factory=list)

    def matches(self, case_id: str, tags: list[str]) -> bool:
        return any(t in tags for t in self.tags) or any(fnmatch.fnmatchcase(case_id, g) for g in self.cases)


class Variant(PromptSource):
    """One A/B arm: config overrides and/or a prompt change applied to every case (or the cases `only:`
    picks, less those `skip:` picks)."""

    description: str | None = None
    prompt_prefix: str | None = None
    prompt_suffix: str | None = None
    only: CaseFilter | None = None
    skip: CaseFilter | None = None

    def applies_to(self, case_id: str, tags: list[str]) -> bool:
        if self.only is not None and not self.only.matches(case_id, tags):
            return False
        return self.skip is None or not self.skip.matches(case_id, tags)


class Step(PromptSource):
    """One turn of a chain. `edit:` is a literal instruction on the previous image (no style wrapping)."""

    edit: str | None = None
    inputs: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    output: Output | None = None
    expect: list[ExpectItem] = Field(default_factory=list)


class CaseFields(PromptSource):
    """Everything a case may say except its id (also the `case:` every row of a data file starts from)."""

    description: str | None = None
    inputs: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    output: Output = "image"
    group: str | None = None
    tags: list[str] = Field(default_factory=list)
    pass_rule: str = Field("all", alias="pass")
    expect: list[ExpectItem] = Field(default_factory=list)
    # true: none of the suite-level `expect:`; a list: drop those scorers or named sets from it
    skip_expect: bool | list[str] = False
    chain: list[Step] | None = None
    repeats: int | None = Field(None, ge=1, le=1000)
    # a known failure, kept visible: a reason for every variant, or {variant: reason}; the pytest plugin
    # reports it as a strict xfail (an unexpected pass fails), runs and diffs still count it as failed
    xfail: str | dict[str, str] | None = None
    # lists of var values: one case per combination, ids like `poster[color=red,size=large]`
    matrix: dict[str, list[Any]] | None = None
    exclude: list[dict[str, Any]] = Field(default_factory=list)


class Case(CaseFields):
    id: str = Field(pattern=NAME_PATTERN)


class RowSelection(Strict):
    """Which rows of a data file or dataset become cases, and what every one of them starts from."""

    limit: int | None = Field(None, ge=1)
    sample: int | None = Field(None, ge=1)
    seed: int = 0
    case: CaseFields = Field(default_factory=CaseFields)


class CasesFrom(RowSelection):
    """A CSV, TSV, JSONL or YAML file beside the suite, one case per row; the values name its columns."""

    file: str
    id: str | None = None  # a column, or a pattern such as "sku-{sku}" ({row} is the row number)
    prompt: str | None = None  # the column holding a literal prompt
    vars: list[str] | dict[str, str] | None = None  # columns as template vars ({var: column} renames)
    tags: str | None = None  # a column of tags separated by ',', ';' or '|'
    group: str | None = None
    expect: dict[str, str] = Field(default_factory=dict)  # scorer: column (an empty cell adds nothing)
    xfail: str | None = None  # a column giving a known failure's reason (an empty cell: none)


class Dataset(RowSelection):
    """A public prompt set shipped with the harness (harness/suite/datasets/, with its licence)."""

    name: Literal["partiprompts", "geneval"]
    category: list[str] | None = None  # PartiPrompts
    challenge: list[str] | None = None  # PartiPrompts
    tag: list[str] | None = None  # GenEval

    @field_validator("category", "challenge", "tag", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


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
    batch: bool = False  # a batch run sends the judge calls as Batch API jobs too (`run --batch-judge`)


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
    expect: list[ExpectItem] = Field(default_factory=list)  # for every case (a case may `skip_expect:`)
    expectations: dict[str, list[Expectation]] = Field(default_factory=dict)
    cases_from: list[CasesFrom] = Field(default_factory=list)
    dataset: list[Dataset] = Field(default_factory=list)
    cases: list[Case] = Field(default_factory=list)

    _path: Path = PrivateAttr(default=Path("suite.yaml"))
    _source: LocatedYaml | None = PrivateAttr(default=None)
    _origins: list[CaseOrigin] = PrivateAttr(default_factory=list)

    @field_validator("cases_from", "dataset", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any, info: ValidationInfo) -> Any:
        """`dataset: partiprompts` and `cases_from: rows.csv` are short for a one-item list of mappings."""
        key = "name" if info.field_name == "dataset" else "file"
        items = value if isinstance(value, list) else [value]
        return [{key: item} if isinstance(item, str) else item for item in items]

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
        return (self.__pydantic_private__ or {})["_path"]  # read directly: pydantic's attribute hook is slow

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def source(self) -> LocatedYaml | None:
        return self._source

    def where(self, *loc: str | int) -> tuple[Path, int | None]:
        """The file and line that wrote `loc`: a case made from a data row points at its row, a case made
        by a matrix at the case it came from."""
        private = self.__pydantic_private__ or {}  # read directly: pydantic's attribute hook is slow
        origins, source = private["_origins"], private["_source"]
        if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int) and loc[1] < len(origins):
            origin = origins[loc[1]]
            if origin.yaml_loc is None or len(loc) == 2:  # the case itself: where its origin says
                return origin.file, origin.line
            loc = (*origin.yaml_loc, *loc[2:])
        if source is None:
            return private["_path"], None
        if loc and loc[0] in ("dataset", "cases_from") and not isinstance(source.data.get(loc[0]), list):
            loc = (loc[0], *loc[2:])  # written as one mapping, read as a list of one
        return private["_path"], source.line(loc)

    def line(self, *loc: str | int) -> int | None:
        return self.where(*loc)[1]

    def origin(self, index: int) -> CaseOrigin | None:
        origins = (self.__pydantic_private__ or {})["_origins"]
        return origins[index] if index < len(origins) else None

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
