"""Progress output: a bar on a terminal, one flushed line per trial otherwise."""

from __future__ import annotations

import io

from harness.record import StepRecord, TrialRecord
from harness.runner.progress import BarProgress, PlainProgress, make_progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def record(case: str, outcome: str = "ok", passed: bool | None = True) -> TrialRecord:
    step = StepRecord(index=0, kind="generate", prompt="p", outcome=outcome)
    return TrialRecord(
        trial_id=f"s::{case}[default-r0]",
        suite="s",
        case=case,
        variant="default",
        repeat=0,
        model="m",
        prompt="p",
        outcome=outcome,
        steps=[step],
        passed=passed,
        cost_usd=0.039,
        latency_s=1.5,
        started_at="t",
        finished_at="t",
    )


def test_plain_progress_prints_one_line_per_trial():
    out = io.StringIO()
    progress = make_progress(out)
    assert isinstance(progress, PlainProgress)
    progress.start(2)
    progress.advance(record("a"))
    progress.advance(record("b", "blocked_output", False))
    progress.stop()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/2] ok") and "s::a[default-r0]" in lines[0] and "$0.0390" in lines[0]
    assert lines[1].startswith("[2/2] blocked_output") and "FAIL" in lines[1]


def test_a_terminal_gets_the_bar():
    assert isinstance(make_progress(Tty()), BarProgress)
