"""The flat per-score frame, its Parquet file, and per-case summaries over repeats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.analysis import case_summary, pass_at_k, trials_frame, write_parquet
from harness.analysis.frame import COLUMNS, read_frame
from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import write_run
from harness.store import Run


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    specs = [
        T("one", repeat=0, scores={"judge": (4, True), "aspect": (1.0, True)}, style="studio"),
        T("one", repeat=1, passed=False, scores={"judge": (2, False), "aspect": (1.0, True)}, style="studio"),
        T("one", repeat=2, passed=None, outcome="blocked_output", scores={}, style="studio"),
        T("chain", steps=3, step_scores={0: {"keep": (1, True)}, 1: {"keep": (0, False)}}, passed=False),
        T("bare", scores={}, image_seed=None, passed=None),
    ]
    return write_run(tmp_path, "r1", specs)


def test_frame_has_one_row_per_trial_step_score(run_dir: Path) -> None:
    frame = trials_frame(Run.load(run_dir).trials)
    assert tuple(frame.columns) == COLUMNS
    # one: 2 + 2 + 1 (unscored blocked step); chain: keep@0, keep@1, step 2 unscored; bare: 1
    assert len(frame) == 5 + 3 + 1
    chain = frame[frame["case"] == "chain"].sort_values("step")
    assert chain["step"].tolist() == [0, 1, 2] and chain["scorer"].tolist()[:2] == ["keep", "keep"]
    assert chain["scorer"].isna().tolist() == [False, False, True]
    assert chain["image_sha256"].notna().all() and chain["width"].tolist() == [64, 64, 64]
    blocked = frame[(frame["case"] == "one") & (frame["repeat"] == 2)]
    assert blocked["outcome"].tolist() == ["blocked_output"] and blocked["image_sha256"].isna().all()
    assert frame["passed"].dtype == "boolean" and frame["value"].dtype == "float64"
    assert trials_frame([]).columns.tolist() == list(COLUMNS)


def test_parquet_round_trips(run_dir: Path) -> None:
    path = write_parquet(run_dir)
    assert path == run_dir / "trials.parquet"
    back = pd.read_parquet(path)
    assert len(back) == 9 and set(back["run_id"]) == {"r1"}
    assert back.loc[back["scorer"] == "judge", "value"].tolist() == [4.0, 2.0]


def test_case_summary_over_repeats(run_dir: Path) -> None:
    summary = case_summary(Run.load(run_dir).trials).set_index(["case", "step"])
    one = summary.loc[("one", 0)]
    assert (one["n"], one["passes"], one["pass_rate"]) == (3, 1, pytest.approx(1 / 3))
    assert one["pass_at_k"] == 1.0 and one["k"] == 3
    assert one["outcome"] == "ok" and one["outcomes"] == "ok:2, blocked_output:1"
    assert one["mean:judge"] == 3.0 and one["pass:judge"] == 0.5 and one["pass:aspect"] == 1.0
    assert one["step_pass_rate"] == pytest.approx(1 / 3)  # the blocked repeat has no checks: not a pass
    assert (
        summary.loc[("chain", 1), "step_pass_rate"] == 0 and summary.loc[("chain", 0), "step_pass_rate"] == 1
    )
    assert summary.loc[("chain", 2), "pass_rate"] == 0  # the trial verdict is shared by every step
    assert pd.isna(summary.loc[("bare", 0), "pass_rate"])  # no verdict anywhere: no primary score
    assert case_summary(Run.load(run_dir).trials, k=1).set_index(["case", "step"]).loc[
        ("one", 0), "pass_at_k"
    ] == pytest.approx(1 / 3)


def test_pass_at_k() -> None:
    assert pass_at_k(3, 0, 1) == 0 and pass_at_k(3, 3, 1) == 1
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(2, 1, 5) == 1.0  # k above n is clipped to n


def test_the_frame_reader_keeps_the_last_record_of_a_trial_id(run_dir: Path) -> None:
    """A --retry-errors run killed before its final rewrite leaves the replaced record in trials.jsonl
    too; the frame (and so the diff) reads the replacement only, like Run.load."""
    path = run_dir / "trials.jsonl"
    first = Run.load(run_dir).trials[0]
    retried = first.model_copy(update={"outcome": "error", "passed": None, "scores": []})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(retried.model_dump_json() + "\n")
    frame = read_frame(run_dir)
    rows = frame[frame["trial_id"] == first.trial_id]
    assert rows["trial_outcome"].tolist() == ["error"]
    assert frame["trial_id"].nunique() == len(Run.load(run_dir).trials) == 5
    assert len(frame) == len(trials_frame(Run.load(run_dir).trials))
