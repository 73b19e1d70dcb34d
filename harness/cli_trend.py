"""`harness trend [--suite NAME] [RUNS...]`: pass rate, per-scorer means, cost and drift per stored run in
time order, runs whose suite file or models changed marked; a table here, plots in --html."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from rich.table import Table

from harness.api.trend import trend
from harness.console import wide
from harness.store import atomic_write

MAX_SCORER_COLUMNS = 4


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("trend", help="stored runs over time: pass rate, scores, cost, drift")
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
