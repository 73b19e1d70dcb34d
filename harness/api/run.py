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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.api.batch import run_batch
from harness.context import InputPolicy, input_policy, using_policy
from harness.errors import HarnessWarning, UsageError
from harness.plan import TrialPlan
from harness.record import BatchJobRef, Score, TrialRecord
from harness.runner.client import API_VERSION, build_client, resolve_api_key
from harness.runner.manifest import build_manifest, suite_ref, tightest_tolerance
from harness.runner.progress import Progress, QuietProgress, provisional
from harness.runner.retry import RetryPolicy
from harness.runner.run import Target, run_targets
from harness.store import Run, RunWriter, compute_totals, new_run_id, resolve_run
from harness.transport import redact

DEFAULT_TIMEOUT_S = 120.0


@dataclass
class SuiteWork:
    suite: Any
    plans: list[TrialPlan]
    mode: str
    target: Target | None = None
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
    select: Iterable[str] | None,
    batch: bool | None = None,
) -> list[SuiteWork]:
    from harness.suite import validate
    from harness.transport import resolve_mode

    report = validate(list(paths), variants, repeats)  # loads and expands each suite, once
    for warning in report.warnings:
        warnings.warn(warning, HarnessWarning, stacklevel=2)
    chosen = set(select) if select is not None else None
    works = []
    for checked in report.suites:
        suite = checked.suite
        assert suite is not None
        suite_mode = str(resolve_mode(cli=mode, suite=getattr(suite, "mode", None)))
        plans = checked.plans
        # A replayed batch job must hold the trials it was recorded with: every trial is sent, and only
        # the selected ones are kept (replay costs nothing). Calling out sends only what was selected.
        whole_jobs = suite_mode == "replay" and _batched(
            suite.name, batch, {suite.name} if suite.batch else set()
        )
        keep = {p.trial_id for p in plans if chosen is None or p.trial_id in chosen}
        if not whole_jobs:
            plans = [p for p in plans if p.trial_id in keep]
        works.append(SuiteWork(suite, plans, suite_mode, keep=keep))
    return works


def group_scores(records: list[TrialRecord], works: Sequence[SuiteWork]) -> None:
    """Cross-trial scores (e.g. `consistent`) per suite, then the pass decision again with them.

    A crashing group scorer is reported as a skipped score on that suite's trials, never a lost run."""
    from harness.scoring import decide_passed, score_groups

    for work in works:
        env = work.target.env if work.target else None
        mine = [r for r in records if r.suite == work.suite.name]
        if env is None or not mine:
            continue
        try:
            extra = score_groups(mine, env)
        except Exception as exc:
            reason = f"group scoring failed: {exc}"
            extra = {r.trial_id: [Score(name="group", value=None, passed=None, reason=reason)] for r in mine}
        for record in mine:
            if extra.get(record.trial_id):
                record.scores.extend(extra[record.trial_id])
                record.passed = decide_passed(record, env.require_measured)


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
    policy: RetryPolicy | None = None,
    progress: Progress | None = None,
    inputs: InputPolicy | None = None,
    require_measured: bool | None = None,
    batch: bool | None = None,
    attach: Sequence[BatchJobRef] = (),
    on_batch_status: Any = None,
    batch_options: Any = None,
) -> Path:
    """Run suites and return the run directory.

    `require_measured` (None: on when the CI environment variable is set) fails a trial whose expectation
    could not be measured instead of leaving it out of the verdict.

    `backend` None means gemini (or a gateway when `base_url` is given); `timeout_s` None keeps each
    step's own timeout (default 120 s); `select` limits the run to those trial ids; `cassettes` relative
    to the working directory. `batch` True sends the trials through the Batch API (None: as each suite's
    `batch:` says); `attach` are jobs an earlier attempt of this run created, polled instead of re-created."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("no suite given", hint="harness run suites/<name>.yaml")
    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
    label = choose_backend(backend, base_url)
    if faults and label != "emulator":
        raise UsageError("--faults only applies to the emulator", hint="add --backend emulator")
    with using_policy(inputs or input_policy.get()):  # what validation lets suites read and name
        works = load_work(paths, variants, repeats, mode, select, batch)
    batch_suites = {w.suite.name for w in works if getattr(w.suite, "batch", False)}
    keys = {w.suite.name: resolve_api_key(label, w.mode) for w in works}  # fails before anything starts
    out = Path(out)
    baseline_run = Run.load(resolve_run(baseline, out)) if baseline else None
    run_id = run_id or new_run_id()
    manifest = build_manifest(
        run_id,
        [suite_ref(w.suite.name, Path(w.suite.path)) for w in works],
        backend=label,
        modes=[w.mode for w in works],
        variants=[p.variant for w in works for p in w.plans],
        judge=_judge_manifest(works),
    )
    manifest.tolerance = tightest_tolerance(w.suite.tolerance for w in works)
    manifest.require_measured = ci_default() if require_measured is None else require_measured
    writer = RunWriter(out, manifest)  # before any session opens: a clash must not touch a cassette
    work_items: list[tuple[TrialPlan, Target]] = []
    finished: list[TrialRecord] = []
    status, records = "interrupted", finished
    sessions: list[Any] = []
    progress = progress or QuietProgress()
    try:
        with contextlib.ExitStack() as stack:
            url = base_url
            if label == "emulator" and url is None and _calls_out(works, faults):
                url = stack.enter_context(_emulator(faults)).url
            for work in works:
                session = stack.enter_context(_session(work, cassettes))
                sessions.append(session)
                options = session.http_options(
                    base_url=url, api_version=API_VERSION, timeout_s=timeout_s or DEFAULT_TIMEOUT_S
                )
                work.target = _target(
                    work, build_client(keys[work.suite.name], options), session, writer.dir, baseline_run
                )
                work.target.env.require_measured = manifest.require_measured
                work_items += [(plan, work.target) for plan in work.plans]
            progress.start(_planned(works))
            batched = [item for item in work_items if _batched(item[0].suite, batch, batch_suites)]
            interactive = [item for item in work_items if not _batched(item[0].suite, batch, batch_suites)]
            if batched:
                asyncio.run(
                    run_batch(
                        batched,
                        writer,
                        attach=attach,
                        progress=progress,
                        on_status=on_batch_status,
                        finished=finished,
                        options=batch_options or _batch_options(label),
                        keep=set().union(*(w.keep or set() for w in works)),
                    )
                )
            if interactive:
                asyncio.run(
                    run_targets(
                        interactive,
                        writer,
                        concurrency=concurrency,
                        policy=policy,
                        timeout_s=timeout_s,
                        progress=progress,
                        finished=finished,
                    )
                )
            order = {plan.trial_id: n for n, (plan, _) in enumerate(work_items)}
            records = sorted(finished, key=lambda r: order.get(r.trial_id, len(order)))  # plan order
            group_scores(records, works)
            progress.settle([r for r in records if provisional(r)])
            Run(writer.dir, manifest, records).rewrite_trials(records)
            status = "finished"
    finally:  # the sessions are closed (cassettes saved) by now
        progress.stop()
        manifest.procedural_images = any(getattr(s, "seen_emulator", False) for s in sessions)
        if sessions and all(w.mode == "replay" for w in works):
            manifest.backend = "replay:" + "+".join(
                sorted({s.recorded_backend or "unknown" for s in sessions})
            )
        writer.close(status, compute_totals(records, _planned(works)))
    _write_parquet(writer.dir)
    return writer.dir


def _planned(works: Sequence[SuiteWork]) -> int:
    return sum(len(w.keep) if w.keep is not None else len(w.plans) for w in works)


def _batch_options(label: str) -> Any:
    """The local emulator finishes a job in a poll or two: poll it fast; anything else at the default."""
    from harness.runner.batch import BatchOptions, PollPolicy

    return BatchOptions(PollPolicy(first=0.05, factor=1.5, ceiling=1.0)) if label == "emulator" else None


def _batched(suite: str, batch: bool | None, batch_suites: set[str]) -> bool:
    """`--batch` decides for every suite; without it, each suite's own `batch:` does."""
    return batch if batch is not None else suite in batch_suites


def _judge_manifest(works: Sequence[SuiteWork]) -> dict[str, Any] | None:
    """The judge the run uses, as scoring describes it: the first suite's, and under ``suites`` each
    suite's model and temperature when the suites of one run disagree."""
    from harness.scoring import ScoringEnv, judge_manifest

    if not works:
        return None
    each = {
        w.suite.name: judge_manifest(ScoringEnv(run_dir=Path("."), **judge_settings(w.suite))) for w in works
    }
    first = each[works[0].suite.name]
    if any((j["model"], j["temperature"]) != (first["model"], first["temperature"]) for j in each.values()):
        first = {
            **first,
            "suites": {n: {"model": j["model"], "temperature": j["temperature"]} for n, j in each.items()},
        }
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


def _session(work: SuiteWork, cassettes: str | Path | None) -> Any:
    from harness.transport import TransportSession, cassette_path

    folder = Path(cassettes).resolve() if cassettes is not None else getattr(work.suite, "cassettes", None)
    path = Path(work.suite.path)
    cassette = None if work.mode == "live" else cassette_path(path, work.suite.name, folder)
    return TransportSession(work.mode, cassette, suite=work.suite.name, suite_path=path)


def _target(work: SuiteWork, client: Any, session: Any, run_dir: Path, baseline: Run | None) -> Target:
    from harness.scoring import ScoringEnv

    env = ScoringEnv(
        run_dir=run_dir,
        suite_dir=Path(work.suite.path).parent,
        client=client,
        baseline=baseline,
        **judge_settings(work.suite),
    )
    return Target(client, session, env)


def _write_parquet(run_dir: Path) -> None:
    """The analysis table beside the run; its absence or failure never loses the run itself."""
    from harness.analysis import write_parquet

    try:
        write_parquet(run_dir)
    except Exception as exc:
        warnings.warn(f"trials.parquet not written for {run_dir}: {exc}", HarnessWarning, stacklevel=2)
