"""Text, outcome, custom and group scorers: pass and fail paths."""

from __future__ import annotations

import pytest
from _scoring_helpers import RunBuilder, product, scene

from harness.record import Score, Usage
from harness.scoring import score_groups, score_trial


@pytest.fixture
def b(tmp_path):
    return RunBuilder(tmp_path)


def text_score(b: RunBuilder, text: str | None, expect: dict, **kw) -> Score:
    rec = b.trial([b.step([], [expect], text=text, kind="analyze", **kw)], case=f"t{len(b.records)}")
    (s,) = score_trial(rec, b.env())
    return s


@pytest.mark.parametrize(
    ("expect", "text", "passed"),
    [
        ({"contains": "watch"}, "a silver watch", True),
        ({"contains": "Watch"}, "a silver watch", False),
        ({"icontains": "WATCH"}, "a silver watch", True),
        ({"icontains": "cup"}, "a silver watch", False),
        ({"regex": r"\bred\b"}, "The label is red.", True),
        ({"regex": {"pattern": "^blue$", "ignore_case": True}}, "red", False),
        ({"equals": "Red"}, "  Red\n", True),
        ({"equals": "Red"}, "Red label", False),
        ({"length": {"max": 3, "unit": "words"}}, "one two three", True),
        ({"length": {"min": 20}}, "short", False),
        ({"json_schema": {"type": "object", "required": ["color"]}}, '```json\n{"color": "red"}\n```', True),
        ({"json_schema": {"schema": {"type": "object", "required": ["color"]}}}, '{"size": 3}', False),
        ({"json_schema": {"type": "object"}}, "not json", False),
    ],
)
def test_text_scorers(b, expect, text, passed):
    assert text_score(b, text, expect).passed is passed


def test_text_scorer_without_text_fails(b):
    s = text_score(b, None, {"contains": "x"})
    assert s.passed is False and s.reason == "no text in the response"
    s = text_score(b, None, {"contains": "x"}, outcome="blocked_prompt")
    assert s.reason == "no text (outcome blocked_prompt)"


def test_outcome_scorers(b):
    assert text_score(b, None, {"outcome": "blocked_prompt"}, outcome="blocked_prompt").passed is True
    assert (
        text_score(b, None, {"outcome": ["blocked_prompt", "blocked_output"]}, outcome="ok").passed is False
    )
    assert text_score(b, None, {"finish_reason": "image_safety"}, finish_reason="IMAGE_SAFETY").passed is True
    assert text_score(b, None, {"finish_reason": "STOP"}, finish_reason="NO_IMAGE").passed is False
    assert text_score(b, "x", {"max_latency": 5}, latency_s=2.0).passed is True
    assert text_score(b, "x", {"max_latency": 1.5}, latency_s=2.0).passed is False
    assert text_score(b, "x", {"max_cost": 0.05}, cost_usd=0.039).passed is True
    assert text_score(b, "x", {"max_cost": 0.01}, cost_usd=0.039).passed is False
    usage = Usage(prompt_tokens=10, output_tokens=1290)
    assert text_score(b, "x", {"max_tokens": 1300}, usage=usage).passed is True
    assert text_score(b, "x", {"max_tokens": {"tokens": 1295, "count": "total"}}, usage=usage).passed is False


def test_custom_scorer_by_dotted_path(b):
    centred = b.trial(
        [b.step([product()], [{"custom": "harness.scoring.examples:centered_subject"}])], case="a"
    )
    (s,) = score_trial(centred, b.env())
    assert s.passed is True and s.name == "custom:centered_subject"
    corner = product(box=(0.0, 0.0, 0.3, 0.3))
    off = b.trial(
        [
            b.step(
                [corner],
                [
                    {
                        "custom": {
                            "path": "harness.scoring.examples.centered_subject",
                            "params": {"max_offset": 0.1},
                        }
                    }
                ],
            )
        ],
        case="b",
    )
    assert score_trial(off, b.env())[0].passed is False


def test_custom_scorer_from_suite_file_returning_float(b, tmp_path):
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    (suite_dir / "checks.py").write_text(
        "def share_red(ctx, params):\n"
        "    rgb = ctx.image.rgb\n"
        "    return float(((rgb[..., 0] > 0.6) & (rgb[..., 1] < 0.3)).mean())\n"
    )
    rec = b.trial([b.step([product()], [{"custom": {"path": "checks.py:share_red", "min": 0.1}}])], case="a")
    (s,) = score_trial(rec, b.env(suite_dir=suite_dir))
    assert s.passed is True and 0.1 < s.value < 0.3
    rec = b.trial([b.step([product()], [{"custom": {"path": "checks.py:share_red", "min": 0.5}}])], case="b")
    assert score_trial(rec, b.env(suite_dir=suite_dir))[0].passed is False


def test_consistent_over_repeats_and_groups(b):
    for r in range(3):
        img = scene(1) if r < 2 else scene(8)
        b.trial([b.step([img], [{"consistent": {"max_distance": 10}}])], case="hero", repeat=r)
    for r in range(2):
        b.trial([b.step([scene(4)], [{"consistent": True}])], case="calm", repeat=r)
    out = score_groups(b.records, b.env())
    assert score_trial(b.records[0], b.env()) == []  # group scorers are not step scorers
    assert out["s::calm[default-r0]"][0].passed is True
    assert out["s::hero[default-r2]"][0].passed is False
    assert out["s::hero[default-r0]"][0].passed is False  # its largest distance is to the odd one out
    assert "3 outputs" in out["s::hero[default-r1]"][0].reason


def test_consistent_over_named_group(b):
    b.trial(
        [b.step([scene(1)], [{"consistent": {"over": "group", "metric": "ssim", "max_distance": 0.1}}])],
        case="scene-a",
        group="fox",
    )
    b.trial(
        [b.step([scene(1)], [{"consistent": {"over": "group", "metric": "ssim", "max_distance": 0.1}}])],
        case="scene-b",
        group="fox",
    )
    b.trial([b.step([scene(1)], [{"consistent": {"over": "group"}}])], case="loner")
    out = score_groups(b.records, b.env())
    assert out["s::scene-a[default-r0]"][0].passed is True
    assert (
        out["s::loner[default-r0]"][0].passed is False
        and "no `group:`" in out["s::loner[default-r0]"][0].reason
    )


def test_entry_point_scorer_from_an_installed_package(b, tmp_path, monkeypatch, capsys):
    """A package publishes `wide` under the harness.scorers entry-point group; suites use it by name."""
    site = tmp_path / "site"
    (site / "wide_scorers").mkdir(parents=True)
    (site / "wide_scorers" / "__init__.py").write_text(
        "def wide(ctx, params):\n"
        "    ref = ctx.step.images[0]\n"
        "    return ref.width / ref.height >= float(params.get('at_least', 1.0))\n"
    )
    dist = site / "wide_scorers-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wide-scorers\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[harness.scorers]\nwide = wide_scorers:wide\n")
    monkeypatch.syspath_prepend(str(site))
    from harness.scoring import validate_expect

    validate_expect({"wide": {"at_least": 1.5}})
    with pytest.raises(ValueError, match="did you mean 'wide'"):
        validate_expect({"wdie": True})
    rec = b.trial([b.step([product(size=(320, 180))], [{"wide": {"at_least": 1.5}}])], case="w")
    (s,) = score_trial(rec, b.env())
    assert s.name == "wide" and s.passed is True
    rec = b.trial([b.step([product(size=(180, 320))], [{"wide": True}])], case="t")
    assert score_trial(rec, b.env())[0].passed is False
    from harness.cli import main

    assert main(["score", "--list"]) == 0
    assert "wide             from an installed package" in capsys.readouterr().out


def test_custom_scorer_example_beside_the_example_suite(b):
    """suites/examples/checks.py, as product-shots.yaml names it."""
    from pathlib import Path

    suite_dir = Path(__file__).resolve().parents[1] / "suites" / "examples"
    expect = {"custom": {"path": "checks.py:subject_share", "params": {"min_share": 0.05, "max_share": 0.6}}}
    centred = b.trial([b.step([product()], [expect])], case="a")
    (s,) = score_trial(centred, b.env(suite_dir=suite_dir))
    assert s.passed is True and s.name == "custom:subject_share" and "of the frame" in s.reason
    assert s.value == pytest.approx(0.16, abs=0.02)  # a 40% x 40% square
    tiny = b.trial([b.step([product(box=(0.45, 0.45, 0.5, 0.5))], [expect])], case="b")
    assert score_trial(tiny, b.env(suite_dir=suite_dir))[0].passed is False
