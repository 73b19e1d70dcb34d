"""A run as a flat table (one row per trial x step x score), so pandas or DuckDB can query it.

Rows that carry no score (a step nobody scored) still appear, with the score columns empty, so
outcomes, cost and latency of every step are in the table. A trial-level score (Score.step is None)
is placed on the trial's last step, the one whose output it judged, with ``scope == "trial"``.
Step columns (outcome, cost_usd, latency_s, image_*) describe the row's step; trial_* columns the trial.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from harness.record import TrialRecord

COLUMNS = (
    "trial_id", "suite", "case", "variant", "repeat", "model", "style", "group",
    "trial_outcome", "trial_passed", "trial_cost_usd", "trial_latency_s",
    "step", "kind", "outcome", "cost_usd", "latency_s",
    "image_sha256", "image_path", "width", "height", "n_images",
    "scope", "scorer", "value", "passed", "threshold", "weight", "reason",
)


def trials_frame(records: Iterable[TrialRecord]) -> pd.DataFrame:
    """Flatten trial records; the column set is fixed (COLUMNS) even for an empty run."""
    rows: list[tuple] = []
    for rec in records:
        last = len(rec.steps) - 1
        by_step: dict[int, list] = {}
        for score in rec.scores:
            idx = score.step if score.step is not None and 0 <= score.step <= last else max(last, 0)
            by_step.setdefault(idx, []).append(score)
        head = (rec.trial_id, rec.suite, rec.case, rec.variant, rec.repeat, rec.model, rec.style, rec.group,
                rec.outcome, rec.passed, rec.cost_usd, rec.latency_s)
        steps = rec.steps or [None]
        for i, step in enumerate(steps):
            if step is None:
                mid = (0, None, rec.outcome, rec.cost_usd, rec.latency_s, None, None, None, None, 0)
            else:
                img = step.images[0] if step.images else None
                mid = (step.index, step.kind, step.outcome, step.cost_usd, step.latency_s,
                       img.sha256 if img else None, img.path if img else None,
                       img.width if img else None, img.height if img else None, len(step.images))
            scores = by_step.get(i, ())
            if not scores:
                rows.append((*head, *mid, None, None, None, None, None, None, None))
            for s in scores:
                threshold = None if s.threshold is None else str(s.threshold)
                scope = "step" if s.step is not None else "trial"
                rows.append((*head, *mid, scope, s.name, s.value, s.passed, threshold, s.weight, s.reason))
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    for col in ("value", "weight", "cost_usd", "latency_s", "trial_cost_usd", "trial_latency_s"):
        frame[col] = frame[col].astype("float64")
    for col in ("passed", "trial_passed"):
        frame[col] = frame[col].astype("boolean")
    for col in ("width", "height"):
        frame[col] = frame[col].astype("Int64")
    return frame


def write_parquet(run_dir: str | Path) -> Path:
    """Write results/<run>/trials.parquet from the run's trials.jsonl (atomically) and return its path."""
    from harness.store import Run, atomic_write

    run = Run.load(run_dir)
    frame = trials_frame(run.trials)
    frame.insert(0, "run_id", run.manifest.run_id)
    target = Path(run_dir) / "trials.parquet"
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    atomic_write(target, buffer.getvalue())
    return target
