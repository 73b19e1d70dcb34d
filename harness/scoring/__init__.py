"""Scoring: every `expect:` entry becomes a scorer giving a value, pass/fail against a threshold and a reason.

Public API: ScoringEnv, validate_expect, validate_pass_rule, score_trial, score_groups, decide_passed,
awaits_group_scores,
judge_manifest, SCORERS (name -> Scorer; filled on first use of the registry).
"""

from __future__ import annotations

from harness.scoring.aggregate import by_step, decide_passed, summarize, validate_pass_rule
from harness.scoring.context import ScoreContext, ScoringEnv
from harness.scoring.engine import awaits_group_scores, score_groups, score_trial
from harness.scoring.judge import judge_manifest
from harness.scoring.registry import SCORERS, Params, Scorer, _load_builtin, describe, scorer, validate_expect

_load_builtin()

__all__ = [
    "SCORERS",
    "Params",
    "ScoreContext",
    "Scorer",
    "ScoringEnv",
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
