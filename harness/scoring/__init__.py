"""Scoring: every `expect:` entry becomes a scorer giving a value, pass/fail against a threshold and a reason.

Public API: ScoringEnv, validate_expect, validate_pass_rule, score_trial, score_groups, decide_passed,
awaits_group_scores, judge_manifest, SCORERS (name -> Scorer). The registry is a leaf: the built-in
scorers are the modules imported here, whose decorators fill it; importing any harness.scoring module
runs this first.
"""

from __future__ import annotations

# the built-in scorers: importing each module registers its scorers
from harness.scoring import (  # noqa: F401
    alignment,
    custom,
    edit_scorers,
    group_scorers,
    image_scorers,
    judge,
    outcome_scorers,
    text_scorers,
)
from harness.scoring.aggregate import by_step, decide_passed, summarize, validate_pass_rule
from harness.scoring.context import ScoreContext, ScoringEnv
from harness.scoring.engine import awaits_group_scores, score_groups, score_trial
from harness.scoring.judge import judge_manifest
from harness.scoring.registry import (
    SCORERS,
    GroupScorer,
    Params,
    Scorer,
    StepScorer,
    describe,
    scorer,
    validate_expect,
)

__all__ = [
    "SCORERS",
    "GroupScorer",
    "Params",
    "ScoreContext",
    "Scorer",
    "ScoringEnv",
    "StepScorer",
    "awaits_group_scores",
    "by_step",
    "decide_passed",
    "describe",
    "judge_manifest",
    "score_groups",
    "score_trial",
    "scorer",
    "summarize",
    "validate_expect",
    "validate_pass_rule",
]
