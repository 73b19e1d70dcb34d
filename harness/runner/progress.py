"""Progress: a rich bar on a terminal, one plain line per finished trial otherwise (CI logs, pipes).

A batch run's polls render through the same display: one updating row under the trials bar on a
terminal (never lines printed through the live bar), one plain line per poll otherwise.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Column

from harness.record import TrialRecord

if TYPE_CHECKING:
    from harness.runner.batch import BatchStatus


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, record: TrialRecord) -> None: ...
    def batch(self, status: BatchStatus) -> None: ...
    def settle(self, records: list[TrialRecord]) -> None: ...
    def stop(self) -> None: ...


PROVISIONAL = "provisional: group scores come when the run ends"


def trial_line(record: TrialRecord, provisional: bool = False) -> str:
    """One trial: outcome, verdict, id, images, cost, latency, then what the verdict leaves out. A verdict
    that group scores may still change ends in '?'; unmeasured checks are named, never read as passes."""
    verdict = {True: "pass", False: "FAIL", None: "-"}[record.passed] + ("?" if provisional else "")
    images = len(record.images())
    notes = []
    if record.unmeasured:
        names = ", ".join(dict.fromkeys(s.name for s in record.scores if s.passed is None))
        notes.append(f"{record.unmeasured} unmeasured: {names}")
    if provisional:
        notes.append(PROVISIONAL)
    return (
        f"{record.outcome:<14} {verdict:<5} {record.trial_id}  {images} image(s)  "
        f"${record.cost_usd:.4f}  {record.latency_s:.2f}s" + "".join(f"  ({n})" for n in notes)
    )


def batch_counts(status: BatchStatus) -> str:
    """`3 done, 1 failed, 6 pending of 10 requests`; counts no poll reported read as unknown, not 0."""
    if status.done is None:
        return f"{status.requests} requests, counts unknown"
    pending = f", {status.pending} pending" if status.pending is not None else ""
    return f"{status.done} done, {status.failed} failed{pending} of {status.requests} requests"


def batch_state(status: BatchStatus) -> str:
    """A job's state, its counts, and the polls so far."""
    state = status.state.removeprefix("JOB_STATE_")
    when = "results read" if status.polls == 0 else f"poll {status.polls}"
    return f"{state}, {batch_counts(status)} ({when}, {status.elapsed_s:.0f}s)"


def batch_label(status: BatchStatus) -> str:
    return "judge batch" if status.kind == "judge" else "batch"


def batch_line(status: BatchStatus) -> str:
    """One plain line per poll: which job, then its state."""
    return f"{batch_label(status)} {status.name}: {batch_state(status)}"


def provisional(record: TrialRecord) -> bool:
    from harness.scoring import awaits_group_scores

    return awaits_group_scores(record)


class QuietProgress:
    """No output: the default of library calls, which never print (the CLI passes `make_progress()`)."""

    def start(self, total: int) -> None:
        return None

    def advance(self, record: TrialRecord) -> None:
        return None

    def batch(self, status: BatchStatus) -> None:
        return None

    def settle(self, records: list[TrialRecord]) -> None:
        return None

    def stop(self) -> None:
        return None


class PlainProgress:
    """One flushed line per trial, so a killed run's log shows exactly what finished."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.total = 0
        self.count = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, record: TrialRecord) -> None:
        self.count += 1
        width = len(str(self.total))
        line = trial_line(record, provisional(record))
        print(f"[{self.count:>{width}}/{self.total}] {line}", file=self.stream, flush=True)

    def batch(self, status: BatchStatus) -> None:
        print(batch_line(status), file=self.stream, flush=True)

    def settle(self, records: list[TrialRecord]) -> None:
        """The final verdicts of the trials whose lines were provisional."""
        width = len(str(self.total)) * 2 + 3
        for record in records:
            print(f"{'final':>{width}} {trial_line(record)}", file=self.stream, flush=True)

    def stop(self) -> None:
        return None


class BarProgress:
    """A live bar; failing and erroring trials are still printed above it so they are not lost. A batch
    job's state is one row under the bar, updated in place at each poll."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.bar = RichProgress(
            TextColumn("[bold]{task.fields[label]}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            # the words take what is left of the line, cut with an ellipsis: never the bar's room
            TextColumn("{task.description}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")),
            console=self.console,
            transient=False,
            expand=True,
        )
        self.task: TaskID | None = None
        self.batch_task: TaskID | None = None
        self.total = 0
        self.count = 0

    def start(self, total: int) -> None:
        self.total = total
        self.bar.start()
        self.task = self.bar.add_task("", total=total, label="trials", count=f"0/{total}")

    def advance(self, record: TrialRecord) -> None:
        if record.outcome != "ok" or record.passed is False:
            self.bar.console.print(trial_line(record, provisional(record)), markup=False, highlight=False)
        assert self.task is not None
        self.count += 1
        self.bar.update(self.task, advance=1, description=record.trial_id, count=f"{self.count}/{self.total}")

    def batch(self, status: BatchStatus) -> None:
        """The job's row: its share of requests answered when the poll said, its state and counts."""
        known = status.done is not None and status.failed is not None
        answered = (status.done or 0) + (status.failed or 0)
        fields = {
            "description": _row_text(status),
            "total": status.requests if known else None,
            "completed": answered if known else 0,
            "count": f"{answered}/{status.requests}" if known else f"?/{status.requests}",
            "label": batch_label(status),
        }
        if self.batch_task is None:
            self.batch_task = self.bar.add_task(**fields)  # type: ignore[arg-type]
        else:
            self.bar.update(self.batch_task, **fields)  # type: ignore[arg-type]

    def settle(self, records: list[TrialRecord]) -> None:
        for record in records:
            if record.outcome != "ok" or record.passed is False:
                self.bar.console.print(f"final {trial_line(record)}", markup=False, highlight=False)

    def stop(self) -> None:
        self.bar.stop()


def _row_text(status: BatchStatus) -> str:
    """The batch row's words, short enough for 80 columns: the count column shows answered of all."""
    state = status.state.removeprefix("JOB_STATE_")
    counts = "counts unknown" if status.done is None else f"{status.done} done, {status.failed} failed"
    when = "read" if status.polls == 0 else f"poll {status.polls}"
    return f"{state}, {counts}, {when}  {status.name}"


def make_progress(stream: TextIO | None = None) -> Progress:
    stream = stream or sys.stdout
    return BarProgress() if stream.isatty() else PlainProgress(stream)
