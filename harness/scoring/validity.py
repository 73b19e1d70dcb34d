"""A labelled validity set: procedural base images, known transformations, and each scorer's decision on them.

Used by bench/scorer_validity.py (prints accuracy per decision) and tests/test_scorer_validity.py (holds
the defaults to >= 95% on the decisions that matter). Everything is seeded, so the set is the same each run.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from harness.scoring import imaging
from harness.scoring.edit_scorers import (
    DIRECTIONS,
    ChangedParams,
    PreservedParams,
    changed_decision,
    preserved_decision,
    relative_decision,
)
from harness.scoring.image_scorers import (
    STANDARD_RATIOS,
    BackgroundParams,
    SimilarParams,
    aspect_ratio_decision,
    background_fraction,
    similar_decision,
)

SOLID = {
    "white": (255, 255, 255),
    "off-white": (250, 249, 244),
    "black": (8, 8, 8),
    "gray": (128, 128, 128),
    "navy": (0, 0, 128),
    "crimson": (220, 20, 60),
    "forestgreen": (34, 139, 34),
    "tan": (210, 180, 140),
    "lightgray": (211, 211, 211),
    "skyblue": (135, 206, 235),
}
QUERY_COLORS = ("white", "black", "gray", "navy", "crimson", "forestgreen", "tan", "lightgray", "skyblue")
PRESERVING = ("jpeg70", "resize", "crop5", "warm", "cool", "brighter", "darker", "paste")
# Output sizes per aspect ratio: 2.5 Flash Image, 3 Pro Image 1K, and a 2K size.
MODEL_SIZES = {
    "1:1": [(1024, 1024), (2048, 2048), (512, 512)],
    "2:3": [(832, 1248), (848, 1264), (1696, 2528)],
    "3:2": [(1248, 832), (1264, 848), (2528, 1696)],
    "3:4": [(864, 1184), (896, 1200), (1792, 2400)],
    "4:3": [(1184, 864), (1200, 896), (2400, 1792)],
    "4:5": [(896, 1152), (928, 1152), (1856, 2304)],
    "5:4": [(1152, 896), (1152, 928), (2304, 1856)],
    "9:16": [(768, 1344), (768, 1376), (1536, 2752)],
    "16:9": [(1344, 768), (1376, 768), (2752, 1536)],
    "21:9": [(1536, 672), (1584, 672), (3168, 1344)],
}


@dataclass
class Base:
    image: Image.Image
    background: str | None  # name in SOLID when the background is one flat colour
    draw_subject: Callable[[Image.Image], Image.Image] = field(repr=False)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _subject(rng: np.random.Generator, size: int) -> Callable[[Image.Image], Image.Image]:
    """A few coloured shapes in the middle of the frame, drawable on any background."""
    shapes = []
    for _ in range(int(rng.integers(2, 5))):
        cx, cy = rng.uniform(0.3, 0.7, 2) * size
        r = rng.uniform(0.08, 0.2) * size
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        shapes.append((str(rng.choice(["ellipse", "rect", "tri"])), cx, cy, r, color))

    def draw(bg: Image.Image) -> Image.Image:
        im = bg.copy()
        d = ImageDraw.Draw(im)
        for kind, cx, cy, r, color in shapes:
            box = (cx - r, cy - r, cx + r, cy + r)
            if kind == "ellipse":
                d.ellipse(box, fill=color)
            elif kind == "rect":
                d.rectangle(box, fill=color)
            else:
                d.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=color)
        return im

    return draw


def _gradient(rng: np.random.Generator, size: int) -> Image.Image:
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = (
        np.linspace(0, 1, size)[None, :, None]
        if rng.random() < 0.5
        else np.linspace(0, 1, size)[:, None, None]
    )
    arr = a * (1 - t) + b * t
    return Image.fromarray(np.broadcast_to(arr, (size, size, 3)).astype(np.uint8))


def _texture(rng: np.random.Generator, size: int) -> Image.Image:
    """Photo-like: smooth blobs of colour plus fine grain."""
    low = rng.random((size // 16, size // 16, 3))
    im = Image.fromarray((low * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    im = im.filter(ImageFilter.GaussianBlur(size / 64))
    grain = rng.normal(0, 12, (size, size, 3))
    return Image.fromarray(np.clip(np.asarray(im, np.float32) + grain, 0, 255).astype(np.uint8))


def make_base(index: int, size: int = 256) -> Base:
    """Base `index`: a third on flat colours, a third on gradients, a third on photo-like textures."""
    rng = _rng(1000 + index)
    draw = _subject(rng, size)
    kind = index % 3
    if kind == 0:
        name = list(SOLID)[(index // 3) % len(SOLID)]
        return Base(draw(Image.new("RGB", (size, size), SOLID[name])), name, draw)
    bg = _gradient(rng, size) if kind == 1 else _texture(rng, size)
    return Base(draw(bg), None, draw)


def _channels(im: Image.Image, r: float, g: float, b: float) -> Image.Image:
    arr = np.asarray(im, np.float32) * np.array([r, g, b], np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def encode(im: Image.Image, fmt: str = "PNG", **save: int) -> bytes:
    """The bytes a model would return, so the set is decoded the way stored outputs are."""
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def transform(base: Base, name: str, index: int, size: int = 256) -> tuple[bytes, str | None]:
    """Apply one known transformation; returns the encoded image and its flat background name (if any)."""
    im, bg = _transform(base, name, index, size)
    return (encode(im, "JPEG", quality=70) if name == "jpeg70" else encode(im)), bg


def _transform(base: Base, name: str, index: int, size: int) -> tuple[Image.Image, str | None]:
    im, rng = base.image, _rng(5000 + index)
    if name == "jpeg70":
        return im, base.background  # the JPEG re-encode happens in transform()
    if name == "resize":
        return im.resize((size // 2, size // 2), Image.Resampling.LANCZOS), base.background
    if name == "crop5":
        m = round(size * 0.025)
        return im.crop((m, m, size - m, size - m)), base.background
    if name == "warm":
        return _channels(im, 1.08, 1.0, 0.88), None
    if name == "cool":
        return _channels(im, 0.92, 1.0, 1.12), None
    if name == "brighter":
        return ImageEnhance.Brightness(im).enhance(1.2), None
    if name == "darker":
        return ImageEnhance.Brightness(im).enhance(0.8), None
    if name == "paste":
        out = im.copy()
        r = size * 0.07
        cx, cy = rng.uniform(0.25, 0.75, 2) * size
        ImageDraw.Draw(out).ellipse(
            (cx - r, cy - r, cx + r, cy + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3))
        )
        return out, base.background
    if name == "bgswap":
        names = [n for n in SOLID if n != base.background and n not in ("white", "off-white")]
        if base.background is None or rng.random() < 0.5:
            new = str(rng.choice(names))
            return base.draw_subject(Image.new("RGB", (size, size), SOLID[new])), new
        return base.draw_subject(_texture(rng, size)), None
    if name == "unrelated":
        other = make_base(index + 101, size)
        return other.image, other.background
    raise ValueError(name)


TRANSFORMS = (*PRESERVING, "bgswap", "unrelated")


@dataclass
class Decision:
    name: str
    expected: bool
    got: bool
    detail: str


def run_decisions(n_bases: int = 12, size: int = 256) -> list[Decision]:
    """Every labelled decision on the set, made with each scorer's documented defaults."""
    out: list[Decision] = []
    pres, chg, bgp, sim = PreservedParams(), ChangedParams(), BackgroundParams(), SimilarParams()
    for i in range(n_bases):
        base = make_base(i, size)
        p0 = imaging.prepare(encode(base.image))  # the scorers' own decode path, as for stored outputs
        variants = {}
        for t in TRANSFORMS:
            data, bg = transform(base, t, i, size)
            variants[t] = (imaging.prepare(data), bg)
        for t, (p1, _) in variants.items():
            tag = f"base{i}/{t}"
            out.append(Decision("preserved", t in PRESERVING, preserved_decision(p1, p0, pres)[0], tag))
            if t in ("jpeg70", "resize", "crop5", "bgswap", "unrelated"):
                out.append(
                    Decision(
                        "similar", t in ("jpeg70", "resize", "crop5"), similar_decision(p1, p0, sim), tag
                    )
                )
            if t != "crop5":
                out.append(
                    Decision("changed", t not in ("jpeg70", "resize"), changed_decision(p1, p0, chg)[0], tag)
                )
            if t in ("bgswap", "unrelated", "paste"):
                continue
            for direction in DIRECTIONS:
                expected = {"warmer": "warm", "cooler": "cool", "brighter": "brighter", "darker": "darker"}
                group = "warmer/cooler" if direction in ("warmer", "cooler") else "brighter/darker"
                out.append(
                    Decision(
                        group,
                        t == expected[direction],
                        relative_decision(direction, p1, p0)[0],
                        f"{tag} {direction}",
                    )
                )
        for t, (p1, bg) in [("base", (p0, base.background)), *variants.items()]:
            if t in ("warm", "cool", "brighter", "darker"):
                continue  # recoloured backgrounds have no name to check against
            truth = "white" if bg == "off-white" else bg
            for color in QUERY_COLORS:
                frac = background_fraction(p1, color, bgp.max_delta_e, bgp.border)
                out.append(
                    Decision(
                        "background",
                        truth == color,
                        frac >= bgp.min_fraction,
                        f"base{i}/{t} bg={bg} query={color} frac={frac:.2f}",
                    )
                )
    for ratio, sizes in MODEL_SIZES.items():
        for w, h in sizes:
            for query in MODEL_SIZES:
                ok = aspect_ratio_decision(w, h, query)[0]
                out.append(Decision("aspect_ratio", query == ratio, ok, f"{w}x{h} query={query}"))
    assert set(MODEL_SIZES) <= set(STANDARD_RATIOS)
    return out


def accuracy(decisions: list[Decision]) -> dict[str, tuple[float, int, list[Decision]]]:
    """Per decision name: (accuracy, count, the wrong ones)."""
    names = sorted({d.name for d in decisions})
    result = {}
    for name in names:
        ds = [d for d in decisions if d.name == name]
        wrong = [d for d in ds if d.expected != d.got]
        result[name] = (1 - len(wrong) / len(ds), len(ds), wrong)
    return result
