"""`harness report RUN [--html FILE]`: the run as one self-contained HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.files import output_file
from harness.report.html import write_run_html
from harness.store import resolve_run


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", description=__doc__)
    p.add_argument("run", metavar="RUN", help="run directory, run id under --results, or 'latest'")
    p.add_argument(
        "--html", type=output_file, metavar="FILE", help="output file (default: <run>/report.html)"
    )
    p.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    page = write_run_html(resolve_run(args.run, args.results), args.html)
    print(f"report: {page}")
    return 0
