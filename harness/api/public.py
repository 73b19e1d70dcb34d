"""The typed entry points `import harness` re-exports, for notebooks and scripts.

Each returns a value and prints nothing: progress is off unless asked for, and what the CLI would print
as `warning: ...` arrives through `warnings` (category `HarnessWarning`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import store
from harness.errors import UsageError
from harness.runner.progress import QuietProgress

if TYPE_CHECKING:
    import pandas as pd

    from harness.diff import DiffResult

RunRef = str | Path | store.Run


class Run(store.Run):
    """A stored run read back: `manifest`, `trials` (each with its `scores`), `dir`; `frame()` for pandas."""

    def frame(self) -> pd.DataFrame:
        """One row per trial x step x score (the columns of trials.parquet, without run_id)."""
        from harness.analysis import trials_frame

        return trials_frame(self.trials)


def load_run(ref: RunRef, results: str | Path = "results") -> Run:
    """A run directory, a run id under `results`, or "latest"."""
    if isinstance(ref, store.Run):
        ref = ref.dir
    return Run.load(store.resolve_run(ref, Path(results)))


def run(suites: str | Path | Sequence[str | Path], **options: Any) -> Run:
    """Validate, run, score and store `suites`; the options are `harness run`'s (`backend`, `mode`,
    `variants`, `repeats`, `concurrency`, `out`, `run_id`, `cassettes`, `faults`, `timeout_s`, `baseline`,
    `select`, `progress`). Inside a running event loop (a notebook cell) the run goes to a worker thread,
    since it drives its own loop; `await run_async(...)` there keeps the cell's loop free instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(suites, options)
    with ThreadPoolExecutor(max_workers=1) as pool:
        context = contextvars.copy_context()
        return pool.submit(context.run, _run, suites, options).result()


async def run_async(suites: str | Path | Sequence[str | Path], **options: Any) -> Run:
    """`run` without blocking the caller's event loop (the run has its own loop in a worker thread)."""
    return await asyncio.to_thread(_run, suites, options)


def _run(suites: str | Path | Sequence[str | Path], options: dict[str, Any]) -> Run:
    from harness.api.run import run_suites

    paths = [suites] if isinstance(suites, str | Path) else list(suites)
    options.setdefault("progress", QuietProgress())
    return Run.load(run_suites(paths, **options))


def score(run: RunRef, suite: str | Path | None = None, *, require_measured: bool | None = None) -> Run:
    """Re-score a stored run offline (the judge replayed from its cassette) and return it re-read.

    `suite` gives the expectations to apply; by default the run's own suite file, else those stored.
    `require_measured` (as `--require-measured`): True fails a trial whose expectation could not be
    measured, False leaves it undecided; None keeps the setting the run was made with."""
    from harness.api.rescore import rescore_run

    directory = load_run(run).dir
    rescore_run(directory, Path(suite) if suite is not None else None, require_measured)
    return load_run(directory)


def diff(
    a: RunRef,
    b: RunRef | None = None,
    *,
    variants: Sequence[str] | None = None,
    fail_on: str = "regression",
    tolerance: float | None = None,
    seed: int = 0,
) -> DiffResult:
    """Run `a` against run `b`, or (b None) `variants[0]` against `variants[1]` inside run `a`."""
    from harness.diff import diff_runs

    second = None if b is None else load_run(b).dir
    return diff_runs(
        load_run(a).dir,
        second,
        variants=list(variants) if variants else None,
        fail_on=fail_on,
        tolerance=tolerance,
        seed=seed,
    )


def report(subject: RunRef | DiffResult, path: str | Path | None = None) -> Path:
    """Write the self-contained HTML page of a run (default `<run>/report.html`) or of a diff (`path`
    required) and return where it went."""
    from harness.diff import DiffResult
    from harness.report import write_diff_html, write_run_html

    target = Path(path) if path is not None else None
    if isinstance(subject, DiffResult):
        if target is None:
            raise UsageError("a diff page needs a path", hint="harness.report(diff, 'diff.html')")
        return write_diff_html(subject, target)
    return write_run_html(load_run(subject).dir, target)
