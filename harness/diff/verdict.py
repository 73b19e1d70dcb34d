"""The one line a person reads first, and the exit code CI reads."""

from __future__ import annotations

from harness.diff.stats import SMALL_SAMPLE, Summary
from harness.record import Manifest

FAIL_ON = ("regression", "any-change", "preference", "never")


def _plural(n: int, word: str) -> str:
    return f"{n} case{'s' if n != 1 else ''} {word}"


def verdict(s: Summary) -> str:
    """E.g. "B regresses: 3 cases worse, pass rate -12.5 pp [95% CI -25.0, -2.1], p=0.03 (significant);
    B costs 3.4x more per passing image"."""
    r, i = s.counts["regressed"], s.counts["improved"]
    head = (
        "B regresses"
        if r and not i
        else "B improves"
        if i and not r
        else "B is mixed"
        if r and i
        else "No difference"
    )
    parts = [p for p in (_plural(r, "worse") if r else "", _plural(i, "better") if i else "") if p]
    if s.counts["new"]:
        parts.append(f"{s.counts['new']} new")
    if s.counts["missing"]:
        parts.append(f"{s.counts['missing']} missing")
    if s.delta is not None:
        text = f"pass rate {s.delta * 100:+.1f} pp"
        if s.ci:
            text += f" [95% CI {s.ci[0] * 100:+.1f}, {s.ci[1] * 100:+.1f}]"
        parts.append(text)
    if s.significance == SMALL_SAMPLE:
        parts.append(f"{SMALL_SAMPLE} (n={s.paired_cases})")
    elif s.p_value is not None:
        parts.append(f"p={s.p_value:.2g} ({s.significance})")
    line = f"{head}: {', '.join(parts)}" if parts else f"{head}: {s.paired_cases} cases compared"
    if s.cost_ratio is not None:
        if s.cost_ratio >= 1.05:
            line += f"; B costs {s.cost_ratio:.1f}x more per passing image"
        elif s.cost_ratio <= 1 / 1.05:
            line += f"; B costs {1 / s.cost_ratio:.1f}x less per passing image"
        else:
            line += "; same cost per passing image"
    return line


LIMITS = ("cost_increase", "latency_increase")  # tolerances besides pass rate (fractions: 0.2 = 20% more)


def read_tolerance(*manifests: Manifest) -> float | None:
    """The tolerated pass-rate drop (fraction, 0.05 = 5 pp) of the first manifest that sets one (the
    tightest over its suites, Manifest.regression_tolerance). B's manifest first."""
    for manifest in manifests:
        tolerance = manifest.regression_tolerance()
        if tolerance is not None and tolerance.pass_rate_drop is not None:
            return tolerance.pass_rate_drop
    return None


def read_limits(*manifests: Manifest) -> dict[str, float]:
    """``cost_increase`` and ``latency_increase`` of the first manifest that sets any (the smallest over its
    suites)."""
    for manifest in manifests:
        tolerance = manifest.regression_tolerance()
        if tolerance is not None and tolerance.limits:
            return tolerance.limits
    return {}


def describe_tolerance(tolerance: float | None, limits: dict[str, float]) -> str:
    """E.g. "tolerance 5.0 pp, cost +20%" (empty when nothing is tolerated)."""
    parts = [] if tolerance is None else [f"{tolerance * 100:.1f} pp"]
    if "cost_increase" in limits:
        parts.append(f"cost +{limits['cost_increase'] * 100:g}%")
    if "latency_increase" in limits:
        parts.append(f"latency +{limits['latency_increase'] * 100:g}%")
    return "tolerance " + ", ".join(parts) if parts else ""


def _ratio(b: float | None, a: float | None) -> float | None:
    return b / a if a and b is not None else None


def over_limits(s: Summary, limits: dict[str, float]) -> str | None:
    """Why B is beyond the cost or latency tolerance, or None when it is within both."""
    rises = {
        "cost_increase": ("cost per passing image", s.cost_ratio),
        "latency_increase": (
            "latency p50",
            _ratio(s.arms[1].latency_p50, s.arms[0].latency_p50) if s.arms else None,
        ),
    }
    for key, (what, ratio) in rises.items():
        if key in limits and ratio is not None and ratio - 1 > limits[key] + 1e-12:
            return f"{what} rose {(ratio - 1) * 100:.0f}%, beyond the tolerance of {limits[key] * 100:g}%"
    return None


def gate(
    s: Summary,
    fail_on: str = "regression",
    tolerance: float | None = None,
    limits: dict[str, float] | None = None,
) -> tuple[int, str]:
    """Exit code and why. regression: 1 when the pass-rate drop exceeds the tolerance, or, without a
    tolerance, when any case regressed, or when B's cost or latency rose beyond its tolerance; any-change: 1
    when any case is not unchanged; preference: decided by the pairwise judge (harness.api.pairwise);
    never: 0."""
    if fail_on == "never":
        return 0, "--fail-on never"
    if fail_on == "preference":  # harness.api.pairwise gates on the pairwise judge's verdict
        return 0, "--fail-on preference: no pairwise verdict"
    if fail_on == "any-change":
        changed = sum(v for k, v in s.counts.items() if k != "unchanged")
        return (1, f"{changed} case(s) changed") if changed else (0, "no case changed")
    regressed = s.counts["regressed"]
    if tolerance is not None and s.delta is not None:
        if s.delta < -tolerance - 1e-12:
            return (
                1,
                f"pass rate fell {-s.delta * 100:.1f} pp, beyond the tolerance of {tolerance * 100:.1f} pp",
            )
        why = f"pass-rate change {s.delta * 100:+.1f} pp within the tolerance of {tolerance * 100:.1f} pp"
    elif regressed:
        return 1, f"{regressed} case(s) regressed"
    else:
        why = "no case regressed"
    over = over_limits(s, limits or {})
    return (1, over) if over else (0, why)
