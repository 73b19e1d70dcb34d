"""`harness` command line: each part of the package registers its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from harness import __version__
from harness.errors import HarnessError, HarnessWarning

# command -> (module whose `register(subparsers)` adds its parser, one-line help for `harness --help`).
# Only the chosen command's module is imported, so start-up does not pay for google-genai, pandas or
# scipy; adding a command is one line here. A module may register several commands (list each).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("harness.suite.cli", "check suites, render every prompt, count trials, estimate cost"),
    "styles": ("harness.suite.cli", "list or show style presets"),
    "schema": ("harness.suite.cli", "print the JSON Schema of suite files or style presets (for editors)"),
    "run": ("harness.runner.cli", "run suites and store the run under --out"),
    "runs": ("harness.runner.cli", "list stored runs"),
    "merge": ("harness.runner.cli", "join the shards of one run (--shard I/N) into one run"),
    "batches": ("harness.batches_cli", "the Batch API jobs of a run (run --batch): list, status, cancel"),
    "score": ("harness.scoring.cli", "re-score a stored run offline"),
    "diff": ("harness.diff.cli", "compare two runs (or two variants of one run) case by case"),
    "compare": ("harness.api.cli", "rank two or more arms by the pairwise judge (Bradley-Terry)"),
    "trend": ("harness.api.cli", "stored runs over time: pass rate, scores, cost, drift"),
    "report": ("harness.report.cli", "write a self-contained HTML page for one run"),
    "cassettes": ("harness.transport.cli", "import, verify, measure and prune recorded cassettes"),
    "emulator": ("harness.emulator.cli", "a local Gemini-compatible image API (procedural images)"),
    "demo": ("harness.demo", "replay the showcase, diff its variants, write the report (offline)"),
    "review": (
        "harness.api.review_cli",
        "a page to label a run's trials; `review import` stores the labels",
    ),
    "agreement": ("harness.api.cli", "judge-human agreement over a run's labels (kappa, Spearman)"),
}


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The `harness` subcommands: each parser's help line is its COMMANDS entry (one definition), so a
    command module registers its parser without one."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("help", COMMANDS[name][1])
        return super().add_parser(name, **kwargs)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for this command line: the chosen command's module registers its real parsers; every
    other command is a placeholder carrying only its help line (it is never parsed)."""
    parser = argparse.ArgumentParser(prog="harness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"prompt-harness {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", action=_Commands)
    chosen = chosen_command(argv)
    if chosen is not None:
        importlib.import_module(COMMANDS[chosen][0]).register(sub)
    for name in COMMANDS:
        if name not in sub.choices:
            sub.add_parser(name)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the line: the first word that is not an option (the top level has only
    `--version` and `--help`, which take no value)."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in COMMANDS else None


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
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        with warnings.catch_warnings():  # restores showwarning and the filters afterwards
            warnings.simplefilter("always", HarnessWarning)
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except HarnessError as exc:
        for warning in getattr(exc, "warnings", ()):  # validation warnings often explain the error
            print(f"warning: {warning}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """The library warns; the command line shows each HarnessWarning as one `warning: ...` line."""
    if issubclass(category, HarnessWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        _default_show(message, category, *args, **kwargs)


_default_show = warnings.showwarning


if __name__ == "__main__":
    sys.exit(main())
