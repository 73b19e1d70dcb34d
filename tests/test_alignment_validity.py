"""The alignment scorer's answers agree with the truth on emulator images of known content (>= 95%)."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import types

from harness.emulator import Emulator
from harness.scoring.alignment_validity import Atom, accuracy, make_case, run_decisions


@pytest.fixture(scope="module")
def measured():
    with Emulator() as emulator:
        client = genai.Client(
            api_key="emulator-no-key",
            http_options=types.HttpOptions(base_url=emulator.url, api_version="v1beta"),
        )
        return run_decisions(client, n_cases=16)


def test_answers_agree_with_the_truth(measured):
    decisions, coverage = measured
    results = accuracy(decisions)
    acc, count, wrong = results["all"]
    print(f"alignment answers agree with emulator truth: {acc:.1%} of {count}")
    assert count >= 150
    assert acc >= 0.95, [w.detail for w in wrong[:5]]
    for name in ("entity", "color", "count", "background", "text"):
        labels = {d.expected for d in decisions if d.name == name}
        assert labels == {True, False}, f"{name} needs both labels to measure anything"
    assert coverage.covered / coverage.atoms >= 0.95


def test_truth_comes_from_the_scene_not_the_words():
    scene = {
        "background": "white",
        "text": None,
        "objects": [
            {"kind": "cup", "color": "blue", "x": 0.2, "y": 0.5},
            {"kind": "cup", "color": "red", "x": 0.5, "y": 0.5},
            {"kind": "tree", "color": "green", "x": 0.8, "y": 0.5},
        ],
    }
    assert Atom("count", "cup", "2").truth(scene) and not Atom("count", "cup", "1").truth(scene)
    assert Atom("color", "cup", "red").truth(scene) and not Atom("color", "tree", "red").truth(scene)
    assert Atom("relation", "cup", "left of", "tree").truth(scene)
    assert not Atom("relation", "tree", "left of", "cup").truth(scene)
    assert not Atom("text", value="SALE").truth(scene) and Atom("background", value="white").truth(scene)
    case = make_case(3)
    assert case.atoms and case.probes and case.prompt == make_case(3).prompt  # seeded
