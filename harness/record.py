"""The run format: one TrialRecord per line of results/<run>/trials.jsonl, plus the run's Manifest.

Every stage after the runner (scoring, diff, report, the pytest plugin) reads only these types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

Outcome = Literal["ok", "blocked_prompt", "blocked_output", "no_image", "error"]
OUTCOMES: tuple[str, ...] = ("ok", "blocked_prompt", "blocked_output", "no_image", "error")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ImageRef(_Model):
    sha256: str
    path: str  # relative to the run directory: images/<sha256>.<ext>
    mime: str
    width: int
    height: int


class Usage(_Model):
    prompt_tokens: int = 0
    output_tokens: int = 0  # all candidate tokens, images included
    image_tokens: int = 0
    thought_tokens: int = 0


class TrialError(_Model):
    code: int | None = None
    status: str | None = None
    message: str


ScoreKind = Literal["step", "group", "human"]
# step: a scorer of one step's output; group: a cross-trial scorer (or its set failing to score);
# human: a reviewer's label (`harness review import`)

Detail = dict[str, float | int | str | bool | None]


class Score(_Model):
    name: str  # the scorer, plus ".<part>" when one scorer gives several values ("preserved.phash")
    value: float | None  # None when the scorer could not measure (skipped)
    passed: bool | None  # None = skipped, never counted as a pass
    threshold: float | str | None = None
    reason: str  # for people; nothing parses it (structured values are in `detail`)
    step: int | None = None  # None = about the whole trial or its group
    weight: float = 1.0
    scorer: str = ""  # the scorer that gave it, as named in `expect:` (records before it: read from `name`)
    kind: ScoreKind | None = None  # None only on records written before the field was stored
    detail: Detail = Field(default_factory=dict)  # structured values: the judge's grade and reason, ...

    @model_validator(mode="before")
    @classmethod
    def _scorer_of_old_records(cls, data: Any) -> Any:
        """A record written before `scorer` and `kind` were stored named its scorer only as the head of
        `name`; a reviewer's label and a failed group scoring were the names `human` and `group`."""
        if isinstance(data, dict) and not data.get("scorer") and isinstance(data.get("name"), str):
            head = data["name"].split(".")[0]
            data = {**data, "scorer": head}
            if data.get("kind") is None and head in ("human", "group"):
                data["kind"] = head
        return data


class StepRecord(_Model):
    index: int
    kind: Literal["generate", "edit", "analyze"]
    prompt: str
    inputs: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    outcome: Outcome
    finish_reason: str | None = None
    model_version: str | None = None
    images: list[ImageRef] = Field(default_factory=list)
    text: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 1
    error: TrialError | None = None
    expect: list[dict[str, Any]] = Field(default_factory=list)


class TrialRecord(_Model):
    trial_id: str
    suite: str
    case: str
    variant: str
    repeat: int
    model: str
    model_version: str | None = None
    prompt: str
    style: str | None = None
    style_version: str | None = None
    group: str | None = None
    tags: list[str] = Field(default_factory=list)
    pass_rule: str = "all"
    outcome: Outcome
    finish_reason: str | None = None
    error: TrialError | None = None
    steps: list[StepRecord]
    scores: list[Score] = Field(default_factory=list)
    passed: bool | None = None
    cost_usd: float = 0.0  # generating the output (the steps); the judge's is apart
    judge_cost_usd: float = 0.0  # the judge and analysis calls scoring it made (batch tier: --batch-judge)
    latency_s: float = 0.0
    started_at: str
    finished_at: str
    previous_attempts: int = 0  # requests spent on this trial by earlier tries (`--retry-errors`)

    def images(self) -> list[ImageRef]:
        return [img for step in self.steps for img in step.images]

    @property
    def spent_usd(self) -> float:
        """Generation and judging together: what `--max-cost` caps."""
        return self.cost_usd + self.judge_cost_usd

    @property
    def counts_as_failure(self) -> bool:
        """Against the run (exit 1, a failed pytest item): a failed pass rule, or an error that no
        expectation decided on."""
        return self.passed is False or (self.passed is None and self.outcome == "error")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unmeasured(self) -> int:
        """Expectations that could not be measured (no tesseract, no judge, no previous image): never a
        pass, and counted wherever the trial's verdict is shown."""
        return sum(s.passed is None for s in self.scores)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class Tolerance(_Model):
    """The suites' regression tolerance as the run kept it (the tightest of its suites): `harness diff`
    gates on it long after the suite file may have changed. Fractions: 0.05 = 5 pp, 0.2 = 20% more."""

    pass_rate_drop: float | None = None
    cost_increase: float | None = None
    latency_increase: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _old_forms(cls, data: Any) -> Any:
        """Older manifests wrote a bare number (the pass-rate drop) or `pass_rate`; anything that is not a
        number (`true`, a string) tolerates nothing rather than failing the whole manifest."""
        if isinstance(data, Tolerance):
            return data
        if not isinstance(data, dict):
            return {"pass_rate_drop": _number(data)}
        drop = data.get("pass_rate_drop", data.get("pass_rate"))
        return {
            "pass_rate_drop": _number(drop),
            "cost_increase": _number(data.get("cost_increase")),
            "latency_increase": _number(data.get("latency_increase")),
        }

    @classmethod
    def tightest(cls, tolerances: Iterable[Tolerance | None]) -> Tolerance | None:
        """Each field at its smallest value over the given ones (None where none sets it); None if none."""
        found = [t for t in tolerances if t is not None]
        if not found:
            return None
        fields = {}
        for name in cls.model_fields:
            values = [v for t in found if (v := getattr(t, name)) is not None]
            fields[name] = min(values) if values else None
        return cls(**fields)

    @property
    def limits(self) -> dict[str, float]:
        """The tolerances besides the pass rate that are set: cost_increase, latency_increase."""
        pairs = (("cost_increase", self.cost_increase), ("latency_increase", self.latency_increase))
        return {k: v for k, v in pairs if v is not None}


class SuiteRef(_Model):
    name: str
    path: str
    sha256: str
    tolerance: Tolerance | None = None  # only in manifests written before Manifest.tolerance was kept


class SuiteJudge(_Model):
    model: str
    temperature: float = 0.0


class JudgeInfo(_Model):
    """What the run manifest records about the judge, so a judged score can be reproduced."""

    model: str
    temperature: float = 0.0
    prompt_version: str | None = None
    prompt_sha256: str | None = None
    prompt: str | None = None
    prompt_versions: dict[str, str] = Field(default_factory=dict)  # every judge prompt: version -> digest
    suites: dict[str, SuiteJudge] | None = None  # each suite's judge, when the suites of one run disagree


class Totals(_Model):
    """Counts a person reads first (store.compute_totals), and how the run was paced and capped."""

    planned: int | None = None  # trials the run set out to do (None: not known)
    trials: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    passed: int = 0
    failed: int = 0
    skipped: int = 0  # no verdict
    unmeasured: int = 0  # checks that could not run, in any trial
    unmeasured_trials: int = 0
    passed_with_unmeasured: int = 0
    images: int = 0
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0  # what the judge and analysis calls cost (included in no other figure)
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    effective_rpm: float | None = None  # with --rpm or a rate-limit backoff: what the pacer achieved
    rate_limited: int | None = None
    lowest_concurrency: int | None = None
    max_cost_usd: float | None = None  # the --max-cost cap the run had

    @property
    def short(self) -> bool:
        """Fewer trials finished than were planned."""
        return self.planned is not None and self.trials < self.planned


RunStatus = Literal["running", "finished", "interrupted", "killed", "budget_exhausted"]
# running: a live process is writing it; killed: "running" on disk but its process is gone (derived on
# read, never written); interrupted: Ctrl-C; budget_exhausted: --max-cost stopped it. All but finished
# are continued with `harness run --resume RUN`.


class RunRequest(_Model):
    """What was asked for, so `--resume` and `--retry-errors` re-expand the same trials.

    The base URL is not kept (it may carry a secret): a resumed gateway run is given `--base-url` again.
    """

    suites: list[str] = Field(default_factory=list)  # paths as given
    variants: list[str] | None = None
    repeats: int | None = None
    cases: list[str] = Field(default_factory=list)  # --case globs
    tags: list[str] = Field(default_factory=list)
    limit: int | None = None
    sample: int | None = None
    seed: int | None = None
    shard: str | None = None  # "I/N"
    max_cost_usd: float | None = None
    mode: str | None = None
    backend: str | None = None
    cassettes: str | None = None
    timeout_s: float | None = None
    concurrency: int = 4
    rpm: float | None = None


class BatchJobRef(_Model):
    """A Batch API job of this run, written the moment it is created so `--resume` re-attaches to it."""

    name: str  # batches/<id>
    suite: str
    model: str
    step: int  # which step of its trials (chains run one batch round per step)
    trials: list[str]  # request keys in request order: trial ids, or judge request hashes (kind judge)
    source: Literal["inline", "file"] = "inline"
    input_file: str | None = None
    state: str = "JOB_STATE_PENDING"
    created_at: str
    kind: Literal["generate", "judge"] = "generate"  # judge: scoring's requests (--batch-judge); step = round


class Manifest(_Model):
    run_id: str
    status: RunStatus = "running"
    suites: list[SuiteRef] = Field(default_factory=list)
    git_commit: str | None = None
    harness_version: str
    sdk_version: str
    api_version: str
    backend: str  # "emulator", "gemini", "base_url:<host>", or "replay:<where the cassette was recorded>"
    procedural_images: bool = False  # True when any image came from the emulator
    mode: str = "live"
    variants: list[str] = Field(default_factory=list)
    judge: JudgeInfo | None = None
    tolerance: Tolerance | None = None  # the suites' regression tolerance, read by diff
    require_measured: bool = False  # an unmeasured expectation failed its trial (--require-measured)
    started_at: str
    finished_at: str | None = None
    totals: Totals = Field(default_factory=Totals)
    argv: list[str] = Field(default_factory=list)
    request: RunRequest | None = None
    pid: int | None = None  # the process writing a running run, with its host: a dead one means killed
    host: str | None = None
    batch: bool = False  # trials went through the Batch API (billed at the batch tier)
    batch_judge: bool = False  # so did the judge and analysis calls of scoring (--batch-judge)
    batch_jobs: list[BatchJobRef] = Field(default_factory=list)

    @field_validator("judge", mode="before")
    @classmethod
    def _no_judge(cls, value: Any) -> Any:
        """Older manifests wrote `{}` for a run whose judge was not described."""
        return None if value == {} else value

    def regression_tolerance(self) -> Tolerance | None:
        """What `harness diff` gates on: the run's tolerance, or (a manifest written before it was kept at
        the top) the tightest of its suites'."""
        if self.tolerance is not None:
            return self.tolerance
        return Tolerance.tightest(s.tolerance for s in self.suites)
