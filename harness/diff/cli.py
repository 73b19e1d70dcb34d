"""`harness diff RUN_A RUN_B` and `harness diff RUN --variants A B`: a table, a verdict, a CI exit code."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.analysis.numbers import significant
from harness.api.pairwise import JudgeOptions, with_preference
from harness.console import wide
from harness.diff import DiffResult, diff_runs
from harness.diff.export import diff_json
from harness.diff.preference import PreferenceSummary, preference_verdict
from harness.diff.stats import ScorerDelta
from harness.diff.verdict import FAIL_ON
from harness.errors import UsageError
from harness.files import atomic_write, output_file
from harness.transport.redact import base_url_arg

STATUS_STYLE = {
    "regressed": "bold red",
    "missing": "yellow",
    "improved": "green",
    "new": "cyan",
    "unchanged": "dim",
}
MAX_ROWS = 200
MAX_FLIP_NAMES = 3
MAX_SCORERS = 6


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("diff", description=__doc__)
    p.add_argument(
        "runs", nargs="+", metavar="RUN", help="run directory, run id under --results, or 'latest'"
    )
    p.add_argument("--variants", nargs=2, metavar=("A", "B"), help="compare two variants inside one run")
    p.add_argument("--json", type=output_file, metavar="FILE", help="write every number as JSON")
    p.add_argument("--html", type=output_file, metavar="FILE", help="write the self-contained diff page")
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="regression",
        help="exit 1 on: a regression beyond the tolerance (default), any change, the pairwise judge "
        "preferring A beyond chance (preference; implies --pairwise), or never",
    )
    p.add_argument(
        "--tolerance", type=float, help="tolerated pass-rate drop as a fraction (overrides the run's)"
    )
    p.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    p.add_argument("--all", action="store_true", help="list unchanged cases too")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="gate on runs that are incomplete (killed, interrupted, over budget) or share no case",
    )
    add_judge_arguments(p)
    p.add_argument(
        "--pairwise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ask the judge which arm's image is better, per case and repeat, in both orders "
        "(default: on when the suite sets judge: {pairwise: ...})",
    )
    p.add_argument(
        "--prefer-human", action="store_true", help="labelled trials pass or fail as their reviewers said"
    )
    p.set_defaults(func=run_diff)


def add_judge_arguments(p: argparse.ArgumentParser) -> None:
    """How the pairwise judge is reached: through the suite's cassette, replayed unless told otherwise."""
    g = p.add_argument_group("pairwise judge")
    g.add_argument(
        "--mode",
        choices=("replay", "auto", "record", "live"),
        help="judge transport mode (default: the suite's mode:, else replay); auto records missing answers",
    )
    g.add_argument("--backend", choices=("gemini", "emulator"), help="where recorded answers come from")
    g.add_argument("--base-url", type=base_url_arg, help="a Gemini-compatible endpoint for the judge")
    g.add_argument("--judge-model", help="override the suite's judge model for pairs")
    g.add_argument("--rubric", help="what the better image shows (default: the suite's, else the prompt)")


def judge_options(args: argparse.Namespace) -> JudgeOptions:
    return JudgeOptions(
        mode=args.mode,
        backend=args.backend,
        base_url=args.base_url,
        model=args.judge_model,
        rubric=args.rubric,
    )


def run_diff(args: argparse.Namespace) -> int:
    if args.variants and len(args.runs) != 1:
        raise UsageError("--variants takes exactly one RUN", hint="harness diff RUN --variants A B")
    if not args.variants and len(args.runs) != 2:
        raise UsageError(
            f"diff needs two runs, got {len(args.runs)}",
            hint="harness diff RUN_A RUN_B, or harness diff RUN --variants A B",
        )
    if args.tolerance is not None and not 0 <= args.tolerance <= 1:
        raise UsageError("--tolerance is a fraction between 0 and 1", hint="e.g. --tolerance 0.05 for 5 pp")
    run_b = None if args.variants else args.runs[1]
    result = diff_runs(
        args.runs[0],
        run_b,
        variants=args.variants,
        root=args.results,
        prefer_human=getattr(args, "prefer_human", False),
        fail_on=args.fail_on,
        tolerance=args.tolerance,
        seed=args.seed,
    )
    result = with_preference(result, args.pairwise, judge_options(args), seed=args.seed)
    console = wide()
    print_result(result, console, show_all=args.all)
    if args.json:
        atomic_write(args.json, json.dumps(diff_json(result), indent=2).encode())
        console.print(f"JSON: {args.json}")
    if args.html:
        from harness.report.html import write_diff_html

        write_diff_html(result, args.html)
        console.print(f"HTML: {args.html}")
    problems = partial_problems(args.runs, args.results, args.variants)
    if problems and not args.allow_partial:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(
            "  -> finish it (harness run --resume RUN), or pass --allow-partial to gate anyway",
            file=sys.stderr,
        )
        return 1
    return result.exit_code


def partial_problems(refs: list[str], root: Path, variants: list[str] | None) -> list[str]:
    """Why a diff of these runs says less than it seems to: a side not finished, or no case in common."""
    from harness.store import Run, resolve_run

    runs = [Run.load(resolve_run(ref, root)) for ref in refs]
    problems = [
        f"run {run.manifest.run_id} is {run.manifest.status} with {len(run.trials)} of "
        f"{'?' if run.manifest.totals.planned is None else run.manifest.totals.planned} trials"
        for run in runs
        if not run.complete
    ]
    if variants is None and len(runs) == 2:
        cases = [{(r.suite, r.case) for r in run.trials} for run in runs]
        if not cases[0] & cases[1]:
            problems.append(f"runs {runs[0].manifest.run_id} and {runs[1].manifest.run_id} share no case")
    return problems


def _fmt(value: float | None, spec: str, suffix: str = "", prefix: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:{spec}}"
    if text.startswith("-") and not text.strip("-0."):
        text = f"{0.0:{spec}}"  # a rounded-away change reads +0.0, not -0.0
    return f"{prefix}{text}{suffix}"


def _rate(passes: float, n: float) -> str:
    return "-" if n != n else f"{int(passes)}/{int(n)}"


def short_flips(flips: str, pass_to_fail: int, fail_to_pass: int) -> str:
    """``"a pass->fail; b fail->pass; c 100%->67%"`` as ``"a ✗, b ✓, c 100%→67%"``; past a few scorers
    just the counts."""
    items = [item.rpartition(" ") for item in flips.split("; ") if item]
    if len(items) > MAX_FLIP_NAMES:
        counts = [(pass_to_fail, "pass→fail"), (fail_to_pass, "fail→pass")]
        moved = len(items) - pass_to_fail - fail_to_pass
        counts.append((moved, "pass rate moved"))
        return ", ".join(f"{n} {what}" for n, what in counts if n)
    marks = {"pass->fail": "✗", "fail->pass": "✓"}
    return ", ".join(f"{name} {marks.get(flip, flip.replace('->', '→'))}" for name, _, flip in items)


def score_lines(scores: list[ScorerDelta], limit: int = MAX_SCORERS) -> list[str]:
    """Each scorer's mean A→B over paired cases and in how many it moved, most moved first, one a line."""
    ranked = sorted(scores, key=lambda d: (-(d.higher + d.lower), d.name))
    lines = [
        f"{d.name} {significant(d.mean_a)}→{significant(d.mean_b)} ({d.higher + d.lower}/{d.pairs} moved)"
        for d in ranked[:limit]
    ]
    more = len(ranked) - limit
    return lines + ([f"{more} more in --json / --html"] if more > 0 else [])


def print_result(result: DiffResult, console: Console, show_all: bool = False) -> None:
    """The changed cases (regressions first), the per-arm totals and the verdict."""
    console = wide(console)
    al = result.comparison.alignment
    cases = result.comparison.cases
    shown = cases if show_all else cases[cases["status"] != "unchanged"]
    table = Table(title=f"A = {al.a.name}   B = {al.b.name}", header_style="bold")
    numeric = ("Δ pp", "drift", "Δ $", "Δ s")
    for col in ("status", "case", "pass A→B", "Δ pp", "flips", "outcome", "drift", "Δ $", "Δ s"):
        table.add_column(
            col,
            justify="right" if col in numeric else "left",
            no_wrap=col in (*numeric, "status", "pass A→B"),
            overflow="fold",
            min_width={"case": 16, "flips": 16, "outcome": 12}.get(col),
        )
    several_suites = cases["suite"].nunique() > 1
    for row in shown.head(MAX_ROWS).itertuples(index=False):
        name = (
            (f"{row.suite}::" if several_suites else "")
            + row.case
            + (f" [{row.variant}]" if row.variant else "")
        )
        table.add_row(
            f"[{STATUS_STYLE[row.status]}]{row.status}[/]",
            name,
            f"{_rate(row.passes_a, row.n_a)}→{_rate(row.passes_b, row.n_b)}",
            _fmt(row.delta * 100 if row.delta == row.delta else None, "+.0f"),
            short_flips(row.flips, row.pass_to_fail, row.fail_to_pass),
            row.outcome_changes.replace(" -> ", "→"),
            _fmt(row.drift, ".0f"),
            _fmt(row.cost_delta, "+.3f"),
            _fmt(row.latency_delta, "+.1f"),
        )
    if len(shown):
        console.print(table)
    hidden = len(shown) - min(len(shown), MAX_ROWS)
    unchanged = int((cases["status"] == "unchanged").sum())
    if hidden:
        console.print(f"... {hidden} more changed case(s) in --json / --html")
    if unchanged and not show_all:
        console.print(f"{unchanged} unchanged case(s) not listed (--all lists them)")
    s = result.summary
    counts = "  ".join(f"{k} {v}" for k, v in s.counts.items())
    console.print(f"[bold]cases[/]  {counts}")
    for arm in s.arms:
        per_image = _fmt(arm.cost_per_passing_image, ".4f", prefix="$")
        unmeasured = (
            f"  unmeasured {arm.unmeasured} check(s) in {arm.unmeasured_trials} trial(s)"
            if arm.unmeasured
            else ""
        )
        console.print(
            f"[bold]{arm.name}[/]  trials {arm.trials}  passed {arm.passed}{unmeasured}  "
            f"cost ${arm.cost_usd:.4f}  per passing image {per_image}  "
            f"latency p50 {_fmt(arm.latency_p50, '.2f', ' s')} p95 {_fmt(arm.latency_p95, '.2f', ' s')}"
        )
    for n, line in enumerate(score_lines(s.scores)):
        console.print(f"[bold]{'scores' if n == 0 else '':6}[/]  {line}")
    console.print(f"[bold]verdict[/]  {result.verdict}")
    if result.preference is not None:
        print_preference(result.preference, console, show_all)
    console.print(f"[bold]exit {result.exit_code}[/]  {result.gate_line()}")


WINNER_STYLE = {"B": "green", "A": "red", "tie": "dim"}


def print_preference(p: PreferenceSummary, console: Console, show_all: bool = False) -> None:
    """Per case the winner and why (cases the judge split evenly only with --all), then the verdict."""
    table = Table(title="pairwise judge (both orders; a disagreement is a tie)", header_style="bold")
    for col in ("winner", "case", "B share", "pairs", "reason"):
        table.add_column(col, justify="right" if col in ("B share", "pairs") else "left", overflow="fold")
    several_suites = len({c.suite for c in p.per_case}) > 1
    shown = [c for c in p.per_case if show_all or c.winner != "tie"]
    for c in shown[:MAX_ROWS]:
        name = (f"{c.suite}::" if several_suites else "") + c.case + (f" [{c.variant}]" if c.variant else "")
        table.add_row(
            f"[{WINNER_STYLE[c.winner]}]{c.winner}[/]", name, f"{c.score:.0%}", str(c.pairs), c.reason
        )
    if shown:
        console.print(table)
    ties = len(p.per_case) - len(shown)
    if ties:
        console.print(f"{ties} even case(s) not listed (--all lists them)")
    for line in p.errors[:3]:
        console.print(f"[yellow]not judged[/]  {line.splitlines()[0]}")
    if p.errors:
        console.print(
            "[yellow]hint[/]  record the missing answers: add --mode auto (and --backend emulator for "
            "emulator runs) to this diff"
        )
    console.print(f"[bold]preference[/]  {preference_verdict(p)}")
