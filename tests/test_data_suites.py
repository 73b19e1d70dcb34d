"""Data-driven suites: cases_from files, matrices, shared and named expectations, variant only/skip,
shipped datasets, and the safety budgets of loading (aliases, templates, prompt length)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _suite_helpers import line_of, write

from harness.errors import SuiteError, ValidationFailed
from harness.suite import expand, load_suite, validate
from harness.suite.datasets import DATASETS
from harness.suite.yaml_lines import load_yaml

ROOT = Path(__file__).resolve().parents[1]
POSTER = "A {{ size | default('large') }} poster of a {{ product }} in {{ color }}"


def _problems(path: Path) -> list[SuiteError]:
    with pytest.raises(ValidationFailed) as info:
        validate([path])
    return info.value.errors


def _tree(tmp_path: Path, suite: str, **files: str) -> Path:
    write(tmp_path, "templates/prompts/poster.j2", POSTER)
    for name, text in files.items():
        write(tmp_path, name.replace("_", "."), text)
    return write(tmp_path, "s.yaml", suite)


ROWS_CSV = """
    sku,product,color,sign,tags,family
    A1,watch,red,SALE,"promo,red",time
    B2,lamp,blue,,home,light
    C3,"chair, wooden",green,NEW,home,
"""


def test_cases_from_csv_maps_id_vars_tags_group_and_expectations(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        """
        suite: data
        cases_from:
          - file: rows.csv
            id: "sku-{sku}"
            vars: [product, color]
            tags: tags
            group: family
            expect: {text_in_image: sign}
            case: {template: poster, vars: {size: small}}
        """,
        rows_csv=ROWS_CSV,
    )
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["sku-A1", "sku-B2", "sku-C3"]
    a1, b2, c3 = suite.cases
    assert a1.vars == {"size": "small", "product": "watch", "color": "red"}
    assert (a1.tags, a1.group, b2.group, c3.group) == (["promo", "red"], "time", "light", None)
    assert a1.expect == [{"text_in_image": "SALE"}] and b2.expect == []  # an empty cell adds nothing
    prompts = [p.steps[0].prompt for p in expand(suite)]
    assert prompts[2] == "A small poster of a chair, wooden in green"
    # every case remembers its row: file and line
    assert suite.where("cases", 2) == (tmp_path / "rows.csv", 4)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "rows.jsonl",
            '{"id": "a", "product": "cup", "color": "red"}\n\n'
            '{"id": "b", "product": "mug", "color": "tan"}\n',
        ),
        ("rows.yaml", "- {id: a, product: cup, color: red}\n\n- id: b\n  product: mug\n  color: tan\n"),
    ],
)
def test_cases_from_jsonl_and_yaml(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path, name, text)
    path = _tree(tmp_path, f"suite: d\ncases_from: {{file: {name}, case: {{template: poster}}}}\n")
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["a", "b"]
    assert suite.cases[1].vars == {"product": "mug", "color": "tan"}
    assert suite.where("cases", 1) == (tmp_path / name, 3)


def test_missing_column_names_the_suite_line_and_a_near_miss(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        "suite: d\ncases_from:\n  - file: rows.csv\n    id: sku\n    vars: [product, colour]\n",
        rows_csv=ROWS_CSV,
    )
    (err,) = _problems(path)
    assert err.file == str(path) and err.line == 5
    assert "column 'colour' is not in rows.csv. Did you mean 'color'?" in err.message


def test_bad_cells_name_data_file_row_and_column(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        "suite: d\ncases_from: {file: rows.csv, id: sku, case: {template: poster}}\n",
        rows_csv="sku,product,color\nA 1,watch,red\nB2,lamp,\n",
    )
    errors = _problems(path)
    bad_id = next(e for e in errors if "not a valid case id" in e.message)
    assert (bad_id.file, bad_id.line) == (str(tmp_path / "rows.csv"), 2)
    assert "row 1, column 'sku'" in bad_id.message and "'A-1'" in str(bad_id)


def test_template_problem_in_a_row_points_at_the_row(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        "suite: d\ncases_from: {file: rows.csv, case: {template: poster}}\n",
        rows_csv="id,product\na,watch\nb,lamp\n",
    )
    (err,) = _problems(path)  # the same problem in every row is one error, naming the others
    assert (err.file, err.line, err.case) == (str(tmp_path / "rows.csv"), 2, "a")
    assert "needs variable 'color'" in err.message and "also in 1 more case(s): 'b'" in err.message


@pytest.mark.parametrize(
    ("name", "text", "line", "needle"),
    [
        ("rows.csv", "id,product\na,watch\nb,lamp,extra\n", 3, "row 2 has 3 cells; the header has 2"),
        ("rows.jsonl", '{"id": "a"}\n{"id": "b",}\n', 2, "JSON error at column 12"),
        ("rows.yaml", "- {id: a}\n- just text\n", 1, "list of mappings"),
        ("rows.txt", "id\na\n", None, "cannot tell the format"),
    ],
)
def test_unreadable_data_files(tmp_path: Path, name: str, text: str, line: int | None, needle: str) -> None:
    write(tmp_path, name, text)
    path = write(tmp_path, "s.yaml", f"suite: d\ncases_from: {name}\n")
    (err,) = _problems(path)
    assert (err.file, err.line) == (str(tmp_path / name), line) and needle in err.message


def test_missing_data_file_names_the_suite_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "suite: d\ncases_from:\n  - file: nope.csv\n")
    (err,) = _problems(path)
    assert "cannot read data file" in err.message and f"{path}:3" in err.message


def test_matrix_ids_and_exclude(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        """
        suite: m
        cases:
          - id: poster
            template: poster
            vars: {product: cup}
            matrix: {color: [red, blue], size: [small, extra large]}
            exclude: [{color: blue, size: small}]
        """,
    )
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == [
        "poster[color=red,size=small]",
        "poster[color=red,size=extra-large]",
        "poster[color=blue,size=extra-large]",
    ]
    assert suite.cases[1].vars == {"product": "cup", "color": "red", "size": "extra large"}
    assert suite.line("cases", 2, "template") == line_of(path, "template: poster")


def test_matrix_exclude_typo_is_an_error(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        "suite: m\ncases:\n  - id: p\n    template: poster\n    vars: {product: cup}\n"
        "    matrix: {color: [red, blue]}\n    exclude: [{colour: red}, {color: green}]\n",
    )
    errors = _problems(path)
    assert [e.line for e in errors] == [7, 7]
    assert "exclude names 'colour', which is not a matrix var. Did you mean 'color'?" in errors[0].message
    assert "color='green', which is not one of its matrix values" in errors[1].message


SHARED = """
    suite: e
    expectations:
      basics:
        - aspect_ratio: "1:1"
        - min_resolution: 512
    expect: [basics, {format: png}]
    cases:
      - {id: a, prompt: cup, expect: [{background: {color: white}}]}
      - {id: b, prompt: cup, skip_expect: true}
      - {id: c, prompt: cup, skip_expect: [basics]}
      - id: d
        chain:
          - {prompt: a cup}
          - {edit: make it red, expect: [basics]}
"""


def test_suite_level_expect_named_sets_and_skip_expect(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, "s.yaml", SHARED))
    a, b, c, d = suite.cases
    basics = [{"aspect_ratio": "1:1"}, {"min_resolution": 512}]
    assert a.expect == [*basics, {"format": "png"}, {"background": {"color": "white"}}]
    assert b.expect == [] and c.expect == [{"format": "png"}]
    assert d.chain is not None and d.chain[1].expect == [*basics, *basics, {"format": "png"}]
    assert d.chain[0].expect == [] and d.expect == []


def test_expectation_errors_point_at_the_set_or_suite_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: e
        expectations:
          basics:
            - aspect_ratio: "1:1"
        expect: [basics, basix]
        cases:
          - {id: a, prompt: cup, skip_expect: [format]}
        """,
    )
    errors = _problems(path)
    messages = {e.line: e.message for e in errors}
    assert "unknown expectation set 'basix'. Did you mean 'basics'?" in messages[5]
    assert "skip_expect names 'format'" in messages[7]


def test_variant_only_and_skip(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        suite: v
        variants:
          all: {}
          promo: {prompt_suffix: bold, only: {tags: [promo]}}
          not-b: {skip: {cases: ["b*"]}}
        cases:
          - {id: a, prompt: cup, tags: [promo]}
          - {id: b1, prompt: cup}
          - {id: b2, prompt: cup, tags: [promo]}
        """,
    )
    trials = {p.trial_id.split("::")[1] for p in expand(load_suite(path))}
    assert trials == {"a[all-r0]", "a[promo-r0]", "a[not-b-r0]", "b1[all-r0]", "b2[all-r0]", "b2[promo-r0]"}


def test_partiprompts_ships_whole_with_its_licence() -> None:
    info = DATASETS["partiprompts"]
    assert len(info.table.rows) == 1632 and "Apache License" in info.licence.read_text()
    assert (
        DATASETS["geneval"].table.rows.__len__() == 553 and "MIT" in DATASETS["geneval"].licence.read_text()
    )
    quoted = [r for r in info.table.rows if r.values["Prompt"].startswith('"')]
    assert len(quoted) == 1  # read without CSV quoting, as published


def test_dataset_filters_sample_and_limit(tmp_path: Path) -> None:
    def ids(spec: str) -> list[str]:
        return [c.id for c in load_suite(write(tmp_path, "s.yaml", f"suite: d\ndataset: {spec}\n")).cases]

    assert len(ids("partiprompts")) == 1632
    food = ids("{name: partiprompts, category: food-and-beverage}")
    assert len(food) == 74 and all(i.startswith("parti-") for i in food)
    both = ids("{name: partiprompts, category: [Animals], challenge: Basic}")
    sample = ids("{name: partiprompts, category: [Animals], challenge: Basic, sample: 5, seed: 3}")
    assert len(sample) == 5 and set(sample) <= set(both) and sample == sorted(sample)
    assert sample == ids("{name: partiprompts, category: [Animals], challenge: Basic, sample: 5, seed: 3}")
    assert sample != ids("{name: partiprompts, category: [Animals], challenge: Basic, sample: 5, seed: 4}")
    counting = ids("{name: geneval, tag: counting}")
    assert len(counting) == 80 and ids("{name: geneval, tag: counting, limit: 3}") == counting[:3]


def test_dataset_rows_feed_a_template(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/wrap.j2", "{{ prompt }} ({{ objects }})")
    path = write(
        tmp_path,
        "s.yaml",
        "suite: d\ndataset: {name: geneval, tag: counting, limit: 1, case: {template: wrap}}\n",
    )
    (plan,) = expand(load_suite(path))
    assert plan.steps[0].prompt.startswith("a photo of") and plan.tags == ("counting",)
    assert "(" in plan.steps[0].prompt and plan.steps[0].prompt.endswith("s)")


def test_dataset_filter_typo(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "suite: d\ndataset:\n  name: partiprompts\n  category: [Animalz]\n")
    (err,) = _problems(path)
    assert err.line == 4 and "no category 'Animalz'. Did you mean 'Animals'?" in err.message


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "laughs.yaml", "\n".join(rows) + "\n")
    assert path.stat().st_size < 400
    with pytest.raises(SuiteError) as info:
        load_yaml(path)
    assert "aliases expand this file" in info.value.message and info.value.line is not None


def test_an_alias_reused_a_few_times_is_fine(tmp_path: Path) -> None:
    text = "base: &b {model: m, vars: {a: 1}}\n" + "".join(f"k{i}: *b\n" for i in range(50))
    assert load_yaml(write(tmp_path, "ok.yaml", text)).data["k49"] == {"model": "m", "vars": {"a": 1}}


def test_a_merge_key_is_yaml_merge(tmp_path: Path) -> None:
    """`<<: *base` copies the anchor's keys under the mapping's own (no duplicate), each at its line."""
    text = "base: &b\n  model: m\n  seed: 1\nx:\n  <<: *b\n  seed: 2\ny:\n  <<: [*b, {z: 3}]\n"
    doc = load_yaml(write(tmp_path, "m.yaml", text))
    assert doc.data["x"] == {"model": "m", "seed": 2} and doc.data["y"] == {"model": "m", "seed": 1, "z": 3}
    assert not doc.duplicates
    assert doc.line(("x", "model")) == 2 and doc.line(("x", "seed")) == 6 and doc.line(("y", "z")) == 8
    with pytest.raises(SuiteError) as info:
        load_yaml(write(tmp_path, "bad.yaml", "a: 1\nb:\n  <<: 3\n"))
    assert "for merging, but found scalar" in info.value.message and info.value.line == 3


def test_yaml_keeps_its_types_and_refuses_what_it_cannot_place(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "t.yaml", "r: 16:9\nn: 12\nb: yes\nq: '7'\ns: !!str 3\nk: ~\n"))
    assert doc.data == {"r": "16:9", "n": 12, "b": True, "q": "7", "s": "3", "k": None}
    for text, needle in [
        ("a: &x [1, *x]\n", "refers to the value it is part of"),
        ("a: *nope\n", "undefined alias"),
        ("a: &x 1\nb: &x 2\n", "duplicate anchor"),
        ("a: 1\n---\nb: 2\n", "single document"),
        ("? [a, b]\n: 1\n", "a mapping key must be a plain value"),
    ]:
        with pytest.raises(SuiteError) as info:
            load_yaml(write(tmp_path, "bad.yaml", text))
        assert needle in info.value.message and info.value.line is not None, text


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("{{ 9 ** (9 ** 9) }}", "too large to compute"),
        ("{{ 'x' * 10 ** 8 }}", "repeating a value"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "range() items"),
        ("{% for i in range(99999) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}", "longer than 1,000,000"),
    ],
)
def test_templates_run_within_a_budget(tmp_path: Path, template: str, needle: str) -> None:
    write(tmp_path, "templates/prompts/t.j2", template)
    path = write(tmp_path, "s.yaml", "suite: t\ncases:\n  - {id: a, template: t}\n")
    (err,) = _problems(path)
    assert "went over its budget" in err.message and needle in err.message and err.line == 3


def test_prompt_over_the_model_limit(tmp_path: Path) -> None:
    long = "word " * 30000
    path = write(tmp_path, "s.yaml", f'suite: t\ncases:\n  - id: a\n    prompt: "{long}"\n')
    (err,) = _problems(path)
    assert "accepts at most 32,768 input tokens" in err.message and err.line == 3


def test_each_image_model_has_its_own_input_limit() -> None:
    from harness.suite.models import check_prompt_length

    prompt = "word " * 60_000  # 300,000 characters: about 75,000 tokens
    assert "at most 32,768 input tokens" in (check_prompt_length("gemini-2.5-flash-image", prompt) or "")
    assert "at most 65,536 input tokens" in (check_prompt_length("gemini-3-pro-image-preview", prompt) or "")
    assert check_prompt_length("gemini-3.1-flash-image-preview", prompt) is None  # 131,072
    assert check_prompt_length("models/gemini-3.1-flash-image", prompt * 2) is not None


def test_a_run_loads_and_expands_each_suite_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.api import run as api_run
    from harness.suite import load as load_module

    calls: list[Path] = []
    real = load_module.load_yaml

    def counting(path: Path, text: str | None = None):  # type: ignore[no-untyped-def]
        calls.append(Path(path))
        return real(path, text)

    monkeypatch.setattr(load_module, "load_yaml", counting)
    path = write(tmp_path, "s.yaml", SHARED)
    works = api_run.load_work([path], None, None, "replay", None)
    assert calls == [path] and len(works[0].plans) == 4


def test_errors_exit_2_from_the_cli(tmp_path: Path) -> None:
    path = _tree(tmp_path, "suite: d\ncases_from: {file: rows.csv, vars: [nope]}\n", rows_csv=ROWS_CSV)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "harness"), "validate", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "column 'nope' is not in rows.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_shipped_data_suites_validate() -> None:
    report = validate(sorted((ROOT / "suites" / "data").glob("*.yaml")))
    assert {s.name for s in report.suites} == {"posters", "partiprompts", "geneval"}
    assert 10 < report.trials < 60  # small enough to replay in `pytest suites/`


def test_a_bad_entry_in_a_named_set_points_at_the_set(tmp_path: Path) -> None:
    text = "suite: e\nexpectations:\n  basics:\n    - no_such_scorer: 1\n"
    text += "cases:\n  - {id: a, prompt: x, expect: [basics]}\n"
    (err,) = _problems(write(tmp_path, "s.yaml", text))
    assert err.line == 4 and "no_such_scorer" in err.message


def test_a_matrix_in_the_row_case_crosses_every_row(tmp_path: Path) -> None:
    path = _tree(
        tmp_path,
        "suite: d\ncases_from: {file: rows.csv, case: {template: poster, matrix: {size: [small, big]}}}\n",
        rows_csv="id,product,color\na,cup,red\nb,mug,tan\n",
    )
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["a[size=small]", "a[size=big]", "b[size=small]", "b[size=big]"]
    assert suite.where("cases", 3) == (tmp_path / "rows.csv", 3)


def test_a_variant_left_with_no_case_is_a_warning(tmp_path: Path) -> None:
    text = "suite: v\nvariants:\n  a: {}\n  b: {only: {tags: [promo]}}\n"
    text += "cases:\n  - {id: x, prompt: cup, tags: [promp]}\n"
    report = validate([write(tmp_path, "s.yaml", text)])
    assert any(":4: variant 'b': its only:/skip: leave it no case" in w for w in report.warnings)
