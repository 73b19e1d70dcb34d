"""Which plots each page shows and what their legends call the arms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.report import plots


def arm_names(a: str, b: str) -> tuple[str, str]:
    """Legend-sized names for the two arms: the variant when diffing variants of one run, else the tail of
    the run id (its time and random part), else the whole id when the tails would read the same."""

    def tail(name: str) -> str:
        if ":" in name:
            return name.rsplit(":", 1)[1]
        parts = name.split("-")
        return "-".join(parts[1:]) if len(parts) >= 3 and parts[0].isdigit() else name

    ta, tb = tail(a), tail(b)
    return (ta, tb) if ta != tb else (a, b)


def run_charts(cases: pd.DataFrame, stats: pd.DataFrame) -> list[str]:
    """Pass-rate histogram and cost scatter per variant, then a few scorers' mean-score histograms."""
    arms = {v: cases[cases["variant"] == v] for v in sorted(cases["variant"].unique())}
    charts = [
        plots.histogram_svg(
            "case pass rate per variant",
            {v: a["pass_rate"].tolist() for v, a in arms.items()},
            "case pass rate",
        ),
        plots.scatter_svg(
            "cost vs pass rate per case",
            {v: list(zip(a["cost_usd"], a["pass_rate"], a["case"], strict=True)) for v, a in arms.items()},
        ),
    ]
    names = _top(stats.groupby("scorer").size()) if len(stats) else []
    return charts + _scorer_histograms(stats, "variant", names)


def diff_charts(cases: pd.DataFrame, scorers: pd.DataFrame, la: str, lb: str) -> list[str]:
    """The same plots for arms A and B (legend names ``la``/``lb``), plus the A→B drift histogram."""
    charts = [
        plots.histogram_svg(
            "case pass rate per arm",
            {la: cases["pass_rate_a"].tolist(), lb: cases["pass_rate_b"].tolist()},
            "case pass rate",
        ),
        plots.scatter_svg(
            "cost vs pass rate per case",
            {
                la: list(zip(cases["cost_usd_a"], cases["pass_rate_a"], cases["case"], strict=True)),
                lb: list(zip(cases["cost_usd_b"], cases["pass_rate_b"], cases["case"], strict=True)),
            },
        ),
        plots.histogram_svg(
            "perceptual drift A→B per case",
            {"drift": cases["drift"].tolist()},
            "largest pHash distance over steps (bits of 64)",
            lo=0,
        ),
    ]
    long = scorers.melt(
        id_vars=["scorer"], value_vars=["mean_a", "mean_b"], var_name="arm", value_name="mean"
    )
    long["arm"] = long["arm"].map({"mean_a": la, "mean_b": lb})
    moved = scorers.assign(moved=scorers["delta"].fillna(0) != 0).groupby("scorer")["moved"].sum()
    names = _top(moved) if len(scorers) else []
    return charts + _scorer_histograms(long.replace({np.nan: None}).dropna(subset=["mean"]), "arm", names)


def _top(counts: pd.Series, limit: int = 4) -> list[str]:
    """The ``limit`` scorers with the highest count (ties by name), listed by name."""
    return sorted(counts.sort_index().sort_values(ascending=False, kind="stable").index[:limit])


# What each score's value is, in its unit (the scorers' docs hold the definitions); the histogram of a
# scorer says this instead of "mean score", since an aspect ratio or a hash distance is no score.
HASHES = ("phash", "dhash", "whash", "colorhash")
VALUE_LABELS = {
    "aspect_ratio": "width / height",
    "dimensions": "pixels (width × height)",
    "min_resolution": "shorter side (px)",
    "background": "share of the border in the colour (0–1)",
    "palette": "share of the image on the palette (0–1)",
    "brightness": "brightness (mean L*, 0–100)",
    "contrast": "contrast (std of L*)",
    "saturation": "saturation (mean chroma C*ab)",
    "warmth": "warmth (-100 blue … 100 red)",
    "warmer": "warmth change from the previous image",
    "cooler": "warmth change from the previous image",
    "brighter": "L* change from the previous image",
    "darker": "L* change from the previous image",
    "changed": "share of visibly changed pixels (0–1)",
    "consistent": "largest distance within the set (hash bits)",
    "text_in_image": "OCR match ratio (0–1)",
    "judge": "judge grade (1–5)",
    "max_latency": "latency (s)",
    "max_cost": "cost (USD)",
    "max_tokens": "tokens",
    "length": "length",
    "ssim": "SSIM (0–1, 1 = identical)",
    **{h: f"{h} distance (bits of 64)" for h in HASHES},
}
PASS_FAIL = "1 = pass, 0 = fail"


def value_label(score_name: str) -> str:
    """`preserved.phash` -> 'phash distance (bits of 64)'; an unknown scorer's values are its own."""
    base, _, part = score_name.partition(".")
    for key in (part, base):
        if key in VALUE_LABELS:
            return VALUE_LABELS[key]
    if base in (
        "format",
        "contains",
        "icontains",
        "regex",
        "equals",
        "json_schema",
        "outcome",
        "finish_reason",
    ):
        return PASS_FAIL
    return "value (in the scorer's own unit)"


def _scorer_histograms(stats: Any, arm_col: str, names: list[str]) -> list[str]:
    """Histograms of a few scorers' values per case (the mean over its repeats), each axis saying what the
    value is: the most used scorers in a run, the most moved in a diff."""
    if stats is None or not len(stats):
        return []
    out = []
    for name in names:
        sub = stats[stats["scorer"] == name]
        arms = {str(a): g["mean"].tolist() for a, g in sub.groupby(arm_col, sort=True)}
        label = value_label(name)
        title = f"{name}: {label.split(' (')[0]} per case"
        out.append(plots.histogram_svg(title, arms, f"{label}, mean over repeats"))
    return out
