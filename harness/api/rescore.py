"""Re-score a stored run offline: new thresholds from the suite, the judge replayed from its cassette.

Expectations come from the suite when one is given (or the manifest's suite path still exists),
re-expanded so each trial's steps get their current `expect:` lists and pass rule; otherwise the
expectations stored in the run are used as they are. No request leaves the machine: the judge client
runs over the transport in replay mode. A judgement keeps the grade stored in the run when its rubric and
judge are unchanged; otherwise a judgement the cassette lacks fails (a replay miss, with the re-record
command), and one that cannot be asked at all (a run without a cassette) is skipped.
trials.jsonl, trials.parquet and the manifest's totals are all rewritten, so `harness runs list` and the
analysis table agree with the new verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.api.run import import_custom_scorers
from harness.errors import HarnessError
from harness.models import DEFAULT_JUDGE_MODEL
from harness.record import TrialRecord
from harness.runner.client import PLACEHOLDER_KEY, build_client
from harness.scoring.aggregate import decide_passed
from harness.scoring.context import ScoringEnv
from harness.scoring.engine import score_groups, score_trials
from harness.scoring.judge import stored_judgements
from harness.scoring.pool import ScoringPool, wanted
from harness.store import Run, compute_totals


@dataclass
class RescoreResult:
    run_dir: Path
    trials: int = 0
    suite: Path | None = None  # the first suite file expectations came from (all of them in `suites`)
    flipped: list[tuple[str, bool | None, bool | None]] = field(
        default_factory=list
    )  # (trial, before, after)
    passed: int = 0
    failed: int = 0
    undecided: int = 0
    skipped: list[str] = field(default_factory=list)  # "trial: score: reason" of each skipped score
    unparsed: list[str] = field(default_factory=list)  # "file:line: reason" of lines kept as they were
    suites: list[Path] = field(default_factory=list)


def _suite_paths(run: Run, given: Path | None) -> list[Path]:
    """The given suite file, else every suite file of the run that still exists."""
    if given is not None:
        if not Path(given).is_file():
            raise HarnessError(f"suite file {given} not found", hint="pass the suite YAML the run came from")
        return [Path(given)]
    return [Path(ref.path) for ref in run.manifest.suites if Path(ref.path).is_file()]


def apply_suite(records: list[TrialRecord], suite: Any, variants: list[str] | None) -> int:
    """Copy the suite's current expectations and pass rules onto matching trials; returns how many matched."""
    from harness.suite import expand

    plans = {(p.case, p.variant): p for p in expand(suite, variants=variants or None)}
    matched = 0
    for record in records:
        plan = plans.get((record.case, record.variant))
        if plan is None or record.suite != suite.name:
            continue
        matched += 1
        record.pass_rule = plan.pass_rule
        for step, planned in zip(record.steps, plan.steps, strict=False):
            step.expect = [dict(e) for e in planned.expect]
    return matched


def _judge_client(stack: ExitStack, suite: Any, run: Run) -> Any:
    """A sync genai Client over a replay-mode transport on the suite's cassette, or None without one."""
    from harness.transport import Mode, TransportSession, cassette_path

    cassette = cassette_path(suite.path, suite.name, suite.cassettes)
    if not cassette.exists():
        return None
    session = stack.enter_context(
        TransportSession(Mode.REPLAY, cassette, suite=suite.name, suite_path=suite.path)
    )
    backend = run.manifest.backend
    base_url = backend.removeprefix("base_url:") if backend.startswith("base_url:") else None
    options = session.http_options(base_url=base_url, api_version=run.manifest.api_version)
    return build_client(PLACEHOLDER_KEY, options)  # replay never sends a request, so never a key


def _save(run: Run) -> None:
    """Rewrite every file that holds a verdict: trials.jsonl, the manifest's totals, trials.parquet."""
    from harness.analysis import write_parquet

    run.rewrite_trials(run.trials)
    run.manifest.totals = compute_totals(run.trials, run.manifest.totals.planned)
    run.rewrite_manifest()
    write_parquet(run.dir)


def _judge_of(run: Run, suite_name: str) -> tuple[str, float]:
    """The judge model and temperature a suite's trials were scored with, as the manifest records it."""
    judge = run.manifest.judge
    if judge is None:
        return DEFAULT_JUDGE_MODEL, 0.0
    own = (judge.suites or {}).get(suite_name) or judge
    return own.model, own.temperature


def _score_suite(
    stack: ExitStack,
    run: Run,
    records: Sequence[TrialRecord],
    suite: Any,
    name: str,
    pools: list[ScoringPool],
) -> None:
    """Re-score one suite's trials with that suite's expectations, judge and cassette; the pixel scorers
    in the run's one pool of worker processes (`pools`, started by the first suite with enough images)."""
    model, temperature = _judge_of(run, name)
    stored = stored_judgements(list(records), model, temperature)
    client, suite_dir = None, None
    if suite is not None:
        suite_dir = suite.dir
        apply_suite(list(records), suite, run.manifest.variants)
        if suite.judge is not None:
            model, temperature = suite.judge.model, suite.judge.temperature
        asks = ("judge", "alignment")  # the scorers that call the judge model
        if any(k in e for r in records for s in r.steps for e in s.expect for k in asks):
            client = _judge_client(stack, suite, run)
    import_custom_scorers((e for r in records for st in r.steps for e in st.expect), suite_dir)
    if not pools and (pool := wanted(s.expect for r in records for s in r.steps)) is not None:
        pools.append(stack.enter_context(pool))
    env = ScoringEnv(
        run.dir,
        suite_dir,
        client,
        judge_model=model,
        judge_temperature=temperature,
        stored_judgements=stored,
        pool=pools[0] if pools else None,
    )
    for record, scores in zip(records, score_trials(records, env), strict=True):
        record.scores = scores
    by_id = {r.trial_id: r for r in records}
    for trial_id, extra in score_groups(list(records), env).items():
        by_id[trial_id].scores.extend(extra)


def rescore_run(
    run_dir: Path, suite_path: Path | None = None, require_measured: bool | None = None
) -> RescoreResult:
    """Recompute every score and verdict of a stored run and rewrite its files atomically.

    Each suite of a multi-suite run is re-scored with its own file, judge and cassette; a `suite_path`
    given applies to every trial (the run of one suite, re-scored against an edited copy).
    `require_measured` None keeps the run's own setting (its manifest)."""
    from harness.suite import load_suite

    run = Run.load(run_dir)
    if require_measured is not None:
        run.manifest.require_measured = require_measured
    result = RescoreResult(run.dir, len(run.trials))
    result.unparsed = [u.where(run.dir / "trials.jsonl") for u in run.unparsed]
    result.suites = _suite_paths(run, suite_path)
    result.suite = result.suites[0] if result.suites else None
    suites = {s.name: s for s in (load_suite(p) for p in result.suites)}
    before = {r.trial_id: r.passed for r in run.trials}
    groups: dict[str, list[TrialRecord]] = {}
    for record in run.trials:
        groups.setdefault(record.suite, []).append(record)
    pools: list[ScoringPool] = []
    with ExitStack() as stack:
        for name, records in groups.items():
            suite = next(iter(suites.values())) if suite_path is not None and suites else suites.get(name)
            _score_suite(stack, run, records, suite, name, pools)
    for record in run.trials:
        record.passed = decide_passed(record, run.manifest.require_measured)
        skipped = [s for s in record.scores if s.passed is None]
        result.skipped += [f"{record.trial_id}: {s.name}: {s.reason}" for s in skipped]
        if record.passed != before[record.trial_id]:
            result.flipped.append((record.trial_id, before[record.trial_id], record.passed))
        if record.passed is None:
            result.undecided += 1
        elif record.passed:
            result.passed += 1
        else:
            result.failed += 1
    _save(run)
    return result
