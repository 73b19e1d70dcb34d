"""A leaderboard of several arms: the typed result of `harness compare` and its JSON form.

Built by harness.api.compare, rendered by the CLI and harness.report.compare_page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.analysis.bradley_terry import Rating, win_matrix
from harness.diff.align import Arm
from harness.diff.preference import POINTS, PairOutcome
from harness.diff.stats import ArmStats
from harness.record import ImageRef


@dataclass
class ArmRow:
    """One line of the leaderboard."""

    name: str
    models: list[str]
    rating: Rating
    wins: float  # ties count half
    comparisons: int
    stats: ArmStats

    @property
    def win_share(self) -> float | None:
        return self.wins / self.comparisons if self.comparisons else None


@dataclass
class GridCell:
    """One arm's image of one case (repeat 0, the last step with an image), for the page's grid."""

    run_dir: Path
    image: ImageRef | None
    outcome: str
    passed: bool | None


@dataclass
class CompareResult:
    arms: list[Arm]
    rows: list[ArmRow]  # best first
    outcomes: dict[tuple[int, int], list[PairOutcome]]  # (i, j) arm indexes, i < j: pairs with A = i
    cases: int  # cases that entered the fit
    settings: dict[str, Any] = field(default_factory=dict)
    grid: dict[tuple[str, str], list[GridCell]] = field(default_factory=dict)  # (suite, case) -> per arm

    @property
    def errors(self) -> list[str]:
        return [
            f"{self.arms[i].name} vs {self.arms[j].name}: {o.suite}::{o.case} r{o.repeat}: {o.error}"
            for (i, j), group in self.outcomes.items()
            for o in group
            if o.winner is None
        ]

    def share(self, i: int, j: int) -> float | None:
        """How often arm i beat arm j (a tie half), over the pairs judged."""
        key, flip = ((i, j), False) if i < j else ((j, i), True)
        judged = [POINTS[o.winner] for o in self.outcomes.get(key, []) if o.winner is not None]
        if not judged:
            return None
        b_share = float(np.mean(judged))
        return b_share if flip else 1 - b_share

    @property
    def procedural(self) -> bool:
        return any(a.manifest.procedural_images or a.manifest.backend == "emulator" for a in self.arms)


def case_matrices(n: int, outcomes: dict[tuple[int, int], list[PairOutcome]]) -> list[np.ndarray]:
    """One win matrix per case (i's points against j, a tie half each), the units the intervals resample."""
    per_case: dict[tuple[str, str, str], list[tuple[int, int, float]]] = {}
    for (i, j), group in outcomes.items():
        for o in group:
            if o.winner is not None:
                per_case.setdefault(o.case_key, []).append((i, j, 1 - POINTS[o.winner]))
    return [win_matrix(n, per_case[k]) for k in sorted(per_case)]


def compare_json(result: CompareResult) -> dict[str, Any]:
    """Every number of a comparison: the leaderboard, the win shares of every two arms, each pair judged."""
    n = len(result.arms)
    return {
        "arms": [{"name": a.name, "run_dir": str(a.dir), "backend": a.manifest.backend} for a in result.arms],
        "procedural_images": result.procedural,
        "cases": result.cases,
        "settings": result.settings,
        "leaderboard": [
            {
                "arm": r.name,
                "models": r.models,
                "rating": r.rating.elo,
                "rating_ci": list(r.rating.elo_ci) if r.rating.elo_ci else None,
                "strength": r.rating.strength,
                "strength_ci": list(r.rating.ci) if r.rating.ci else None,
                "wins": r.wins,
                "comparisons": r.comparisons,
                "win_share": r.win_share,
                "pass_rate": r.stats.pass_rate,
                "trials": r.stats.trials,
                "cost_usd": r.stats.cost_usd,
                "cost_per_passing_image": r.stats.cost_per_passing_image,
                "latency_p50": r.stats.latency_p50,
                "latency_p95": r.stats.latency_p95,
            }
            for r in result.rows
        ],
        "win_share": [[result.share(i, j) if i != j else None for j in range(n)] for i in range(n)],
        "pairs": [
            {"a": result.arms[i].name, "b": result.arms[j].name, **asdict(o)}
            for (i, j), group in result.outcomes.items()
            for o in group
        ],
        "errors": result.errors,
    }
