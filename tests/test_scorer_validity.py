"""Validity is measured, not assumed: the default thresholds on a labelled set of known transformations."""

from __future__ import annotations

import pytest
from _scoring_helpers import RunBuilder

from harness.scoring import score_trial
from harness.scoring.edit_scorers import (
    ChangedParams,
    PreservedParams,
    changed_decision,
    preserved_decision,
    relative_decision,
)
from harness.scoring.image_scorers import (
    BackgroundParams,
    SimilarParams,
    background_fraction,
    similar_decision,
)
from harness.scoring.imaging import prepare
from harness.scoring.validity import TRANSFORMS, accuracy, encode, make_base, run_decisions, transform

REQUIRED = ("preserved", "warmer/cooler", "background", "aspect_ratio")
RELATIVE = ("preserved", "changed", "warmer", "cooler", "brighter", "darker")


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


def test_scorers_in_a_suite_decide_as_the_validity_set_measures(tmp_path):
    """The set calls the *_decision helpers; the scorers a suite runs must reach the same verdicts."""
    b = RunBuilder(tmp_path)
    checked = 0
    for i in range(3):
        base = make_base(i)
        golden = tmp_path / f"base{i}.png"
        golden.write_bytes(encode(base.image))
        p0 = prepare(golden.read_bytes())
        for t in TRANSFORMS:
            data, _ = transform(base, t, i)
            p1 = prepare(data)
            color = base.background or "white"
            first = b.step([])
            first.images = [b.writer.save_image(golden.read_bytes())]
            expect = [{name: True} for name in RELATIVE] + [{"background": color}, {"similar": str(golden)}]
            second = b.step([], expect, index=1, kind="edit")
            second.images = [b.writer.save_image(data)]
            scores = score_trial(b.trial([first, second], case=f"b{i}-{t}"), b.env())
            verdict = {}
            for name in (*RELATIVE, "background", "similar"):
                mine = [s.passed for s in scores if s.name.split(".")[0] == name]
                assert mine and None not in mine, f"base{i}/{t}: {name} gave {mine}"
                verdict[name] = all(mine)
            want = {
                "preserved": preserved_decision(p1, p0, PreservedParams())[0],
                "changed": changed_decision(p1, p0, ChangedParams())[0],
                **{d: relative_decision(d, p1, p0)[0] for d in ("warmer", "cooler", "brighter", "darker")},
                "background": background_fraction(p1, color) >= BackgroundParams().min_fraction,
                "similar": similar_decision(p1, p0, SimilarParams()),
            }
            assert verdict == want, f"base{i}/{t}"
            checked += 1
    assert checked == 3 * len(TRANSFORMS)
