"""Shared pixel helpers: decode once, shrink once to a working size, then measure the small copy.

Every image scorer works on a `Prepared` image, a 128-px copy whose Lab pixels, hashes and statistics are
computed lazily and cached, so ten scorers on one image cost about one decode plus one downscale.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageColor

from harness.scoring import cielab

if TYPE_CHECKING:
    import imagehash


# imagehash's pHash and SSIM's box filter load scipy (a quarter of a second or more): they are imported
# when pixels are first measured, not when the scorers are registered, so `harness validate` and
# `--version` stay quick. Scoring runs in threads, and scipy's submodules import each other: two threads
# importing different ones at once can meet a half-initialised module. One lock makes the first
# measurement import them all.
_IMPORT_LOCK = threading.Lock()


@dataclass(frozen=True)
class _PixelLibraries:
    uniform_filter: Any
    imagehash: Any


_libraries: list[_PixelLibraries] = []


def _pixel_libraries() -> _PixelLibraries:
    if not _libraries:
        with _IMPORT_LOCK:
            if not _libraries:
                import imagehash as hashes
                import scipy.fftpack  # noqa: F401 (imagehash.phash imports it on its first call)
                from scipy.ndimage import uniform_filter as box

                _libraries.append(_PixelLibraries(box, hashes))
    return _libraries[0]


deltaE_ciede2000 = cielab.deltaE_ciede2000


WORK_SIZE = 128  # longest side of the working copy every statistic is measured on
SSIM_SIZE = 64  # SSIM compares structure, not pixel noise: a re-encode or resize should not move it
HASHES = ("phash", "dhash", "whash", "colorhash")


@dataclass
class Prepared:
    """One decoded image: its true size and format, plus a small RGB working copy."""

    width: int
    height: int
    format: str  # PNG, JPEG, WEBP, ... as Pillow reads it
    small: Image.Image
    source: Path | bytes | None = None
    _hashes: dict[str, imagehash.ImageHash] = field(default_factory=dict)
    _squeezed: dict[tuple[int, int, bool], np.ndarray] = field(default_factory=dict)
    _stats: dict[str, float] = field(default_factory=dict)
    _windows: dict[int, _Windowed] = field(default_factory=dict)

    @cached_property
    def rgb(self) -> np.ndarray:
        """Working copy as float RGB in 0..1, shape (h, w, 3)."""
        return np.asarray(self.small, dtype=np.float32) / 255.0

    @cached_property
    def lab(self) -> np.ndarray:
        """Working copy in CIE Lab, shape (h, w, 3); the same values as `cielab.rgb2lab(self.rgb)`."""
        return cielab.lab_u8(np.asarray(self.small))

    @cached_property
    def gray(self) -> np.ndarray:
        return np.asarray(self.small.convert("L"), dtype=np.float32) / 255.0

    def squeezed(
        self, size: int, resample: Image.Resampling = Image.Resampling.BILINEAR, lab: bool = False
    ) -> np.ndarray:
        """The working copy squeezed to size x size, float RGB in 0..1 (or its Lab), kept: a chain step
        is compared with the one before and the one after, a golden image with every step."""
        key = (size, int(resample), lab)
        found = self._squeezed.get(key)
        if found is None:
            if lab:
                found = cielab.lab_u8(np.asarray(self.small.resize((size, size), resample)))
            else:
                found = np.asarray(self.small.resize((size, size), resample), np.float32) / 255
            self._squeezed[key] = found
        return found

    def windowed(self, size: int = SSIM_SIZE) -> _Windowed:
        """The squeezed copy's half of SSIM (channels, local means and variances), kept: a chain step is
        compared with the one before and the one after, a golden image with every step."""
        found = self._windows.get(size)
        if found is None:
            found = self._windows[size] = _windowed(self.squeezed(size))
        return found

    def hash(self, kind: str = "phash") -> imagehash.ImageHash:
        imagehash = _pixel_libraries().imagehash

        if kind not in self._hashes:
            if kind == "phash":
                self._hashes[kind] = imagehash.phash(self.small)
            elif kind == "dhash":
                self._hashes[kind] = imagehash.dhash(self.small)
            elif kind == "whash":
                self._hashes[kind] = imagehash.whash(self.small)
            elif kind == "colorhash":
                self._hashes[kind] = imagehash.colorhash(self.small)
            else:
                raise ValueError(f"unknown hash '{kind}'; use one of {', '.join(HASHES)}")
        return self._hashes[kind]

    def full(self) -> Image.Image:
        """The full-resolution RGB image (OCR and the judge need it); decoded again, not cached."""
        src = io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source
        with Image.open(src) as im:
            return _to_rgb(im)

    def with_region_from(self, other: Prepared, region: tuple[float, float, float, float]) -> Prepared:
        """A copy whose `region` (fractions x0, y0, x1, y1) holds `other`'s pixels, so an edit inside
        the region is invisible to the comparison."""
        base = self.small.copy()
        donor = other.small.resize(base.size, Image.Resampling.BILINEAR)
        w, h = base.size
        box = (
            int(region[0] * w),
            int(region[1] * h),
            int(np.ceil(region[2] * w)),
            int(np.ceil(region[3] * h)),
        )
        base.paste(donor.crop(box), box[:2])
        return Prepared(self.width, self.height, self.format, base)


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB with transparency composited on white, the way a viewer shows a cut-out product."""
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return im.convert("RGB")


def prepare(source: Path | bytes, work_size: int = WORK_SIZE) -> Prepared:
    """Decode and shrink in one pass; JPEGs decode straight at a reduced scale (Pillow's draft mode)."""
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
        width, height = im.size
        fmt = (im.format or "").upper()
        if fmt == "JPEG":
            im.draft("RGB", (work_size, work_size))
        im.load()
        if max(im.size) > work_size:
            im.thumbnail((work_size, work_size), Image.Resampling.BILINEAR, reducing_gap=1.0)
        small = _to_rgb(im)
    return Prepared(width, height, fmt, small, source)


def parse_color(spec: str) -> tuple[int, int, int]:
    """A CSS colour name or hex code, as Pillow's ImageColor reads them."""
    try:
        rgb = ImageColor.getrgb(spec.strip())
    except ValueError as exc:
        raise ValueError(f"'{spec}' is not a colour; use a CSS name (white, navy) or hex (#f5f5dc)") from exc
    return rgb[0], rgb[1], rgb[2]


_COLOR_LABS: dict[tuple[int, int, int], np.ndarray] = {}
_COLOR_LABS_MAX = 4096
_COLOR_LOCK = threading.Lock()


def color_lab(rgb: tuple[int, int, int]) -> np.ndarray:
    """One colour's Lab (read-only: it is kept), converted once: scorers ask for the same few often."""
    return colors_lab([rgb])[0]


def colors_lab(rgbs: list[tuple[int, int, int]]) -> list[np.ndarray]:
    """Each colour's Lab, the ones not yet known converted in one call: a (k, 1, 3) array is k 1x1
    images, each converted by the same operations (a vector-matrix product per pixel) as on its own."""
    with _COLOR_LOCK:
        found = {c: _COLOR_LABS[c] for c in rgbs if c in _COLOR_LABS}
    missing = [c for c in dict.fromkeys(rgbs) if c not in found]
    if missing:
        labs = cielab.lab_u8(np.asarray(missing, dtype=np.uint8).reshape(-1, 1, 3))
        for rgb, lab in zip(missing, labs[:, 0], strict=True):
            lab.flags.writeable = False
            found[rgb] = lab
        with _COLOR_LOCK:
            if len(_COLOR_LABS) + len(missing) > _COLOR_LABS_MAX:
                _COLOR_LABS.clear()
            _COLOR_LABS.update((c, found[c]) for c in missing)
    return [found[c] for c in rgbs]


def delta_e(lab_pixels: np.ndarray, lab_color: np.ndarray) -> np.ndarray:
    """CIEDE2000 distance of each pixel to one colour (about 2.3 is a just-noticeable difference)."""
    return deltaE_ciede2000(lab_pixels, np.broadcast_to(lab_color, lab_pixels.shape))


def border_mask(height: int, width: int, fraction: float) -> np.ndarray:
    """True on the outer band: `fraction` of the width/height on each side."""
    bh, bw = max(1, round(height * fraction)), max(1, round(width * fraction))
    mask = np.ones((height, width), dtype=bool)
    mask[bh : height - bh, bw : width - bw] = False
    return mask


def hash_distance(a: Prepared, b: Prepared, kind: str = "phash") -> int:
    """Hamming distance of two perceptual hashes (phash/dhash/whash: 64 bits; colorhash: 42 bits)."""
    return int(a.hash(kind) - b.hash(kind))


def ssim(a: Prepared, b: Prepared, size: int = SSIM_SIZE) -> float:
    """Structural similarity over the RGB channels of two copies squeezed to the same small square.

    Per channel, so a background swapped for one of similar lightness still counts as a change, while a
    white-balance or brightness edit (a per-channel scaling) barely moves it."""
    return _similarity(a.windowed(size), b.windowed(size))


SSIM_WINDOW = 7


@dataclass(frozen=True)
class _Windowed:
    """What SSIM computes from one image alone: its channels (channel, row, column), their local means
    and sample variances over the window."""

    x: np.ndarray
    mean: np.ndarray
    var: np.ndarray


def _box(x: np.ndarray) -> np.ndarray:
    return np.asarray(_pixel_libraries().uniform_filter(x, size=(1, SSIM_WINDOW, SSIM_WINDOW)))


_COV_NORM = SSIM_WINDOW**2 / (SSIM_WINDOW**2 - 1)  # sample covariance


def _windowed(im: np.ndarray) -> _Windowed:
    x = np.ascontiguousarray(im.transpose(2, 0, 1), dtype=np.float32)
    ux, uxx = _box(x), _box(x * x)
    return _Windowed(x, ux, _COV_NORM * (uxx - ux * ux))


def structural_similarity(im1: np.ndarray, im2: np.ndarray) -> float:
    """scikit-image's `structural_similarity(im1, im2, data_range=1.0, channel_axis=2)`, the same float32
    operations in the same order (so the same value, bit for bit), on the three channels at once: one
    filter call per statistic instead of one per channel, no per-channel call overhead."""
    return _similarity(_windowed(im1), _windowed(im2))


def _similarity(a: _Windowed, b: _Windowed) -> float:
    """SSIM from each image's own half (`_windowed`, which `ssim` keeps per image) and their covariance."""
    ux, uy, vx, vy = a.mean, b.mean, a.var, b.var
    vxy = _COV_NORM * (_box(a.x * b.x) - ux * uy)
    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    a1, a2, b1, b2 = 2 * ux * uy + c1, 2 * vxy + c2, ux**2 + uy**2 + c1, vx + vy + c2
    s = (a1 * a2) / (b1 * b2)
    pad = (SSIM_WINDOW - 1) // 2
    means = [s[c, pad:-pad, pad:-pad].mean(dtype=np.float64) for c in range(s.shape[0])]
    return float(np.array(means, dtype=np.float32).mean())


def color_shift(a: Prepared, b: Prepared, size: int = 16) -> float:
    """Mean CIEDE2000 between two heavily blurred copies: a colour or light edit, immune to small shifts."""
    box = Image.Resampling.BOX
    return float(deltaE_ciede2000(a.squeezed(size, box, lab=True), b.squeezed(size, box, lab=True)).mean())


def changed_share(a: Prepared, b: Prepared, pixel_delta_e: float = 6.0, size: int = 64) -> float:
    """Share of pixels (at size x size) whose CIEDE2000 moved more than pixel_delta_e: a local edit."""
    box = Image.Resampling.BOX
    moved = deltaE_ciede2000(a.squeezed(size, box, lab=True), b.squeezed(size, box, lab=True))
    return float((moved > pixel_delta_e).mean())


def brightness(p: Prepared) -> float:
    """Mean CIE L* (0 black .. 100 white)."""
    return float(p.lab[..., 0].mean())


def contrast(p: Prepared) -> float:
    """Standard deviation of L* (0 flat .. ~50 extreme)."""
    return float(p.lab[..., 0].std())


def saturation(p: Prepared) -> float:
    """Mean chroma C*ab = sqrt(a*^2 + b*^2) (0 gray .. ~100 vivid)."""
    return float(np.hypot(p.lab[..., 1], p.lab[..., 2]).mean())


def warmth(p: Prepared) -> float:
    """Red-minus-blue share of the image's light, 100 (mean R - mean B) / (mean R + G + B): 0 neutral,
    + warm (amber), - cool (blue). A ratio of means, so scaling the light (a brightness edit) and
    re-encoding leave it put, where Lab b* would move with brightness; an amber white-balance shift
    of ~8% moves it by 2.5 or more."""
    m = p.rgb.reshape(-1, 3).mean(axis=0)
    return float(100.0 * (m[0] - m[2]) / max(float(m.sum()), 1e-6))


STATS = {"brightness": brightness, "contrast": contrast, "saturation": saturation, "warmth": warmth}


def stat(p: Prepared, name: str) -> float:
    """STATS[name] of the image, measured once: `warmth` and `warmer` read the same value, and so does
    the next step's `warmer`, for its previous image."""
    found = p._stats.get(name)
    if found is None:
        found = p._stats[name] = STATS[name](p)
    return found


def dominant_colors(p: Prepared, n: int = 6) -> list[tuple[np.ndarray, float]]:
    """The n main colours (Lab) with their share of pixels, by Pillow's median-cut quantizer on a 64-px
    box-filtered copy (median cut is slow on grainy images, and the grain is not a colour)."""
    tiny = p.small.resize((64, 64), Image.Resampling.BOX)
    quant = tiny.quantize(colors=n, method=Image.Quantize.MEDIANCUT)
    palette = quant.getpalette() or []
    counts = quant.getcolors(n) or []
    total = sum(c for c, _ in counts) or 1
    ranked = sorted(counts, reverse=True)
    rgbs = [(palette[i * 3], palette[i * 3 + 1], palette[i * 3 + 2]) for _, i in ranked]
    return [(lab, count / total) for lab, (count, _) in zip(colors_lab(rgbs), ranked, strict=True)]
