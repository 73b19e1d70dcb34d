"""Bradley-Terry ratings of several arms from pairwise outcomes, with bootstrap intervals over cases.

The fit is choix's I-LSR maximum-likelihood estimator (choix: a maintained MIT library on numpy and
scipy, written for exactly this model) on the matrix of wins, a tie counting half a win to each side. A
small regularisation (`alpha`, a fraction of a comparison) keeps the estimate finite when one arm wins
every comparison. Strengths are natural log-odds centred on zero: P(i beats j) = 1 / (1 + e^(s_j - s_i)).
They are shown on the Elo scale arenas use (400/ln 10 points per unit, 1000 = the average arm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import choix
import numpy as np

ELO_PER_UNIT = 400 / np.log(10)
ELO_BASE = 1000.0
ALPHA = 0.01


def win_matrix(n: int, outcomes: Sequence[tuple[int, int, float]]) -> np.ndarray:
    """n x n matrix, [i, j] = wins of i over j; each outcome is (i, j, i's points: 1, 0.5 or 0)."""
    wins = np.zeros((n, n))
    for i, j, points in outcomes:
        wins[i, j] += points
        wins[j, i] += 1 - points
    return wins


def fit_strengths(wins: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Bradley-Terry strengths (mean zero) from a win matrix; arms never compared stay at zero."""
    n = len(wins)
    if n < 2 or not wins.any():
        return np.zeros(n)
    strengths = choix.ilsr_pairwise_dense(np.asarray(wins, dtype=float), alpha=alpha, max_iter=1000)
    return np.asarray(strengths - strengths.mean(), dtype=float)


@dataclass(frozen=True)
class Rating:
    index: int
    strength: float
    ci: tuple[float, float] | None  # 95% percentile interval of the strength over case resamples

    @property
    def elo(self) -> float:
        return elo(self.strength)

    @property
    def elo_ci(self) -> tuple[float, float] | None:
        return None if self.ci is None else (elo(self.ci[0]), elo(self.ci[1]))


def elo(strength: float) -> float:
    return float(ELO_BASE + ELO_PER_UNIT * strength)


def rate(
    case_wins: Sequence[np.ndarray], *, n_boot: int = 1000, seed: int = 0, alpha: float = ALPHA
) -> list[Rating]:
    """Ratings from one win matrix per case; the intervals resample cases with replacement (seeded)."""
    if not case_wins:
        return []
    stacked = np.stack([np.asarray(w, dtype=float) for w in case_wins])
    point = fit_strengths(stacked.sum(axis=0), alpha)
    if len(stacked) < 2:
        return [Rating(i, float(s), None) for i, s in enumerate(point)]
    rng = np.random.default_rng(seed)
    boots = np.empty((n_boot, len(point)))
    for b in range(n_boot):
        sample = stacked[rng.integers(0, len(stacked), size=len(stacked))].sum(axis=0)
        boots[b] = fit_strengths(sample, alpha)
    lo, hi = np.quantile(boots, [0.025, 0.975], axis=0)
    return [Rating(i, float(s), (float(lo[i]), float(hi[i]))) for i, s in enumerate(point)]


def win_probability(strength_i: float, strength_j: float) -> float:
    """P(i beats j) under the model."""
    return float(1 / (1 + np.exp(strength_j - strength_i)))
