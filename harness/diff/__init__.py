"""Two runs (or two variants of one run) compared case by case: deltas, flips, drift, statistics, verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.diff.align import Alignment, Arm, align, human_arm, load_arms
from harness.diff.compare import Comparison, compare
from harness.diff.preference import PreferenceSummary
from harness.diff.stats import Summary, summarize
from harness.diff.verdict import describe_tolerance, gate, read_limits, read_tolerance, verdict


@dataclass
class DiffResult:
    comparison: Comparison
    summary: Summary
    verdict: str
    tolerance: float | None
    fail_on: str
    exit_code: int
    gate_reason: str
    limits: dict[str, float] = field(default_factory=dict)  # cost_increase, latency_increase
    preference: PreferenceSummary | None = None  # the pairwise judge's verdict, when asked for

    def gate_line(self) -> str:
        """Why the exit code, plus the tolerances in force when the reason does not already name them."""
        tol = describe_tolerance(self.tolerance, self.limits)
        if tol and self.fail_on == "regression" and "tolerance" not in self.gate_reason:
            return f"{self.gate_reason} ({tol})"
        if self.fail_on != "regression" and "--fail-on" not in self.gate_reason:
            return f"{self.gate_reason} (--fail-on {self.fail_on})"
        return self.gate_reason


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
    tol = tolerance if tolerance is not None else read_tolerance(b.manifest, a.manifest)
    limits = read_limits(b.manifest, a.manifest)
    code, why = gate(summary, fail_on, tol, limits)
    return DiffResult(comp, summary, verdict(summary), tol, fail_on, code, why, limits)


def diff_runs(
    run_a: str | Path,
    run_b: str | Path | None = None,
    *,
    variants: list[str] | None = None,
    root: Path = Path("results"),
    prefer_human: bool = False,
    **kwargs: object,
) -> DiffResult:
    """RUN_A vs RUN_B, or (run_b None) variants[0] vs variants[1] inside run_a; with `prefer_human`
    (`--prefer-human`) each labelled trial passes or fails as its reviewers said."""
    a, b = load_arms(run_a, run_b, variants, root)
    if prefer_human:
        a, b = human_arm(a), human_arm(b)
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
