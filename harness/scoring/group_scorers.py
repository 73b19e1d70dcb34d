"""Cross-trial scorers: a set of outputs (a case's repeats, or a named group of cases such as one character
in several scenes) scored together after every trial in the set has run."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from pydantic import Field

from harness.record import Score
from harness.scoring import imaging
from harness.scoring.context import ScoreContext, ScoringEnv
from harness.scoring.numbers import near
from harness.scoring.registry import Params, scorer


@dataclass
class GroupContext:
    """The members of one set, each a ScoreContext on the same step index of its trial."""

    members: list[ScoreContext]
    env: ScoringEnv
    label: str  # e.g. "repeats of watch-on-white[flash]" or "group hero[flash]"


class ConsistentParams(Params):
    """Every output in the set stays within `max_distance` of every other one. `over: repeats` compares a
    case's repeats; `over: group` compares the cases sharing a `group:` name (same variant). Metrics: a hash
    (Hamming distance; phash/dhash/whash 64 bits, colorhash 42 bits) or `ssim` (distance = 1 - SSIM)."""

    over: Literal["repeats", "group"] = Field("repeats", description="repeats (of one case) or group (cases)")
    metric: Literal["phash", "dhash", "whash", "colorhash", "ssim"] = Field(
        "phash", description="phash, dhash, whash, colorhash or ssim"
    )
    max_distance: float = Field(20.0, description="budget for the largest pairwise distance")


def distance(a: imaging.Prepared, b: imaging.Prepared, metric: str) -> float:
    if metric == "ssim":
        return 1.0 - imaging.ssim(a, b)
    return float(imaging.hash_distance(a, b, metric))


@scorer("consistent", ConsistentParams, kind="group")
def score_consistent(g: GroupContext, p: ConsistentParams) -> dict[str, list[Score]]:
    """Each member's largest distance to the rest of its set is within the budget."""
    out: dict[str, list[Score]] = {}
    if len(g.members) < 2:
        for m in g.members:
            out[m.record.trial_id] = [m.skip(f"{g.label} has one output; nothing to compare")]
        return out
    images = [m.image for m in g.members]
    worst = [0.0] * len(images)
    for i, j in combinations(range(len(images)), 2):
        d = distance(images[i], images[j], p.metric)
        worst[i], worst[j] = max(worst[i], d), max(worst[j], d)
    for m, w in zip(g.members, worst, strict=True):
        ok = w <= p.max_distance
        shown = near(w, p.max_distance, 2)
        reason = f"largest {p.metric} distance {shown} across {len(images)} outputs of {g.label} "
        reason += f"(max {p.max_distance})"
        out[m.record.trial_id] = [m.score(w, ok, reason, threshold=p.max_distance)]
    return out
