"""`harness review RUN [--against RUN_B]`, `harness review import LABELS RUN`, `harness agreement RUN`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from harness.errors import UsageError
from harness.files import atomic_write


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "review",
        help="write a page to label a run's trials; `review import LABELS RUN` stores the saved labels",
        description="harness review RUN [--against RUN_B] writes a self-contained page where a reviewer "
        "marks each trial pass/fail, a 1-5 score, a preferred side (with --against) and a note, then saves "
        "a labels file; harness review import LABELS RUN appends those labels to RUN/labels.jsonl.",
    )
    p.add_argument("args", nargs="+", metavar="RUN | import LABELS RUN")
    p.add_argument("--against", metavar="RUN_B", help="show each trial beside RUN_B's, to pick a side")
    p.add_argument("--html", type=Path, metavar="FILE", help="output file (default: <run>/review.html)")
    p.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    p.set_defaults(func=run_review)
    q = subparsers.add_parser(
        "agreement",
        help="judge-human agreement over a run's labels: kappa, Spearman, confusion, disagreements",
        description=__doc__,
    )
    q.add_argument("run", metavar="RUN", help="run directory, run id under --results, or 'latest'")
    q.add_argument("--scorer", help="the machine scorer to compare (e.g. judge); default: the trial verdict")
    q.add_argument("--json", type=Path, metavar="FILE", help="write every figure as JSON")
    q.add_argument("--html", type=Path, metavar="FILE", help="write the agreement page")
    q.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    q.set_defaults(func=run_agreement_command)


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


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None else format(value, spec)


def run_agreement_command(args: argparse.Namespace) -> int:
    from harness.api.agreement import run_agreement
    from harness.store import resolve_run

    result = run_agreement(args.run, args.scorer, args.results)
    print(f"agreement of {result.scorer} with human labels: {result.labelled} labelled trial(s)")
    raw = f"{result.observed:.1%}" if result.observed is not None else "–"
    print(
        f"  pass/fail   {result.verdicts} trial(s), raw agreement {raw}, Cohen's kappa {_fmt(result.kappa)}"
        + (f" ({result.kappa_note})" if result.kappa_note else "")
    )
    why = f"p = {result.spearman_p:.3g}" if result.spearman_p is not None else result.spearman_note
    print(f"  scores      {result.scores} trial(s), Spearman rho {_fmt(result.spearman)} ({why})")
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
