"""`harness compare`: Bradley-Terry ratings recovered from a known preference matrix, and three emulator
arms (two alike, one made worse on purpose) ranked, recorded under the suite's cassette, replayed offline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _pairwise_helpers import Compared

from harness.analysis.bradley_terry import fit_strengths, rate, win_matrix, win_probability
from harness.cli import main
from harness.errors import UsageError

TRUE = np.array([-1.0, -0.2, 0.3, 0.9])  # mean zero, as the fit reports them


def synthetic_cases(n_cases: int, seed: int) -> list[np.ndarray]:
    """Each case compares every two arms once; i beats j with the model's probability (no ties)."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n_cases):
        outcomes = []
        for i in range(len(TRUE)):
            for j in range(i + 1, len(TRUE)):
                outcomes.append((i, j, float(rng.random() < win_probability(TRUE[i], TRUE[j]))))
        cases.append(win_matrix(len(TRUE), outcomes))
    return cases


def test_bradley_terry_recovers_a_known_preference_matrix() -> None:
    ratings = rate(synthetic_cases(400, seed=7), n_boot=400, seed=1)
    strengths = np.array([r.strength for r in ratings])
    assert list(np.argsort(strengths)) == list(np.argsort(TRUE))  # the order
    for r, truth in zip(ratings, TRUE, strict=True):
        assert r.ci is not None and r.ci[0] <= truth <= r.ci[1], (r, truth)  # intervals cover the truth
        assert r.ci[1] - r.ci[0] < 0.6
    assert abs(strengths - TRUE).max() < 0.2
    assert ratings[3].elo > ratings[0].elo + 300


def test_ties_count_half_and_a_clean_sweep_stays_finite() -> None:
    even = win_matrix(2, [(0, 1, 0.5)] * 10)
    assert np.allclose(fit_strengths(even), 0)
    sweep = fit_strengths(win_matrix(3, [(0, 1, 1.0), (0, 2, 1.0), (1, 2, 1.0)] * 5))
    assert np.isfinite(sweep).all() and sweep[0] > sweep[1] > sweep[2]


def test_three_arms_ranked_recorded_and_replayed(compared_arms: Compared, tmp_path: Path) -> None:
    """The recording (`--mode auto`) is the shared `compared_arms` (conftest); the replay is done here."""
    good, worse, twin = compared_arms.arms
    out, page = compared_arms.json, compared_arms.html
    refs = [str(good), str(worse), str(twin)]
    assert compared_arms.code == 0
    data = json.loads(out.read_text())
    board = {row["arm"]: row for row in data["leaderboard"]}
    assert data["leaderboard"][-1]["arm"] == "worse"
    assert board["worse"]["rating_ci"][1] < min(board["good"]["rating_ci"][0], board["twin"]["rating_ci"][0])
    assert board["good"]["rating"] == pytest.approx(board["twin"]["rating"])  # the same images: all ties
    assert board["good"]["pass_rate"] == 1.0 and board["good"]["models"] == ["gemini-2.5-flash-image"]
    assert data["cases"] == 12 and data["errors"] == [] and data["procedural_images"]
    assert len(data["pairs"]) == 36  # 3 arm pairs x 12 cases
    shares = data["win_share"]
    assert shares[0][1] > 0.8 and shares[1][0] < 0.2 and shares[0][2] == 0.5
    text = page.read_text()
    assert text.count("data:image/jpeg;base64,") == 36 and "procedural" in text

    again = tmp_path / "again.json"
    assert main(["compare", *refs, "--json", str(again)]) == 0  # replay: offline, the same ratings
    assert json.loads(again.read_text())["leaderboard"] == data["leaderboard"]


def test_compare_needs_two_arms(pairwise_arms: tuple[list[Path], Path]) -> None:
    (good, *_), _ = pairwise_arms
    assert main(["compare", str(good)]) == 2
    with pytest.raises(UsageError, match="no variant 'nope'"):
        from harness.api.compare import load_compare_arms

        load_compare_arms([f"{good}:nope", str(good)])


def test_three_showcase_arms_replay_offline(showcase_run: Path, tmp_path: Path) -> None:
    """The showcase's flash, pro and 3.1 flash arms: generations and judge answers all from its cassette.
    The emulator draws the same scenes for the three models, so the judge ties every pair and the ratings
    are equal; cost per passing image still tells the arms apart."""
    out = tmp_path / "compare.json"
    assert main(["compare", str(showcase_run), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [a["name"] for a in data["arms"]] == ["show:flash", "show:flash31", "show:pro"]
    assert data["errors"] == [] and data["cases"] == 10 and data["settings"]["modes"] == ["replay"]
    assert len(data["pairs"]) == 30 and {p["winner"] for p in data["pairs"]} == {"tie"}
    board = {row["arm"]: row for row in data["leaderboard"]}
    assert {round(row["rating"]) for row in board.values()} == {1000}
    cost = {name: row["cost_per_passing_image"] for name, row in board.items()}
    assert cost["show:flash"] < cost["show:flash31"] < cost["show:pro"]
