"""Deterministic image scorers: CPU only, no model weights. Defaults are calibrated on the validity set
(harness/scoring/validity.py; `python bench/scorer_validity.py` prints their accuracy)."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from harness.context import input_policy
from harness.files import image_problem, outside, project_root
from harness.models import STANDARD_RATIOS  # output sizes snap to a grid near each of them
from harness.record import Score
from harness.scoring import imaging
from harness.scoring.context import ScoreContext
from harness.scoring.numbers import near, percent
from harness.scoring.registry import Params, scorer

HashKind = Literal["phash", "dhash", "whash", "colorhash"]
MIME_ALIASES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
}


def _ratio(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*", text)
    if not m or float(m.group(2)) == 0 or float(m.group(1)) == 0:
        raise ValueError(f"'{text}' is not a ratio; write it like \"16:9\"")
    return float(m.group(1)) / float(m.group(2))


def _pct(x: float, bound: float | None = None) -> str:
    return percent(x, bound)


class FormatParams(Params):
    """The image decodes and has an allowed type. Default: any decodable image."""

    mime: list[str] | None = Field(
        None, description="allowed types, e.g. [image/png] or [png, jpeg]; None = any"
    )

    @field_validator("mime", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        items = [v] if isinstance(v, str) else v
        if items is None:
            return None
        return [MIME_ALIASES.get(str(m).lower(), str(m).lower()) for m in items]  # type: ignore[union-attr]


@scorer("format", FormatParams, shorthand="mime", cached="image")
def score_format(ctx: ScoreContext, p: FormatParams) -> list[Score]:
    """The image decodes and its true type (read from the bytes) is allowed."""
    ref = ctx.step.images[0]
    try:
        img = ctx.image
    except Exception as exc:
        return [ctx.score(0.0, False, f"image does not decode: {exc}")]
    allowed = ", ".join(p.mime) if p.mime else "any"
    ok = p.mime is None or ref.mime in p.mime
    return [
        ctx.score(
            1.0 if ok else 0.0,
            ok,
            f"{ref.mime} ({img.format}, {ref.width}x{ref.height}); allowed {allowed}",
            threshold=allowed,
        )
    ]


class DimensionsParams(Params):
    """Exact or bounded pixel size of the output. Every bound defaults to None (not checked)."""

    width: int | None = Field(None, description="exact width in px")
    height: int | None = Field(None, description="exact height in px")
    min_width: int | None = Field(None, description="px")
    max_width: int | None = Field(None, description="px")
    min_height: int | None = Field(None, description="px")
    max_height: int | None = Field(None, description="px")


@scorer("dimensions", DimensionsParams, cached="image")
def score_dimensions(ctx: ScoreContext, p: DimensionsParams) -> list[Score]:
    """Pixel width and height within the given exact values or bounds."""
    ref = ctx.step.images[0]
    w, h = ref.width, ref.height
    rules = [
        ("width", p.width, w == p.width),
        ("height", p.height, h == p.height),
        ("min_width", p.min_width, w >= (p.min_width or 0)),
        ("max_width", p.max_width, w <= (p.max_width or 0)),
        ("min_height", p.min_height, h >= (p.min_height or 0)),
        ("max_height", p.max_height, h <= (p.max_height or 0)),
    ]
    failed = [f"{name} {want}" for name, want, ok in rules if want is not None and not ok]
    ok = not failed
    reason = f"{w}x{h}" + (f" violates {', '.join(failed)}" if failed else " within bounds")
    return [ctx.score(float(w * h), ok, reason)]


class AspectRatioParams(Params):
    """Width:height ratio. Sizes snap to each model's grid (e.g. 4:3 is 1184x864), so the check allows
    a tolerance on |ln(actual / wanted)| and, for a standard ratio, requires it to be the nearest
    standard one."""

    ratio: str = Field(description='wanted ratio, e.g. "16:9"')
    tolerance: float = Field(0.05, description="max |ln(actual/wanted)|; 0.05 is about 5%")

    @field_validator("ratio")
    @classmethod
    def _check(cls, v: str) -> str:
        _ratio(v)
        return v.strip()


@scorer("aspect_ratio", AspectRatioParams, shorthand="ratio", cached="image")
def score_aspect_ratio(ctx: ScoreContext, p: AspectRatioParams) -> list[Score]:
    """Output aspect ratio matches the wanted one within a grid-snapping tolerance."""
    ref = ctx.step.images[0]
    ok, off, nearest = aspect_ratio_decision(ref.width, ref.height, p.ratio, p.tolerance)
    reason = f"{ref.width}x{ref.height} is {ref.width / ref.height:.3f}, {off * 100:.1f}% from {p.ratio}"
    if nearest and nearest != p.ratio:
        reason += f"; nearest standard ratio is {nearest}"
    return [ctx.score(ref.width / ref.height, ok, reason, threshold=p.ratio)]


def aspect_ratio_decision(
    width: int, height: int, ratio: str, tolerance: float = 0.05
) -> tuple[bool, float, str]:
    """(passes, |log error|, nearest standard ratio), shared with the validity bench."""
    actual = math.log(width / height)
    off = abs(actual - math.log(_ratio(ratio)))
    nearest = min(STANDARD_RATIOS, key=lambda r: abs(actual - math.log(_ratio(r))))
    canonical = ratio.replace(" ", "")
    ok = off <= tolerance and (canonical not in STANDARD_RATIOS or nearest == canonical)
    return ok, off, nearest


class MinResolutionParams(Params):
    """The shorter side is at least `min_side` px (a bare `1K`/`2K`/`4K` means 1024/2048/4096)."""

    min_side: int = Field(1024, description="shortest side in px")

    @field_validator("min_side", mode="before")
    @classmethod
    def _k(cls, v: object) -> object:
        if isinstance(v, str) and re.fullmatch(r"\d+[kK]", v.strip()):
            return int(v.strip()[:-1]) * 1024
        return v


@scorer("min_resolution", MinResolutionParams, shorthand="min_side", cached="image")
def score_min_resolution(ctx: ScoreContext, p: MinResolutionParams) -> list[Score]:
    """The image's shorter side reaches a minimum."""
    ref = ctx.step.images[0]
    side = min(ref.width, ref.height)
    ok = side >= p.min_side
    return [ctx.score(float(side), ok, f"shorter side {side}px (min {p.min_side}px)", threshold=p.min_side)]


class SimilarParams(Params):
    """Perceptual similarity to a golden image (path relative to the suite) or to the same trial and step
    in the baseline run. Passes when the hash distance <= max_distance and SSIM >= min_ssim."""

    golden: str | None = Field(None, description="image file, relative to the suite's folder")
    baseline: bool = Field(False, description="compare with the same trial in the baseline run instead")
    hash: HashKind = Field("phash", description="phash, dhash, whash or colorhash")
    max_distance: int = Field(16, description="max Hamming distance of the 64-bit hashes")
    min_ssim: float = Field(0.8, description=f"min RGB SSIM at {imaging.SSIM_SIZE}px")

    @field_validator("golden")
    @classmethod
    def _golden_decodes(cls, v: str | None, info: ValidationInfo) -> str | None:
        """At validate time (the suite folder known): inside the project, present, and an image."""
        suite_dir = (info.context or {}).get("suite_dir")
        if v is None or suite_dir is None:
            return v
        path = Path(suite_dir) / v
        resolved = outside(path, (project_root(Path(suite_dir)), *input_policy.get().allow_outside))
        if resolved is not None:
            raise ValueError(
                f"golden image {path} resolves to {resolved}, outside the project; "
                "move it into the project, or allow it: --allow-outside DIR"
            )
        if not path.is_file():
            raise ValueError(f"golden image {path} not found (paths are relative to the suite)")
        problem = image_problem(path)
        if problem is not None:
            raise ValueError(f"golden image {path}: {problem}")
        return v

    def reference_digest(self, ctx: ScoreContext) -> str:
        """What the image is compared with, for the score cache: the golden file's or baseline's bytes."""
        if self.golden:
            path = ctx.env.resolve(self.golden)
            return "missing" if path is None else ctx.env.file_digest(path)
        base = ctx.env.baseline_record(ctx.record.trial_id) if self.baseline else None
        if base is None or ctx.step_index >= len(base.steps) or not base.steps[ctx.step_index].images:
            return "none"
        return base.steps[ctx.step_index].images[0].sha256


@scorer("similar", SimilarParams, shorthand="golden", cached="reference")
def score_similar(ctx: ScoreContext, p: SimilarParams) -> list[Score]:
    """Close to a golden image or to the baseline run's image (hash distance and SSIM)."""
    if p.golden:
        path = ctx.env.resolve(p.golden)
        if path is None:
            return [ctx.score(None, False, f"golden image {p.golden} not found next to the suite")]
        other, what = ctx.env.prepared(path), f"golden {p.golden}"
    elif p.baseline:
        base = ctx.env.baseline_record(ctx.record.trial_id)
        if base is None or ctx.step_index >= len(base.steps) or not base.steps[ctx.step_index].images:
            return [ctx.skip("no baseline image for this trial and step")]
        other = ctx.env.prepared(ctx.env.baseline.dir / base.steps[ctx.step_index].images[0].path)  # type: ignore[union-attr]
        what = "baseline"
    else:
        return [ctx.score(None, False, "similar needs `golden: <file>` or `baseline: true`")]
    return _closeness(ctx, ctx.image, other, what, p.hash, p.max_distance, p.min_ssim)


def similar_decision(cur: imaging.Prepared, other: imaging.Prepared, p: SimilarParams) -> bool:
    """The `similar` scorer's pass/fail, shared with the validity bench."""
    return (
        imaging.hash_distance(cur, other, p.hash) <= p.max_distance and imaging.ssim(cur, other) >= p.min_ssim
    )


def _closeness(
    ctx: ScoreContext,
    a: imaging.Prepared,
    b: imaging.Prepared,
    what: str,
    kind: str,
    max_distance: int,
    min_ssim: float | None,
) -> list[Score]:
    dist = imaging.hash_distance(a, b, kind)
    out = [
        ctx.score(
            float(dist),
            dist <= max_distance,
            f"{kind} distance {dist} to {what} (max {max_distance})",
            threshold=max_distance,
            suffix=kind,
        )
    ]
    if min_ssim is not None:
        s = imaging.ssim(a, b)
        out.append(
            ctx.score(
                s,
                s >= min_ssim,
                f"SSIM {near(s, min_ssim, 2)} to {what} (min {min_ssim})",
                threshold=min_ssim,
                suffix="ssim",
            )
        )
    return out


class BackgroundParams(Params):
    """The border band (where a background shows) is mostly one colour. A pixel counts when its
    CIEDE2000 distance to the colour is <= max_delta_e; the share of border pixels that count must
    reach min_fraction."""

    color: str = Field("white", description="CSS name or hex")
    min_fraction: float = Field(0.6, ge=0, le=1, description="share of the border band in that colour")
    max_delta_e: float = Field(6.0, description="CIEDE2000 tolerance per pixel (2.3 is just noticeable)")
    border: float = Field(0.1, gt=0, lt=0.5, description="band width as a share of each side")

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        imaging.parse_color(v)
        return v


@scorer("background", BackgroundParams, shorthand="color", cached="image")
def score_background(ctx: ScoreContext, p: BackgroundParams) -> list[Score]:
    """Share of the image border within a colour distance of the wanted background colour."""
    frac = background_fraction(ctx.image, p.color, p.max_delta_e, p.border)
    ok = frac >= p.min_fraction
    return [
        ctx.score(
            frac,
            ok,
            f"background {p.color} covers {_pct(frac, p.min_fraction)} of the border "
            f"(min {_pct(p.min_fraction)})",
            threshold=p.min_fraction,
        )
    ]


def background_fraction(
    img: imaging.Prepared, color: str, max_delta_e: float = 6.0, border: float = 0.1
) -> float:
    lab = img.lab
    mask = imaging.border_mask(lab.shape[0], lab.shape[1], border)
    dist = imaging.delta_e(lab[mask], imaging.color_lab(imaging.parse_color(color)))
    return float((dist <= max_delta_e).mean())


class PaletteParams(Params):
    """The image's dominant colours come from a palette: the pixel share of dominant colours within
    max_delta_e (CIEDE2000) of some palette colour must reach min_fraction."""

    colors: list[str] = Field(description="palette colours, CSS names or hex")
    max_delta_e: float = Field(15.0, description="CIEDE2000 distance that still counts as on-palette")
    min_fraction: float = Field(0.6, ge=0, le=1, description="share of the image that must be on the palette")
    n_colors: int = Field(6, ge=1, le=32, description="dominant colours extracted (median cut)")

    @field_validator("colors")
    @classmethod
    def _colors(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one colour")
        for c in v:
            imaging.parse_color(c)
        return v


@scorer("palette", PaletteParams, shorthand="colors", cached="image")
def score_palette(ctx: ScoreContext, p: PaletteParams) -> list[Score]:
    """Share of the image whose dominant colours lie near the given palette."""
    targets = np.stack([imaging.color_lab(imaging.parse_color(c)) for c in p.colors])
    dominant = imaging.dominant_colors(ctx.image, p.n_colors)
    labs = np.stack([lab for lab, _ in dominant])
    # every dominant colour against every palette colour in one CIEDE2000 call
    dist = imaging.deltaE_ciede2000(np.repeat(labs, len(targets), axis=0), np.tile(targets, (len(labs), 1)))
    near = dist.reshape(len(labs), len(targets)).min(axis=1) <= p.max_delta_e
    on = float(sum(share for (_, share), hit in zip(dominant, near, strict=True) if hit))
    ok = on >= p.min_fraction
    return [
        ctx.score(
            on,
            ok,
            f"{_pct(on, p.min_fraction)} of the image is on the palette (min {_pct(p.min_fraction)})",
            threshold=p.min_fraction,
        )
    ]


class TextInImageParams(Params):
    """OCR (Tesseract) finds the text: after lower-casing and keeping letters and digits, the wanted text
    is a substring, or the best-matching window is at least min_ratio similar (difflib)."""

    text: str = Field(description="text to find (case, spaces and punctuation ignored)")
    min_ratio: float = Field(0.8, ge=0, le=1, description="lowest fuzzy-match ratio that passes")
    lang: str = Field("eng", description="Tesseract language pack")


@scorer("text_in_image", TextInImageParams, shorthand="text")
def score_text_in_image(ctx: ScoreContext, p: TextInImageParams) -> list[Score]:
    """Tesseract reads the wanted text in the image (skipped, never passed, when tesseract is missing)."""
    if shutil.which("tesseract") is None:
        return [ctx.skip("tesseract is not installed (apt-get install tesseract-ocr); OCR check skipped")]
    import pytesseract

    # grayscale: on colour backgrounds Tesseract often reads nothing from the RGB image
    found = pytesseract.image_to_string(ctx.image.full().convert("L"), lang=p.lang)
    ratio = text_match_ratio(p.text, found)
    ok = ratio >= p.min_ratio
    seen = " ".join(found.split())[:60]
    return [
        ctx.score(
            ratio,
            ok,
            f"OCR read '{seen}'; match {near(ratio, p.min_ratio, 2)} for '{p.text}' (min {p.min_ratio})",
            threshold=p.min_ratio,
        )
    ]


def text_match_ratio(wanted: str, found: str) -> float:
    import difflib

    norm = lambda s: re.sub(r"[^0-9a-z]+", "", s.lower())  # noqa: E731
    w, f = norm(wanted), norm(found)
    if not w:
        return 1.0
    if w in f:
        return 1.0
    best = 0.0
    for i in range(max(1, len(f) - len(w) + 1)):
        best = max(best, difflib.SequenceMatcher(None, w, f[i : i + len(w)]).ratio())
    return best
