"""Expansion (counts, chains, variants, precedence) and `harness validate` (all problems, cost, offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _suite_helpers import line_of, png, write

from harness.errors import SuiteError, UsageError, ValidationFailed
from harness.prices import estimate_image_usd
from harness.suite import ValidationReport, expand, load_suite, validate
from harness.suite.expand import expand_all

ROOT = Path(__file__).resolve().parents[1]


def _suite(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    return write(tmp_path, name, text)


def _problems(path: Path) -> list[SuiteError]:
    with pytest.raises(ValidationFailed) as info:
        validate([path])
    return info.value.errors


def _problem(path: Path) -> SuiteError:
    errors = _problems(path)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


AB = """
    suite: ab
    defaults: {repeats: 3}
    variants:
      flash: {model: gemini-2.5-flash-image}
      pro: {model: gemini-3-pro-image-preview}
    cases:
      - {id: one, prompt: "a red cup"}
      - {id: two, prompt: "a blue bottle", repeats: 2}
"""


def test_expansion_counts_cases_x_variants_x_repeats(tmp_path: Path) -> None:
    suite = load_suite(_suite(tmp_path, AB))
    plans = expand(suite)
    assert len(plans) == 2 * 3 + 2 * 2
    assert {p.trial_id for p in plans} >= {"ab::one[flash-r0]", "ab::one[pro-r2]", "ab::two[pro-r1]"}
    assert len({p.trial_id for p in plans}) == len(plans)
    assert len(expand(suite, repeats=1)) == 4
    only_pro = expand(suite, variants=["pro"])
    assert {p.variant for p in only_pro} == {"pro"} and len(only_pro) == 5
    assert {p.model for p in only_pro} == {"gemini-3-pro-image-preview"}


def test_unknown_variant_is_a_usage_error(tmp_path: Path) -> None:
    suite = load_suite(_suite(tmp_path, AB))
    with pytest.raises(UsageError, match="Did you mean 'pro'"):
        expand(suite, variants=["prp"])
    with pytest.raises(UsageError):
        expand(suite, repeats=0)


def test_no_variants_gives_default(tmp_path: Path) -> None:
    plans = expand(load_suite(_suite(tmp_path, "suite: d\ncases: [{id: a, prompt: cup}]\n")))
    assert [p.trial_id for p in plans] == ["d::a[default-r0]"]
    step = plans[0].steps[0]
    assert step.kind == "generate" and step.config.model == "gemini-2.5-flash-image"
    assert (
        step.config.aspect_ratio == "1:1"
        and step.config.image_size == "1K"
        and step.config.temperature == 1.0
    )
    assert plans[0].line == 2


CHAIN = """
    suite: ch
    defaults: {repeats: 2}
    variants: {a: {}, b: {}}
    cases:
      - id: refine
        expect: [{aspect_ratio: "1:1"}]
        chain:
          - {prompt: "a silver watch", style: house}
          - {edit: "make the light warmer", expect: [{warmer: true}]}
          - {prompt: "now a second watch beside it", aspect_ratio: "16:9"}
"""
HOUSE = """
    version: "3"
    prefix: "Studio photo."
    negative: [no text]
    image: {aspect_ratio: "1:1"}
    expect: [{background: {color: white, min_fraction: 0.4}}]
"""


def test_chain_is_one_trial_per_repeat_scored_per_step(tmp_path: Path) -> None:
    write(tmp_path, "templates/styles/house.yaml", HOUSE)
    plans = expand(load_suite(_suite(tmp_path, CHAIN)))
    assert len(plans) == 1 * 2 * 2
    plan = plans[0]
    assert plan.is_chain and [s.kind for s in plan.steps] == ["generate", "edit", "edit"]
    assert plan.style == "house" and plan.style_version == "3"
    first, edit, last = plan.steps
    assert first.prompt == "Studio photo. A silver watch, without text."
    assert edit.prompt == "make the light warmer"  # edits are sent as written
    assert first.expect == ({"background": {"color": "white", "min_fraction": 0.4}},)
    assert edit.expect == ({"warmer": True},)
    # the third step is a prompt under the case's style... the style is on step 0 only, so no wrapping here,
    # and the case-level expectation scores the chain's final image
    assert last.prompt == "now a second watch beside it" and last.expect == ({"aspect_ratio": "1:1"},)
    assert [s.config.aspect_ratio for s in plan.steps] == ["1:1", "1:1", "16:9"]
    assert [s.line for s in plan.steps] == [
        line_of(tmp_path / "s.yaml", '- {prompt: "a silver'),
        line_of(tmp_path / "s.yaml", "- {edit:"),
        line_of(tmp_path / "s.yaml", '- {prompt: "now'),
    ]


def test_chain_edit_steps_keep_the_first_steps_image_settings(tmp_path: Path) -> None:
    """Issue 18: after a 3:2 golden-hour first step, 'make the light warmer' was sent as the default 1:1."""
    path = _suite(
        tmp_path,
        """
        suite: ch
        defaults: {model: gemini-3-pro-image-preview, aspect_ratio: "1:1", image_size: 1K}
        cases:
          - id: c
            chain:
              - {template: product, style: golden-hour-lifestyle, vars: {product: cup}, image_size: 2K}
              - {edit: "make the light warmer"}
              - {edit: "now square", aspect_ratio: "1:1"}
    """,
    )
    (plan,) = expand(load_suite(path))
    assert [s.config.aspect_ratio for s in plan.steps] == ["3:2", "3:2", "1:1"]
    assert [s.config.image_size for s in plan.steps] == ["2K", "2K", "2K"]


def test_chain_step_may_not_change_model(tmp_path: Path) -> None:
    path = _suite(
        tmp_path,
        """
        suite: ch
        cases:
          - id: c
            chain:
              - {prompt: "a cup"}
              - edit: "make it red"
                model: gemini-3-pro-image-preview
    """,
    )
    err = _problem(path)
    assert "chain step 1 switches the model" in str(err) and err.line == line_of(path, "model: gemini-3")
    assert err.case == "c"


def test_variant_changes_the_prompt(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/kw.j2", "{{ product }}, product photo")
    write(
        tmp_path,
        "templates/prompts/story.j2",
        "A photograph of a {{ product }} ({{ variant }}/{{ case_id }})",
    )
    path = _suite(
        tmp_path,
        """
        suite: ab
        variants:
          kw: {template: kw, skip: {cases: [fixed]}}
          story: {template: story, prompt_suffix: "Soft light", skip: {tags: [fixed]}}
          own: {prompt: "literal from the variant", vars: {product: ignored}, only: {cases: ["c*"]}}
          plain: {prompt_suffix: "Soft light", only: {tags: [fixed]}}
        cases:
          - {id: cup, vars: {product: cup}}
          - {id: fixed, template: kw, vars: {product: bottle}, tags: [fixed]}
    """,
    )
    prompts = {p.trial_id: p.steps[0].prompt for p in expand(load_suite(path))}
    assert prompts["ab::cup[kw-r0]"] == "cup, product photo"
    assert prompts["ab::cup[story-r0]"] == "A photograph of a cup (story/cup). Soft light"
    assert prompts["ab::cup[own-r0]"] == "literal from the variant"
    # variants that would replace the case's own template leave it out (skip:/only:); one that does not
    # change the prompt source applies to it
    assert {t for t in prompts if "fixed" in t} == {"ab::fixed[plain-r0]"}
    assert prompts["ab::fixed[plain-r0]"] == "bottle, product photo. Soft light"


def test_variant_prompt_shadowed_by_the_case_names_both_lines(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/kw.j2", "{{ product }}, product photo")
    path = _suite(
        tmp_path,
        """
        suite: ab
        variants:
          a: {}
          b: {prompt: "a poster of a cup, bold colours"}
        cases:
          - {id: cup, prompt: "a cup"}
          - {id: bowl, template: kw, vars: {product: bowl}}
    """,
    )
    errors = _problems(path)
    assert [(e.case, e.line, e.key) for e in errors] == [("cup", 6, "prompt"), ("bowl", 7, "template")]
    assert "variant 'b' sets prompt: at line 4" in errors[0].message
    assert "own prompt: at line 6" in errors[0].message and "skip:" in str(errors[0])


def test_no_prompt_anywhere_is_an_error(tmp_path: Path) -> None:
    path = _suite(tmp_path, "suite: d\nvariants: {x: {model: gemini-2.5-flash-image}}\ncases:\n  - {id: a}\n")
    err = _problem(path)
    assert "no prompt" in str(err) and "variant 'x' gives none" in str(err) and err.line == 4


def test_precedence_defaults_style_variant_case_step(tmp_path: Path) -> None:
    write(tmp_path, "templates/styles/wide.yaml", "image: {aspect_ratio: '3:2', temperature: 0.5, seed: 9}\n")
    path = _suite(
        tmp_path,
        """
        suite: p
        defaults: {aspect_ratio: "1:1", temperature: 1.0, seed: 1, model: gemini-3-pro-image-preview}
        variants:
          v: {aspect_ratio: "4:3", image_size: 2K}
        cases:
          - {id: by-style, prompt: cup, style: wide}
          - {id: by-case, prompt: cup, style: wide, aspect_ratio: "9:16", seed: null}
          - id: by-step
            style: wide
            aspect_ratio: "9:16"
            chain:
              - {prompt: cup, aspect_ratio: "21:9", temperature: 0.1}
    """,
    )
    plans = {p.case: p.steps[0].config for p in expand(load_suite(path))}
    assert plans["by-style"].aspect_ratio == "4:3"  # variant beats style
    assert plans["by-style"].temperature == 0.5 and plans["by-style"].seed == 9  # style beats defaults
    assert plans["by-style"].image_size == "2K"
    assert plans["by-case"].aspect_ratio == "9:16" and plans["by-case"].seed is None  # explicit null clears
    assert plans["by-step"].aspect_ratio == "21:9" and plans["by-step"].temperature == 0.1


def test_bad_aspect_ratio_names_the_line_that_set_it_and_lists_allowed(tmp_path: Path) -> None:
    write(tmp_path, "templates/styles/odd.yaml", "image:\n  aspect_ratio: '7:3'\n")
    path = _suite(
        tmp_path,
        """
        suite: r
        cases:
          - {id: a, prompt: cup, aspect_ratio: "1:8"}
          - {id: b, prompt: cup, model: gemini-3.1-flash-image, aspect_ratio: "1:8", image_size: "512"}
          - {id: c, prompt: cup, image_size: 2K}
          - {id: d, prompt: cup, style: odd}
          - {id: e, prompt: cup, image_size: 1k}
    """,
    )
    errors = {e.case: e for e in _problems(path)}
    assert set(errors) == {"a", "c", "d", "e"}  # b: 1:8 and 512 are fine on gemini-3.1-flash-image
    assert "'1:8' is not available on gemini-2.5-flash-image" in str(errors["a"])
    assert "16:9" in str(errors["a"]) and errors["a"].line == line_of(path, "id: a")
    assert "'2K' is not available on gemini-2.5-flash-image (allowed: 1K)" in str(errors["c"])
    assert errors["d"].file == str(tmp_path / "templates/styles/odd.yaml") and errors["d"].line == 2
    assert "uppercase K" in str(errors["e"])


def test_unknown_model_is_an_error_with_did_you_mean_unless_allowed(tmp_path: Path) -> None:
    from harness.context import InputPolicy, using_policy

    path = _suite(
        tmp_path,
        """
        suite: m
        cases:
          - {id: a, prompt: cup, model: gemini-2.5-flash-imag}
          - {id: b, prompt: cup, model: some-future-model}
    """,
    )
    problems = _problems(path)
    text = "\n".join(map(str, problems))
    assert [e.line for e in problems] == [line_of(path, "id: a"), line_of(path, "id: b")]
    assert "did you mean 'gemini-2.5-flash-image'?" in text and "--allow-unknown-model" in text
    with using_policy(InputPolicy(allow_unknown_model=True)):
        report = validate([path])
    text = "\n".join(report.warnings)
    assert "did you mean 'gemini-2.5-flash-image'?" in text and "some-future-model" in text
    assert f"{path.resolve()}:{line_of(path, 'id: a')}" in text


def test_missing_images_and_unknown_style_and_template_all_reported(tmp_path: Path) -> None:
    png(tmp_path, "img/ok.png")
    write(tmp_path, "templates/styles/studio.yaml", "prefix: x\n")
    path = _suite(
        tmp_path,
        """
        suite: many
        cases:
          - id: a
            prompt: edit this
            inputs: [img/ok.png, img/missing.png]
          - {id: b, prompt: cup, style: stuido}
          - {id: c, template: nowhere}
          - id: d
            chain:
              - {prompt: cup, references: [img/gone.png]}
    """,
    )
    errors = _problems(path)
    texts = [str(e) for e in errors]
    assert len(errors) == 4, texts
    by_case = {e.case: e for e in errors}
    assert "img/missing.png" in texts[0] and by_case["a"].line == line_of(path, "img/missing.png")
    assert "unknown style 'stuido'" in str(by_case["b"]) and "Did you mean 'studio'?" in str(by_case["b"])
    assert "available styles:" in str(by_case["b"]) and "studio-white" in str(by_case["b"])
    assert "unknown template 'nowhere'" in str(by_case["c"]) and by_case["c"].line == line_of(path, "nowhere")
    assert "img/gone.png" in str(by_case["d"]) and by_case["d"].line == line_of(path, "img/gone.png")


def test_missing_template_variable_via_validate(tmp_path: Path) -> None:
    path = _suite(
        tmp_path,
        """
        suite: t
        cases:
          - id: w
            template: product
            vars: {colour: red}
    """,
    )
    err = _problem(path)
    text = str(err)
    assert "product.j2" in text and "needs variable 'product'" in text and "case 'w'" in text
    assert err.line == line_of(path, "template: product")


def test_style_promises_reach_every_case_using_it_and_inputs_make_an_edit(tmp_path: Path) -> None:
    png(tmp_path, "in.png")
    write(tmp_path, "templates/styles/house.yaml", HOUSE)
    path = _suite(
        tmp_path,
        """
        suite: s
        cases:
          - {id: a, prompt: cup, style: house, expect: [{warmer: true}]}
          - {id: b, prompt: "make it blue", inputs: [in.png], style: house}
          - {id: c, prompt: "what colour?", inputs: [in.png], output: text}
    """,
    )
    plans = {p.case: p for p in expand(load_suite(path))}
    promise = {"background": {"color": "white", "min_fraction": 0.4}}
    assert plans["a"].steps[0].expect == (promise, {"warmer": True})
    assert plans["b"].steps[0].expect == (promise,) and plans["b"].steps[0].kind == "edit"
    assert plans["b"].steps[0].inputs == ((tmp_path / "in.png").resolve(),)
    text = plans["c"].steps[0]
    assert text.kind == "analyze" and text.config.response_modalities == ("TEXT",)
    assert text.config.aspect_ratio is None and plans["c"].output == "text"


def test_expectations_checked_by_the_scoring_part(tmp_path: Path) -> None:
    path = _suite(
        tmp_path,
        """
        suite: e
        cases:
          - id: a
            prompt: cup
            pass: sometimes
            expect:
              - aspect_ratio: "1:1"
              - backgruond: {color: white}
    """,
    )
    errors = {e.line: str(e) for e in _problems(path)}
    assert set(errors) == {line_of(path, "backgruond"), line_of(path, "pass: sometimes")}
    assert "pass rule 'sometimes'" in errors[line_of(path, "pass: sometimes")]


def test_validate_lists_every_problem_of_every_suite(tmp_path: Path) -> None:
    one = _suite(tmp_path, "suite: one\ncases: [{id: a, prompt: cup, aspect_ratio: '5:1'}]\n", "one.yaml")
    two = _suite(tmp_path, "suite: two\ncases: []\n", "two.yaml")
    three = _suite(tmp_path, "suite: three\ncases: [{id: a, prompt: cup}]\n", "three.yaml")
    with pytest.raises(ValidationFailed) as info:
        validate([one, three, two])
    files = [Path(e.file).name for e in info.value.errors if e.file]
    assert files == ["one.yaml", "two.yaml"]
    assert "2 problem(s) found; no request was sent" in str(info.value)


def test_report_counts_trials_and_estimates_cost_from_the_price_table(tmp_path: Path) -> None:
    path = load_suite(_suite(tmp_path, AB)).path
    report = validate([path])
    assert isinstance(report, ValidationReport) and report.trials == 10
    rows = {r.case: r for r in report.suites[0].rows}
    assert (rows["one"].variants, rows["one"].repeats, rows["one"].trials) == (2, 3, 6)
    flash = estimate_image_usd("gemini-2.5-flash-image", "1K", 1, len("a red cup") // 4)
    pro = estimate_image_usd("gemini-3-pro-image-preview", "1K", 1, len("a red cup") // 4)
    assert rows["one"].est_usd == pytest.approx(3 * flash + 3 * pro)
    text = report.render()
    assert "suite ab" in text and "10 trials" in text and f"${report.est_usd:.2f}" in text
    assert "ai.google.dev" in text and "gemini-3-pro-image-preview (2025-11)" in text


def test_cli_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    good = _suite(tmp_path, AB, "good.yaml")
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "case" in out and "est. USD" in out and "10 trials" in out
    bad = _suite(tmp_path, "suite: bad\ncases: [{id: a, prompt: cup, aspct_ratio: '1:1'}]\n", "bad.yaml")
    assert main(["validate", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad.resolve()}:2" in err and "unknown key 'aspct_ratio'" in err
    assert main(["validate", str(tmp_path)]) == 2  # a folder: every suite in it


def test_validation_sends_nothing_and_imports_no_client(tmp_path: Path) -> None:
    path = _suite(tmp_path, AB)
    code = (
        "import sys; from harness.suite import validate; validate([sys.argv[1]]); "
        "bad = [m for m in sys.modules if m.startswith(('google.genai', 'harness.runner', 'httpx'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["product-shots.yaml", "prompt-ab.yaml"])
def test_example_suites_validate(name: str) -> None:
    path = ROOT / "suites" / "examples" / name
    result = expand_all(load_suite(path))
    assert not result.errors, [str(e) for e in result.errors]
    plans = result.plans
    assert plans and all(p.steps[0].prompt for p in plans)
    if name == "prompt-ab.yaml":
        by_variant = {p.variant: p.steps[0].prompt for p in plans if p.case == "watch"}
        assert (
            set(by_variant) == {"keywords", "narrative"} and by_variant["keywords"] != by_variant["narrative"]
        )
    else:
        assert any(p.is_chain for p in plans) and any(p.style == "studio-white" for p in plans)
        assert any(s.inputs for p in plans for s in p.steps)


def test_shape_problems_and_expansion_problems_come_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    path = _suite(
        tmp_path,
        """
        suite: both
        cases:
          - {id: a, template: prodcut, model: gemini-2.5-flash-imag}
          - {id: a, prompt: cup, inputs: [nope.png]}
    """,
    )
    lines = sorted(e.line for e in _problems(path))
    typo, missing = line_of(path, "prodcut"), line_of(path, "nope.png")
    assert lines == [typo, typo, missing, missing]  # the template and the model on one line
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "duplicate case id 'a'" in err and "unknown template 'prodcut'" in err and "nope.png" in err
    assert "did you mean 'gemini-2.5-flash-image'?" in err


def test_schema_errors_do_not_hide_the_other_problems(tmp_path: Path) -> None:
    png(tmp_path, "images/watch.png")
    refs = ", ".join(["images/watch.png"] * 15)
    path = _suite(
        tmp_path,
        f"""
        suite: shots
        defaults: {{temprature: 1.0}}
        cases:
          - id: watch on white
            template: product
            vars: {{colour: silver}}
            style: studio-whte
          - id: strap
            prompt: "make the strap red"
            inputs: [images/wach.png]
          - id: strap
            prompt: a strap
          - id: refs
            prompt: compose
            references: [{refs}]
    """,
    )
    errors = _problems(path)
    found = {(e.line, e.case): e.message for e in errors}
    assert "unknown key 'temprature'" in found[(line_of(path, "temprature"), None)]
    assert "not a valid name" in found[(line_of(path, "watch on white"), "watch on white")]
    # the checks after the schema ran on the rest of the file, in the same pass
    assert "unknown style 'studio-whte'" in found[(line_of(path, "studio-whte"), "watch-on-white")]
    assert "needs variable 'product'" in found[(line_of(path, "template: product"), "watch-on-white")]
    assert "wach.png" in found[(line_of(path, "wach.png"), "strap")]
    assert "duplicate case id 'strap'" in found[(line_of(path, "id: strap", 2), "strap")]
    assert "15 reference images" in found[(line_of(path, "references:"), "refs")]
    assert len(errors) == 7, [str(e) for e in errors]  # each problem once


def test_a_bad_shared_value_is_one_problem_naming_the_other_cases(tmp_path: Path) -> None:
    path = _suite(
        tmp_path,
        """
        suite: shared
        variants:
          flash: {model: gemini-2.5-flash-image}
          pro: {model: gemini-3-pro-image-preview, image_size: 2k}
        cases:
          - {id: a, prompt: cup}
          - {id: b, prompt: bottle}
          - {id: c, prompt: watch}
    """,
    )
    err = _problem(path)
    assert err.line == line_of(path, "image_size: 2k") and err.case == "a"
    assert "must be written '2K'" in err.message and "also in 2 more case(s): 'b', 'c'" in err.message


def test_multi_key_expectation_is_reported_once(tmp_path: Path) -> None:
    path = _suite(
        tmp_path,
        """
        suite: once
        cases:
          - id: a
            prompt: cup
            expect:
              - {aspect_ratio: "1:1", warmer: true}
    """,
    )
    assert "single-key mapping" in _problem(path).message


def test_folder_validation_reports_a_suite_too_broken_to_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    _suite(tmp_path, "suite: fine\ncases: [{id: a, prompt: cup}]\n", "fine.yaml")
    broken = _suite(tmp_path, 'suite: broken\ncases:\n  - id: a\n    prompt: "unclosed\n', "broken.yaml")
    _suite(tmp_path, "not: a suite\n", "other.yaml")
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:" in err and "YAML syntax error" in err and "started at line 4" in err
    assert "other.yaml" not in err


def test_price_table_dates_and_sources_and_the_flash_image_price() -> None:
    from harness.prices import PRICES, cost_usd
    from harness.record import Usage

    for model, price in PRICES.items():
        assert len(price.as_of) >= 7 and price.as_of[:4].isdigit(), model
        assert price.source.startswith("ai.google.dev"), model
    one_image = Usage(output_tokens=1290, image_tokens=1290)
    assert cost_usd("gemini-2.5-flash-image", one_image) == pytest.approx(0.0387)  # Google rounds to $0.039
    assert estimate_image_usd("gemini-2.5-flash-image", "1K", 1, prompt_tokens=0) == pytest.approx(0.0387)
    assert estimate_image_usd("gemini-3-pro-image-preview", "4K", 1, prompt_tokens=0) == pytest.approx(0.24)


def test_a_var_no_template_reads_warns_with_file_line_case_and_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    write(
        tmp_path, "templates/styles/lit.yaml", "prefix: A photo.\nvars: {lighting: soft light, unused: x}\n"
    )
    path = _suite(
        tmp_path,
        """
        suite: v
        variants:
          a: {vars: {surface: a marble slab}}
          b: {vars: {backdrop: grey}}
        cases:
          - id: watch
            template: product
            style: lit
            vars: {product: watch, colour: silver, lighting: a softbox}
          - id: poster
            template: poster
            vars: {title: SALE, subject: a sun}
          - id: literal
            prompt: a red cup
            vars: {color: red}
          - id: chain
            chain:
              - {template: product, vars: {product: cup, featurs: handle}}
              - {edit: make it blue, vars: {color: blue}}
    """,
    )
    warnings = [w for w in validate([path]).warnings if "var '" in w]
    at = f"{path.resolve()}:"
    assert warnings == [
        f"{at}{line_of(path, 'colour')}: case 'watch': var 'colour' is not used by template 'product'. "
        "Did you mean 'color'?",
        f"{at}{line_of(path, 'backdrop')}: variant 'b': var 'backdrop' is not used by template "
        "'product', 'poster'. Drop it or rename it.",
        f"{at}{line_of(path, 'color: red')}: case 'literal': var 'color' is not used: no template renders "
        "this prompt (vars only feed a template:)",
        f"{at}{line_of(path, 'featurs')}: case 'chain' chain step 0: var 'featurs' is not used by template "
        "'product'. Did you mean 'features'?",
        f"{at}{line_of(path, 'color: blue')}: case 'chain' chain step 1: var 'color' is not used: no "
        "template renders this prompt (vars only feed a template:)",
    ]
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {warnings[0]}" in err and "warning:" not in out  # one stream, passing or failing


def test_a_var_the_harness_sets_itself_warns_and_an_unknowable_template_does_not(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/pick.j2", "{% include which %}")
    write(tmp_path, "templates/prompts/plain.j2", "{{ subject }} at step {{ step }}")
    path = _suite(
        tmp_path,
        """
        suite: h
        cases:
          - {id: own, template: plain, vars: {subject: a cup, step: 9}}
          - {id: dynamic, template: pick, vars: {which: plain.j2, subject: a cup, spare: 1}}
    """,
    )
    warnings = [w for w in expand_all(load_suite(path)).warnings if "var '" in w]
    assert len(warnings) == 1, warnings
    assert f":{line_of(path, 'step: 9')}: case 'own': var 'step' never reaches a template" in warnings[0]
