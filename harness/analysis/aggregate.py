"""Repeats summarised per case and step: what a diff compares and a report shows.

The primary score of a case is its **pass rate**: the fraction of its repeats whose trial passed
(TrialRecord.passed is True; a skipped verdict, None, never counts as a pass). A case where no repeat
has a verdict at all has no pass rate (NaN). Chains share one trial verdict, so every step of a chain
carries the same pass rate; the per-step checks are in ``step_pass_rate`` and the per-scorer columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import comb

import numpy as np
import pandas as pd

from harness.analysis.frame import trials_frame
from harness.record import OUTCOMES, TrialRecord

CASE_KEYS = ["suite", "case", "variant"]
STEP_KEYS = [*CASE_KEYS, "step"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): chance that at least one of k repeats drawn from n passes."""
    if n <= 0:
        return float("nan")
    k = min(k, n)
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def as_frame(data: pd.DataFrame | Iterable[TrialRecord]) -> pd.DataFrame:
    return data if isinstance(data, pd.DataFrame) else trials_frame(data)


def trial_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (trial, step) with ``step_passed``: every scored check of that step passed (NA if none)."""
    steps = frame.drop_duplicates(["trial_id", "step"]).drop(
        columns=["scope", "scorer", "value", "passed", "threshold", "weight", "reason"]
    )
    scored = frame[frame["passed"].notna()]
    verdict = scored.groupby(["trial_id", "step"], sort=False)["passed"].all().rename("step_passed")
    steps = steps.merge(verdict, how="left", left_on=["trial_id", "step"], right_index=True)
    steps["step_passed"] = steps["step_passed"].astype("boolean")
    return steps.reset_index(drop=True)


def trial_level(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: verdict, outcome, cost, latency."""
    return frame.drop_duplicates("trial_id")[
        [
            "trial_id",
            *CASE_KEYS,
            "repeat",
            "model",
            "style",
            "group",
            "trial_outcome",
            "trial_passed",
            "trial_unmeasured",
            "trial_cost_usd",
            "trial_latency_s",
        ]
    ].reset_index(drop=True)


def _rate(passed: pd.Series, by: list[pd.Series] | list[str], frame: pd.DataFrame) -> pd.DataFrame:
    """Pass counts over all rows of a group; NaN rate when no row of the group has a verdict."""
    tmp = pd.DataFrame({"p": passed.fillna(False).astype(bool), "v": passed.notna()})
    tmp[by] = frame[by].to_numpy()
    grouped = tmp.groupby(by, sort=False, dropna=False)
    out = pd.DataFrame({"n": grouped.size(), "passes": grouped["p"].sum(), "judged": grouped["v"].sum()})
    out["pass_rate"] = np.where(out["judged"] > 0, out["passes"] / out["n"], np.nan)
    return out.drop(columns="judged").reset_index()


def case_pass_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (suite, case, variant): repeats, passes, pass rate (the primary score), mean cost and latency."""
    trials = trial_level(frame)
    rates = _rate(trials["trial_passed"], CASE_KEYS, trials)
    extra = (
        trials.groupby(CASE_KEYS, sort=False, dropna=False)
        .agg(
            cost_usd=("trial_cost_usd", "mean"),
            latency_s=("trial_latency_s", "mean"),
            style=("style", "first"),
            model=("model", "first"),
        )
        .reset_index()
    )
    return rates.merge(extra, on=CASE_KEYS, how="left")


def scorer_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (suite, case, variant, step, scorer): mean value, scorer pass rate, how many of its scores could
    not be measured (``unmeasured``), and one reason to show."""
    scored = frame[frame["scorer"].notna()].assign(unmeasured=lambda f: f["passed"].isna())
    keys = [*STEP_KEYS, "scorer"]
    grouped = scored.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        mean=("value", "mean"),
        reason=("reason", "first"),
        n=("trial_id", "size"),
        unmeasured=("unmeasured", "sum"),
    ).reset_index()
    rates = _rate(scored["passed"], keys, scored).rename(columns={"n": "n_rate"})
    out = out.merge(rates[[*keys, "passes", "pass_rate"]], on=keys, how="left")
    return out


def _outcome_text(counts: pd.Series) -> str:
    return ", ".join(f"{name}:{int(n)}" for name, n in counts.items() if n)


def step_summary(data: pd.DataFrame | Iterable[TrialRecord]) -> pd.DataFrame:
    """Per (suite, case, variant, step) over repeats: step_pass_rate, outcome (most frequent) and outcomes
    ("ok:2, blocked_output:1"), cost_usd and latency_s (mean per step), style and model.

    What a diff aligns step by step; `case_summary` adds the case's pass rates and the scorer columns.
    """
    steps = trial_steps(as_frame(data))
    step_rate = _rate(steps["step_passed"], STEP_KEYS, steps)[[*STEP_KEYS, "pass_rate"]]
    step_rate = step_rate.rename(columns={"pass_rate": "step_pass_rate"})
    grouped = steps.groupby(STEP_KEYS, sort=False, dropna=False)
    base = grouped.agg(
        cost_usd=("cost_usd", "mean"),
        latency_s=("latency_s", "mean"),
        style=("style", "first"),
        model=("model", "first"),
    ).reset_index()
    counts = steps.groupby([*STEP_KEYS, "outcome"], sort=False, dropna=False).size().unstack(fill_value=0)
    counts = counts[sorted(counts.columns, key=lambda o: OUTCOMES.index(o) if o in OUTCOMES else 99)]
    outcomes = pd.DataFrame(
        {"outcome": counts.idxmax(axis=1), "outcomes": counts.apply(_outcome_text, axis=1)}
    ).reset_index()
    return base.merge(step_rate, on=STEP_KEYS, how="left").merge(outcomes, on=STEP_KEYS, how="left")


def case_summary(data: pd.DataFrame | Iterable[TrialRecord], k: int | None = None) -> pd.DataFrame:
    """Per (suite, case, variant, step) over repeats.

    Columns: n (repeats), passes, pass_rate (primary score, per trial), pass_at_k with k (default: the
    number of repeats, i.e. "did any repeat pass"), then the `step_summary` columns, then ``mean:<scorer>``
    and ``pass:<scorer>`` for every scorer seen.
    """
    frame = as_frame(data)
    cases = case_pass_rates(frame)[[*CASE_KEYS, "n", "passes", "pass_rate"]]
    steps = step_summary(frame)
    head = [*STEP_KEYS, "cost_usd", "latency_s", "style", "model"]
    out = steps[head].merge(cases, on=CASE_KEYS, how="left").join(steps.drop(columns=head))
    k_used = out["n"] if k is None else np.minimum(k, out["n"])
    out["k"] = k_used.astype(int)
    out["pass_at_k"] = [
        pass_at_k(int(n), int(c), int(kk)) if r == r else np.nan
        for n, c, kk, r in zip(out["n"], out["passes"], out["k"], out["pass_rate"], strict=True)
    ]
    stats = scorer_stats(frame)
    if not stats.empty:
        wide = stats.pivot_table(
            index=STEP_KEYS, columns="scorer", values=["mean", "pass_rate"], aggfunc="first", dropna=False
        )
        wide.columns = [f"{'mean' if kind == 'mean' else 'pass'}:{name}" for kind, name in wide.columns]
        out = out.merge(wide.reset_index(), on=STEP_KEYS, how="left")
    return out.sort_values(STEP_KEYS, kind="stable").reset_index(drop=True)
