"""Case-by-case comparison of two aligned arms: deltas, flips, outcome changes, drift, a status.

A scorer (or a case) *passes* in an arm when its pass rate over repeats is at least 0.5, so with one
repeat it is simply the result. A **flip** is a scorer whose pass state differs between the arms. A
scorer whose pass rate moved without crossing 0.5 (3/3 -> 2/3) is listed with the flips as
``name 100%->67%``, so a case whose pass rate fell always names the checks that fell with it.

Case status, in this order (the first rule that applies wins):
1. ``new`` / ``missing``: the case exists only in B / only in A.
2. The primary score (case pass rate) moved: lower in B -> ``regressed``, higher -> ``improved``.
3. Otherwise a scorer flipped pass->fail, or a step's usual outcome went from ``ok`` to anything else
   (e.g. ok -> blocked_output): ``regressed``.
4. Otherwise a scorer flipped fail->pass, or a step's outcome came back to ``ok``: ``improved``.
5. Otherwise ``unchanged`` (score means, drift, cost and latency may still differ; they are reported).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis.aggregate import CASE_KEYS, STEP_KEYS
from harness.diff.align import Alignment
from harness.diff.drift import drift_distances

STATUS_ORDER = {"regressed": 0, "missing": 1, "improved": 2, "new": 3, "unchanged": 4}
PASS_AT = 0.5


@dataclass
class Comparison:
    alignment: Alignment
    cases: pd.DataFrame  # one row per case, with status; regressions first
    steps: pd.DataFrame  # one row per case and step, with outcome change and drift
    scorers: pd.DataFrame  # one row per case, step and scorer, with delta and flip


def _flip(rate_a: pd.Series, rate_b: pd.Series) -> pd.Series:
    known = rate_a.notna() & rate_b.notna()
    pass_a, pass_b = rate_a >= PASS_AT, rate_b >= PASS_AT
    flip = np.select([known & pass_a & ~pass_b, known & ~pass_a & pass_b], ["pass->fail", "fail->pass"], "")
    return pd.Series(flip, index=rate_a.index)


def _joined(frame: pd.DataFrame, mask: pd.Series, text: pd.Series, name: str) -> pd.DataFrame:
    """Per case: the texts of the flagged rows joined with '; ' (only flagged rows are touched)."""
    sub = frame.loc[mask, CASE_KEYS].assign(**{name: text[mask]})
    if sub.empty:
        return pd.DataFrame(columns=[*CASE_KEYS, name])
    return sub.groupby(CASE_KEYS, sort=False)[name].agg("; ".join).reset_index()


def _counts(frame: pd.DataFrame, flags: dict[str, pd.Series]) -> pd.DataFrame:
    data = frame[CASE_KEYS].assign(**{k: v.astype(int) for k, v in flags.items()})
    return data.groupby(CASE_KEYS, sort=False, dropna=False).sum().reset_index()


def compare(al: Alignment, drift: bool = True) -> Comparison:
    """Build the per-case, per-step and per-scorer comparison tables (vectorised over all cases)."""
    scorers = al.scorers.copy()
    scorers["delta"] = scorers["mean_b"] - scorers["mean_a"]
    scorers["flip"] = _flip(scorers["pass_rate_a"], scorers["pass_rate_b"])

    steps = al.steps.copy()
    oa, ob = steps["outcome_a"], steps["outcome_b"]
    both = oa.notna() & ob.notna()
    steps["outcome_change"] = np.where(both & (oa != ob), oa.fillna("") + " -> " + ob.fillna(""), "")
    steps["outcome_worse"] = both & (oa == "ok") & (ob != "ok")
    steps["outcome_better"] = both & (oa != "ok") & (ob == "ok")
    steps["cost_delta"] = steps["cost_usd_b"] - steps["cost_usd_a"]
    steps["latency_delta"] = steps["latency_s_b"] - steps["latency_s_a"]
    pairs = al.pairs.copy()
    pairs["drift"] = drift_distances(pairs, al.a.dir, al.b.dir) if drift and len(pairs) else np.nan
    per_step = (
        pairs.groupby(STEP_KEYS, sort=False, dropna=False)["drift"]
        .agg(drift="mean", drift_max="max", drift_n="count")
        .reset_index()
    )
    steps = steps.merge(per_step, on=STEP_KEYS, how="left")
    steps["drift_n"] = steps["drift_n"].fillna(0).astype(int)

    cases = al.cases.copy()
    cases["delta"] = cases["pass_rate_b"] - cases["pass_rate_a"]
    cases["cost_delta"] = cases["cost_usd_b"] - cases["cost_usd_a"]
    cases["latency_delta"] = cases["latency_s_b"] - cases["latency_s_a"]
    flips = _counts(
        scorers,
        {"pass_to_fail": scorers["flip"] == "pass->fail", "fail_to_pass": scorers["flip"] == "fail->pass"},
    )
    outs = _counts(
        steps, {"outcome_worse": steps["outcome_worse"], "outcome_better": steps["outcome_better"]}
    )
    flip_text = scorers["scorer"] + np.where(scorers["step"] > 0, "@" + scorers["step"].astype(str), "") + " "
    ra, rb = scorers["pass_rate_a"], scorers["pass_rate_b"]
    moved = (scorers["flip"] == "") & ra.notna() & rb.notna() & (ra != rb)
    rate_move = pd.Series(
        [f"{a:.0%}->{b:.0%}" if m else "" for a, b, m in zip(ra, rb, moved, strict=True)], index=scorers.index
    )
    listed = (scorers["flip"] != "") | moved
    cases = cases.merge(flips, on=CASE_KEYS, how="left").merge(outs, on=CASE_KEYS, how="left")
    cases = cases.merge(
        _joined(scorers, listed, flip_text + scorers["flip"].where(~moved, rate_move), "flips"),
        on=CASE_KEYS,
        how="left",
    )
    step_tag = np.where(steps["step"] > 0, "@" + steps["step"].astype(str) + " ", "")
    cases = cases.merge(
        _joined(steps, steps["outcome_change"] != "", step_tag + steps["outcome_change"], "outcome_changes"),
        on=CASE_KEYS,
        how="left",
    )
    step_drift = (
        steps.groupby(CASE_KEYS, sort=False, dropna=False)["drift"].max().rename("drift").reset_index()
    )
    cases = cases.merge(step_drift, on=CASE_KEYS, how="left")
    for col in ("pass_to_fail", "fail_to_pass", "outcome_worse", "outcome_better"):
        cases[col] = cases[col].fillna(0).astype(int)
    for col in ("flips", "outcome_changes"):
        cases[col] = cases[col].fillna("")

    known = cases["delta"].notna()
    worse = (cases["pass_to_fail"] > 0) | (cases["outcome_worse"] > 0)
    better = (cases["fail_to_pass"] > 0) | (cases["outcome_better"] > 0)
    cases["status"] = np.select(
        [
            cases["presence"] == "new",
            cases["presence"] == "missing",
            known & (cases["delta"] < 0),
            known & (cases["delta"] > 0),
            worse,
            better,
        ],
        ["new", "missing", "regressed", "improved", "regressed", "improved"],
        "unchanged",
    )
    cases["_order"] = cases["status"].map(STATUS_ORDER)
    cases = cases.sort_values(["_order", "delta", *CASE_KEYS], kind="stable", na_position="last")
    cases = cases.drop(columns="_order").reset_index(drop=True)
    return Comparison(
        al,
        cases,
        steps.sort_values(STEP_KEYS).reset_index(drop=True),
        scorers.sort_values([*STEP_KEYS, "scorer"]).reset_index(drop=True),
    )
