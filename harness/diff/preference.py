"""How much the pairwise judge prefers B over A: a win rate over cases, its interval, a sign test, biases.

A pair (one case, step and repeat judged in both orders) scores 1 for a B win, 0.5 for a tie, 0 for an
A win; a case's score is the mean over its repeats, and B's win rate is the mean over cases. The 95%
interval bootstraps cases (the unit that was sampled), like the pass-rate interval; the sign test asks
whether more cases lean to B than to A (cases at exactly 0.5 dropped). Pure functions on typed records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from harness.diff.stats import MIN_CASES, SMALL_SAMPLE, bootstrap_ci, sign_test

POINTS = {"B": 1.0, "tie": 0.5, "A": 0.0}


@dataclass(frozen=True)
class PairOutcome:
    """One judged pair: which arm's image won, in both orders, and why."""

    suite: str
    case: str
    variant: str  # "" when the arms are single variants
    repeat: int
    step: int
    winner: str | None  # "A", "B", "tie", or None when the judge could not be asked
    consistent: bool | None
    a_first: str | None
    b_first: str | None
    reason: str
    image_a: str  # relative to run A's directory
    image_b: str
    sha_a: str
    sha_b: str
    error: str | None = None

    @property
    def case_key(self) -> tuple[str, str, str]:
        return (self.suite, self.case, self.variant)


@dataclass
class CasePreference:
    suite: str
    case: str
    variant: str
    pairs: int
    score: float  # B's share: 1 = B won every repeat, 0.5 = even
    winner: str  # "A", "B" or "tie" by the case's score
    reason: str  # the first judged pair's reason


@dataclass
class PreferenceSummary:
    pairs: int
    judged: int
    b_wins: int
    a_wins: int
    ties: int
    inconsistent: int  # pairs whose two orders disagreed (already counted as ties)
    cases: int
    win_rate_b: float | None  # mean over cases of B's share
    ci: tuple[float, float] | None
    p_value: float | None
    cases_b: int  # cases leaning to B
    cases_a: int
    significance: str  # "significant", "not significant", SMALL_SAMPLE, "no preference", "not judged"
    settings: dict[str, Any] = field(default_factory=dict)
    per_case: list[CasePreference] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "suite::case r<repeat>: why" of each unjudged pair
    outcomes: list[PairOutcome] = field(default_factory=list)

    @property
    def tie_share(self) -> float | None:
        return self.ties / self.judged if self.judged else None

    @property
    def inconsistent_share(self) -> float | None:
        return self.inconsistent / self.judged if self.judged else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci"] = list(self.ci) if self.ci else None
        data["tie_share"], data["inconsistent_share"] = self.tie_share, self.inconsistent_share
        data["verdict"] = preference_verdict(self)
        return data


def case_preferences(outcomes: list[PairOutcome]) -> list[CasePreference]:
    """B's share per case, over the repeats the judge answered."""
    grouped: dict[tuple[str, str, str], list[PairOutcome]] = {}
    for o in outcomes:
        if o.winner is not None:
            grouped.setdefault(o.case_key, []).append(o)
    out = []
    for (suite, case, variant), group in sorted(grouped.items()):
        score = float(np.mean([POINTS[o.winner] for o in group if o.winner is not None]))
        winner = "B" if score > 0.5 else "A" if score < 0.5 else "tie"
        out.append(CasePreference(suite, case, variant, len(group), score, winner, group[0].reason))
    return out


def summarize_preference(
    outcomes: list[PairOutcome], *, settings: dict[str, Any] | None = None, seed: int = 0, n_boot: int = 2000
) -> PreferenceSummary:
    judged = [o for o in outcomes if o.winner is not None]
    per_case = case_preferences(outcomes)
    shares = np.array([c.score for c in per_case], dtype=float)
    ci = bootstrap_ci(shares, n_boot=n_boot, seed=seed)
    p, toward_b, toward_a = sign_test(shares - 0.5)
    if not per_case:
        significance = "not judged"
    elif len(per_case) < MIN_CASES:
        significance = SMALL_SAMPLE
    elif toward_a + toward_b == 0:
        significance = "no preference"
    else:
        excludes_half = ci is not None and (ci[0] > 0.5 or ci[1] < 0.5)
        significance = "significant" if p is not None and p < 0.05 and excludes_half else "not significant"
    return PreferenceSummary(
        pairs=len(outcomes),
        judged=len(judged),
        b_wins=sum(o.winner == "B" for o in judged),
        a_wins=sum(o.winner == "A" for o in judged),
        ties=sum(o.winner == "tie" for o in judged),
        inconsistent=sum(o.consistent is False for o in judged),
        cases=len(per_case),
        win_rate_b=float(shares.mean()) if len(shares) else None,
        ci=ci,
        p_value=p,
        cases_b=toward_b,
        cases_a=toward_a,
        significance=significance,
        settings=dict(settings or {}),
        per_case=per_case,
        errors=[f"{o.suite}::{o.case} r{o.repeat}: {o.error}" for o in outcomes if o.winner is None],
        outcomes=list(outcomes),
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def preference_verdict(s: PreferenceSummary) -> str:
    """E.g. "judge prefers B: B wins 83% [95% CI 67%, 97%] over 12 cases, p=0.006 (significant); ties 8%,
    order-inconsistent 4%"."""
    if s.win_rate_b is None:
        return f"pairwise judge: no pair judged ({len(s.errors)} failed)"
    rate = s.win_rate_b
    lead = "judge prefers B" if rate > 0.5 else "judge prefers A" if rate < 0.5 else "judge even"
    text = f"{lead}: B wins {_pct(s.win_rate_b)}"
    if s.ci:
        text += f" [95% CI {_pct(s.ci[0])}, {_pct(s.ci[1])}]"
    text += f" over {s.cases} case{'s' if s.cases != 1 else ''}"
    if s.significance == SMALL_SAMPLE:
        text += f", {SMALL_SAMPLE}"
    elif s.p_value is not None:
        text += f", p={s.p_value:.2g} ({s.significance})"
    text += f"; ties {_pct(s.tie_share)}, order-inconsistent {_pct(s.inconsistent_share)}"
    if s.errors:
        text += f"; {len(s.errors)} pair(s) not judged"
    return text


def preference_gate(s: PreferenceSummary) -> tuple[int, str]:
    """`--fail-on preference`: 1 when the judge prefers A over B beyond chance (the interval lies below
    50%), or when some pair could not be judged (the gate cannot vouch for what it did not see)."""
    if s.errors:
        return 1, f"{len(s.errors)} pair(s) not judged: {s.errors[0]}"
    if s.ci is None or s.win_rate_b is None:
        return 1, "too few judged cases for a preference interval"
    if s.ci[1] < 0.5:
        return 1, f"judge prefers A: B's win rate {_pct(s.win_rate_b)}, interval entirely below 50%"
    return 0, f"B's win rate {_pct(s.win_rate_b)}, interval reaches 50% or above"
