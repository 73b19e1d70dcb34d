"""sRGB to CIE Lab (D65, 2° observer) and CIEDE2000: scikit-image's `rgb2lab` and `deltaE_ciede2000`,
the same numpy operations on the same dtypes and array layouts, so the same values bit for bit
(tests/test_scoring_cielab.py compares them), without importing scikit-image and the scipy.linalg it
loads: a scoring worker starts sooner and the scorers skip its per-call argument handling.

The one shortcut: an 8-bit image's linearised sRGB is looked up (`lab_u8`) instead of recomputed per
pixel; the table holds the same operations' results on the 256 values `k / 255` a channel can take.
"""

from __future__ import annotations

import numpy as np

# skimage.color.colorconv: xyz_from_rgb and the D65 / 2° white point
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
WHITE_D65 = (0.95047, 1.0, 1.08883)
_DEG30, _DEG6, _DEG63 = np.deg2rad(30), np.deg2rad(6), np.deg2rad(63)  # numpy float64 scalars, as there


def _linearize(rgb: np.ndarray) -> np.ndarray:
    """skimage's rgb2xyz up to the matrix product: the sRGB curve undone, on a copy."""
    arr = rgb.copy()
    mask = arr > 0.04045
    arr[mask] = np.power((arr[mask] + 0.055) / 1.055, 2.4)
    arr[~mask] /= 12.92
    return arr


_LINEAR_U8 = _linearize(np.arange(256, dtype=np.float32) / 255.0)
_LINEAR_U8.flags.writeable = False


def _lab_from_linear(arr: np.ndarray) -> np.ndarray:
    """skimage's `xyz2lab(arr @ xyz_from_rgb.T)`; `arr` is C-contiguous with channels last, as there."""
    arr = arr @ XYZ_FROM_RGB.T.astype(arr.dtype)
    arr = arr / np.asarray(WHITE_D65, dtype=arr.dtype)
    mask = arr > 0.008856
    arr[mask] = np.cbrt(arr[mask])
    arr[~mask] = 7.787 * arr[~mask] + 16.0 / 116.0
    x, y, z = arr[..., 0], arr[..., 1], arr[..., 2]
    L = (116.0 * y) - 16.0
    a = 500.0 * (x - y)
    b = 200.0 * (y - z)
    return np.concatenate([c[..., np.newaxis] for c in [L, a, b]], axis=-1)


def rgb2lab(rgb: np.ndarray) -> np.ndarray:
    """Float RGB in 0..1, channels last (float32 stays float32) to Lab."""
    rgb = np.asarray(rgb)
    if rgb.dtype not in (np.float32, np.float64):
        rgb = rgb.astype(np.float64)
    return _lab_from_linear(_linearize(np.ascontiguousarray(rgb)))


def lab_u8(rgb: np.ndarray) -> np.ndarray:
    """8-bit RGB, channels last, to Lab: exactly `rgb2lab(rgb.astype(float32) / 255)`."""
    return _lab_from_linear(_LINEAR_U8[np.asarray(rgb, dtype=np.uint8)])


def _cart2polar_2pi(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, t = np.hypot(x, y), np.arctan2(y, x)
    t += np.where(t < 0.0, 2 * np.pi, 0)
    return r, t


def deltaE_ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 distance (kL = kC = kH = 1) of Lab arrays with channels last (float32 stays float32)."""
    lab1, lab2 = np.asarray(lab1), np.asarray(lab2)
    dtype = np.float32 if lab1.dtype == np.float32 and lab2.dtype == np.float32 else np.float64
    lab1, lab2 = lab1.astype(dtype, copy=False), lab2.astype(dtype, copy=False)
    unroll = lab1.ndim == 1 and lab2.ndim == 1
    if unroll:
        lab1, lab2 = lab1[None, :], lab2[None, :]
    L1, a1, b1 = np.moveaxis(lab1, source=-1, destination=0)[:3]
    L2, a2, b2 = np.moveaxis(lab2, source=-1, destination=0)[:3]

    Cbar = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    c7 = Cbar**7
    G = 0.5 * (1 - np.sqrt(c7 / (c7 + 25**7)))
    scale = 1 + G
    C1, h1 = _cart2polar_2pi(a1 * scale, b1)
    C2, h2 = _cart2polar_2pi(a2 * scale, b2)

    Lbar = 0.5 * (L1 + L2)
    tmp = (Lbar - 50) ** 2
    SL = 1 + 0.015 * tmp / np.sqrt(20 + tmp)
    L_term = (L2 - L1) / SL  # scikit-image divides by kL * SL, kL = 1: the same value

    Cbar = 0.5 * (C1 + C2)
    SC = 1 + 0.045 * Cbar
    C_term = (C2 - C1) / SC

    h_diff = h2 - h1
    h_sum = h1 + h2
    CC = C1 * C2

    dH = h_diff.copy()
    dH[h_diff > np.pi] -= 2 * np.pi
    dH[h_diff < -np.pi] += 2 * np.pi
    dH[CC == 0.0] = 0.0
    dH_term = 2 * np.sqrt(CC) * np.sin(dH / 2)

    Hbar = h_sum.copy()
    mask = np.logical_and(CC != 0.0, np.abs(h_diff) > np.pi)
    Hbar[mask * (h_sum < 2 * np.pi)] += 2 * np.pi
    Hbar[mask * (h_sum >= 2 * np.pi)] -= 2 * np.pi
    Hbar[CC == 0.0] *= 2
    Hbar *= 0.5

    T = (
        1
        - 0.17 * np.cos(Hbar - _DEG30)
        + 0.24 * np.cos(2 * Hbar)
        + 0.32 * np.cos(3 * Hbar + _DEG6)
        - 0.20 * np.cos(4 * Hbar - _DEG63)
    )
    SH = 1 + 0.015 * Cbar * T
    H_term = dH_term / SH

    c7 = Cbar**7
    Rc = 2 * np.sqrt(c7 / (c7 + 25**7))
    dtheta = _DEG30 * np.exp(-(((np.rad2deg(Hbar) - 275) / 25) ** 2))
    R_term = -np.sin(2 * dtheta) * Rc * C_term * H_term

    dE2 = L_term**2
    dE2 += C_term**2
    dE2 += H_term**2
    dE2 += R_term
    ans = np.sqrt(np.maximum(dE2, 0))
    return np.asarray(ans[0] if unroll else ans)
