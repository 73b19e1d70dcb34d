"""Two runs (or two variants of one run) compared case by case: deltas, flips, drift, statistics, verdict."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.diff.align import Alignment, Arm, align, load_arms
from harness.diff.compare import Comparison, compare
from harness.diff.stats import Summary, summarize
from harness.diff.verdict import gate, read_tolerance, verdict


@dataclass
class DiffResult:
    comparison: Comparison
    summary: Summary
    verdict: str
    tolerance: float | None
    fail_on: str
    exit_code: int
    gate_reason: str


def diff_arms(
    a: Arm,
    b: Arm,
    *,
    fail_on: str = "regression",
    tolerance: float | None = None,
    seed: int = 0,
    drift: bool = True,
) -> DiffResult:
    comp = compare(align(a, b), drift=drift)
    summary = summarize(comp, seed=seed)
    tol = tolerance if tolerance is not None else read_tolerance(b.raw_manifest, a.raw_manifest)
    code, why = gate(summary, fail_on, tol)
    return DiffResult(comp, summary, verdict(summary), tol, fail_on, code, why)


def diff_runs(
    run_a: str | Path,
    run_b: str | Path | None = None,
    *,
    variants: list[str] | None = None,
    root: Path = Path("results"),
    **kwargs: object,
) -> DiffResult:
    """RUN_A vs RUN_B, or (run_b None) variants[0] vs variants[1] inside run_a."""
    a, b = load_arms(run_a, run_b, variants, root)
    return diff_arms(a, b, **kwargs)  # type: ignore[arg-type]


__all__ = [
    "Alignment",
    "Arm",
    "Comparison",
    "DiffResult",
    "Summary",
    "align",
    "compare",
    "diff_arms",
    "diff_runs",
    "load_arms",
    "summarize",
    "verdict",
]
