"""run_suites: suite files in, a run directory out. The one entry the CLI, the pytest plugin and the
demo share.

Order matters: validate every suite (nothing is sent when one is wrong), resolve the key, create the run
directory (a clash stops here, before any cassette is opened), start the emulator if asked and some
suite calls out (a replay never does), open one transport session and one client per suite, run, add
group scores, rewrite trials.jsonl once with them, close the sessions (cassettes saved), close the
manifest, write Parquet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.api.batch import run_batch
from harness.context import InputPolicy, input_policy, using_policy
from harness.errors import HarnessWarning, SuiteError, UsageError
from harness.files import gc_frozen
from harness.plan import TrialPlan
from harness.record import BatchJobRef, JudgeInfo, RunRequest, Score, SuiteJudge, TrialRecord
from harness.runner.client import API_VERSION, build_client, resolve_api_key
from harness.runner.manifest import build_manifest, suite_ref, tightest_tolerance
from harness.runner.pacing import Budget, Pacer
from harness.runner.progress import Progress, QuietProgress, provisional
from harness.runner.retry import RetryPolicy
from harness.runner.run import Target, run_targets
from harness.selection import Selection, check_size, partial_groups, select_plans
from harness.store import Run, RunWriter, compute_totals, new_run_id, resolve_run
from harness.transport import redact

if TYPE_CHECKING:
    from harness.suite.validate import ValidationReport

DEFAULT_TIMEOUT_S = 120.0


@dataclass
class SuiteWork:
    suite: Any
    plans: list[TrialPlan]  # the selected trials (all of them, done or not, when continuing)
    mode: str
    target: Target | None = None
    partial: dict[str, tuple[int, int]] = field(default_factory=dict)  # group key -> (selected, planned)
    keep: set[str] | None = None  # the selected trial ids, when `plans` holds more (a replayed batch)


def ci_default() -> bool:
    """Whether CI is set (CI=true on GitHub, GitLab and most runners; CI=false or 0 reads as unset)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def choose_backend(backend: str | None, base_url: str | None) -> str:
    """gemini (default), emulator, or `base_url:<host>` for any other Gemini-compatible endpoint."""
    if backend not in (None, "gemini", "emulator"):
        raise UsageError(f"unknown backend {backend!r}", hint="use --backend gemini or --backend emulator")
    if base_url and backend != "emulator":
        return f"base_url:{redact.public_host(base_url)}"  # never the user, password or key it carries
    return backend or "gemini"


def _setting(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def judge_settings(suite: Any) -> dict[str, Any]:
    judge = getattr(suite, "judge", None)
    settings = {"judge_model": _setting(judge, "model"), "judge_temperature": _setting(judge, "temperature")}
    return {k: v for k, v in settings.items() if v is not None}


def load_work(
    paths: Sequence[Path],
    variants: list[str] | None,
    repeats: int | None,
    mode: str | None,
    selection: Selection | None,
    batch: bool | None = None,
    validated: ValidationReport | None = None,
) -> list[SuiteWork]:
    """`validated`: the report of `validate(paths, variants, repeats, check_cap=False)` a caller already
    has (the pytest plugin validates a suite file to collect its items), so the suite is not read again."""
    from harness.suite import validate
    from harness.transport import resolve_mode

    report = validated or validate(list(paths), variants, repeats, check_cap=False)  # each suite, once
    for warning in report.warnings:
        warnings.warn(warning, HarnessWarning, stacklevel=2)
    works = []
    for checked in report.suites:
        suite = checked.suite
        assert suite is not None
        suite_mode = str(resolve_mode(cli=mode, suite=getattr(suite, "mode", None)))
        every = checked.plans
        selected = select_plans(every, selection) if selection is not None else every
        # A replayed batch job must hold the trials it was recorded with: every trial is sent, and only
        # the selected ones are kept (replay costs nothing). Calling out sends only what was selected.
        whole_jobs = suite_mode == "replay" and _batched(
            suite.name, batch, {suite.name} if suite.batch else set()
        )
        keep = {p.trial_id for p in selected}
        work = SuiteWork(suite, every if whole_jobs else selected, suite_mode, keep=keep)
        work.partial = partial_groups(every, selected)
        works.append(work)
    return works


def import_custom_scorers(specs: Iterable[dict[str, Any]], suite_dir: Path | None) -> None:
    """Import every custom scorer these expectations call, once, before anything is sent or scored
    (validation reads them without running them, so a module that raises on import shows here):
    SuiteError naming the module's file and line, exit 2, instead of a failed score on every trial."""
    from harness.scoring.custom import CustomParams, import_failure
    from harness.scoring.registry import parse_expect

    paths: set[str] = set()
    for spec in {repr(spec): spec for spec in specs}.values():
        try:
            params = parse_expect(spec).params
        except ValueError:
            continue  # a bad expectation is reported where it is scored
        if isinstance(params, CustomParams):
            paths.add(params.path)
    for path in sorted(paths):
        failed = import_failure(path, suite_dir)
        if failed is not None:
            file, line, what = failed
            raise SuiteError(
                f"custom scorer '{path}' fails on import: {what}; nothing was sent or scored",
                file=file,
                line=line or None,
                hint="fix the module (import it in Python to see the whole traceback)",
            )


def group_scores(records: list[TrialRecord], works: Sequence[SuiteWork]) -> None:
    """Cross-trial scores (e.g. `consistent`) per suite, then the pass decision again with them.

    A crashing group scorer is reported as a skipped score on that suite's trials, never a lost run. A
    group only partly selected (`--case`, `--limit`, pytest `-k`) is not measured: its members' group
    scores are skipped and a verdict they could have changed from pass becomes no verdict."""
    from harness.scoring import decide_passed, describe, score_groups

    group_scorers = {d["name"] for d in describe() if d["kind"] == "group"}
    for work in works:
        env = work.target.env if work.target else None
        mine = [r for r in records if r.suite == work.suite.name]
        if env is None or not mine:
            continue
        for record in mine:  # a retried run's earlier records carry their group's old scores
            kept = [s for s in record.scores if not _is_group_score(s, group_scorers)]
            if len(kept) < len(record.scores):
                record.scores = kept
                record.passed = decide_passed(record, env.require_measured)
        try:
            extra = score_groups(mine, env)
        except Exception as exc:
            reason = f"group scoring failed: {exc}"
            failed = Score(name="group", value=None, passed=None, reason=reason, kind="group")
            extra = {r.trial_id: [failed.model_copy()] for r in mine}
        for record in mine:
            partial = work.partial.get(record_group_key(record))
            scores = extra.get(record.trial_id) or []
            if partial and scores:
                scores = [_not_measured(s, *partial) for s in scores]
            if scores:
                record.scores.extend(scores)
                record.passed = decide_passed(record, env.require_measured)
                if partial and record.passed is True:
                    record.passed = None


def _is_group_score(score: Score, group_scorers: set[str]) -> bool:
    """Whether a stored score came from a cross-trial scorer: its `kind`, or on a record written before
    scores carried one, its scorer's registered kind."""
    return score.kind == "group" if score.kind is not None else score.scorer in group_scorers


def record_group_key(record: TrialRecord) -> str:
    return f"{record.suite}::group:{record.group}" if record.group else f"{record.suite}::{record.case}"


def _not_measured(score: Score, selected: int, planned: int) -> Score:
    reason = f"not measured: only {selected} of the {planned} trials of its group were selected"
    return score.model_copy(update={"value": None, "passed": None, "reason": reason})


def run_suites(
    paths: Sequence[str | Path],
    *,
    variants: list[str] | None = None,
    repeats: int | None = None,
    concurrency: int = 4,
    out: str | Path = Path("results"),
    run_id: str | None = None,
    backend: str | None = None,
    base_url: str | None = None,
    mode: str | None = None,
    cassettes: str | Path | None = None,
    faults: str | None = None,
    timeout_s: float | None = None,
    baseline: str | Path | None = None,
    select: Iterable[str] | None = None,
    selection: Selection | None = None,
    max_cost: float | None = None,
    rpm: float | None = None,
    yes: bool = False,
    overwrite_errors: bool = False,
    resume: str | Path | None = None,
    retry_errors: str | Path | None = None,
    policy: RetryPolicy | None = None,
    progress: Progress | None = None,
    inputs: InputPolicy | None = None,
    require_measured: bool | None = None,
    batch: bool | None = None,
    attach: Sequence[BatchJobRef] = (),
    on_batch_status: Any = None,
    batch_options: Any = None,
    batch_judge: bool | None = None,
    validated: ValidationReport | None = None,
) -> Path:
    """Run suites and return the run directory.

    `require_measured` (None: on when the CI environment variable is set) fails a trial whose expectation
    could not be measured instead of leaving it out of the verdict.

    `backend` None means gemini (or a gateway when `base_url` is given); `timeout_s` None keeps each
    step's own timeout (default 120 s); `select` limits the run to those trial ids, `selection` to a
    --case/--tag/--limit/--sample/--shard choice; `cassettes` relative to the working directory.
    `resume` (a run id or directory) continues that run with what its manifest asked for (a batch run
    re-attaches to the jobs it created), `retry_errors` re-runs its transient errors; `max_cost` caps what
    the run spends (a run that would pass it is refused unless `yes`, and stops as `budget_exhausted`,
    resumable); `rpm` paces requests. `batch` True sends the trials through the Batch API (None: as each
    suite's `batch:` says); `attach` are jobs an earlier attempt of this run created, polled instead of
    re-created; `batch_judge` True sends a batch run's judge and analysis calls through the Batch API
    too (None: as each suite's `judge: {batch: true}` says; a batch job's polls are shown through
    `progress` unless `on_batch_status` is given). `validated`: the caller's
    `validate(paths, variants, repeats, check_cap=False)` report of these same suites, used instead of
    loading them again (ignored when resuming). Interrupted (Ctrl-C): the run is closed as interrupted
    and `RunInterrupted` names its directory."""
    from harness.api.batch import reattachable
    from harness.api.resume import continuation, keep_suite_copies, selection_of, with_earlier_attempts
    from harness.suite.validate import judge_model_of, trial_estimate

    cont = None
    if resume is not None or retry_errors is not None:
        ref = resume if resume is not None else retry_errors
        assert ref is not None
        cont = continuation(ref, Path(out), retry=retry_errors is not None)
        req = cont.request
        paths, variants, repeats = list(req.suites), req.variants, req.repeats
        mode, backend = mode or req.mode, backend or req.backend
        cassettes = cassettes if cassettes is not None else req.cassettes
        timeout_s = timeout_s if timeout_s is not None else req.timeout_s
        selection = selection_of(req)
        max_cost = max_cost if max_cost is not None else req.max_cost_usd
        rpm = rpm if rpm is not None else req.rpm
        yes = True  # the size was accepted when the run started
        if batch is None and cont.manifest.batch:
            batch = True  # a batch run goes on through the Batch API
        if batch_judge is None and cont.manifest.batch_judge:
            batch_judge = True  # and so do its judge calls
        if not attach:
            attach = reattachable(cont.manifest)  # poll the jobs it created, never send them again
    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("no suite given", hint="harness run suites/<name>.yaml")
    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
    label = choose_backend(backend, base_url)
    if faults and label != "emulator":
        raise UsageError("--faults only applies to the emulator", hint="add --backend emulator")
    check_size(repeats, 0, yes)
    if select is not None:
        selection = replace(selection or Selection(), ids=frozenset(select))
    with using_policy(inputs or input_policy.get()):  # what validation lets suites read and name
        reuse = validated if cont is None else None
        works = load_work(paths, variants, repeats, mode, selection, batch, reuse)
    for w in works:
        import_custom_scorers(
            (e for p in w.plans for st in p.steps for e in st.expect), Path(w.suite.path).parent
        )
    batch_suites = {w.suite.name for w in works if getattr(w.suite, "batch", False)}
    judge_suites = _judge_batched(works, batch, batch_suites, batch_judge)
    check_size(repeats, _planned(works), yes)
    empty_shard_ok = selection is not None and selection.shard is not None  # a small suite, many machines
    if (
        selection is not None
        and selection.ids is None
        and not empty_shard_ok
        and not any(w.keep for w in works)
    ):
        raise UsageError(
            "the selection (--case, --tag, --limit, --sample, --shard) matched no trial",
            hint="cases here: " + ", ".join(sorted({c.id for w in works for c in w.suite.cases})[:12]),
        )
    keys = {w.suite.name: resolve_api_key(label, w.mode) for w in works}  # fails before anything starts
    caps = [w.suite.max_cost for w in works if getattr(w.suite, "max_cost", None) is not None]
    if max_cost is None and caps:
        max_cost = min(caps)  # the suites' max_cost:, the tightest when several run together
    out = Path(out)
    done = cont.done if cont is not None else frozenset()
    # A replayed batch job is sent whole (see load_work); otherwise what is done is not sent again.
    todo = {
        w.suite.name: w.plans
        if _whole_jobs(w, batch, batch_suites)
        else [p for p in w.plans if p.trial_id not in done]
        for w in works
    }
    keep = set().union(*(w.keep or set() for w in works)) - done  # the trials this attempt stores
    estimates = {  # generation and judge calls: the cap is on what the run spends in all
        p.trial_id: trial_estimate(
            p,
            "batch" if _batched(w.suite.name, batch, batch_suites) else "standard",
            judge_model_of(w.suite),
            "batch" if w.suite.name in judge_suites else "standard",
        )
        for w in works
        for p in todo[w.suite.name]
        if p.trial_id in keep
    }
    spent = cont.spent_usd if cont is not None else 0.0
    if max_cost is not None and spent + sum(estimates.values()) > max_cost and not yes:
        raise UsageError(
            f"estimated ${sum(estimates.values()):.2f} for {len(estimates)} trials"
            + (f" (after ${spent:.2f} spent)" if spent else "")
            + f" is over --max-cost ${max_cost:.2f}; nothing was sent",
            hint="raise --max-cost, narrow the run (--case, --limit, --shard), or pass --yes to run until "
            "the cap and stop there (then --resume RUN --max-cost MORE)",
        )
    baseline_run = Run.load(resolve_run(baseline, out)) if baseline else None
    planned = _planned(works)
    if cont is not None:
        manifest = cont.manifest
        if max_cost is not None and manifest.request is not None:
            manifest.request.max_cost_usd = max_cost
        writer = RunWriter(cont.run_dir.parent, manifest, resume=True)
    else:
        manifest = build_manifest(
            run_id or new_run_id(),
            [suite_ref(w.suite.name, Path(w.suite.path)) for w in works],
            backend=label,
            modes=[w.mode for w in works],
            variants=[p.variant for w in works for p in w.plans],
            judge=_judge_manifest(works),
        )
        manifest.tolerance = tightest_tolerance(w.suite.tolerance for w in works)
        manifest.batch_judge = bool(judge_suites)  # so a resume batches them too, killed before any job
        manifest.require_measured = ci_default() if require_measured is None else require_measured
        manifest.request = _request(
            paths,
            variants,
            repeats,
            selection,
            max_cost,
            mode,
            backend,
            cassettes,
            timeout_s,
            concurrency,
            rpm,
        )
        writer = RunWriter(out, manifest)  # before any session opens: a clash must not touch a cassette
        keep_suite_copies(writer.dir, ((w.suite.name, Path(w.suite.path)) for w in works))
    previous = {r.trial_id: r for r in cont.records} if cont is not None else {}
    work_items: list[tuple[TrialPlan, Target]] = []
    finished: list[TrialRecord] = []
    status = "interrupted"
    sessions: list[Any] = []
    progress = progress or QuietProgress()
    calls_out = any(w.mode != "replay" for w in works)
    pacer = Pacer(concurrency, rpm) if calls_out else None
    budget = Budget(max_cost, spent)
    records: list[TrialRecord] = []
    try:
        with contextlib.ExitStack() as stack:
            url = base_url
            if label == "emulator" and url is None and _calls_out(works, faults):
                url = stack.enter_context(_emulator(faults)).url
            for work in works:
                journal = not _batched(
                    work.suite.name, batch, batch_suites
                )  # a batch trial is never committed
                session = stack.enter_context(_session(work, cassettes, overwrite_errors, journal))
                sessions.append(session)
                if session.blob_files is not None:
                    writer.link_from(session.blob_files)
                options = session.http_options(
                    base_url=url, api_version=API_VERSION, timeout_s=timeout_s or DEFAULT_TIMEOUT_S
                )
                work.target = _target(
                    work, build_client(keys[work.suite.name], options), session, writer.dir, baseline_run
                )
                work.target.env.require_measured = manifest.require_measured
                work_items += [(plan, work.target) for plan in todo[work.suite.name]]
            _share_pool(stack, works, work_items)
            stack.enter_context(gc_frozen())  # suites, plans, cassettes: alive to the end, never garbage
            progress.start(len([p for p, _ in work_items if p.trial_id in keep]))
            batched = [item for item in work_items if _batched(item[0].suite, batch, batch_suites)]
            interactive = [item for item in work_items if not _batched(item[0].suite, batch, batch_suites)]
            new: list[TrialRecord] = []
            if batched:
                batched = _within_budget(batched, budget, keep, estimates)
                new += asyncio.run(
                    run_batch(
                        batched,
                        writer,
                        attach=attach,
                        progress=progress,
                        on_status=on_batch_status or progress.batch,
                        finished=finished,
                        options=batch_options or _batch_options(label),
                        keep=keep,
                        batch_judge=judge_suites,
                    )
                )
                for record in new:
                    budget.finish(estimates.get(record.trial_id, 0.0), record.spent_usd)
            if interactive:
                new += asyncio.run(
                    run_targets(
                        interactive,
                        writer,
                        concurrency=concurrency,
                        policy=policy,
                        timeout_s=timeout_s,
                        progress=progress,
                        finished=finished,
                        pacer=pacer,
                        budget=budget,
                        estimates=estimates,
                    )
                )
            for record in new:
                with_earlier_attempts(
                    record, previous.get(record.trial_id) if cont and record.trial_id in cont.retry else None
                )
            records = _in_plan_order(works, {**previous, **{r.trial_id: r for r in new}})
            if budget.exhausted:
                status = "budget_exhausted"
            else:
                group_scores(records, works)
                progress.settle([r for r in records if provisional(r)])
                status = "finished"
            Run(writer.dir, manifest, records).rewrite_trials(records)
    except KeyboardInterrupt:
        raise RunInterrupted(writer.dir) from None
    finally:  # the sessions are closed (cassettes saved) by now
        progress.stop()
        if status == "interrupted":  # what reached trials.jsonl before the stop
            records = _in_plan_order(works, {**previous, **{r.trial_id: r for r in finished}})
        manifest.procedural_images = manifest.procedural_images or any(
            getattr(s, "seen_emulator", False) for s in sessions
        )
        if sessions and all(w.mode == "replay" for w in works):
            manifest.backend = "replay:" + "+".join(
                sorted({s.recorded_backend or "unknown" for s in sessions})
            )
        totals = compute_totals(records, planned)
        if pacer is not None:
            totals.effective_rpm = pacer.stats.effective_rpm
            totals.rate_limited = pacer.stats.rate_limited
            totals.lowest_concurrency = pacer.stats.lowest_limit
        totals.max_cost_usd = max_cost
        writer.close(status, totals)
        _write_parquet(writer.dir, Run(writer.dir, manifest, records) if status == "finished" else None)
    return writer.dir


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the run is closed (status interrupted, Parquet written); `run_dir` is it."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(str(run_dir))
        self.run_dir = run_dir


def _in_plan_order(works: Sequence[SuiteWork], by_id: dict[str, TrialRecord]) -> list[TrialRecord]:
    kept = set().union(*(w.keep if w.keep is not None else {p.trial_id for p in w.plans} for w in works))
    return [by_id[p.trial_id] for w in works for p in w.plans if p.trial_id in by_id and p.trial_id in kept]


def _within_budget(
    items: list[tuple[TrialPlan, Target]], budget: Budget, keep: set[str], tiers: dict[str, float]
) -> list[tuple[TrialPlan, Target]]:
    """A batch job is sent whole, so --max-cost picks its trials up front: those that fit the cap, in
    plan order (estimated at the batch tier); the rest wait for `--resume RUN --max-cost MORE`. A trial
    sent only to fill a replayed job (not kept) costs nothing."""
    if budget.cap is None:
        return items
    chosen = []
    for plan, target in items:
        if plan.trial_id not in keep or budget.try_start(tiers.get(plan.trial_id, 0.0)):
            chosen.append((plan, target))
    return chosen


def _request(
    paths: Sequence[Path],
    variants: list[str] | None,
    repeats: int | None,
    selection: Selection | None,
    max_cost: float | None,
    mode: str | None,
    backend: str | None,
    cassettes: str | Path | None,
    timeout_s: float | None,
    concurrency: int,
    rpm: float | None,
) -> RunRequest:
    sel = selection or Selection()
    return RunRequest(
        suites=[str(p) for p in paths],
        variants=variants,
        repeats=repeats,
        cases=list(sel.cases),
        tags=list(sel.tags),
        limit=sel.limit,
        sample=sel.sample,
        seed=sel.seed,
        shard=str(sel.shard) if sel.shard else None,
        max_cost_usd=max_cost,
        mode=mode,
        backend=backend,
        cassettes=str(Path(cassettes).resolve()) if cassettes is not None else None,
        timeout_s=timeout_s,
        concurrency=concurrency,
        rpm=rpm,
    )


def _planned(works: Sequence[SuiteWork]) -> int:
    return sum(len(w.keep) if w.keep is not None else len(w.plans) for w in works)


def _batch_options(label: str) -> Any:
    """The local emulator finishes a job in a poll or two: poll it fast; anything else at the default."""
    from harness.runner.batch import BatchOptions, PollPolicy

    return BatchOptions(PollPolicy(first=0.05, factor=1.5, ceiling=1.0)) if label == "emulator" else None


def _whole_jobs(work: SuiteWork, batch: bool | None, batch_suites: set[str]) -> bool:
    return work.mode == "replay" and _batched(work.suite.name, batch, batch_suites)


def _judge_batched(
    works: Sequence[SuiteWork], batch: bool | None, batch_suites: set[str], batch_judge: bool | None
) -> set[str]:
    """The suites whose judge calls go through the Batch API: `--batch-judge` decides for every batch
    suite, else each suite's `judge: {batch: true}`. Only a batch run's trials are scored after all their
    jobs, so only they can wait for judge jobs; asking it of a run with none is a usage error."""
    batched = {w.suite.name for w in works if _batched(w.suite.name, batch, batch_suites)}
    if batch_judge and not batched:
        raise UsageError(
            "--batch-judge batches the judge calls of a batch run, and no suite here runs batched",
            hint="add --batch (or `batch: true` in the suite)",
        )
    if batch_judge is not None:
        return batched if batch_judge else set()
    wanted = {w.suite.name for w in works if _setting(getattr(w.suite, "judge", None), "batch")}
    for name in sorted(wanted - batched):
        warnings.warn(
            f"suite {name}: `judge: {{batch: true}}` has no effect without `batch: true` (or --batch); "
            "its judge calls go one by one",
            HarnessWarning,
            stacklevel=3,
        )
    return wanted & batched


def _batched(suite: str, batch: bool | None, batch_suites: set[str]) -> bool:
    """`--batch` decides for every suite; without it, each suite's own `batch:` does."""
    return batch if batch is not None else suite in batch_suites


def _judge_manifest(works: Sequence[SuiteWork]) -> JudgeInfo | None:
    """The judge the run uses, as scoring describes it: the first suite's, and under ``suites`` each
    suite's model and temperature when the suites of one run disagree."""
    from harness.scoring import ScoringEnv, judge_manifest

    if not works:
        return None
    each = {
        w.suite.name: judge_manifest(ScoringEnv(run_dir=Path("."), **judge_settings(w.suite))) for w in works
    }
    first = each[works[0].suite.name]
    if any((j.model, j.temperature) != (first.model, first.temperature) for j in each.values()):
        suites = {n: SuiteJudge(model=j.model, temperature=j.temperature) for n, j in each.items()}
        first = first.model_copy(update={"suites": suites})
    return first


def _calls_out(works: Sequence[SuiteWork], faults: str | None) -> bool:
    """Whether any suite sends requests; a replay answers from its cassette and needs no emulator."""
    if any(w.mode != "replay" for w in works):
        return True
    if faults:
        warnings.warn(
            "--faults has no effect: every suite replays from its cassette", HarnessWarning, stacklevel=2
        )
    return False


def _emulator(faults: str | None) -> Any:
    from harness.emulator import Emulator

    try:
        return Emulator(faults=faults)
    except ValueError as exc:  # a fault spec that does not parse
        raise UsageError(f"--faults: {exc}", hint="see harness/emulator/README-faults.md") from exc


def _session(
    work: SuiteWork, cassettes: str | Path | None, overwrite_errors: bool = False, journal: bool = True
) -> Any:
    from harness.transport import TransportSession, cassette_path

    folder = Path(cassettes).resolve() if cassettes is not None else getattr(work.suite, "cassettes", None)
    path = Path(work.suite.path)
    cassette = None if work.mode == "live" else cassette_path(path, work.suite.name, folder)
    return TransportSession(
        work.mode,
        cassette,
        suite=work.suite.name,
        suite_path=path,
        overwrite_errors=overwrite_errors,
        journal=journal,
    )


def _target(work: SuiteWork, client: Any, session: Any, run_dir: Path, baseline: Run | None) -> Target:
    from harness.runner.judging import JudgeClient
    from harness.scoring import ScoringEnv

    env = ScoringEnv(
        run_dir=run_dir,
        suite_dir=Path(work.suite.path).parent,
        client=JudgeClient(client),  # judge costs metered per trial
        baseline=baseline,
        **judge_settings(work.suite),
    )
    return Target(client, session, env)


def _share_pool(stack: contextlib.ExitStack, works: Sequence[SuiteWork], items: Sequence[Any]) -> None:
    """One pool of scoring processes for the whole run, when it has enough images to score (see
    harness.scoring.pool); closed with the sessions, after the group scores."""
    from harness.scoring.pool import wanted

    pool = wanted(step.expect for plan, _ in items for step in plan.steps)
    if pool is None:
        return
    stack.enter_context(pool)
    for work in works:
        if work.target is not None:
            work.target.env.pool = pool


def _write_parquet(run_dir: Path, run: Run | None) -> None:
    """The analysis table beside the run; its absence or failure never loses the run itself. `run` is
    what trials.jsonl holds, when the run rewrote it whole (else it is read back)."""
    from harness.analysis import write_parquet

    try:
        write_parquet(run_dir, run)
    except Exception as exc:
        warnings.warn(f"trials.parquet not written for {run_dir}: {exc}", HarnessWarning, stacklevel=2)
