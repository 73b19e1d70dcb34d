"""`harness review RUN [--against RUN_B]` and `harness review import LABELS RUN` (`harness agreement` is in
harness/api/cli.py, beside the other commands that can ask the pairwise judge)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "review",
        description="harness review RUN [--against RUN_B] writes a self-contained page where a reviewer "
        "marks each trial pass/fail, a 1-5 score, a preferred side (with --against) and a note, then saves "
        "a labels file; harness review import LABELS RUN appends those labels to RUN/labels.jsonl.",
    )
    p.add_argument("args", nargs="+", metavar="RUN | import LABELS RUN")
    p.add_argument("--against", metavar="RUN_B", help="show each trial beside RUN_B's, to pick a side")
    p.add_argument("--html", type=Path, metavar="FILE", help="output file (default: <run>/review.html)")
    p.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    p.set_defaults(func=run_review)


def run_review(args: argparse.Namespace) -> int:
    from harness.api.review import import_labels, write_review

    if args.args[0] == "import":
        if len(args.args) != 3:
            raise UsageError(
                "review import takes a labels file and a run", hint="harness review import LABELS RUN"
            )
        result = import_labels(Path(args.args[1]), args.args[2], args.results)
        print(
            f"imported {result.added} label(s) by {result.reviewer} into {result.run_dir / 'labels.jsonl'}"
            + (f"; {result.already} already there" if result.already else "")
            + (f"; {result.empty} empty trial(s) skipped" if result.empty else "")
        )
        return 0
    if len(args.args) != 1:
        raise UsageError("review takes one run", hint="harness review RUN [--against RUN_B]")
    page = write_review(args.args[0], args.against, args.html, args.results)
    print(f"review page: {page}  (open it, label, press Save labels, then: harness review import FILE RUN)")
    return 0
