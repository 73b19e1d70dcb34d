"""Near-miss hints and name repair, shared by every part of suite loading."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """' Did you mean 'x'?' for a near miss, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return f" Did you mean '{close[0]}'?" if close else ""


def safe_name(text: str) -> str:
    """`text` made into a valid case, suite or variant name ('watch on white' -> 'watch-on-white')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._") or "unnamed"
