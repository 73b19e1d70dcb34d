"""`harness demo` (what `make demo` runs): offline, and a summary a person can read and copy paths from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.store import resolve_run

SUITES = Path(__file__).resolve().parent.parent / "suites"


def test_piped_demo_prints_one_line_per_summary_item(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / ("a-long-results-folder-" * 6)  # every summary line is wider than 160 columns
    argv = ["demo", "--suite", str(SUITES / "showcase.yaml"), "--real", str(SUITES / "real-gemini.yaml")]
    assert main([*argv, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    summary = lines[next(i for i, line in enumerate(lines) if " summary " in line) + 1 :]
    banner = "images are procedural drawings from the local emulator, not model output"
    assert summary[1] == banner and summary[-1].startswith("took "), summary
    fields = dict(_field(line) for line in summary if line != banner and not line.startswith("took "))
    assert list(fields) == ["showcase run", "verdict", "real recordings", "report", "diff page"], summary
    run_dir, totals = fields["showcase run"].split("  ")
    assert totals == "(36 trials, 34 passed, 2 failed)"
    assert Path(run_dir).is_dir() and Path(run_dir).parent == out
    assert resolve_run("latest", out) == Path(
        run_dir
    )  # `harness diff latest --variants flash pro` works next
    assert fields["verdict"].startswith("B regresses: 1 case worse")
    assert re.fullmatch(r"4/4 ok, 4 passed  \(.+-real\)", fields["real recordings"])
    assert Path(fields["report"]) == Path(run_dir) / "report.html" and Path(fields["report"]).is_file()
    assert Path(fields["diff page"]).is_file()
    assert summary[-1].endswith("(they work offline)")


def _field(line: str) -> tuple[str, str]:
    """`name      value`: a label, two or more spaces, the value (a line folded in two would not match)."""
    match = re.fullmatch(r"(\S+(?: \S+)?) {2,}(\S.*)", line)
    assert match, line
    return match[1], match[2]
