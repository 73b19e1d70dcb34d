"""The run format: one TrialRecord per line of results/<run>/trials.jsonl, plus the run's Manifest.

Every stage after the runner (scoring, diff, report, the pytest plugin) reads only these types.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

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


class Score(_Model):
    name: str
    value: float | None  # None when the scorer could not measure (skipped)
    passed: bool | None  # None = skipped, never counted as a pass
    threshold: float | str | None = None
    reason: str
    step: int | None = None  # None = about the whole trial or its group
    weight: float = 1.0


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


class SuiteRef(_Model):
    name: str
    path: str
    sha256: str


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
    judge: dict[str, Any] | None = None
    tolerance: float | dict[str, float] | None = None  # the suite's regression tolerance, read by diff
    require_measured: bool = False  # an unmeasured expectation failed its trial (--require-measured)
    started_at: str
    finished_at: str | None = None
    totals: dict[str, Any] = Field(default_factory=dict)
    argv: list[str] = Field(default_factory=list)
    request: RunRequest | None = None
    pid: int | None = None  # the process writing a running run, with its host: a dead one means killed
    host: str | None = None
    batch: bool = False  # trials went through the Batch API (billed at the batch tier)
    batch_judge: bool = False  # so did the judge and analysis calls of scoring (--batch-judge)
    batch_jobs: list[BatchJobRef] = Field(default_factory=list)
