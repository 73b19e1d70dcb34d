"""validate_expect error messages, pass rules and aggregation."""

from __future__ import annotations

import pytest

from harness.record import Score, TrialRecord
from harness.scoring import decide_passed, summarize, validate_expect, validate_pass_rule
from harness.scoring.aggregate import by_step
from harness.scoring.registry import describe, parse_expect


@pytest.mark.parametrize(
    "spec",
    [
        {"aspect_ratio": "1:1"},
        {"background": {"color": "white", "min_fraction": 0.4}},
        {"warmer": True},
        {"contains": "watch"},
        {"outcome": ["blocked_prompt", "blocked_output"]},
        {"preserved": {"max_phash": 12}, "weight": 2},
        {"judge": {"rubric": "A watch on white", "min": 4}},
        {"changed": None},
    ],
)
def test_valid_expectations(spec):
    validate_expect(spec)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"backgroud": {"color": "white"}}, ["unknown scorer 'backgroud'", "did you mean 'background'"]),
        (
            {"background": {"colour": "white"}},
            [
                "'background'",
                "unknown parameter 'colour'",
                "did you mean 'color'",
                "allowed parameters: color, min_fraction",
            ],
        ),
        ({"background": {"min_fraction": "lots"}}, ["parameter 'min_fraction'", "allowed parameters"]),
        ({"background": {"color": "whiteish"}}, ["'whiteish' is not a colour"]),
        ({"aspect_ratio": "wide"}, ["'wide' is not a ratio"]),
        ({"outcome": "exploded"}, ["'exploded' is not an outcome", "blocked_prompt"]),
        ({"warmer": False}, ["false is not a check"]),
        ({"length": 5}, ["needs a mapping", "allowed parameters: min, max, unit"]),
        ({"contains": "a", "regex": "b"}, ["exactly one scorer"]),
        ({"judge": {"min": 4}}, ["parameter 'rubric' is required"]),
        ({"aspect_ratio": "1:1", "weight": "heavy"}, ["weight must be a number"]),
        ({"regex": "(unclosed"}, ["not a valid regular expression"]),
        ({"custom": "no_such_module_xyz:f"}, ["cannot import no_such_module_xyz"]),
        ("aspect_ratio", ["one-key mapping"]),
    ],
)
def test_invalid_expectations_name_scorer_parameter_and_fix(spec, words):
    with pytest.raises(ValueError) as info:
        validate_expect(spec)
    for word in words:
        assert word in str(info.value)


def test_weight_inside_or_beside():
    assert parse_expect({"background": {"color": "white", "weight": 3}}).weight == 3
    assert parse_expect({"aspect_ratio": "1:1", "weight": 0.5}).weight == 0.5


def test_every_scorer_documents_parameters():
    for entry in describe():
        assert entry["summary"], entry["name"]
        assert entry["doc"], entry["name"]
        for param in entry["params"]:
            assert param["doc"], f"{entry['name']}.{param['name']} has no description"


def test_scoring_readme_lists_every_scorer_as_the_code_documents_it():
    from pathlib import Path

    from harness.scoring.registry import markdown

    readme = (Path(__file__).resolve().parents[1] / "harness" / "scoring" / "README.md").read_text()
    assert readme.endswith(markdown()), (
        "harness/scoring/README.md is out of date: replace its scorer tables with "
        "`harness score --list --markdown`"
    )


def _record(scores: list[Score], *, rule: str = "all", outcome: str = "ok") -> TrialRecord:
    return TrialRecord(
        trial_id="s::c[default-r0]",
        suite="s",
        case="c",
        variant="default",
        repeat=0,
        model="m",
        prompt="p",
        outcome=outcome,
        steps=[],
        scores=scores,
        pass_rule=rule,
        started_at="t",
        finished_at="t",
    )


def S(name: str, passed: bool | None, weight: float = 1.0) -> Score:
    return Score(name=name, value=None, passed=passed, reason="r", step=0, weight=weight)


def test_pass_rule_all_ignores_skipped():
    assert decide_passed(_record([S("a", True), S("judge", None)])) is True
    assert decide_passed(_record([S("a", True), S("b", False)])) is False
    assert decide_passed(_record([S("judge", None)])) is None
    assert decide_passed(_record([])) is True


def test_pass_rules_any_weighted_min_passed():
    scores = [S("a", True, 3), S("b", False, 1), S("c", False, 1)]
    assert decide_passed(_record(scores, rule="any")) is True
    assert decide_passed(_record(scores, rule="weighted>=0.6")) is True
    assert decide_passed(_record(scores, rule="weighted>=0.8")) is False
    assert decide_passed(_record(scores, rule="min_passed=1")) is True
    assert decide_passed(_record(scores, rule="min_passed=2")) is False


def test_not_ok_trial_fails_unless_outcome_expected():
    assert decide_passed(_record([], outcome="blocked_prompt")) is False
    assert decide_passed(_record([S("judge", None)], outcome="error")) is False
    assert decide_passed(_record([S("outcome", True)], outcome="blocked_prompt")) is True
    assert decide_passed(_record([S("outcome", False)], outcome="blocked_output")) is False


@pytest.mark.parametrize("rule", ["all", "any", "weighted>=0.8", "weighted >= 1", "min_passed=2"])
def test_validate_pass_rule_accepts(rule):
    validate_pass_rule(rule)


@pytest.mark.parametrize("rule", ["most", "weighted>=1.5", "min_passed=two", ""])
def test_validate_pass_rule_rejects(rule):
    with pytest.raises(ValueError, match=r"use all, any, weighted>=0\.8"):
        validate_pass_rule(rule)


def test_summaries():
    scores = [S("a", True, 2), S("b", False), S("c", None)]
    s = summarize(scores)
    assert (s.total, s.passed, s.failed, s.skipped) == (3, 1, 1, 1)
    assert s.weighted == pytest.approx(2 / 3) and s.pass_rate == 0.5
    assert list(by_step([*scores, Score(name="g", value=1, passed=True, reason="r", step=None)])) == [0, None]


MISSING_FILE_SUITE = """suite: s
cases:
  - id: one
    prompt: a cup
    expect:
      - custom: nope.py:f
"""


def test_custom_file_beside_the_suite_is_checked_at_validate_time(tmp_path):
    from harness.errors import ValidationFailed
    from harness.suite import expand, load_suite

    (tmp_path / "checks.py").write_text("def ok(ctx, params):\n    return True\n")
    validate_expect({"custom": "checks.py:ok"}, tmp_path)
    validate_expect({"custom": "elsewhere.py:ok"})  # no suite folder known: checked when scoring
    with pytest.raises(ValueError, match="has no function 'nope'"):
        validate_expect({"custom": "checks.py:nope"}, tmp_path)
    suite = tmp_path / "s.yaml"
    suite.write_text(MISSING_FILE_SUITE)
    with pytest.raises(ValidationFailed) as info:
        expand(load_suite(suite))
    assert "s.yaml:6" in str(info.value) and "no file" in str(info.value)


def test_a_custom_file_importing_a_missing_module_is_a_validation_error(tmp_path):
    """Named with the import's line, found by asking the import finders: the file is never executed."""
    marker = tmp_path / "EXECUTED"
    (tmp_path / "checks.py").write_text(
        "from pathlib import Path\nimport os, sys\nfrom harness.record import Score\n"
        f"Path({str(marker)!r}).write_text('ran')\n"
        "try:\n    import optional_zz_thing\nexcept ImportError:\n    optional_zz_thing = None\n"
        "from . import sibling_zz\n"  # relative: names no module to look for
        "import no_such_zz.sub\n"
        "def ok(ctx, params):\n    return True\n"
    )
    with pytest.raises(ValueError, match=r"checks.py:10: imports no_such_zz.sub, which cannot be imported"):
        validate_expect({"custom": "checks.py:ok"}, tmp_path)
    (tmp_path / "checks.py").write_text(
        "import json\nimport harness.scoring\ndef ok(ctx, p):\n    return 1\n"
    )
    validate_expect({"custom": "checks.py:ok"}, tmp_path)
    assert not marker.exists()
