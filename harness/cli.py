"""`harness` command line: each part of the package registers its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from harness import __version__
from harness.errors import HarnessError

# Each module has `register(subparsers)`, adding parsers whose `func(args) -> int` runs the command.
COMMAND_MODULES = (
    "harness.suite.cli",  # validate, styles
    "harness.runner.cli",  # run, runs
    "harness.batches_cli",  # batches
    "harness.scoring.cli",  # score
    "harness.diff.cli",  # diff
    "harness.report.cli",  # report
    "harness.transport.cli",  # cassettes
    "harness.emulator.cli",  # emulator
    "harness.demo",  # demo
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"prompt-harness {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):  # a part not built yet; others are real errors
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that closed stdout early (`| head`) ends it quietly with 141, as SIGPIPE
    would (Python ignores that signal, so the write raises BrokenPipeError instead)."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # buffered output meets the closed pipe here, not at interpreter exit
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not raise again
        return 141
    return code


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HarnessError as exc:
        for warning in getattr(exc, "warnings", ()):  # validation warnings often explain the error
            print(f"warning: {warning}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
