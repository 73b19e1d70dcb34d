"""Validity is measured, not assumed: the default thresholds on a labelled set of known transformations."""

from __future__ import annotations

import pytest

from harness.scoring.validity import accuracy, run_decisions

REQUIRED = ("preserved", "warmer/cooler", "background", "aspect_ratio")


@pytest.fixture(scope="module")
def decisions():
    return run_decisions(n_bases=12)


@pytest.fixture(scope="module")
def results(decisions):
    return accuracy(decisions)


@pytest.mark.parametrize("decision", REQUIRED)
def test_default_thresholds_reach_95_percent(results, decision):
    acc, count, wrong = results[decision]
    assert count >= 40, f"too few {decision} decisions to measure"
    assert acc >= 0.95, f"{decision}: {acc:.1%} of {count}; wrong: {[w.detail for w in wrong[:5]]}"


def test_set_has_both_labels_for_every_decision(results, decisions):
    for name in results:
        labels = {d.expected for d in decisions if d.name == name}
        assert labels == {True, False}, name
