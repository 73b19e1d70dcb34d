"""How far a machine scorer agrees with people: Cohen's kappa on pass/fail, Spearman on scores, the
confusion matrix, the cases they disagree on most, and (for pairwise labels) how often the machine
prefers the side the person preferred. Pure functions over typed pairs; no I/O.

Spearman comes from scipy.stats (already a dependency, used by the diff's statistics). Cohen's kappa is
the one-line formula over the confusion matrix, (p_o - p_e) / (1 - p_e): scipy has no kappa, and
scikit-learn's cohen_kappa_score would bring a large dependency for that line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from scipy import stats as sps

Side = Literal["a", "b", "tie"]
VERDICTS = ("pass", "fail")


@dataclass(frozen=True)
class LabelledTrial:
    """One trial as a person and as the machine saw it (None where one of them gave nothing)."""

    trial_id: str
    human_passed: bool | None
    machine_passed: bool | None
    human_score: float | None = None  # 1..5
    machine_score: float | None = None  # the scorer's own scale (judge 1..5, alignment 0..1)
    machine_reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class Preference:
    """A pairwise label: the side the person preferred and the side the machine's scores favour."""

    trial_id: str
    other_trial: str
    human: Side
    machine: Side | None


@dataclass
class Disagreement:
    trial_id: str
    human: str
    machine: str
    gap: float
    machine_reason: str
    note: str


@dataclass
class Agreement:
    scorer: str  # the scorer compared, or "verdict" for the trial's overall pass/fail
    labelled: int
    verdicts: int  # trials where both gave pass/fail
    observed: float | None  # share of those where they agree
    kappa: float | None
    kappa_note: str
    confusion: dict[str, dict[str, int]]  # human verdict -> machine verdict -> trials
    scores: int  # trials where both gave a score
    spearman: float | None
    spearman_p: float | None
    spearman_note: str
    disagreements: list[Disagreement] = field(default_factory=list)
    preferences: int = 0
    preference_agreement: float | None = None
    preference_note: str = ""


def confusion_matrix(human: list[bool], machine: list[bool]) -> dict[str, dict[str, int]]:
    out = {h: {m: 0 for m in VERDICTS} for h in VERDICTS}
    for h, m in zip(human, machine, strict=True):
        out["pass" if h else "fail"]["pass" if m else "fail"] += 1
    return out


def cohen_kappa(human: list[bool], machine: list[bool]) -> tuple[float | None, str]:
    """(kappa, why it is missing): undefined without trials, or when both raters used one class only."""
    n = len(human)
    if n == 0:
        return None, "no trial has both a human and a machine verdict"
    table = confusion_matrix(human, machine)
    observed = (table["pass"]["pass"] + table["fail"]["fail"]) / n
    expected = sum((sum(table[v].values()) / n) * (sum(table[h][v] for h in VERDICTS) / n) for v in VERDICTS)
    if math.isclose(expected, 1.0):
        return None, "undefined: every verdict on both sides is the same class"
    return (observed - expected) / (1 - expected), ""


def spearman(human: list[float], machine: list[float]) -> tuple[float | None, float | None, str]:
    """(rho, p-value, why it is missing)."""
    if len(human) < 3:
        return None, None, f"needs at least 3 trials scored by both, got {len(human)}"
    if len(set(human)) < 2 or len(set(machine)) < 2:
        return None, None, "undefined: one side gave every trial the same score"
    result = sps.spearmanr(human, machine)
    return float(result.statistic), float(result.pvalue), ""


def _on_five(value: float, scale_max: float) -> float:
    """A machine score on the people's 1..5 scale, so gaps compare across scorers."""
    return 1 + 4 * value if scale_max <= 1 else value


def _verdict(passed: bool | None) -> str:
    return "–" if passed is None else ("pass" if passed else "fail")


def disagreements(trials: list[LabelledTrial], top: int = 10) -> list[Disagreement]:
    """Where people and machine differ most: a flipped verdict first, then the largest score gap."""
    values = [t.machine_score for t in trials if t.machine_score is not None]
    scale = max(values, default=5.0)
    out = []
    for t in trials:
        flipped = (
            t.human_passed is not None and t.machine_passed is not None and t.human_passed != t.machine_passed
        )
        gap = 0.0
        if t.human_score is not None and t.machine_score is not None:
            gap = abs(t.human_score - _on_five(t.machine_score, scale))
        if not flipped and gap < 1:
            continue
        human = _verdict(t.human_passed) + (f" {t.human_score:g}/5" if t.human_score is not None else "")
        machine = _verdict(t.machine_passed) + (
            f" {t.machine_score:g}" if t.machine_score is not None else ""
        )
        out.append(
            Disagreement(t.trial_id, human, machine, gap + (4 if flipped else 0), t.machine_reason, t.note)
        )
    return sorted(out, key=lambda d: (-d.gap, d.trial_id))[:top]


def agreement(
    scorer: str, trials: list[LabelledTrial], preferences: list[Preference] | None = None
) -> Agreement:
    both = [t for t in trials if t.human_passed is not None and t.machine_passed is not None]
    human = [bool(t.human_passed) for t in both]
    machine = [bool(t.machine_passed) for t in both]
    kappa, kappa_note = cohen_kappa(human, machine)
    scored = [t for t in trials if t.human_score is not None and t.machine_score is not None]
    rho, p, rho_note = spearman(
        [float(t.human_score or 0) for t in scored], [float(t.machine_score or 0) for t in scored]
    )
    result = Agreement(
        scorer=scorer,
        labelled=len(trials),
        verdicts=len(both),
        observed=sum(h == m for h, m in zip(human, machine, strict=True)) / len(both) if both else None,
        kappa=kappa,
        kappa_note=kappa_note,
        confusion=confusion_matrix(human, machine),
        scores=len(scored),
        spearman=rho,
        spearman_p=p,
        spearman_note=rho_note,
        disagreements=disagreements(trials),
    )
    prefs = [p for p in preferences or [] if p.machine is not None]
    result.preferences = len(prefs)
    if prefs:
        result.preference_agreement = sum(p.human == p.machine for p in prefs) / len(prefs)
    elif preferences:
        result.preference_note = "the machine scores cannot rank these pairs (missing on one side)"
    return result
