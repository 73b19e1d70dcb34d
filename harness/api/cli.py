"""`harness compare RUN[:VARIANT]...`, `harness trend [--suite NAME] [RUNS...]` and `harness agreement RUN`:
the front end of the orchestration operations that rank arms by the pairwise judge, follow stored runs
over time, and measure how far a machine scorer (or the pairwise judge) agrees with human labels."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from rich.table import Table

from harness.api.compare import compare_arms
from harness.api.trend import trend
from harness.console import wide
from harness.diff.cli import add_judge_arguments, judge_options
from harness.diff.ranking import CompareResult, compare_json
from harness.files import atomic_write
from harness.report.html import EMULATOR_BANNER

MAX_MATRIX = 8
MAX_SCORER_COLUMNS = 4


def register(subparsers: argparse._SubParsersAction) -> None:
    register_compare(subparsers)
    register_trend(subparsers)
    register_agreement(subparsers)


def register_compare(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        description="Arms ranked by the pairwise judge, with intervals, in the terminal, as JSON and as a "
        "self-contained page with every case's images side by side.",
    )
    p.add_argument(
        "arms", nargs="+", metavar="RUN[:VARIANT]", help="a run (each of its variants), or one variant of it"
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="write every number as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="write the self-contained leaderboard page")
    p.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    add_judge_arguments(p)
    p.set_defaults(func=run_compare)


def print_compare(result: CompareResult) -> None:
    console = wide()
    if result.procedural:
        console.print(f"[bold yellow]{EMULATOR_BANNER}[/]")
    table = Table(title=f"{len(result.arms)} arms, {result.cases} cases judged pairwise", header_style="bold")
    for col in ("#", "arm", "model", "rating", "95% CI", "judge wins", "pass", "$/passing", "p50 s"):
        table.add_column(col, justify="left" if col in ("arm", "model") else "right", overflow="fold")
    for n, r in enumerate(result.rows, 1):
        ci = r.rating.elo_ci
        table.add_row(
            str(n),
            r.name,
            ", ".join(r.models),
            f"{r.rating.elo:.0f}",
            f"{ci[0]:.0f}–{ci[1]:.0f}" if ci else "-",
            f"{r.wins:g}/{r.comparisons}",
            "-" if r.stats.pass_rate is None else f"{r.stats.pass_rate:.0%}",
            "-" if r.stats.cost_per_passing_image is None else f"${r.stats.cost_per_passing_image:.4f}",
            "-" if r.stats.latency_p50 is None else f"{r.stats.latency_p50:.2f}",
        )
    console.print(table)
    if len(result.arms) <= MAX_MATRIX:
        names = [r.name for r in result.rows]
        index = {a.name: i for i, a in enumerate(result.arms)}
        matrix = Table(title="row beats column (share of pairs, a tie half)", header_style="bold")
        matrix.add_column("")
        for name in names:
            matrix.add_column(name, justify="right", overflow="fold")
        for row in names:
            cells = []
            for col in names:
                share = None if row == col else result.share(index[row], index[col])
                cells.append("" if share is None else f"{share:.0%}")
            matrix.add_row(row, *cells)
        console.print(matrix)
    for line in result.errors[:3]:
        console.print(f"[yellow]not judged[/]  {line.splitlines()[0]}")
    if result.errors:
        console.print(
            f"[yellow]hint[/]  {len(result.errors)} pair(s) not judged; record the missing answers: add "
            "--mode auto (and --backend emulator for emulator runs)"
        )


def run_compare(args: argparse.Namespace) -> int:
    result = compare_arms(args.arms, root=args.results, options=judge_options(args), seed=args.seed)
    print_compare(result)
    console = wide()
    if args.json:
        atomic_write(args.json, json.dumps(compare_json(result), indent=2).encode())
        console.print(f"JSON: {args.json}")
    if args.html:
        from harness.report.compare_page import write_compare_html

        write_compare_html(result, args.html)
        console.print(f"HTML: {args.html}")
    return 1 if result.errors else 0  # a stale cassette must not pass CI unnoticed


def register_trend(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("trend")
    p.add_argument("runs", nargs="*", metavar="RUN", help="runs to include (default: all under --results)")
    p.add_argument("--suite", help="only runs of this suite, and only its trials")
    p.add_argument("--results", type=Path, default=Path("results"), help="where runs are stored")
    p.add_argument("--json", type=Path, metavar="FILE", help="write every point as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="write the self-contained page with plots")
    p.add_argument("--no-drift", action="store_true", help="skip the image drift (decodes every image)")
    p.set_defaults(func=run_trend)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def run_trend(args: argparse.Namespace) -> int:
    t = trend(args.runs, suite=args.suite, root=args.results, drift=not args.no_drift)
    console = wide()
    scorers = t.scorers[:MAX_SCORER_COLUMNS]
    table = Table(title=f"trend of {t.suite or 'stored runs'}, oldest first", header_style="bold")
    for col in ("run", "started", "models", "trials", "pass", "cost", "drift", *scorers, "marked"):
        numeric = col in ("trials", "pass", "cost", "drift", *scorers)
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    for p in t.points:
        table.add_row(
            p.run_id,
            p.started_at[:19],
            ", ".join(p.models),
            str(p.trials),
            _pct(p.pass_rate),
            f"${p.cost_usd:.4f}",
            "-" if p.drift is None else f"{p.drift:.1f}",
            *("-" if p.scorer_means.get(s) is None else f"{p.scorer_means[s]:.3g}" for s in scorers),
            f"[yellow]{'; '.join(p.changes)}[/]" if p.changes else "",
        )
    console.print(table)
    if len(t.scorers) > len(scorers):
        console.print(f"{len(t.scorers) - len(scorers)} more scorer(s) in --json / --html")
    if t.skipped:
        console.print(f"{len(t.skipped)} run(s) without trials left out: {', '.join(t.skipped[:5])}")
    if args.json:
        data = {"suite": t.suite, "skipped": t.skipped, "points": [asdict(p) for p in t.points]}
        atomic_write(args.json, json.dumps(data, indent=2, default=str).encode())
        console.print(f"JSON: {args.json}")
    if args.html:
        from harness.report.trend_page import write_trend_html

        write_trend_html(t, args.html)
        console.print(f"HTML: {args.html}")
    return 0


def register_agreement(subparsers: argparse._SubParsersAction) -> None:
    q = subparsers.add_parser(
        "agreement",
        description="Cohen's kappa on pass/fail, Spearman on scores, the confusion matrix and the most "
        "disagreeing trials, between a run's human labels and a machine scorer (or the trial verdicts).",
    )
    q.add_argument("run", metavar="RUN", help="run directory, run id under --results, or 'latest'")
    q.add_argument("--scorer", help="the machine scorer to compare (e.g. judge); default: the trial verdict")
    q.add_argument("--json", type=Path, metavar="FILE", help="write every figure as JSON")
    q.add_argument("--html", type=Path, metavar="FILE", help="write the agreement page")
    q.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    q.add_argument(
        "--pairwise",
        action="store_true",
        help="compare preferred sides with the pairwise judge's (default: with the machine scores')",
    )
    add_judge_arguments(q)
    q.set_defaults(func=run_agreement_command)


def _figure(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None else format(value, spec)


def run_agreement_command(args: argparse.Namespace) -> int:
    from harness.api.agreement import run_agreement
    from harness.store import resolve_run

    pairwise = judge_options(args) if getattr(args, "pairwise", False) else None
    result = run_agreement(args.run, args.scorer, args.results, pairwise)
    print(f"agreement of {result.scorer} with human labels: {result.labelled} labelled trial(s)")
    raw = f"{result.observed:.1%}" if result.observed is not None else "–"
    print(
        f"  pass/fail   {result.verdicts} trial(s), raw agreement {raw}, "
        f"Cohen's kappa {_figure(result.kappa)}" + (f" ({result.kappa_note})" if result.kappa_note else "")
    )
    why = f"p = {result.spearman_p:.3g}" if result.spearman_p is not None else result.spearman_note
    print(f"  scores      {result.scores} trial(s), Spearman rho {_figure(result.spearman)} ({why})")
    c = result.confusion
    print("  confusion   human\\machine  pass  fail")
    for h in ("pass", "fail"):
        print(f"              {h:13s} {c[h]['pass']:5d} {c[h]['fail']:5d}")
    if result.preferences or result.preference_note:
        share = f"{result.preference_agreement:.1%}" if result.preference_agreement is not None else "–"
        print(f"  preferred   {share} of {result.preferences} pair(s) {result.preference_note}".rstrip())
    if result.disagreements:
        print("  most disagreeing:")
        for d in result.disagreements:
            note = f"  note: {d.note}" if d.note else ""
            print(f"    {d.trial_id}: human {d.human}, machine {d.machine}{note}")
    if args.json:
        atomic_write(args.json, json.dumps(asdict(result), indent=2).encode())
        print(f"JSON: {args.json}")
    if args.html:
        from harness.report.agreement_html import write_agreement_html

        run_id = resolve_run(args.run, args.results).name
        write_agreement_html(result, run_id, args.html)
        print(f"HTML: {args.html}")
    return 0
