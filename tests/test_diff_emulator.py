"""Two real runs through the runner and the local emulator, with known differences, then the diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.api import run_suites
from harness.cli import main

SUITE_A = """\
suite: e2e
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}
cases:
  - id: apple
    prompt: a red apple on a white table
    expect: [{aspect_ratio: "1:1"}]
  - id: cup
    prompt: a blue cup on a white table
    expect: [{aspect_ratio: "1:1"}]
  - id: castle
    prompt: a castle on a hill
    expect: [{aspect_ratio: "1:1"}]
  - id: tree
    prompt: a green tree in a field
    expect: [{aspect_ratio: "1:1"}]
  - id: mug
    template: product-keywords
    vars: {product: mug, color: red}
    expect: [{aspect_ratio: "1:1"}]
"""

# B: cup on another model; castle's prompt now trips the emulator's output safety rule; tree's prompt and
# aspect ratio changed while its expectation still asks for 1:1; mug's template went from a keyword list
# to a narrative; apple untouched.
SUITE_B = (
    SUITE_A.replace("template: product-keywords", "template: product-narrative")
    .replace(
        "prompt: a blue cup on a white table",
        "prompt: a blue cup on a white table\n    model: gemini-3-pro-image-preview",
    )
    .replace("a castle on a hill", "a gory castle battle on a hill")
    .replace(
        "prompt: a green tree in a field",
        'prompt: a tall green tree in a wide field\n    aspect_ratio: "16:9"',
    )
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("e2e")
    out = []
    for name, text in (("a", SUITE_A), ("b", SUITE_B)):
        (root / name).mkdir()
        suite = root / name / "e2e.yaml"
        suite.write_text(text)
        out.append(run_suites([suite], backend="emulator", out=root / "results", run_id=f"run-{name}"))
    return out[0], out[1]


def test_diff_of_two_emulator_runs(runs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "diff.json"
    html = tmp_path / "diff.html"
    code = main(["diff", str(runs[0]), str(runs[1]), "--json", str(out), "--html", str(html)])
    data = json.loads(out.read_text())
    cases = {c["case"]: c for c in data["cases"]}
    assert {k: c["status"] for k, c in cases.items()} == {
        "castle": "regressed", "tree": "regressed", "apple": "unchanged", "cup": "unchanged",
        "mug": "unchanged",
    }  # fmt: skip
    assert [c["case"] for c in data["cases"]][:2] == ["castle", "tree"]  # regressions first
    flips = {k: (c["pass_to_fail"], c["fail_to_pass"], c["flips"]) for k, c in cases.items()}
    assert flips == {
        "castle": (1, 0, "aspect_ratio pass->fail"),  # no image left to measure
        "tree": (1, 0, "aspect_ratio pass->fail"),
        "apple": (0, 0, ""), "cup": (0, 0, ""), "mug": (0, 0, ""),
    }  # fmt: skip
    assert {k: c["outcome_changes"] for k, c in cases.items() if c["outcome_changes"]} == {
        "castle": "ok -> blocked_output"
    }
    assert cases["castle"]["steps"][0]["outcome_b"] == "blocked_output"
    assert cases["castle"]["drift"] is None  # B has no image to compare
    assert cases["apple"]["drift"] == 0  # same request, same procedural image
    assert cases["cup"]["drift"] > 0 and cases["cup"]["model_b"] == "gemini-3-pro-image-preview"
    assert cases["mug"]["drift"] > 0 and cases["tree"]["drift"] > 0  # a changed template or prompt
    assert cases["cup"]["cost_delta"] > 0.05 and cases["apple"]["cost_delta"] == 0  # pro is dearer
    assert data["summary"]["counts"] == {
        "improved": 0,
        "regressed": 2,
        "unchanged": 3,
        "new": 0,
        "missing": 0,
    }
    assert data["summary"]["paired_cases"] == 5 and data["summary"]["delta"] == pytest.approx(-0.4)
    assert (data["summary"]["cases_better"], data["summary"]["cases_worse"]) == (0, 2)
    assert data["verdict"].startswith("B regresses: 2 cases worse, pass rate -40.0 pp")
    assert "too few cases to claim significance (n=5)" in data["verdict"]
    assert code == 1 == data["exit_code"]
    assert "procedural drawings, not model output" in html.read_text()
    assert main(["diff", str(runs[0]), str(runs[1]), "--fail-on", "never"]) == 0
    assert main(["diff", str(runs[0]), str(runs[0])]) == 0


def test_prompt_ab_example_diffs_its_arms(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The shipped keyword-vs-narrative suite: both arms run on the emulator and the diff compares them."""
    suite = Path(__file__).parents[1] / "suites" / "examples" / "prompt-ab.yaml"
    run = run_suites([suite], backend="emulator", out=tmp_path, run_id="ab")
    capsys.readouterr()
    out = tmp_path / "ab.json"
    code = main(["diff", str(run), "--variants", "keywords", "narrative", "--json", str(out)])
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert (data["a"]["name"], data["b"]["name"]) == ("ab:keywords", "ab:narrative")
    assert data["tolerance"] == 0.05 and code == data["exit_code"]  # the suite's tolerance: {pass_rate_drop}
    cases = {c["case"]: c for c in data["cases"]}
    assert set(cases) == {"watch", "cup", "bottle"} and all(c["n_a"] == c["n_b"] == 3 for c in cases.values())
    assert all(c["drift"] > 0 for c in cases.values())  # the template alone changed every image
    names = {s["name"] for s in data["summary"]["scores"]}
    assert {"background", "judge", "aspect_ratio"} <= names
    assert "too few cases to claim significance (n=3)" in data["verdict"]
    assert "scores  " in printed and "judge " in printed
