"""`harness validate`: load, render and check every suite, count trials and estimate cost; no request sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from harness.errors import HarnessError, SuiteError, ValidationFailed
from harness.files import gc_paused
from harness.models import DEFAULT_JUDGE_MODEL
from harness.plan import StepPlan, TrialPlan
from harness.prices import BATCH_SOURCE, Tier, cost_usd, estimate_image_usd, price_for
from harness.record import Usage
from harness.suite.expand import expand_all
from harness.suite.load import load_suite_collect
from harness.suite.schema import Suite

INPUT_IMAGE_TOKENS = 258  # Gemini bills a small input image as 258 tokens (larger ones tile; an estimate)
JUDGE_TOKENS = Usage(prompt_tokens=1290 + 300, output_tokens=150)


@dataclass
class CaseRow:
    case: str
    variants: int
    repeats: int
    steps: int
    trials: int
    judge_calls: int
    est_usd: float


@dataclass
class SuiteReport:
    """One checked suite: its table, and the loaded suite with its trials, so a run that validated first
    parses and expands each suite once."""

    name: str
    path: Path
    rows: list[CaseRow] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    tier: Tier = "standard"  # "batch": the trials go through the Batch API at its price
    judge_tier: Tier = "standard"  # "batch": so do its judge calls (`judge: {batch: true}`)
    suite: Suite | None = None
    plans: list[TrialPlan] = field(default_factory=list)

    @property
    def trials(self) -> int:
        return sum(r.trials for r in self.rows)

    @property
    def est_usd(self) -> float:
        return sum(r.est_usd for r in self.rows)


@dataclass
class ValidationReport:
    suites: list[SuiteReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def trials(self) -> int:
        return sum(s.trials for s in self.suites)

    @property
    def est_usd(self) -> float:
        return sum(s.est_usd for s in self.suites)

    def price_note(self) -> str:
        used = sorted({m for s in self.suites for m in s.models})
        priced = {m: p for m in used if (p := price_for(m)) is not None}
        known = [f"{m} ({p.as_of})" for m, p in priced.items()]
        unknown = [m for m in used if m not in priced]
        sources = ", ".join(dict.fromkeys(p.source for p in priced.values())) or "-"
        note = f"prices: {sources}; as of: {', '.join(known) or '-'}"
        if any(s.tier == "batch" for s in self.suites):
            judged = "batch tier" if all(s.judge_tier == "batch" for s in self.suites) else "standard"
            note += f"; batch suites' trials at the batch tier: {BATCH_SOURCE}; judge calls at {judged}"
            if judged == "standard" and any(s.judge_tier == "batch" for s in self.suites):
                note += " (batch tier where `judge: {batch: true}`)"
        return note + (f"; no price for {', '.join(unknown)} (counted as $0)" if unknown else "")

    def render(self) -> str:
        lines: list[str] = []
        header = ("case", "variants", "repeats", "steps", "trials", "judge", "est. USD")
        for suite in self.suites:
            tier = "  [Batch API: trials at 50%]" if suite.tier == "batch" else ""
            lines.append(f"suite {suite.name}  ({suite.path}){tier}")
            rows = [
                (
                    r.case,
                    str(r.variants),
                    str(r.repeats),
                    str(r.steps),
                    str(r.trials),
                    str(r.judge_calls),
                    f"{r.est_usd:.4f}",
                )
                for r in suite.rows
            ]
            total = (
                "total",
                "",
                "",
                "",
                str(suite.trials),
                str(sum(r.judge_calls for r in suite.rows)),
                f"{suite.est_usd:.4f}",
            )
            widths = [max(len(row[i]) for row in (header, *rows, total)) for i in range(len(header))]

            def fmt(row: tuple[str, ...], widths: list[int] = widths) -> str:
                return "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )

            lines += [
                "  " + fmt(header),
                "  " + "  ".join("-" * w for w in widths),
                *("  " + fmt(r) for r in rows),
                "  " + fmt(total),
                "",
            ]
        lines.append(
            f"{len(self.suites)} suite(s) OK: {self.trials} trials, "
            f"estimated ${self.est_usd:.2f} (no request was sent)"
        )
        lines.append(self.price_note())
        return "\n".join(lines)  # the warnings go to stderr, as they do when validation fails


def trial_cost(plan: TrialPlan, tier: Tier = "standard") -> float:
    """Image tokens per step at its size, plus the prompt and input images (judge calls are apart)."""
    total = 0.0
    for step in plan.steps:
        total += step_cost(step, tier)
    return total


def step_cost(step: StepPlan, tier: Tier = "standard") -> float:
    prompt_tokens = max(len(step.prompt) // 4, 1) + INPUT_IMAGE_TOKENS * images_in(step)
    images_out = 0 if step.config.response_modalities == ("TEXT",) else 1
    return _image_usd(step.config.model, step.config.image_size, images_out, prompt_tokens, tier)


def images_in(step: StepPlan) -> int:
    """The images a step sends: its inputs and references, and after the first step the last output."""
    return len(step.inputs) + len(step.references) + (1 if step.index > 0 else 0)


@lru_cache(maxsize=4096)
def _image_usd(model: str, size: str | None, images_out: int, prompt_tokens: int, tier: Tier) -> float:
    """One step's estimate; the same few settings and prompt lengths recur across a big suite's trials."""
    return estimate_image_usd(model, size, images_out, prompt_tokens, tier)


def judge_calls(plan: TrialPlan) -> int:
    return sum(step_judge_calls(step) for step in plan.steps)


def step_judge_calls(step: StepPlan) -> int:
    return sum(1 for spec in step.expect if "judge" in spec)


def judge_call_usd(judge_model: str, tier: Tier = "standard") -> float:
    """One judge call's estimate: what `validate` shows and `--max-cost` counts for each."""
    return cost_usd(judge_model, JUDGE_TOKENS, tier)


def trial_estimate(plan: TrialPlan, tier: Tier, judge_model: str, judge_tier: Tier) -> float:
    """What `--max-cost` counts for a trial before it runs: its steps and its judge calls."""
    return trial_cost(plan, tier) + judge_calls(plan) * judge_call_usd(judge_model, judge_tier)


def judge_model_of(suite: Suite) -> str:
    return suite.judge.model if suite.judge else DEFAULT_JUDGE_MODEL


def report_suite(
    name: str,
    path: Path,
    plans: list[TrialPlan],
    judge_model: str,
    tier: Tier = "standard",
    judge_tier: Tier = "standard",
) -> SuiteReport:
    """The per-case table. A step's cost is worked out once per distinct settings, prompt length and
    input image count (a big suite has a few hundred), not once per trial; a case's cost sums its
    trials' as `sum(trial_cost(...))` would."""
    report = SuiteReport(name=name, path=path, tier=tier, judge_tier=judge_tier)
    by_case: dict[str, list[TrialPlan]] = {}
    for plan in plans:
        mine = by_case.get(plan.case)
        if mine is None:
            by_case[plan.case] = [plan]
        else:
            mine.append(plan)
    # keyed by the config's id: every plan, so every config, stays alive while the table is used
    costs: dict[tuple[int, int, int], float] = {}
    models: set[str] = set()
    judge_usd = judge_call_usd(judge_model, judge_tier)
    for case, mine in by_case.items():
        trials: list[float] = []
        judges = 0
        for plan in mine:
            trial = 0.0
            for step in plan.steps:
                key = (id(step.config), len(step.prompt) // 4, images_in(step))
                cost = costs.get(key)
                if cost is None:
                    cost = costs[key] = step_cost(step, tier)
                    models.add(step.config.model)
                trial += cost
                if step.expect:
                    judges += step_judge_calls(step)
            trials.append(trial)
        variants = len({p.variant for p in mine})
        report.rows.append(
            CaseRow(
                case=case,
                variants=variants,
                repeats=len(mine) // max(variants, 1),
                steps=len(mine[0].steps),
                trials=len(mine),
                judge_calls=judges,
                est_usd=sum(trials) + judges * judge_usd,
            )
        )
    report.models = sorted(models | ({judge_model} if any(r.judge_calls for r in report.rows) else set()))
    return report


def over_cap(estimate: float, cap: float, path: Path) -> SuiteError:
    return SuiteError(
        f"estimated ${estimate:.2f} is over the suite's max_cost: ${cap:.2f}",
        file=path,
        key="max_cost",
        hint="raise max_cost:, run fewer trials (--variant, --repeats, --case, --limit), "
        "or `harness run --max-cost USD --yes` to run until the cap and stop",
    )


def duplicate_name(suite: Suite, first: Path) -> SuiteError:
    return SuiteError(
        f"suite name '{suite.name}' is also the name of {first}; two suites with one name would share one "
        "cassette and one would overwrite the other's recordings",
        file=suite.path,
        line=suite.line("suite"),
        key="suite",
        hint="give each suite file its own 'suite:' name",
    )


def validate(
    paths: list[str | Path],
    variants: list[str] | None = None,
    repeats: int | None = None,
    batch: bool | None = None,
    check_cap: bool = True,
    batch_judge: bool | None = None,
) -> ValidationReport:
    """Check every suite; raises ValidationFailed with every problem of every suite, else the report.

    `batch` True estimates every suite at the Batch API tier (None: as each suite's `batch:` says);
    `batch_judge` True estimates a batch suite's judge calls there too (None: its `judge: {batch: true}`).
    `check_cap` False leaves a suite's `max_cost:` to `harness run`, which applies it to the trials it
    selected (and to what a resumed run already spent)."""
    with gc_paused():
        return _validate(paths, variants, repeats, batch, batch_judge, check_cap)


def _validate(
    paths: list[str | Path],
    variants: list[str] | None,
    repeats: int | None,
    batch: bool | None,
    batch_judge: bool | None,
    check_cap: bool,
) -> ValidationReport:
    report = ValidationReport()
    errors: list[HarnessError] = []
    names: dict[str, Path] = {}
    for path in paths:
        try:
            suite, problems = load_suite_collect(path)
        except SuiteError as exc:
            errors.append(exc)
            continue
        errors += problems
        if suite is None:
            continue
        if names.setdefault(suite.name, suite.path) != suite.path:
            errors.append(duplicate_name(suite, names[suite.name]))
        result = expand_all(suite, variants, repeats)
        errors += [e for e in result.errors if str(e) not in {str(p) for p in problems}]
        report.warnings += [w for w in result.warnings if w not in report.warnings]
        if not result.errors and not problems:
            judge = judge_model_of(suite)
            batched = batch if batch is not None else suite.batch
            tier: Tier = "batch" if batched else "standard"
            own = bool(suite.judge and suite.judge.batch)
            judge_batched = batch_judge if batch_judge is not None else own
            judge_tier: Tier = "batch" if batched and judge_batched else "standard"
            suite_report = report_suite(suite.name, suite.path, result.plans, judge, tier, judge_tier)
            suite_report.suite, suite_report.plans = suite, result.plans
            report.suites.append(suite_report)
            if check_cap and suite.max_cost is not None and suite_report.est_usd > suite.max_cost:
                errors.append(over_cap(suite_report.est_usd, suite.max_cost, suite.path))
    if errors:
        raise ValidationFailed(errors, warnings=report.warnings)
    return report
