"""`harness run` and `harness runs list`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from harness.console import wide
from harness.errors import UsageError
from harness.record import Manifest, Totals
from harness.store import Run, read_manifest
from harness.transport.redact import base_url_arg

if TYPE_CHECKING:
    from harness.selection import Selection


def register(subparsers: Any) -> None:
    from harness.suite.cli import add_policy_arguments

    run = subparsers.add_parser(
        "run",
        description="Validate, run every trial, score, and store results/<run-id>/.",
    )
    run.add_argument("suites", nargs="*", metavar="SUITE", help="suite files, or folders holding them")
    run.add_argument(
        "--variant",
        action="append",
        dest="variants",
        metavar="NAME",
        help="run only this variant (repeatable)",
    )
    run.add_argument("--repeats", type=int, help="override every case's repeats")
    run.add_argument("--concurrency", type=int, default=4, help="trials in flight at once (default 4)")
    run.add_argument("--out", type=Path, default=Path("results"), help="runs folder (default results/)")
    run.add_argument("--run-id", help="run directory name (default: a sortable timestamp)")
    run.add_argument(
        "--backend",
        choices=("gemini", "emulator"),
        help="gemini (needs GEMINI_API_KEY or GOOGLE_API_KEY) or the in-process emulator",
    )
    run.add_argument(
        "--base-url",
        type=base_url_arg,
        help="any Gemini-compatible endpoint (gateway, proxy, running emulator)",
    )
    run.add_argument(
        "--mode",
        choices=("live", "record", "replay", "auto"),
        help="transport mode (default: env HARNESS_MODE, then the suite's mode:, then live)",
    )
    run.add_argument("--cassettes", type=Path, help="cassette folder (default <suite dir>/cassettes)")
    run.add_argument(
        "--faults", help="emulator fault spec, e.g. '503:first=2' or '429@0.2,seed=7' (emulator only)"
    )
    run.add_argument("--timeout", type=float, dest="timeout_s", help="per-request timeout in seconds")
    run.add_argument("--baseline", help="a run (id, dir or 'latest') that baseline scorers compare with")
    add_policy_arguments(run)
    run.add_argument(
        "--require-measured",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="an expectation that cannot be measured (no tesseract, no judge) fails its trial "
        "(default: on when CI is set)",
    )
    add_run_control(run)
    run.add_argument(
        "--batch",
        action="store_true",
        default=None,
        help="send the trials through the Batch API: half price, answered within 24 h (suite: `batch: true`)",
    )
    run.add_argument(
        "--batch-judge",
        action="store_true",
        default=None,
        help="with --batch, send the judge and analysis calls through the Batch API too "
        "(suite: `judge: {batch: true}`)",
    )
    run.set_defaults(func=run_command)

    merge = subparsers.add_parser(
        "merge",
        description="Join shard runs into one run; different suites, overlaps, unfinished shards refused.",
    )
    merge.add_argument(
        "runs", nargs="+", metavar="RUN", help="shard runs (directories or ids under --results)"
    )
    merge.add_argument("--out", type=Path, required=True, metavar="DIR", help="the merged run's directory")
    merge.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    merge.set_defaults(func=merge_command)

    runs = subparsers.add_parser("runs")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True, metavar="ACTION")
    listing = runs_sub.add_parser("list", help="recent runs, newest first")
    listing.add_argument("--out", type=Path, default=Path("results"), help="runs folder (default results/)")
    listing.add_argument("-n", type=int, default=20, dest="limit", help="how many runs (default 20)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=runs_list_command)


def add_run_control(run: Any) -> None:
    """Resume, retry, selection, sharding, spending cap and pacing (see the README's "Run control")."""
    control = run.add_argument_group("run control")
    control.add_argument(
        "--resume", metavar="RUN", help="continue a killed, interrupted or budget-stopped run"
    )
    control.add_argument(
        "--retry-errors", metavar="RUN", help="re-run a run's transient errors (429, 5xx, timeouts) in place"
    )
    control.add_argument(
        "--case",
        action="append",
        dest="cases",
        default=[],
        metavar="GLOB",
        help="only cases (or trial ids) matching",
    )
    control.add_argument(
        "--tag", action="append", dest="tags", default=[], metavar="TAG", help="only cases tagged"
    )
    control.add_argument("--limit", type=int, metavar="N", help="only the first N selected trials")
    control.add_argument("--sample", type=int, metavar="N", help="a random sample of N trials (with --seed)")
    control.add_argument("--seed", type=int, help="seed of --sample (default 0)")
    control.add_argument(
        "--shard", metavar="I/N", help="run shard I of N (whole groups; join with harness merge)"
    )
    control.add_argument(
        "--max-cost", type=float, metavar="USD", help="spending cap (default: the suite's max_cost:)"
    )
    control.add_argument(
        "--yes", action="store_true", help="accept an estimate over the cap, or an absurd size"
    )
    control.add_argument(
        "--rpm", type=float, metavar="N", help="at most N requests per minute (a token bucket)"
    )
    control.add_argument(
        "--overwrite-errors", action="store_true", help="record: an error replaces a good earlier recording"
    )


def selection_args(args: argparse.Namespace) -> Selection | None:
    from harness.selection import Selection, parse_shard

    chosen = Selection(
        cases=tuple(args.cases),
        tags=tuple(args.tags),
        limit=args.limit,
        sample=args.sample,
        seed=args.seed,
        shard=parse_shard(args.shard) if args.shard else None,
    )
    return chosen if chosen.narrows else None


def run_command(args: argparse.Namespace) -> int:
    """Exit 0 when every trial passed (or had nothing to check), 1 when any failed or errored."""
    from harness.api.run import RunInterrupted, run_suites
    from harness.suite.cli import suite_files

    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    if args.repeats is not None and args.repeats < 1:
        raise UsageError(f"--repeats must be at least 1, got {args.repeats}")
    if args.timeout_s is not None and not args.timeout_s > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout_s}")
    check_out_dir(args.out)
    continuing = args.resume or args.retry_errors
    if args.resume and args.retry_errors:
        raise UsageError("--resume and --retry-errors are two different things", hint="use one of them")
    if continuing and (args.suites or selection_args(args) is not None):
        raise UsageError(
            "--resume and --retry-errors run what the run's manifest asked for",
            hint=f"drop the suites and selection flags: harness run --resume {continuing}",
        )
    if not continuing and not args.suites:
        raise UsageError("no suite given", hint="harness run suites/<name>.yaml (or --resume RUN)")
    try:
        run_dir = _run(args, [] if continuing else suite_files(args.suites), run_suites)
    except RunInterrupted as stop:
        print(summary(Run.load(stop.run_dir)))
        return 130
    run = Run.load(run_dir)
    print(summary(run))
    return 1 if failing(run) or run.manifest.status != "finished" else 0


def _run(args: argparse.Namespace, paths: list[Path], run_suites: Any) -> Path:
    from harness.runner.progress import make_progress
    from harness.suite.cli import policy_from

    return run_suites(
        paths,
        selection=selection_args(args),
        max_cost=args.max_cost,
        rpm=args.rpm,
        yes=args.yes,
        overwrite_errors=args.overwrite_errors,
        resume=args.resume,
        retry_errors=args.retry_errors,
        variants=args.variants,
        repeats=args.repeats,
        concurrency=args.concurrency,
        out=args.out,
        run_id=args.run_id,
        backend=args.backend,
        base_url=args.base_url,
        mode=args.mode,
        cassettes=args.cassettes,
        faults=args.faults,
        timeout_s=args.timeout_s,
        baseline=args.baseline,
        inputs=policy_from(args),
        progress=make_progress(),
        require_measured=args.require_measured,
        batch=args.batch,
        batch_judge=args.batch_judge,
    )


def merge_command(args: argparse.Namespace) -> int:
    from harness.api.merge import merge_shards

    run = Run.load(merge_shards(args.runs, args.out, root=args.results))
    print(summary(run))
    return 1 if failing(run) else 0


def check_out_dir(out: Path) -> None:
    """`--out` is a folder of runs: a file there is a usage error, not a traceback from mkdir."""
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise UsageError(
                    f"--out {out}: {folder} is a file, not a folder", hint="pass a folder for the runs"
                )
            return


def failing(run: Run) -> list[str]:
    """Trials that count against the run: a failed pass rule, or an error nothing expected."""
    return [r.trial_id for r in run.trials if r.counts_as_failure]


def summary(run: Run) -> str:
    totals, manifest = run.manifest.totals, run.manifest
    outcomes = ", ".join(f"{n} {name}" for name, n in totals.outcomes.items() if n)
    planned = totals.planned or 0
    lines = [
        f"run {manifest.run_id} ({manifest.status}, backend {manifest.backend}, mode {manifest.mode})",
        f"  trials: {totals.trials}/{planned}  {outcomes or 'none'}",
        f"  passed {totals.passed}{_with_unmeasured(totals)}, failed {totals.failed}, "
        f"no verdict {totals.skipped}",
        *unmeasured_lines(run),
        f"  cost ${totals.cost_usd:.4f}{_judge_cost(run)}, latency p50 {_secs(totals.latency_p50_s)}, "
        f"p95 {_secs(totals.latency_p95_s)}",
    ]
    if totals.effective_rpm is not None:
        lines.append(
            f"  pacing: {totals.effective_rpm} requests/min effective, "
            f"{totals.rate_limited or 0} rate limited, "
            f"concurrency went down to {totals.lowest_concurrency}"
        )
    if manifest.status in ("budget_exhausted", "killed", "interrupted"):
        cap = totals.max_cost_usd
        why = f" at the --max-cost ${cap:.2f} cap" if manifest.status == "budget_exhausted" and cap else ""
        lines.append(
            f"  {manifest.status}{why}: {totals.trials} of {planned} trials done; "
            f"continue with harness run --resume {manifest.run_id}"
        )
    if manifest.procedural_images:
        lines.append("  images are procedural (emulator), not model output")
    if manifest.batch:
        from harness.prices import BATCH_SOURCE

        judged = sum(j.kind == "judge" for j in manifest.batch_jobs)
        of_them = f" ({judged} of judge calls)" if judged else ""
        lines.append(
            f"  batch: {len(manifest.batch_jobs)} job(s){of_them}; cost at the batch tier, {BATCH_SOURCE}"
        )
    bad = failing(run)
    if bad:
        lines.append("  failing: " + ", ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""))
    lines += error_lines(run, set(bad))
    lines.append(f"  results: {run.dir}")
    return "\n".join(lines)


def _judge_cost(run: Run) -> str:
    """`(judge $0.0012, batch tier)` beside the generation cost, when the judge spent anything."""
    spent = run.manifest.totals.judge_cost_usd
    if not spent:
        return ""
    return f" (judge ${spent:.4f}{', batch tier' if run.manifest.batch_judge else ''})"


def _with_unmeasured(totals: Totals) -> str:
    n = totals.passed_with_unmeasured
    return f" ({n} with unmeasured checks)" if n else ""


def unmeasured_lines(run: Run) -> list[str]:
    """How many checks could not be measured, by scorer with its first reason, and what that means."""
    by_name: dict[str, list[str]] = {}
    for record in run.trials:
        for s in record.scores:
            if s.passed is None:
                by_name.setdefault(s.name, []).append(s.reason)
    if not by_name:
        return []
    total = sum(len(v) for v in by_name.values())
    trials = sum(r.unmeasured > 0 for r in run.trials)
    effect = (
        "each failed its trial (--require-measured)"
        if run.manifest.require_measured
        else "counted as neither pass nor fail; --require-measured fails them"
    )
    lines = [f"  unmeasured {total} check(s) in {trials} trial(s), {effect}:"]
    lines += [f"    {name} x{len(reasons)}: {reasons[0]}" for name, reasons in sorted(by_name.items())]
    return lines


def error_lines(run: Run, ids: set[str], limit: int = 3) -> list[str]:
    """Why the first failing trials errored (a replay miss with its diff and the re-record command), so the
    reason is in the run's output and not only in trials.jsonl."""
    errored = [(r.trial_id, r.error.message) for r in run.trials if r.trial_id in ids and r.error is not None]
    lines = []
    for trial_id, message in errored[:limit]:
        lines.append(f"  error in {trial_id}:")
        lines += [f"    {line}" for line in message.splitlines()]
    if len(errored) > limit:
        lines.append(f"  ... and {len(errored) - limit} more error(s): see {run.dir / 'trials.jsonl'}")
    return lines


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def recent_manifests(out: Path, limit: int) -> list[tuple[Path, Manifest]]:
    """Newest first by start time (custom --run-id names do not sort by time)."""
    found = []
    for path in out.glob("*/manifest.json"):
        try:
            found.append((path.parent, read_manifest(path.parent)))
        except ValueError:
            continue  # a half-written or foreign folder: skip it, do not fail the listing
    found.sort(key=lambda item: item[1].started_at, reverse=True)
    return found[:limit]


def runs_list_command(args: argparse.Namespace) -> int:
    runs = recent_manifests(args.out, args.limit)
    if args.json:
        print(json.dumps([m.model_dump(mode="json") for _, m in runs], indent=2))
        return 0
    if not runs:
        print(f"no runs under {args.out}/")
        return 0
    table = Table(title=f"runs in {args.out}/")
    for column in ("run", "status", "suites", "backend", "mode", "trials", "passed", "cost"):
        table.add_column(
            column,
            justify="right" if column in ("trials", "passed", "cost") else "left",
            no_wrap=column != "suites",
        )
    for _, m in runs:
        totals = m.totals
        table.add_row(
            m.run_id,
            m.status,
            ", ".join(s.name for s in m.suites),
            m.backend,
            m.mode,
            f"{totals.trials}",
            f"{totals.passed}/{totals.trials}",
            f"${totals.cost_usd:.4f}",
        )
    wide().print(table)
    return 0
