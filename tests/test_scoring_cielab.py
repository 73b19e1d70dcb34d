"""harness.scoring.cielab must give scikit-image's Lab and CIEDE2000 bit for bit: every pixel score
(background, palette, brightness, changed, ...) and every cached score key depends on them."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000 as reference_delta
from skimage.color import rgb2lab as reference_lab

from harness.scoring import cielab, imaging


def _colours() -> np.ndarray:
    """Every grey, every value of each channel alone, the cube's corners, and random colours: (n, 3) uint8."""
    ramp = np.arange(256)
    zero = np.zeros(256, dtype=int)
    edges = [0, 1, 10, 11, 127, 128, 254, 255]
    corners = np.array([(r, g, b) for r in edges for g in edges for b in edges])
    rng = np.random.default_rng(7)
    parts = [
        np.stack([ramp, ramp, ramp], 1),
        np.stack([ramp, zero, zero], 1),
        np.stack([zero, ramp, zero], 1),
        np.stack([zero, zero, ramp], 1),
        corners,
        rng.integers(0, 256, (16384 - 4 * 256 - len(corners), 3)),
    ]
    return np.concatenate(parts).astype(np.uint8)


@pytest.mark.parametrize("shape", [(128, 128, 3), (64, 256, 3), (16384, 1, 3)])
def test_lab_is_scikit_images_bit_for_bit(shape: tuple[int, int, int]) -> None:
    u8 = _colours().reshape(shape)
    want = reference_lab(u8.astype(np.float32) / 255.0)
    assert want.dtype == np.float32
    assert cielab.lab_u8(u8).tobytes() == want.tobytes()
    assert cielab.rgb2lab(u8.astype(np.float32) / 255.0).tobytes() == want.tobytes()
    as64 = u8.astype(np.float64) / 255.0
    assert cielab.rgb2lab(as64).tobytes() == reference_lab(as64).tobytes()


def test_colours_converted_together_are_converted_as_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The palette's dominant colours go through one call; each must be what converting it alone gives,
    also when the kept table overflows in the middle of a call."""
    monkeypatch.setattr(imaging, "_COLOR_LABS", {})
    monkeypatch.setattr(imaging, "_COLOR_LABS_MAX", 8)
    colours = [tuple(int(v) for v in c) for c in _colours()[::97]]
    for start in range(0, len(colours), 6):
        batch = colours[start : start + 6] + colours[:2]  # two already known, the rest new
        for rgb, lab in zip(batch, imaging.colors_lab(batch), strict=True):  # type: ignore[arg-type]
            want = reference_lab(np.asarray([[rgb]], dtype=np.float32) / 255.0)[0, 0]
            assert lab.tobytes() == want.tobytes() and not lab.flags.writeable


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ciede2000_is_scikit_images_bit_for_bit(dtype: type) -> None:
    labs = reference_lab(_colours().reshape(128, 128, 3).astype(dtype) / 255.0)
    other = labs[::-1, ::-1]
    assert cielab.deltaE_ciede2000(labs, other).tobytes() == reference_delta(labs, other).tobytes()
    white = labs[127, 127]
    flat = labs.reshape(-1, 3)
    fixed = np.broadcast_to(white, flat.shape)  # the background scorer's case: every pixel to one colour
    assert cielab.deltaE_ciede2000(flat, fixed).tobytes() == reference_delta(flat, fixed).tobytes()
    assert cielab.deltaE_ciede2000(flat, flat).tobytes() == reference_delta(flat, flat).tobytes()
    grey = labs[0, :256]  # zero chroma: the hue terms' special cases
    assert cielab.deltaE_ciede2000(grey, grey[::-1]).tobytes() == reference_delta(grey, grey[::-1]).tobytes()
    a, b = flat[5], flat[9000]
    assert float(cielab.deltaE_ciede2000(a, b)) == float(reference_delta(a, b))
