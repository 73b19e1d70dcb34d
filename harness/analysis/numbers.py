"""How a number reads in a table or a page: a few significant digits, never scientific notation."""

from __future__ import annotations

import math


def significant(value: float | None, digits: int = 3) -> str:
    """`value` to `digits` significant digits (0.884, 12.3), whole numbers from 10**digits up (1024, not
    1.02e+03); '–' when there is no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value != 0 and abs(value) >= 10**digits:
        return f"{value:.0f}"
    text = f"{value:#.{digits}g}" if value else "0"
    if "e" in text:  # tiny values: fixed point with enough places for `digits` significant digits
        places = digits - 1 - math.floor(math.log10(abs(value)))
        text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
