"""Expansion's lean path for plain cases builds exactly what the general path builds, problems included;
validate's one-pass cost table gives the figures trial_cost gives per trial."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _suite_helpers import png, write

from harness.models import DEFAULT_JUDGE_MODEL
from harness.prices import cost_usd
from harness.suite import validate
from harness.suite.expand import _Context, expand_all
from harness.suite.load import load_suite_collect
from harness.suite.validate import JUDGE_TOKENS, report_suite, trial_cost

STYLE = """
    version: "3"
    prefix: "Studio photo."
    negative: [no text]
    image: {aspect_ratio: "4:3"}
    expect: [{aspect_ratio: "4:3"}]
"""

MIXED = """
    suite: mixed
    defaults: {model: gemini-2.5-flash-image, repeats: 2}
    variants:
      plain: {}
      photo: {prompt_suffix: "  a high-resolution   photograph,\\n natural light "}
      lead: {prompt_prefix: "Poster:", model: gemini-3-pro-image-preview, image_size: 2K}
      quoted: {prompt_suffix: "bold", only: {tags: [quote]}}
      not-b: {prompt_prefix: "Hi", skip: {cases: ["b*"]}}
      styled: {style: studio, only: {cases: [a1]}}
    expectations:
      square: [{aspect_ratio: "1:1"}]
    expect: [{judge: {rubric: "a clear picture", min: 3}}]
    cases:
      - id: a1
        prompt: "a red   cup\\n on a table"
        tags: [cup]
        description: the red cup
        group: cups
        expect: [square]
      - id: a2
        prompt: 'The sign reads "Sale"'
        tags: [quote]
        xfail: known to miss the sign
        pass: any
      - id: b1
        prompt: "It reads \\"Open!\\""
        tags: [quote]
        repeats: 1
        skip_expect: true
        xfail: {photo: photos blur the text}
      - id: b2
        prompt: "an edit of the cup"
        inputs: [in.png]
        references: [ref.png]
        output: any
      - id: b3
        prompt: "another edit"
        inputs: [in.png]
        output: any
      - id: a3
        prompt: "Is it a cup?"
        tags: [quote, cup]
        group: cups
      - id: words
        prompt: "describe a cup"
        output: text
      - id: words2
        prompt: "describe a mug"
        output: text
        references: [ref.png]
      - id: own-ratio
        prompt: "a wide cup"
        aspect_ratio: "16:9"
      - id: styled-case
        prompt: "a cup"
        style: studio
      - id: templated
        template: poster
        vars: {product: cup, color: red}
      - id: grid
        prompt: "a cup"
        matrix: {size: [small, large]}
      - id: chained
        chain:
          - prompt: "a cup"
          - edit: "make it blue"
            expect: [{aspect_ratio: "1:1"}]
    cases_from: {file: rows.csv, id: "row-{sku}", prompt: prompt, tags: tags}
    dataset: {name: partiprompts, limit: 5}
"""

ROWS = """
    sku,prompt,tags
    1,a watch,quote
    2,a   lamp.,home
"""


def _tree(tmp_path: Path, suite: str) -> Path:
    write(tmp_path, "templates/styles/studio.yaml", STYLE)
    write(tmp_path, "templates/prompts/poster.j2", "A poster of a {{ color }} {{ product }}")
    write(tmp_path, "rows.csv", ROWS)
    png(tmp_path, "in.png")
    png(tmp_path, "ref.png", (10, 10, 200))
    return write(tmp_path, "s.yaml", suite)


def _expanded(path: Path, **kwargs: Any) -> tuple[list[Any], list[tuple[Any, ...]], list[str]]:
    suite, problems = load_suite_collect(path)
    assert suite is not None and not problems, [str(p) for p in problems]
    result = expand_all(suite, **kwargs)
    errors = [(str(e), e.file, e.line, e.case, e.key, e.hint) for e in result.errors]
    return result.plans, errors, result.warnings


@pytest.fixture
def lean_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The ids of the cases the lean path built."""
    calls: list[str] = []
    real = _Context.expand_plain

    def counted(self: _Context, index: int, case: Any, names: list[str], repeats: int | None) -> bool:
        took = real(self, index, case, names, repeats)
        if took:
            calls.append(case.id)
        return took

    monkeypatch.setattr(_Context, "expand_plain", counted)
    yield calls


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Context, "expand_plain", lambda self, index, case, names, repeats: False)


def _same_both_ways(
    path: Path, monkeypatch: pytest.MonkeyPatch, lean_calls: list[str], **kwargs: Any
) -> tuple[list[Any], list[tuple[Any, ...]], list[str]]:
    lean = _expanded(path, **kwargs)
    with monkeypatch.context() as m:
        _general(m)
        general = _expanded(path, **kwargs)
    assert lean[1] == general[1]  # the same problems, in the same order, with their files and lines
    assert lean[2] == general[2]
    if not lean[1]:  # a suite with problems has no plans anyone sees (expand and validate raise)
        assert lean[0] == general[0]  # every field of every trial and step
    return lean


@pytest.mark.parametrize("kwargs", [{}, {"variants": ["photo", "plain"]}, {"repeats": 3}])
def test_lean_path_builds_the_general_paths_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lean_calls: list[str], kwargs: dict[str, Any]
) -> None:
    path = _tree(tmp_path, MIXED)
    plans, errors, _ = _same_both_ways(path, monkeypatch, lean_calls, **kwargs)
    assert errors == [] and len(plans) > 40
    lean = set(lean_calls)
    # plain cases whose settings an earlier case resolved took the lean path: cases of the file, data
    # rows, dataset rows, matrix-made cases, with input images, with text output
    assert {"a3", "b1", "b3", "words2", "grid[size=small]", "row-1", "row-2", "parti-0005"} <= lean
    # what sets its own settings, style or template, or is a chain, or meets a styled variant, did not
    assert not lean & {"own-ratio", "styled-case", "templated", "chained", "a1"}
    by_id = {p.trial_id: p for p in plans}
    if "photo" in (kwargs.get("variants") or ["photo"]):
        photo = by_id["mixed::a2[photo-r0]"]
        assert photo.steps[0].prompt == 'The sign reads "Sale". A high-resolution photograph, natural light'
        assert photo.xfail == "known to miss the sign" and photo.pass_rule == "any"
        assert by_id["mixed::b1[photo-r0]"].xfail == "photos blur the text"


def test_lean_path_reports_what_the_general_path_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lean_calls: list[str]
) -> None:
    long = "x" * (32_768 * 4 - 3)
    suite = f"""
        suite: bad
        variants:
          plain: {{}}
          longer: {{prompt_suffix: "and more"}}
          odd: {{model: gemini-2.5-flash-imag, only: {{tags: [odd]}}}}
        cases:
          - {{id: ok, prompt: "a cup"}}
          - {{id: ratio, prompt: "a cup", expect: [{{aspect_ratio: 7}}]}}
          - {{id: also-ratio, prompt: "a mug", expect: [{{aspect_ratio: 7}}]}}
          - {{id: long, prompt: "{long}"}}
          - {{id: typo, prompt: "a cup", xfail: {{plian: flaky}}}}
          - {{id: unknown-model, prompt: "a cup", tags: [odd]}}
          - {{id: ok-too, prompt: "a bowl"}}
    """
    path = _tree(tmp_path, suite)
    _, errors, _ = _same_both_ways(path, monkeypatch, lean_calls)
    assert {e[3] for e in errors} >= {"ratio", "long", "typo", "unknown-model"}
    assert all(Path(e[1]) == path.resolve() and e[2] for e in errors), errors  # each names file and line
    assert "ok-too" in lean_calls


def test_one_pass_cost_table_matches_trial_cost(tmp_path: Path) -> None:
    path = _tree(tmp_path, MIXED)
    report = validate([path])
    (suite,) = report.suites
    assert suite.suite is not None
    by_case: dict[str, list[Any]] = {}
    for plan in suite.plans:
        by_case.setdefault(plan.case, []).append(plan)
    judge = DEFAULT_JUDGE_MODEL
    judge_usd = cost_usd(judge, JUDGE_TOKENS, "standard")
    for row in suite.rows:
        mine = by_case[row.case]
        judges = sum(1 for p in mine for s in p.steps for spec in s.expect if "judge" in spec)
        assert row.judge_calls == judges
        assert row.est_usd == sum(trial_cost(p) for p in mine) + judges * judge_usd
        assert (row.trials, row.steps) == (len(mine), len(mine[0].steps))
        assert row.variants == len({p.variant for p in mine})
    assert sum(r.judge_calls for r in suite.rows) > 0
    assert suite.models == sorted({s.config.model for p in suite.plans for s in p.steps} | {judge})
    batch = report_suite(suite.name, suite.path, suite.plans, judge, "batch")
    assert [r.est_usd for r in batch.rows] == [
        sum(trial_cost(p, "batch") for p in by_case[r.case]) + r.judge_calls * judge_usd for r in batch.rows
    ]
    assert batch.est_usd < suite.est_usd
