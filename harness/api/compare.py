"""`harness compare`: several arms ranked by the pairwise judge (Bradley-Terry), next to pass rate, cost
per passing image and latency.

Every two arms are judged pair by pair (one case, repeat and step both produced an image for, in both
orders, as `harness diff --pairwise` does, always against the first arm's request). Each case gives a
matrix of wins (a tie half to each side); the Bradley-Terry fit pools them and the intervals resample
cases. An arm is one variant of a run: `RUN:VARIANT`, or `RUN` for each variant it holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from harness.analysis.bradley_terry import Rating, rate
from harness.api.pairwise import JudgeOptions, arm_records, judge_pairs, judge_sessions, select_pairs
from harness.diff.align import Arm, load_variant_arms
from harness.diff.preference import PairOutcome
from harness.diff.ranking import ArmRow, CompareResult, GridCell, case_matrices
from harness.diff.stats import arm_stats
from harness.errors import UsageError


def load_compare_arms(refs: Sequence[str | Path], root: Path = Path("results")) -> list[Arm]:
    arms = [arm for ref in refs for arm in load_variant_arms(ref, root)]
    names = [a.name for a in arms]
    if len(arms) < 2:
        raise UsageError(
            f"compare needs two or more arms, got {len(arms)} ({', '.join(names) or 'none'})",
            hint="harness compare RUN_A RUN_B [RUN_C...], or RUN:VARIANT for one variant of a run",
        )
    if len(set(names)) != len(names):
        raise UsageError(f"an arm is named twice: {', '.join(names)}", hint="give each RUN[:VARIANT] once")
    for i, arm in enumerate(arms):
        arm.label = f"#{i + 1}"
    return arms


def _grid(arms: list[Arm]) -> dict[tuple[str, str], list[GridCell]]:
    by_arm = [{(r.suite, r.case): r for r in arm_records(a) if r.repeat == 0} for a in arms]
    keys = sorted({k for found in by_arm for k in found})
    grid = {}
    for key in keys:
        cells = []
        for arm, found in zip(arms, by_arm, strict=True):
            rec = found.get(key)
            images = [s.images[0] for s in rec.steps if s.images] if rec else []
            image = images[-1] if images else None
            outcome = rec.outcome if rec else "missing"
            cells.append(GridCell(arm.dir, image, outcome, rec.passed if rec else None))
        grid[key] = cells
    return grid


def compare_arms(
    refs: Sequence[str | Path],
    *,
    root: Path = Path("results"),
    options: JudgeOptions | None = None,
    seed: int = 0,
    n_boot: int = 1000,
) -> CompareResult:
    arms = load_compare_arms(refs, root)
    options = options or JudgeOptions()
    outcomes: dict[tuple[int, int], list[PairOutcome]] = {}
    with judge_sessions(options, *arms) as sessions:
        for i, j in itertools.combinations(range(len(arms)), 2):
            outcomes[(i, j)] = judge_pairs(sessions, select_pairs(arms[i], arms[j], reference=arms[0]))
        settings = {"suites": sessions.settings(), "modes": sorted(sessions.modes)}
    matrices = case_matrices(len(arms), outcomes)
    ratings = rate(matrices, n_boot=n_boot, seed=seed) if matrices else []
    total = np.sum(matrices, axis=0) if matrices else np.zeros((len(arms), len(arms)))
    rows = []
    for i, arm in enumerate(arms):
        rating = ratings[i] if ratings else Rating(i, 0.0, None)
        models = sorted(arm.frame["model"].dropna().unique().tolist())
        comparisons = round(float(total[i].sum() + total[:, i].sum()))
        wins = float(total[i].sum())
        rows.append(ArmRow(arm.name, models, rating, wins, comparisons, arm_stats(arm.name, arm.frame)))
    rows.sort(key=lambda r: (-r.rating.strength, r.name))
    return CompareResult(arms, rows, outcomes, len(matrices), settings, _grid(arms))
