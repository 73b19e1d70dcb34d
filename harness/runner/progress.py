"""Progress: a rich bar on a terminal, one plain line per finished trial otherwise (CI logs, pipes)."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from harness.record import TrialRecord


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, record: TrialRecord) -> None: ...
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


def provisional(record: TrialRecord) -> bool:
    from harness.scoring import awaits_group_scores

    return awaits_group_scores(record)


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

    def settle(self, records: list[TrialRecord]) -> None:
        """The final verdicts of the trials whose lines were provisional."""
        width = len(str(self.total)) * 2 + 3
        for record in records:
            print(f"{'final':>{width}} {trial_line(record)}", file=self.stream, flush=True)

    def stop(self) -> None:
        return None


class BarProgress:
    """A live bar; failing and erroring trials are still printed above it so they are not lost."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.bar = RichProgress(
            TextColumn("[bold]trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=False,
        )
        self.task = None

    def start(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("", total=total)

    def advance(self, record: TrialRecord) -> None:
        if record.outcome != "ok" or record.passed is False:
            self.bar.console.print(trial_line(record, provisional(record)), markup=False, highlight=False)
        self.bar.update(self.task, advance=1, description=record.trial_id)

    def settle(self, records: list[TrialRecord]) -> None:
        for record in records:
            if record.outcome != "ok" or record.passed is False:
                self.bar.console.print(f"final {trial_line(record)}", markup=False, highlight=False)

    def stop(self) -> None:
        self.bar.stop()


def make_progress(stream: TextIO | None = None) -> Progress:
    stream = stream or sys.stdout
    return BarProgress() if stream.isatty() else PlainProgress(stream)
