"""Two real runs through the runner and the local emulator, with known differences, then the diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

runner = pytest.importorskip("harness.runner")
pytest.importorskip("harness.emulator")

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
"""

# B: cup on another model; castle's prompt now trips the emulator's output safety rule; tree's prompt and
# aspect ratio changed while its expectation still asks for 1:1; apple untouched.
SUITE_B = (
    SUITE_A.replace(
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
        out.append(runner.run_suites([suite], backend="emulator", out=root / "results", run_id=f"run-{name}"))
    return out[0], out[1]


def test_diff_of_two_emulator_runs(runs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "diff.json"
    html = tmp_path / "diff.html"
    code = main(["diff", str(runs[0]), str(runs[1]), "--json", str(out), "--html", str(html)])
    data = json.loads(out.read_text())
    cases = {c["case"]: c for c in data["cases"]}
    assert {k: c["status"] for k, c in cases.items()} == {
        "castle": "regressed", "tree": "regressed", "apple": "unchanged", "cup": "unchanged"}  # fmt: skip
    assert cases["castle"]["outcome_changes"] == "ok -> blocked_output"
    assert cases["castle"]["steps"][0]["outcome_b"] == "blocked_output"
    assert cases["tree"]["flips"] == "aspect_ratio pass->fail"
    assert cases["apple"]["drift"] == 0  # same request, same procedural image
    assert cases["cup"]["drift"] > 0 and cases["cup"]["model_b"] == "gemini-3-pro-image-preview"
    assert data["summary"]["counts"] == {
        "improved": 0,
        "regressed": 2,
        "unchanged": 2,
        "new": 0,
        "missing": 0,
    }
    assert data["summary"]["delta"] == pytest.approx(-0.5)
    assert data["verdict"].startswith("B regresses: 2 cases worse, pass rate -50.0 pp")
    assert "too few cases to claim significance (n=4)" in data["verdict"]
    assert code == 1 == data["exit_code"]
    assert "procedural drawings, not model output" in html.read_text()
    assert main(["diff", str(runs[0]), str(runs[1]), "--fail-on", "never"]) == 0
    assert main(["diff", str(runs[0]), str(runs[0])]) == 0
