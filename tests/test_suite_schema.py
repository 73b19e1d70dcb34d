"""Suite loading: every schema error names the file and the line, and all problems come at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from _suite_helpers import line_of, write

from harness.errors import SuiteError, ValidationFailed
from harness.suite import Suite, load_suite


def _errors(path: Path) -> list[SuiteError]:
    with pytest.raises(ValidationFailed) as info:
        load_suite(path)
    assert info.value.exit_code == 2
    return info.value.errors


def _one(path: Path) -> SuiteError:
    errors = _errors(path)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_minimal_suite_loads_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        mode: replay
        cassettes: tapes/
        judge: {model: gemini-2.5-flash}
        tolerance: {pass_rate_drop: 0.1}
        cases:
          - id: a
            prompt: "a red cup"
    """,
    )
    suite = load_suite(path)
    assert isinstance(suite, Suite)
    assert suite.name == "demo" and suite.path == path.resolve()
    assert suite.mode == "replay"
    assert suite.cassettes == tmp_path.resolve() / "tapes"
    assert suite.judge is not None and suite.judge.temperature == 0.0
    assert suite.tolerance is not None and suite.tolerance.pass_rate_drop == 0.1
    assert suite.defaults.model == "gemini-2.5-flash-image" and suite.defaults.repeats == 1
    assert suite.variant_names() == ["default"]
    assert suite.line("cases", 0) == line_of(path, "- id: a")


def test_unknown_key_names_line_allowed_keys_and_near_miss(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: "a red cup"
            modle: gemini-2.5-flash-image
    """,
    )
    err = _one(path)
    text = str(err)
    assert err.line == line_of(path, "modle:")
    assert f"{path.resolve()}:{err.line}" in text
    assert "unknown key 'modle'" in text and "Did you mean 'model'?" in text
    assert "allowed keys here:" in text and "aspect_ratio" in text and "chain" in text


@pytest.mark.parametrize(
    ("snippet", "needle", "key"),
    [
        ("defaults: {model: x, repeat: 2}\n", "defaults:", "repeat"),
        ("colour: blue\n", "colour:", "colour"),
        ("variants:\n  pro: {modell: gemini-3-pro-image-preview}\n", "modell", "modell"),
    ],
)
def test_unknown_keys_anywhere(tmp_path: Path, snippet: str, needle: str, key: str) -> None:
    path = write(tmp_path, "s.yaml", "suite: demo\n" + snippet + "cases:\n  - {id: a, prompt: cup}\n")
    err = _one(path)
    assert f"unknown key '{key}'" in str(err)
    assert err.line == line_of(path, needle)


def test_tolerance_accepts_only_the_keys_the_diff_gates_on(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        "suite: demo\ntolerance: {pass_rate_drop: 0.05, score_drop: 0.5}\ncases:\n  - {id: a, prompt: cup}\n",
    )
    err = _one(path)
    assert "unknown key 'score_drop'" in str(err) and err.line == line_of(path, "score_drop")
    assert err.hint == "allowed keys here: pass_rate_drop, cost_increase, latency_increase"


def test_unknown_key_in_chain_step(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            chain:
              - prompt: "a cup"
              - edit: "make it red"
                expct: []
    """,
    )
    err = _one(path)
    assert err.line == line_of(path, "expct")
    assert "Did you mean 'expect'?" in str(err)


def test_yaml_syntax_error_line_comes_from_the_parser(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: "unclosed
          - id: b
    """,
    )
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert "YAML syntax error" in str(info.value)
    assert info.value.line is not None and info.value.line >= line_of(path, "unclosed")
    assert str(path) in str(info.value)


def test_missing_file_is_a_suite_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="cannot read"):
        load_suite(tmp_path / "nope.yaml")


def test_duplicate_case_ids_name_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: same
            prompt: cup
          - id: same
            prompt: bottle
    """,
    )
    err = _one(path)
    assert "duplicate case id 'same'" in str(err)
    assert err.line == line_of(path, "id: same", 2)
    assert f"first at line {line_of(path, 'id: same')}" in str(err)


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: cup
            prompt: bottle
    """,
    )
    err = _one(path)
    assert "duplicate key 'prompt'" in str(err) and err.line == line_of(path, "prompt: bottle")


def test_prompt_and_template_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: cup
            template: product
    """,
    )
    err = _one(path)
    assert "give one of prompt / template" in str(err)
    assert err.line == line_of(path, "template: product") and err.case == "a"


def test_empty_cases(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "suite: demo\ncases: []\n")
    err = _one(path)
    assert "no cases" in str(err) and err.line == 2


def test_missing_required_key_points_at_the_case(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "suite: demo\ncases:\n  - prompt: cup\n")
    err = _one(path)
    assert "missing required key 'id'" in str(err) and err.line == 3


def test_chain_case_with_prompt_and_empty_first_edit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: "a cup"
            chain:
              - edit: "make it red"
    """,
    )
    errors = _errors(path)
    texts = " | ".join(map(str, errors))
    assert "a chain case keeps its prompts in its steps" in texts
    assert "the first step has nothing to edit yet" in texts
    assert {e.line for e in errors} == {line_of(path, 'prompt: "a cup"'), line_of(path, "edit:")}


def test_over_14_references(tmp_path: Path) -> None:
    refs = ", ".join(f"r{i}.png" for i in range(15))
    path = write(
        tmp_path, "s.yaml", f"suite: demo\ncases:\n  - id: a\n    prompt: cup\n    references: [{refs}]\n"
    )
    err = _one(path)
    assert "15 reference images" in str(err) and "at most 14" in str(err) and err.line == 5


def test_expectation_must_be_single_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: cup
            expect:
              - {aspect_ratio: "1:1", warmer: true}
    """,
    )
    err = _one(path)
    assert "single-key mapping" in str(err) and err.line == line_of(path, "warmer")


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        defaults: {temprature: 1}
        cases:
          - id: a
            promt: cup
          - id: b
            prompt: bottle
            repeats: 0
    """,
    )
    errors = _errors(path)
    assert len(errors) == 3
    assert sorted(e.line for e in errors) == [
        line_of(path, "temprature"),
        line_of(path, "promt"),
        line_of(path, "repeats: 0"),
    ]


def test_unquoted_ratio_and_numeric_size_are_read_as_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        defaults: {aspect_ratio: 16:9, image_size: 512, model: gemini-3.1-flash-image}
        cases: [{id: a, prompt: cup}]
    """,
    )
    suite = load_suite(path)
    assert suite.defaults.aspect_ratio == "16:9"  # YAML 1.1 alone would give the number 969
    assert suite.defaults.image_size == "512"


def test_bad_value_type_names_key_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            prompt: cup
            temperature: hot
    """,
    )
    err = _one(path)
    assert err.key == "cases.0.temperature" and err.line == line_of(path, "temperature: hot")
    assert "'hot'" in str(err)


def test_bad_case_id_characters(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "suite: demo\ncases:\n  - {id: 'has space', prompt: cup}\n")
    assert "id" in (_one(path).key or "")


def test_first_step_edit_is_fine_when_the_case_gives_inputs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            inputs: [watch.png]
            chain:
              - edit: "make the strap red"
              - edit: "now warmer"
    """,
    )
    suite = load_suite(path)
    assert suite.cases[0].chain is not None and len(suite.cases[0].chain) == 2


def test_xfail_reason_reaches_the_plan_per_variant(tmp_path: Path) -> None:
    from harness.suite import expand

    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: s
        variants: {a: {model: gemini-2.5-flash-image}, b: {model: gemini-3-pro-image-preview}}
        cases:
          - id: c
            prompt: a red cup
            xfail: {b: known to redraw the cup}
        """,
    )
    plans = {p.variant: p for p in expand(load_suite(path))}
    assert plans["a"].xfail is None
    assert plans["b"].xfail == "known to redraw the cup"


def test_xfail_naming_an_unknown_variant_is_an_error(tmp_path: Path) -> None:
    from harness.suite import expand

    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: s
        variants: {a: {model: gemini-2.5-flash-image}}
        cases:
          - id: c
            prompt: a red cup
            xfail: {pro: typo in the variant name}
        """,
    )
    with pytest.raises(ValidationFailed) as info:
        expand(load_suite(path))
    (error,) = info.value.errors
    assert "variant 'pro'" in str(error) and "use one of: a" in str(error)
    assert error.case == "c" and error.line == line_of(path, "xfail")


def test_schema_errors_name_the_case_and_say_how_to_fix_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases:
          - id: a
            promt: cup
          - id: b
            prompt: strap
            inputs: images/watch.png
          - just a string
    """,
    )
    errors = {e.line: e for e in _errors(path)}
    typo = errors[line_of(path, "promt")]
    assert typo.case == "a" and "Did you mean 'prompt'?" in str(typo)
    not_list = errors[line_of(path, "inputs:")]
    assert not_list.case == "b" and "expected a list" in not_list.message
    assert "[images/watch.png]" in (not_list.hint or "")
    not_case = errors[line_of(path, "just a string")]
    assert "expected a mapping" in not_case.message and "- id: NAME" in (not_case.hint or "")
    assert "Input should be" not in " ".join(str(e) for e in errors.values())


def test_unclosed_quote_says_where_the_string_started(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", 'suite: demo\ncases:\n  - id: a\n    prompt: "unclosed\n  - id: b\n')
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert f"started at line {line_of(path, 'unclosed')}" in str(info.value)
