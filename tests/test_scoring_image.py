"""Every image scorer's pass and fail paths, on synthetic images stored through RunWriter."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from _scoring_helpers import RunBuilder, png, product, scene
from PIL import Image, ImageDraw, ImageEnhance

from harness.record import Score
from harness.scoring import score_trial


def score(b: RunBuilder, images: list[Image.Image], expect: list[dict], **kw) -> list[Score]:
    record = b.trial([b.step(images, expect, **kw)], case=f"c{len(b.records)}")
    return score_trial(record, b.env())


def chain(b: RunBuilder, first: Image.Image, second: Image.Image, expect: list[dict]) -> list[Score]:
    record = b.trial(
        [b.step([first]), b.step([second], expect, index=1, kind="edit")], case=f"c{len(b.records)}"
    )
    return [s for s in score_trial(record, b.env()) if s.step == 1]


def by_name(scores: list[Score]) -> dict[str, Score]:
    return {s.name: s for s in scores}


@pytest.fixture
def b(tmp_path):
    return RunBuilder(tmp_path)


def test_format_passes_allowed_mime_and_fails_other(b):
    (ok,) = score(b, [product()], [{"format": "png"}])
    assert ok.passed is True and "image/png" in ok.reason
    (bad,) = score(b, [product()], [{"format": ["jpeg", "webp"]}])
    assert bad.passed is False and bad.value == 0.0


def test_format_fails_undecodable_image(b):
    record = b.trial([b.step([product()], [{"format": None}])])
    (b.dir / record.steps[0].images[0].path).write_bytes(b"not an image at all")
    (s,) = score_trial(record, b.env())
    assert s.passed is False and "does not decode" in s.reason


def test_dimensions(b):
    assert score(b, [product(size=(300, 200))], [{"dimensions": {"width": 300, "min_height": 150}}])[0].passed
    s = score(b, [product(size=(300, 200))], [{"dimensions": {"max_width": 256}}])[0]
    assert s.passed is False and "max_width 256" in s.reason


@pytest.mark.parametrize(
    ("size", "ratio", "passed"),
    [
        ((1024, 1024), "1:1", True),
        ((1344, 768), "16:9", True),
        ((1184, 864), "4:3", True),  # 2.5 Flash Image's 4:3 grid size is 2.8% off
        ((1184, 864), "5:4", False),
        ((896, 1152), "4:5", True),
        ((896, 1152), "3:4", False),  # 3.6% off, and 4:5 is nearer
        ((1344, 768), "1:1", False),
    ],
)
def test_aspect_ratio(b, size, ratio, passed):
    (s,) = score(b, [product(size=size)], [{"aspect_ratio": ratio}])
    assert s.passed is passed
    assert s.threshold == ratio


def test_min_resolution(b):
    assert score(b, [product(size=(1024, 1024))], [{"min_resolution": "1K"}])[0].passed is True
    s = score(b, [product(size=(512, 640))], [{"min_resolution": 1024}])[0]
    assert s.passed is False and s.value == 512


def test_similar_to_golden(b, tmp_path):
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    (suite_dir / "golden.png").write_bytes(png(scene(1)))
    rec = b.trial(
        [
            b.step(
                [Image.open(__import__("io").BytesIO(png(scene(1), "JPEG", quality=70)))],
                [{"similar": "golden.png"}],
            )
        ]
    )
    scores = by_name(score_trial(rec, b.env(suite_dir=suite_dir)))
    assert scores["similar.phash"].passed and scores["similar.ssim"].passed
    rec2 = b.trial([b.step([scene(7)], [{"similar": {"golden": "golden.png"}}])], case="other")
    scores = by_name(score_trial(rec2, b.env(suite_dir=suite_dir)))
    assert scores["similar.ssim"].passed is False
    rec3 = b.trial([b.step([scene(1)], [{"similar": "missing.png"}])], case="missing")
    (s,) = score_trial(rec3, b.env(suite_dir=suite_dir))
    assert s.passed is False and "not found" in s.reason


def test_similar_to_baseline(tmp_path):
    from harness.store import Run

    base = RunBuilder(tmp_path, run_id="base")
    base.trial([base.step([scene(3)])], case="x")
    base_dir = base.close()
    cur = RunBuilder(tmp_path, run_id="cur")
    same = cur.trial([cur.step([scene(3)], [{"similar": {"baseline": True}}])], case="x")
    other = cur.trial([cur.step([scene(4)], [{"similar": {"baseline": True}}])], case="y")
    env = cur.env(baseline=Run.load(base_dir))
    assert all(s.passed for s in score_trial(same, env))
    (skipped,) = score_trial(other, env)  # no trial y in the baseline
    assert skipped.passed is None and "no baseline" in skipped.reason


def test_background_reason_and_fail(b):
    (s,) = score(b, [product()], [{"background": {"color": "white", "min_fraction": 0.4}}])
    assert s.passed is True
    assert s.reason == "background white covers 100% of the border (min 40%)"
    (s,) = score(b, [product(bg=(20, 20, 20))], [{"background": "white"}])
    assert s.passed is False and s.value == 0.0
    (s,) = score(b, [product(bg=(245, 245, 220))], [{"background": "#f5f5dc"}])
    assert s.passed is True


def test_palette(b):
    img = product(bg=(0, 0, 128), fg=(255, 215, 0))
    assert score(b, [img], [{"palette": ["navy", "gold"]}])[0].passed is True
    s = score(b, [img], [{"palette": {"colors": ["red", "green"], "min_fraction": 0.5}}])[0]
    assert s.passed is False and s.value < 0.5


def test_absolute_tone_ranges(b):
    bright, dark = product(bg=(250, 250, 250)), product(bg=(20, 20, 20), fg=(40, 40, 40))
    assert score(b, [bright], [{"brightness": {"min": 70}}])[0].passed is True
    assert score(b, [dark], [{"brightness": {"min": 70}}])[0].passed is False
    assert score(b, [product(bg=(255, 0, 0))], [{"saturation": {"min": 40}}])[0].passed is True
    assert (
        score(b, [product(bg=(128, 128, 128), fg=(120, 120, 120))], [{"saturation": {"min": 40}}])[0].passed
        is False
    )
    assert score(b, [product(bg=(255, 180, 80))], [{"warmth": {"min": 5}}])[0].passed is True
    assert score(b, [product(bg=(80, 160, 255))], [{"warmth": {"min": 5}}])[0].passed is False
    assert score(b, [product(fg=(0, 0, 0))], [{"contrast": {"min": 10}}])[0].passed is True
    assert score(b, [Image.new("RGB", (64, 64), "gray")], [{"contrast": {"min": 10}}])[0].passed is False


def _tint(im: Image.Image, r: float, b_: float) -> Image.Image:
    arr = np.asarray(im, np.float32) * np.array([r, 1.0, b_], np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8"))


def test_warmer_cooler_relative_to_previous_step(b):
    base = scene(2)
    warm, cool = _tint(base, 1.1, 0.85), _tint(base, 0.9, 1.12)
    assert chain(b, base, warm, [{"warmer": True}])[0].passed is True
    assert chain(b, base, cool, [{"warmer": True}])[0].passed is False
    assert chain(b, base, cool, [{"cooler": True}])[0].passed is True
    s = chain(b, base, base, [{"warmer": {"min_delta": 0.5}}])[0]
    assert s.passed is False and s.threshold == 0.5


def test_brighter_darker(b):
    base = scene(5)
    assert chain(b, base, ImageEnhance.Brightness(base).enhance(1.3), [{"brighter": True}])[0].passed is True
    assert chain(b, base, ImageEnhance.Brightness(base).enhance(1.3), [{"darker": True}])[0].passed is False


def test_relative_without_previous_image_is_skipped_not_passed(b):
    (s,) = score(b, [scene(2)], [{"warmer": True}])
    assert s.passed is None and "no previous image" in s.reason


def test_edit_input_counts_as_previous_image(b, tmp_path):
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    (suite_dir / "in.png").write_bytes(png(scene(2)))
    rec = b.trial([b.step([_tint(scene(2), 1.1, 0.85)], [{"warmer": True}], kind="edit", inputs=["in.png"])])
    assert score_trial(rec, b.env(suite_dir=suite_dir))[0].passed is True


def test_preserved_and_changed(b):
    base = scene(3)
    edited = base.copy()
    ImageDraw.Draw(edited).ellipse((100, 100, 130, 130), fill=(255, 255, 0))
    kept = by_name(chain(b, base, edited, [{"preserved": True}, {"changed": True}]))
    assert kept["preserved.phash"].passed and kept["preserved.ssim"].passed and kept["changed"].passed
    lost = by_name(chain(b, base, scene(9), [{"preserved": {"max_phash": 12}}]))
    assert lost["preserved.ssim"].passed is False
    same = by_name(chain(b, base, base, [{"changed": True}]))
    assert same["changed"].passed is False and "unchanged" in same["changed"].reason


def test_preserved_outside_region_ignores_the_edit(b):
    base = scene(3)
    edited = base.copy()
    ImageDraw.Draw(edited).rectangle((0, 0, 255, 127), fill=(0, 255, 0))  # top half replaced
    whole = by_name(chain(b, base, edited, [{"preserved": True}]))
    assert whole["preserved.ssim"].passed is False
    outside = by_name(chain(b, base, edited, [{"preserved": {"region": [0, 0, 1, 0.5]}}]))
    assert outside["preserved.ssim"].passed is True and outside["preserved.ssim"].value > 0.95


def test_blocked_step_image_scorers_fail_with_reason(b):
    rec = b.trial(
        [b.step([], [{"background": "white"}, {"outcome": "blocked_output"}], outcome="blocked_output")]
    )
    scores = by_name(score_trial(rec, b.env()))
    assert scores["background"].passed is False
    assert scores["background"].reason == "no image (outcome blocked_output)"
    assert scores["outcome"].passed is True


def test_text_in_image_skipped_without_tesseract(b, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (s,) = score(b, [product()], [{"text_in_image": "SALE"}])
    assert s.passed is None and "tesseract is not installed" in s.reason


def _text_image(text: str) -> Image.Image:
    from PIL import ImageFont

    im = Image.new("RGB", (640, 200), "white")
    ImageDraw.Draw(im).text((30, 50), text, fill="black", font=ImageFont.load_default(size=80))
    return im


@pytest.mark.ocr
def test_text_in_image_with_tesseract(b):
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have tesseract installed (.ci/run installs tesseract-ocr)")
        pytest.skip("tesseract binary not installed here")
    (s,) = score(b, [_text_image("SALE 50")], [{"text_in_image": "SALE"}])
    assert s.passed is True, s.reason
    (s,) = score(b, [_text_image("HELLO")], [{"text_in_image": "WATCH"}])
    assert s.passed is False


@pytest.mark.ocr
def test_text_in_image_reads_a_colourful_emulator_poster(b):
    """Tesseract read nothing from colour posters until the scorer gave it a grayscale image."""
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have tesseract installed (.ci/run installs tesseract-ocr)")
        pytest.skip("tesseract binary not installed here")
    import io

    from google import genai
    from google.genai import types

    from harness.emulator import Emulator

    with Emulator() as emulator:
        client = genai.Client(
            api_key="test-key-not-real",
            http_options=types.HttpOptions(base_url=emulator.url, api_version="v1beta"),
        )
        response = client.models.generate_content(
            model="gemini-2.5-flash-image",
            contents='A bold poster of a yellow sun on a blue background. The title reads "SUMMER SALE".',
            config=types.GenerateContentConfig(image_config=types.ImageConfig(aspect_ratio="3:4"), seed=3),
        )
    data = next(p.inline_data.data for p in response.candidates[0].content.parts if p.inline_data)
    (s,) = score(b, [Image.open(io.BytesIO(data))], [{"text_in_image": "SUMMER SALE"}])
    assert s.passed is True, s.reason


def test_preserved_fails_when_the_edit_changes_the_aspect_ratio(b):
    """Issue 18: a 3:2 picture edited back as a square passed `preserved` (hashes of resized copies)."""
    wide = scene(3).resize((384, 256))
    kept = by_name(chain(b, wide, wide.copy(), [{"preserved": True}]))
    assert kept["preserved.aspect_ratio"].passed is True
    square = by_name(chain(b, wide, wide.resize((256, 256)), [{"preserved": True}]))
    assert square["preserved.aspect_ratio"].passed is False
    assert "changed aspect ratio" in square["preserved.aspect_ratio"].reason


def test_reasons_round_honestly_near_the_threshold(b, monkeypatch):
    """Issue 18: a warmth change of 2.98 read "moved +3.0 (need +3.0)" and looked like a pass."""
    from harness.scoring import imaging
    from harness.scoring.numbers import near, percent

    readings = iter([12.98, 10.0])  # the edited image, then the one it started from
    monkeypatch.setitem(imaging.STATS, "warmth", lambda prep: next(readings))
    got = by_name(chain(b, scene(1), scene(2), [{"warmer": True}]))["warmer"]
    assert got.passed is False and "moved +2.98" in got.reason and "+3.0 " not in got.reason
    assert near(3.04, 3.0) == "3.04" and near(3.5, 3.0) == "3.5" and near(3.0, 3.0) == "3.0"
    assert percent(0.396, 0.4) == "39.6%" and percent(0.62, 0.4) == "62%"


def test_ssim_is_scikit_images_bit_for_bit() -> None:
    """imaging.structural_similarity filters the three channels at once; the value must stay exactly
    scikit-image's, so no verdict and no cached score moves."""
    from skimage.metrics import structural_similarity as reference

    from harness.scoring import imaging

    rng = np.random.default_rng(3)
    for shape in [(64, 64, 3), (16, 16, 3), (40, 23, 3)]:
        a = rng.random(shape, dtype=np.float32)
        b = np.clip(a + rng.normal(0, 0.1, shape), 0, 1).astype(np.float32)
        want = float(reference(a, b, data_range=1.0, channel_axis=2))
        assert imaging.structural_similarity(a, b) == want
    one, two = imaging.prepare(png(scene(seed=1))), imaging.prepare(png(product()))
    want = float(reference(one.squeezed(64), two.squeezed(64), data_range=1.0, channel_axis=2))
    assert imaging.ssim(one, two) == want
    assert 0 < want < 0.99
    # each image's half of SSIM is kept: reused in the other order and against a third image
    three = imaging.prepare(png(scene(seed=2)))
    for x, y in [(two, one), (one, three), (three, two), (one, two)]:
        assert imaging.ssim(x, y) == float(
            reference(x.squeezed(64), y.squeezed(64), data_range=1.0, channel_axis=2)
        )
