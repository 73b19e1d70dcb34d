"""Runs as tables: a flat per-score frame (Parquet on disk) and per-case summaries over repeats."""

from harness.analysis.aggregate import (
    case_pass_rates,
    case_summary,
    pass_at_k,
    scorer_stats,
    step_summary,
    trial_steps,
)
from harness.analysis.frame import trials_frame, write_parquet

__all__ = [
    "case_pass_rates",
    "case_summary",
    "pass_at_k",
    "scorer_stats",
    "step_summary",
    "trial_steps",
    "trials_frame",
    "write_parquet",
]
