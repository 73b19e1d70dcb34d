"""`harness score RUN [--suite SUITE]`: re-score a stored run offline (e.g. after changing thresholds)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.store import resolve_run


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score",
        description="Recompute every score of a stored run from the suite's current expectations; the judge "
        "is replayed from the suite's cassette, so no request is sent.",
    )
    p.add_argument("run", nargs="?", help="run directory, run id under --results, or 'latest'")
    p.add_argument("--suite", type=Path, help="suite YAML to take expectations from (default: the run's own)")
    p.add_argument("--results", type=Path, default=Path("results"), help="where run ids are looked up")
    p.add_argument(
        "--prefer-human", action="store_true", help="a trial a person labelled passes or fails as they said"
    )
    p.add_argument(
        "--require-measured",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="an expectation that cannot be measured fails its trial (default: as the run was made)",
    )
    p.add_argument("--list", action="store_true", help="list every scorer with its parameters and defaults")
    p.add_argument("--markdown", action="store_true", help="with --list: the full tables, as in the docs")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    if args.list:
        from harness.scoring.registry import describe, markdown, plugin_scorers

        if getattr(args, "markdown", False):
            print(markdown(), end="")
            return 0
        for entry in describe():
            params = ", ".join(f"{p['name']}={p['default']}" for p in entry["params"])
            print(f"{entry['name']:16s} {entry['summary']}\n{'':16s} {params}")
        for name in plugin_scorers():
            print(f"{name:16s} from an installed package (the harness.scorers entry point)")
        return 0
    from harness.api.rescore import rescore_run
    from harness.errors import UsageError

    if not args.run:
        raise UsageError(
            "harness score needs a run", hint="e.g. `harness score latest --suite suites/x.yaml`"
        )
    require_measured = getattr(args, "require_measured", None)
    result = rescore_run(resolve_run(args.run, args.results), args.suite, require_measured)
    source = f"suite {result.suite}" if result.suite else "the expectations stored in the run"
    print(
        f"re-scored {result.trials} trial(s) of {result.run_dir} from {source}: "
        f"{result.passed} passed, {result.failed} failed, {result.undecided} undecided"
    )
    if result.skipped:
        print(f"  {len(result.skipped)} score(s) skipped (not counted as passes), e.g. {result.skipped[0]}")
    for trial, old, new in result.flipped:
        print(f"  {trial}: {old} -> {new}")
    if getattr(args, "prefer_human", False):
        from harness.api.review import prefer_human

        human = prefer_human(result.run_dir)
        print(
            f"human verdicts stand for {human.labelled} labelled trial(s); "
            f"{len(human.changed)} differ from the machine's: {', '.join(human.changed) or 'none'}"
        )
    for line in result.unparsed:
        print(f"warning: {line}; kept as it was, not re-scored", file=sys.stderr)
    return 2 if result.unparsed else 0
