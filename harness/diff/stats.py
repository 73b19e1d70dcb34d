"""How sure are we: a paired bootstrap CI of the pass-rate delta, a sign test, cost and latency per arm.

Cases are the unit (paired: the same case in A and B); repeats were already averaged into the case's
pass rate. The bootstrap resamples cases with replacement (seeded, so the same runs give the same
interval). The p-value is an exact two-sided sign test on the per-case pass-rate differences (ties
dropped): it asks only "do more cases get better than worse", which suits 0/1 pass rates with few
repeats better than a rank test. Below MIN_CASES paired cases no significance is claimed. It is the
binomial test at p = 1/2, summed in integers here: the same p-values as scipy.stats.binomtest (a test
checks that), without the 0.7 s import of scipy.stats in every `harness diff`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.diff.compare import Comparison
from harness.store import percentile

MIN_CASES = 10
SMALL_SAMPLE = "too few cases to claim significance"


def bootstrap_ci(
    deltas: np.ndarray, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float] | None:
    """Percentile interval of the mean of paired per-case deltas; None with fewer than two cases."""
    deltas = np.asarray(deltas, dtype=float)
    if len(deltas) < 2:
        return None
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // len(deltas))  # bound memory for large runs
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, len(deltas), size=(stop - start, len(deltas)))
        means[start:stop] = deltas[idx].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def sign_test(deltas: np.ndarray) -> tuple[float | None, int, int]:
    """Two-sided exact sign test: (p, cases better, cases worse); p is None when nothing moved."""
    deltas = np.asarray(deltas, dtype=float)
    up, down = int((deltas > 0).sum()), int((deltas < 0).sum())
    if up + down == 0:
        return None, 0, 0
    n = up + down
    term = tail = 1  # C(n, 0); tail ends as 2^n * P(X <= the smaller count)
    for i in range(1, min(up, down) + 1):
        term = term * (n - i + 1) // i  # C(n, i), exact
        tail += term
    return min(1.0, 2 * tail / 2**n), up, down  # symmetric at p = 1/2: twice one tail


@dataclass
class ArmStats:
    name: str
    trials: int
    passed: int
    pass_rate: float | None
    cost_usd: float
    cost_per_passing_image: float | None  # total cost / passing trials; None when nothing passed
    latency_p50: float | None
    latency_p95: float | None
    unmeasured: int = 0  # checks that could not be measured (counted in no pass rate)
    unmeasured_trials: int = 0


def arm_stats(name: str, frame: pd.DataFrame) -> ArmStats:
    trials = frame.drop_duplicates("trial_id")
    n = len(trials)
    passed = int(trials["trial_passed"].fillna(False).astype(bool).sum())
    judged = bool(trials["trial_passed"].notna().any())
    cost = float(trials["trial_cost_usd"].sum())
    lat = trials["trial_latency_s"].dropna().tolist()
    p50, p95 = percentile(lat, 50), percentile(lat, 95)  # the manifest's and `runs list`'s definition
    unmeasured = int((frame["verdict"] == "unmeasured").sum())  # not a score a human verdict overrode
    return ArmStats(
        name,
        n,
        passed,
        passed / n if n and judged else None,
        cost,
        cost / passed if passed else None,
        p50,
        p95,
        unmeasured,
        int((trials["trial_unmeasured"] > 0).sum()),
    )


@dataclass
class ScorerDelta:
    """One scorer over the (case, step) pairs where both arms have a mean: did its values move?"""

    name: str
    pairs: int
    mean_a: float
    mean_b: float
    delta: float  # mean of B - A over the pairs, in the scorer's own unit (higher is not always better)
    higher: int  # pairs where B's mean is above A's
    lower: int


def scorer_deltas(scorers: pd.DataFrame) -> list[ScorerDelta]:
    """Per scorer name (steps pooled): scores that moved while pass verdicts may not have."""
    both = scorers[scorers["mean_a"].notna() & scorers["mean_b"].notna()]
    out = []
    for name, g in both.groupby("scorer", sort=True):
        d = g["delta"]
        out.append(
            ScorerDelta(
                str(name),
                len(g),
                float(g["mean_a"].mean()),
                float(g["mean_b"].mean()),
                float(d.mean()),
                int((d > 0).sum()),
                int((d < 0).sum()),
            )
        )
    return out


@dataclass
class Summary:
    counts: dict[str, int]
    paired_cases: int
    pass_rate_a: float | None
    pass_rate_b: float | None
    delta: float | None  # mean per-case pass-rate delta over paired cases (B - A), as a fraction
    ci: tuple[float, float] | None
    p_value: float | None
    cases_better: int
    cases_worse: int
    significance: str  # "significant", "not significant", SMALL_SAMPLE, or "no change"
    arms: list[ArmStats] = field(default_factory=list)
    cost_ratio: float | None = None  # B's cost per passing image / A's
    scores: list[ScorerDelta] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci"] = list(self.ci) if self.ci else None
        return data


def summarize(comp: Comparison, *, seed: int = 0, n_boot: int = 2000) -> Summary:
    cases = comp.cases
    counts = {
        s: int((cases["status"] == s).sum()) for s in ("improved", "regressed", "unchanged", "new", "missing")
    }
    paired = cases[(cases["presence"] == "both") & cases["delta"].notna()]
    deltas = paired["delta"].to_numpy(dtype=float)
    n = len(deltas)
    ci = bootstrap_ci(deltas, n_boot=n_boot, seed=seed)
    p, up, down = sign_test(deltas)
    if n < MIN_CASES:
        significance = SMALL_SAMPLE  # even "nothing moved" on three cases is no evidence of no effect
    elif up + down == 0:
        significance = "no change"
    else:
        excludes_zero = ci is not None and (ci[0] > 0 or ci[1] < 0)
        significance = "significant" if p is not None and p < 0.05 and excludes_zero else "not significant"
    arms = [
        arm_stats(comp.alignment.a.name, comp.alignment.a.frame),
        arm_stats(comp.alignment.b.name, comp.alignment.b.frame),
    ]
    ca, cb = arms[0].cost_per_passing_image, arms[1].cost_per_passing_image
    return Summary(
        counts=counts,
        paired_cases=n,
        pass_rate_a=float(paired["pass_rate_a"].mean()) if n else None,
        pass_rate_b=float(paired["pass_rate_b"].mean()) if n else None,
        delta=float(deltas.mean()) if n else None,
        ci=ci,
        p_value=p,
        cases_better=up,
        cases_worse=down,
        significance=significance,
        arms=arms,
        cost_ratio=cb / ca if ca and cb else None,
        scores=scorer_deltas(comp.scorers),
    )
