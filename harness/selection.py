"""Which planned trials a run sends: `--case`, `--tag`, `--limit`, `--sample --seed` and `--shard I/N`.

Pure functions over TrialPlans, applied in that order after expansion. A shard takes whole groups: the
members of a `group:` (or, without one, every variant and repeat of a case) hash to the same shard, so
group and consistency scorers see complete sets on one machine and merged shards equal one run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.errors import UsageError
from harness.plan import TrialPlan

MAX_REPEATS = 1000  # beyond these a run needs --yes: a typo must not start a 90,000-trial bill
MAX_TRIALS = 50_000


def check_size(repeats: int | None, trials: int, yes: bool) -> None:
    """Absurd sizes need --yes (repeats are checked before anything is expanded)."""
    if yes:
        return
    if repeats is not None and repeats > MAX_REPEATS:
        raise UsageError(
            f"--repeats {repeats} is over {MAX_REPEATS:,}", hint="pass --yes if you mean it, or fewer repeats"
        )
    if trials > MAX_TRIALS:
        raise UsageError(
            f"this run has {trials:,} trials (over {MAX_TRIALS:,})",
            hint="narrow it (--variant, --case, --limit, --shard I/N) or pass --yes if you mean it",
        )


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    try:
        index_text, count_text = text.split("/")
        shard = Shard(int(index_text), int(count_text))
    except ValueError:
        raise UsageError(
            f"--shard {text!r} is not I/N", hint="e.g. --shard 2/4 (the second of four)"
        ) from None
    if shard.count < 1 or not 1 <= shard.index <= shard.count:
        raise UsageError(f"--shard {text}: I must be between 1 and N", hint="e.g. --shard 1/4 .. 4/4")
    return shard


@dataclass(frozen=True)
class Selection:
    cases: tuple[str, ...] = ()  # globs over the case id or the trial id
    tags: tuple[str, ...] = ()
    limit: int | None = None
    sample: int | None = None
    seed: int | None = None
    shard: Shard | None = None
    ids: frozenset[str] | None = field(default=None)  # exact trial ids (pytest items, resume, retry)

    @property
    def narrows(self) -> bool:
        """Whether anything short of the whole expansion may be chosen."""
        return bool(self.cases or self.tags or self.limit is not None or self.sample is not None) or (
            self.ids is not None or self.shard is not None
        )


def group_key(plan: TrialPlan) -> str:
    """What must stay together: the case's `group:`, else the case itself (all its variants and repeats)."""
    return f"{plan.suite}::group:{plan.group}" if plan.group else f"{plan.suite}::{plan.case}"


def shard_of(plan: TrialPlan, count: int) -> int:
    """1-based shard of a trial: a stable hash (sha256, not Python's salted hash) of its group key."""
    digest = hashlib.sha256(group_key(plan).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def _case_matches(plan: TrialPlan, globs: Sequence[str]) -> bool:
    """A glob over the case id or the trial id; a trial id as written matches itself (its `[...]` is not a
    character class)."""
    return any(
        g in (plan.case, plan.trial_id)
        or fnmatch.fnmatchcase(plan.case, g)
        or fnmatch.fnmatchcase(plan.trial_id, g)
        for g in globs
    )


def select_plans(plans: Sequence[TrialPlan], selection: Selection) -> list[TrialPlan]:
    """The chosen trials, in plan order."""
    if selection.limit is not None and selection.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {selection.limit}")
    if selection.sample is not None and selection.sample < 1:
        raise UsageError(f"--sample must be at least 1, got {selection.sample}")
    chosen = list(plans)
    if selection.ids is not None:
        chosen = [p for p in chosen if p.trial_id in selection.ids]
    if selection.cases:
        chosen = [p for p in chosen if _case_matches(p, selection.cases)]
    if selection.tags:
        chosen = [p for p in chosen if set(selection.tags) & set(p.tags)]
    if selection.shard is not None:
        chosen = [p for p in chosen if shard_of(p, selection.shard.count) == selection.shard.index]
    if selection.sample is not None and selection.sample < len(chosen):
        picked = set(random.Random(selection.seed or 0).sample(range(len(chosen)), selection.sample))
        chosen = [p for n, p in enumerate(chosen) if n in picked]
    if selection.limit is not None:
        chosen = chosen[: selection.limit]
    return chosen


def partial_groups(all_plans: Sequence[TrialPlan], chosen: Sequence[TrialPlan]) -> dict[str, tuple[int, int]]:
    """Group keys only partly chosen, with (chosen, planned) member counts: their group scores are not
    measured, since a consistency verdict over part of a set is a different verdict."""
    planned = Counter(group_key(p) for p in all_plans)
    got = Counter(group_key(p) for p in chosen)
    return {k: (n, planned[k]) for k, n in got.items() if n < planned[k]}
