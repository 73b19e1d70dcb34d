"""Numbers in reasons, rounded honestly: a value is shown with as many decimals as it takes to sit on the
same side of its threshold as it really does, so a 2.98 that failed a 3.0 threshold never reads "3.0"."""

from __future__ import annotations

MAX_DECIMALS = 6


def _side(a: float, b: float) -> int:
    return (a > b) - (a < b)


def near(value: float, bound: float | None, decimals: int = 1, sign: bool = False) -> str:
    """`value` to `decimals` places, or more where fewer would put it on the other side of `bound` or
    make it look equal to it."""
    d = decimals
    if bound is not None:
        while d < MAX_DECIMALS and _side(round(value, d), bound) != _side(value, bound):
            d += 1
    return f"{value:{'+' if sign else ''}.{d}f}"


def percent(fraction: float, bound: float | None = None, decimals: int = 0) -> str:
    """A fraction as a percentage, honest about `bound` (a fraction too)."""
    return near(fraction * 100, None if bound is None else bound * 100, decimals) + "%"
