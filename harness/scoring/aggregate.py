"""From scores to verdicts: per-step and per-trial summaries, and the suite's pass rule.

Pass rules (a case's `pass_rule:`; default "all"):
  all             every score that was measured passes (skipped scores, passed=None, are not counted)
  any             at least one measured score passes
  weighted>=0.8   the weighted share of passing measured scores reaches 0.8
  min_passed=N    at least N measured scores pass
Whatever the rule, a trial whose outcome is not ok fails unless an `outcome` or `finish_reason`
expectation was scored (and passes under the rule), so an unexpected block is never a pass.
A trial with no scores passes when its outcome is ok; one whose scores were all skipped is undecided (None).
With `require_measured` (`--require-measured`, the default under CI) any skipped score fails the trial:
a check that could not run is then a failure, not a gap.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from harness.record import Score, TrialRecord

_RULE = re.compile(r"^(all|any|weighted\s*>=\s*(?P<w>[0-9]*\.?[0-9]+)|min_passed\s*=\s*(?P<n>[0-9]+))$")
OUTCOME_SCORERS = ("outcome", "finish_reason")


def validate_pass_rule(rule: str) -> None:
    """Raise ValueError naming the accepted forms when `rule` is not one of them."""
    m = _RULE.match(str(rule).strip())
    if not m or (m.group("w") is not None and not 0 <= float(m.group("w")) <= 1):
        raise ValueError(
            f"pass_rule '{rule}' is not understood; use all, any, weighted>=0.8 (0..1) or min_passed=N"
        )


@dataclass(frozen=True)
class Summary:
    total: int
    passed: int
    failed: int
    skipped: int
    weighted: float | None  # weighted share of passes among measured scores

    @property
    def pass_rate(self) -> float | None:
        measured = self.passed + self.failed
        return self.passed / measured if measured else None


def summarize(scores: list[Score]) -> Summary:
    measured = [s for s in scores if s.passed is not None]
    weight = sum(s.weight for s in measured)
    won = sum(s.weight for s in measured if s.passed)
    passed = sum(1 for s in measured if s.passed)
    return Summary(
        len(scores),
        passed,
        len(measured) - passed,
        len(scores) - len(measured),
        won / weight if weight else None,
    )


def by_step(scores: list[Score]) -> dict[int | None, Summary]:
    """Per-step summaries (key None = scores about the whole trial or its group)."""
    groups: dict[int | None, list[Score]] = defaultdict(list)
    for s in scores:
        groups[s.step].append(s)
    return {
        step: summarize(group)
        for step, group in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0]))
    }


def decide_passed(record: TrialRecord, require_measured: bool = False) -> bool | None:
    """Apply record.pass_rule to record.scores; with `require_measured` an unmeasured score fails."""
    scores = record.scores
    expects_outcome = any(s.scorer in OUTCOME_SCORERS for s in scores)
    if record.outcome != "ok" and not expects_outcome:
        return False
    if not scores:
        return record.outcome == "ok"
    measured = [s for s in scores if s.passed is not None]
    if require_measured and len(measured) < len(scores):
        return False
    if not measured:
        return None
    rule = record.pass_rule.strip()
    validate_pass_rule(rule)
    passes = [s for s in measured if s.passed]
    if rule == "all":
        return len(passes) == len(measured)
    if rule == "any":
        return bool(passes)
    m = _RULE.match(rule)
    assert m is not None
    if m.group("w") is not None:
        share = summarize(measured).weighted
        return share is not None and share >= float(m.group("w"))
    return len(passes) >= int(m.group("n"))
