"""Tone and edit scorers: brightness/contrast/saturation/warmth (absolute or relative to the previous
step), and whether an edit preserved the previous image or changed it. Defaults are calibrated on the
validity set (harness/scoring/validity.py)."""

from __future__ import annotations

from pydantic import Field

from harness.record import Score
from harness.scoring import imaging
from harness.scoring.context import ScoreContext
from harness.scoring.image_scorers import HashKind, _closeness
from harness.scoring.numbers import near, percent
from harness.scoring.registry import Params, scorer


class RangeParams(Params):
    """An absolute range. Units: brightness = mean L* (0..100), contrast = std of L*, saturation = mean
    chroma C*ab, warmth = 100 (mean R - mean B) / (mean R + G + B) (-100 pure blue .. 100 pure red; a
    neutral photo is near 0). Both bounds default to None."""

    min: float | None = Field(None, description="lowest value that passes")
    max: float | None = Field(None, description="highest value that passes")


def _range_scorer(stat: str) -> None:
    def fn(ctx: ScoreContext, p: RangeParams) -> list[Score]:
        v = imaging.stat(ctx.image, stat)
        ok = (p.min is None or v >= p.min) and (p.max is None or v <= p.max)
        bounds = f"[{'' if p.min is None else p.min}, {'' if p.max is None else p.max}]"
        nearest = min((b for b in (p.min, p.max) if b is not None), key=lambda b: abs(v - b), default=None)
        shown = near(v, nearest)
        return [
            ctx.score(v, ok, f"{stat} {shown} {'within' if ok else 'outside'} {bounds}", threshold=bounds)
        ]

    fn.__doc__ = f"Absolute {stat} within [min, max]."
    scorer(stat, RangeParams, cached="image")(fn)


for _stat in imaging.STATS:
    _range_scorer(_stat)


class DeltaParams(Params):
    """Relative to the image this step started from (previous chain step or the edit's input): the statistic
    must move by at least min_delta in the named direction. Defaults: warmth 3.0, brightness 3.0 L*."""

    min_delta: float | None = Field(None, description="None = the statistic's default")


DIRECTIONS = {
    "warmer": ("warmth", 1, 3.0),
    "cooler": ("warmth", -1, 3.0),
    "brighter": ("brightness", 1, 3.0),
    "darker": ("brightness", -1, 3.0),
}


def relative_decision(
    name: str, cur: imaging.Prepared, prev: imaging.Prepared, min_delta: float | None = None
) -> tuple[bool, float, float]:
    """(passes, signed change of the statistic, needed change) for warmer/cooler/brighter/darker."""
    stat, sign, default = DIRECTIONS[name]
    need = default if min_delta is None else min_delta
    delta = imaging.stat(cur, stat) - imaging.stat(prev, stat)
    return sign * delta >= need, delta, need


def _delta_scorer(name: str) -> None:
    stat, sign, _ = DIRECTIONS[name]

    def fn(ctx: ScoreContext, p: DeltaParams) -> list[Score]:
        prev = ctx.previous_image
        if prev is None:
            return [ctx.skip(f"{name}: no previous image to compare with")]
        ok, delta, need = relative_decision(name, ctx.image, prev, p.min_delta)
        arrow = "+" if sign > 0 else "-"
        reason = (
            f"{stat} moved {near(delta, sign * need, sign=True)} from the previous image (need {arrow}{need})"
        )
        return [ctx.score(delta, ok, reason, threshold=sign * need)]

    fn.__doc__ = f"{stat} moved {'up' if sign > 0 else 'down'} from the previous image by at least min_delta."
    scorer(name, DeltaParams, cached="previous")(fn)


for _name in DIRECTIONS:
    _delta_scorer(_name)


class PreservedParams(Params):
    """How much of the previous image survived the edit: hash distance <= max_phash and SSIM >= min_ssim.
    With `region: [x0, y0, x1, y1]` (fractions of width/height) the edited region is left out."""

    max_phash: int = Field(24, description="max Hamming distance of the 64-bit hashes")
    min_ssim: float | None = Field(0.8, description=f"min RGB SSIM at {imaging.SSIM_SIZE}px; None = skip")
    hash: HashKind = Field("phash", description="phash, dhash, whash or colorhash")
    region: tuple[float, float, float, float] | None = Field(None, description="edited area to ignore")


@scorer("preserved", PreservedParams, cached="previous")
def score_preserved(ctx: ScoreContext, p: PreservedParams) -> list[Score]:
    """The previous step's image survives the edit (composition kept), optionally outside a region."""
    prev = ctx.previous_image
    if prev is None:
        return [ctx.skip("no previous image to compare with", suffix=p.hash)]
    cur = ctx.image if p.region is None else ctx.image.with_region_from(prev, p.region)
    what = "previous image" + (" outside the region" if p.region else "")
    return [*_closeness(ctx, cur, prev, what, p.hash, p.max_phash, p.min_ssim), _same_shape(ctx, prev)]


ASPECT_TOLERANCE = 0.02  # relative change of width/height that still counts as the same frame


def same_aspect(cur: imaging.Prepared, prev: imaging.Prepared) -> bool:
    return abs((cur.width / cur.height) / (prev.width / prev.height) - 1) <= ASPECT_TOLERANCE


def _same_shape(ctx: ScoreContext, prev: imaging.Prepared) -> Score:
    """An edit that comes back in another aspect ratio did not preserve the picture, however alike the
    hashes of the two (resized) working copies look."""
    cur = ctx.image
    ratio, before = cur.width / cur.height, prev.width / prev.height
    ok = same_aspect(cur, prev)
    reason = (
        f"frame {cur.width}x{cur.height} (ratio {ratio:.3f}) vs previous {prev.width}x{prev.height} "
        f"(ratio {before:.3f}): {'same' if ok else 'changed'} aspect ratio"
    )
    return ctx.score(round(ratio, 4), ok, reason, threshold=round(before, 4), suffix="aspect_ratio")


def preserved_decision(
    cur: imaging.Prepared, prev: imaging.Prepared, p: PreservedParams
) -> tuple[bool, int, float | None]:
    """(passes, hash distance, SSIM) exactly as the `preserved` scorer decides (validity bench)."""
    shape_kept = same_aspect(cur, prev)
    if p.region is not None:
        cur = cur.with_region_from(prev, p.region)
    dist = imaging.hash_distance(cur, prev, p.hash)
    s = imaging.ssim(cur, prev) if p.min_ssim is not None else None
    return shape_kept and dist <= p.max_phash and (s is None or s >= p.min_ssim), dist, s


class ChangedParams(Params):
    """The edit did something: a local change (the share of pixels, at 64 px, whose CIEDE2000 moved by
    more than pixel_delta_e reaches min_pixel_share) or a global one (mean CIEDE2000 between 16x16 blurred
    copies >= min_color_shift). Either one passes; a JPEG re-encode or a resize triggers neither."""

    min_pixel_share: float = Field(0.012, ge=0, le=1, description="share of visibly changed pixels")
    pixel_delta_e: float = Field(6.0, description="CIEDE2000 a pixel must move to count as changed")
    min_color_shift: float = Field(1.0, description="mean CIEDE2000 of blurred copies that counts")


@scorer("changed", ChangedParams, cached="previous")
def score_changed(ctx: ScoreContext, p: ChangedParams) -> list[Score]:
    """The output differs from the image the step started from, locally or in overall colour/light."""
    prev = ctx.previous_image
    if prev is None:
        return [ctx.skip("no previous image to compare with")]
    ok, share, shift = changed_decision(ctx.image, prev, p)
    reason = (
        f"{percent(share, p.min_pixel_share, 1)} of pixels moved > {p.pixel_delta_e} ΔE "
        f"(change at {p.min_pixel_share * 100:.1f}%), overall shift {near(shift, p.min_color_shift)} ΔE "
        f"(change at {p.min_color_shift}): {'changed' if ok else 'unchanged'}"
    )
    return [ctx.score(share, ok, reason, threshold=p.min_pixel_share)]


def changed_decision(
    cur: imaging.Prepared, prev: imaging.Prepared, p: ChangedParams
) -> tuple[bool, float, float]:
    """(passes, share of changed pixels, overall colour shift), shared with the validity bench."""
    share = imaging.changed_share(cur, prev, p.pixel_delta_e)
    shift = imaging.color_shift(cur, prev)
    return share >= p.min_pixel_share or shift >= p.min_color_shift, share, shift
