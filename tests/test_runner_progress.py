"""Progress output: a bar on a terminal, one flushed line per trial otherwise."""

from __future__ import annotations

import io

from _runner_helpers import trial_record

from harness.runner.progress import BarProgress, PlainProgress, make_progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_progress_prints_one_line_per_trial():
    out = io.StringIO()
    progress = make_progress(out)
    assert isinstance(progress, PlainProgress)
    progress.start(2)
    progress.advance(trial_record("a"))
    progress.advance(trial_record("b", "blocked_output", False))
    progress.stop()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/2] ok") and "s::a[default-r0]" in lines[0] and "$0.0390" in lines[0]
    assert lines[1].startswith("[2/2] blocked_output") and "FAIL" in lines[1]


def test_a_terminal_gets_the_bar():
    assert isinstance(make_progress(Tty()), BarProgress)
