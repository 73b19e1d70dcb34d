"""The `harness` entry point itself: behaviour shared by every command."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "argv", [["validate", "suites/", "--prompts"], ["runs", "list", "--out", "no-such-dir"]]
)
def test_a_closed_stdout_pipe_ends_quietly(argv: list[str]) -> None:
    """`harness ... | head` with the reader already gone: exit 141 as a SIGPIPE would, no traceback, both for
    a write that fails mid-command and for a short output still buffered when the command returns."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout now fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", *argv],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


def test_every_command_help_line_is_its_commands_entry():
    """The lazy table in harness/cli.py is the one definition of each command's help line, whichever
    module's parser is the real one."""
    for name, (_module, text) in COMMANDS.items():
        sub = next(a for a in build_parser([name])._actions if isinstance(a, argparse._SubParsersAction))
        assert {a.dest: a.help for a in sub._choices_actions} == {n: t for n, (_m, t) in COMMANDS.items()}, (
            name
        )
        assert text
