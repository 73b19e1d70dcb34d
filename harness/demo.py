"""`harness demo` (what `make demo` runs): the whole product on the embedded default, offline.

Replays the showcase suite for every variant from its committed cassette (no key, no network), scores
every trial, diffs two variants (flash vs pro), writes the HTML report and the diff page, and replays the real
Gemini recordings as a second, smaller run.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

from harness.console import wide
from harness.store import Run, new_run_id


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo")
    p.add_argument("--suite", type=Path, default=Path("suites/showcase.yaml"))
    p.add_argument(
        "--real",
        type=Path,
        default=Path("suites/real-gemini.yaml"),
        help="a second suite of real Gemini recordings to replay (skipped if missing)",
    )
    p.add_argument("--variants", nargs=2, default=["flash", "pro"], metavar=("A", "B"))
    p.add_argument("--out", type=Path, default=Path("results"))
    p.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from harness.api import run_suites
    from harness.diff import diff_runs
    from harness.diff.cli import print_result
    from harness.report.html import write_diff_html, write_run_html
    from harness.runner.progress import make_progress

    console = wide()
    started = time.monotonic()
    stamp = new_run_id()
    run_id = f"{stamp}-demo-showcase"  # sorts after the -demo-real run, so `latest` is the showcase
    console.rule("[bold]1. replay the showcase (every variant) from its cassette: no key, no network")
    run_dir = run_suites([args.suite], mode="replay", out=args.out, run_id=run_id, progress=make_progress())
    run = Run.load(run_dir)

    console.rule(f"[bold]2. diff the variants: {args.variants[0]} (A) vs {args.variants[1]} (B)")
    result = diff_runs(run_dir, variants=list(args.variants), fail_on="never")
    print_result(result, console)
    diff_page = write_diff_html(result, run_dir / f"diff-{args.variants[0]}-vs-{args.variants[1]}.html")
    report_page = write_run_html(run_dir)

    real_line = "skipped (no suite)"
    if args.real.exists():
        console.rule("[bold]3. replay real Gemini recordings (imported from vcrpy cassettes)")
        real = Run.load(
            run_suites(
                [args.real],
                mode="replay",
                out=args.out,
                run_id=f"{stamp}-demo-real",
                progress=make_progress(),
            )
        )
        real_line = (
            f"{sum(t.outcome == 'ok' for t in real.trials)}/{len(real.trials)} ok, "
            f"{sum(t.passed is True for t in real.trials)} passed  ({real.dir})"
        )

    totals = run.manifest.totals
    say = partial(console.print, soft_wrap=True)  # a path folded over two lines cannot be copied
    console.rule("[bold]summary")
    say(
        f"showcase run     {run_dir}  ({totals.trials} trials, "
        f"{totals.passed} passed, {totals.failed} failed)"
    )
    if run.manifest.procedural_images:
        say("[yellow]images are procedural drawings from the local emulator, not model output[/]")
    say(f"verdict          {result.verdict}")
    say(f"real recordings  {real_line}")
    say(f"report           {report_page}")
    say(f"diff page        {diff_page}")
    say(f"took {time.monotonic() - started:.1f}s; open the pages in a browser (they work offline)")
    return 0
