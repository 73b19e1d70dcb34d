"""A run as a flat table (one row per trial x step x score), so pandas or DuckDB can query it.

Rows that carry no score (a step nobody scored) still appear, with the score columns empty, so
outcomes, cost and latency of every step are in the table. A trial-level score (Score.step is None)
is placed on the trial's last step, the one whose output it judged, with ``scope == "trial"``.
Step columns (outcome, cost_usd, latency_s, image_*) describe the row's step; trial_* columns the trial.
``verdict`` reads pass, fail or unmeasured (a check that could not run: ``passed`` is empty, never a pass),
or overridden (a machine score a human verdict replaced: see `with_human_verdicts`);
``trial_unmeasured`` counts the trial's unmeasured checks.

Rows are built from the JSON form of a TrialRecord. ``read_frame`` parses trials.jsonl straight into
rows (no pydantic objects), which is what makes diffing two 10,000-trial runs fast; any line that does
not parse falls back to the validating reader, so a bad file still fails with a located error.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from harness.files import atomic_write
from harness.labels import HUMAN_SCORE
from harness.record import Score, TrialRecord
from harness.store import Run, latest_records, read_trials

COLUMNS = (
    "trial_id", "suite", "case", "variant", "repeat", "model", "style", "group",
    "trial_outcome", "trial_passed", "trial_unmeasured", "trial_cost_usd", "trial_latency_s",
    "step", "kind", "outcome", "cost_usd", "latency_s",
    "image_sha256", "image_path", "width", "height", "n_images",
    "scope", "scorer", "value", "passed", "verdict", "threshold", "weight", "reason",
)  # fmt: skip
VERDICTS = {True: "pass", False: "fail", None: "unmeasured"}


def _rows(rec: dict[str, Any], rows: list[tuple]) -> None:
    steps = rec.get("steps") or []
    last = max(len(steps) - 1, 0)
    by_step: dict[int, list[dict[str, Any]]] = {}
    unmeasured = sum(s.get("passed") is None for s in rec.get("scores") or [])
    for score in rec.get("scores") or []:
        idx = score.get("step")
        by_step.setdefault(idx if idx is not None and 0 <= idx <= last else last, []).append(score)
    head = (rec["trial_id"], rec["suite"], rec["case"], rec["variant"], rec["repeat"], rec["model"],
            rec.get("style"), rec.get("group"), rec["outcome"], rec.get("passed"), unmeasured,
            rec.get("cost_usd", 0.0), rec.get("latency_s", 0.0))  # fmt: skip
    for i, step in enumerate(steps or [None]):
        if step is None:
            mid: tuple = (0, None, rec["outcome"], rec.get("cost_usd", 0.0), rec.get("latency_s", 0.0),
                          None, None, None, None, 0)  # fmt: skip
        else:
            images = step.get("images") or []
            img = images[0] if images else {}
            mid = (step["index"], step["kind"], step["outcome"], step.get("cost_usd", 0.0),
                   step.get("latency_s", 0.0), img.get("sha256"), img.get("path"), img.get("width"),
                   img.get("height"), len(images))  # fmt: skip
        scores = by_step.get(i)
        if not scores:
            rows.append((*head, *mid, None, None, None, None, None, None, None, None))
            continue
        for s in scores:
            threshold = s.get("threshold")
            rows.append((*head, *mid, "trial" if s.get("step") is None else "step", s["name"], s.get("value"),
                         s.get("passed"), VERDICTS[s.get("passed")],
                         None if threshold is None else str(threshold), s.get("weight", 1.0),
                         s.get("reason")))  # fmt: skip


def _frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    for col in ("value", "weight", "cost_usd", "latency_s", "trial_cost_usd", "trial_latency_s"):
        frame[col] = frame[col].astype("float64")
    for col in ("passed", "trial_passed"):
        frame[col] = frame[col].astype("boolean")
    for col in ("width", "height"):
        frame[col] = frame[col].astype("Int64")
    frame["trial_unmeasured"] = frame["trial_unmeasured"].astype("int64")
    return frame


def trials_frame(records: Iterable[TrialRecord | dict[str, Any]]) -> pd.DataFrame:
    """Flatten trial records (objects or their JSON dicts); the columns are COLUMNS even for no records."""
    rows: list[tuple] = []
    for rec in records:
        _rows(rec if isinstance(rec, dict) else rec.model_dump(), rows)
    return _frame(rows)


def read_frame(run_dir: str | Path) -> pd.DataFrame:
    """The frame of a stored run, parsed directly from trials.jsonl (a torn last line is ignored).

    Like `Run.load`, the last record of a trial id wins: a `--retry-errors` run killed before its final
    rewrite leaves the replaced record in the file too."""
    path = Path(run_dir) / "trials.jsonl"
    rows: list[tuple] = []
    if not path.exists():
        return _frame(rows)
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    records: list[dict[str, Any]] = []
    try:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    if number == len(lines) and not line.endswith("\n"):
                        break
                    raise
        for rec in latest_records(records, itemgetter("trial_id")):
            _rows(rec, rows)
    except (ValueError, KeyError, TypeError, AttributeError):
        return trials_frame(latest_records(read_trials(path)))  # a HarnessError naming the line, or copes
    return _frame(rows)


OVERRIDDEN = "overridden"  # the verdict of a machine score a human verdict replaced (diff --prefer-human)


def with_human_verdicts(frame: pd.DataFrame, human: dict[str, Score]) -> pd.DataFrame:
    """The frame with each trial in `human` judged by its `human` score (see harness.labels.human_score):
    that verdict becomes the trial's, the score is a row on the trial's last step, and the machine scores
    keep their values but no pass state (verdict ``overridden``), so they flip nothing in a diff."""
    labelled = frame["trial_id"].isin(list(human))
    if not labelled.any():
        return frame
    frame = frame.copy()
    frame["trial_passed"] = frame["trial_passed"].astype(object)
    frame.loc[labelled, "trial_passed"] = frame.loc[labelled, "trial_id"].map(
        {trial: score.passed for trial, score in human.items()}
    )
    frame["trial_passed"] = frame["trial_passed"].astype("boolean")
    machine = labelled & frame["scorer"].notna() & (frame["scorer"] != HUMAN_SCORE)
    frame.loc[machine, "passed"] = pd.NA
    frame.loc[machine, "verdict"] = OVERRIDDEN
    last = frame[labelled].drop_duplicates("trial_id", keep="last").copy()  # rows are in step order
    scores = [human[trial] for trial in last["trial_id"]]
    last["scope"], last["scorer"], last["threshold"], last["weight"] = "trial", HUMAN_SCORE, None, 1.0
    last["value"] = [s.value for s in scores]
    last["passed"] = pd.array([s.passed for s in scores], dtype="boolean")
    last["verdict"] = [VERDICTS[s.passed] for s in scores]
    last["reason"] = [s.reason for s in scores]
    kept = frame[~(labelled & (frame["scorer"] == HUMAN_SCORE))]  # a stored human score is stated again
    return pd.concat([kept, last], ignore_index=True)


def write_parquet(run_dir: str | Path, run: Run | None = None) -> Path:
    """Write results/<run>/trials.parquet from the run's trials.jsonl (atomically) and return its path;
    `run` is that run when the caller holds it already (a run that just ended), so it is not read again."""
    run = run if run is not None else Run.load(run_dir)
    frame = trials_frame(run.trials)
    frame.insert(0, "run_id", run.manifest.run_id)
    target = Path(run_dir) / "trials.parquet"
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    atomic_write(target, buffer.getvalue())
    return target
