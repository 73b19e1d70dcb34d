"""`harness schema`: the JSON Schema accepts every shipped suite and preset, refuses bad input, and the
copies in docs/schema/ that editors read are the ones the models generate today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.suite.json_schema import FILES, SCHEMA_DIR, json_schema, schema_text
from harness.suite.yaml_lines import load_yaml

ROOT = Path(__file__).resolve().parents[1]
SUITES = sorted(  # suite files: a top-level `suite:` key (questions files and cassettes are not suites)
    p
    for p in (ROOT / "suites").rglob("*.yaml")
    if ".cassette." not in p.name and "suite" in (load_yaml(p).data or {})
)
PRESETS = sorted((ROOT / "templates" / "styles").glob("*.yaml"))


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SUITES + PRESETS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_file_passes_its_schema_and_names_it(path: Path) -> None:
    kind = "style" if path in PRESETS else "suite"
    errors = [e.message for e in _validator(kind).iter_errors(load_yaml(path).data)]
    assert errors == []
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=") and first.endswith(FILES[kind])
    assert (path.parent / first.split("=", 1)[1]).resolve() == ROOT / SCHEMA_DIR / FILES[kind]


@pytest.mark.parametrize(
    ("kind", "data", "needle"),
    [
        ("suite", {"suite": "s", "cases": [{"id": "a", "promt": "x"}]}, "promt"),
        ("suite", {"suite": "s", "cases": [{"id": "has space", "prompt": "x"}]}, "does not match"),
        ("suite", {"suite": "s", "defaults": {"temperature": 3}, "cases": []}, "maximum"),
        ("suite", {"cases": []}, "'suite' is a required property"),
        ("suite", {"suite": "s", "dataset": {"name": "imagenet"}}, "imagenet"),
        ("suite", {"suite": "s", "cases_from": [{"id": "x"}]}, "is not valid under any"),
        ("suite", {"suite": "s", "variants": {"a": {"only": {"tag": ["x"]}}}}, "tag"),
        ("style", {"prefix": "x", "image": {"aspect": "1:1"}}, "aspect"),
        ("style", {"negative": 3}, "3"),
    ],
)
def test_bad_input_fails_the_schema(kind: str, data: dict[str, Any], needle: str) -> None:
    errors = list(_validator(kind).iter_errors(data))
    assert errors, data
    assert any(needle in str(e) for e in errors), [e.message for e in errors]


def test_short_forms_the_loader_accepts_pass() -> None:
    suite = _validator("suite")
    for data in (
        {"suite": "s", "dataset": "partiprompts"},
        {"suite": "s", "dataset": {"name": "partiprompts", "category": "Animals"}},
        {"suite": "s", "cases_from": "rows.csv", "defaults": {"image_size": 512}},
        {"suite": "s", "cases": [{"id": "a", "prompt": "x", "expect": ["basics", {"aspect_ratio": "1:1"}]}]},
    ):
        assert list(suite.iter_errors(data)) == [], data


@pytest.mark.parametrize("kind", list(FILES))
def test_docs_schema_is_current(kind: str) -> None:
    committed = (ROOT / SCHEMA_DIR / FILES[kind]).read_text(encoding="utf-8")
    assert committed == schema_text(kind), "run: harness schema --write docs/schema"


def test_cli_prints_the_schema() -> None:
    harness = Path(sys.executable).parent / "harness"
    done = subprocess.run([str(harness), "schema", "style"], capture_output=True, text=True, check=True)
    assert done.stdout == schema_text("style")
