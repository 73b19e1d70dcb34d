"""Facts about Gemini model names every layer shares: the canonical name, the aspect ratios accepted."""

from __future__ import annotations

ALIASES = {"gemini-3.1-flash-image-preview": "gemini-3.1-flash-image"}
# the judge when a suite names none (`judge:` in a suite, `model:` of one judge expectation)
DEFAULT_JUDGE_MODEL = "gemini-2.5-flash"

BASE_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
EXTREME_RATIOS = ("1:4", "4:1", "1:8", "8:1")  # gemini-3.1-flash-image only
STANDARD_RATIOS = BASE_RATIOS + EXTREME_RATIOS  # every ratio some image model accepts


def canonical_model(model: str) -> str:
    """`models/gemini-3.1-flash-image-preview` -> `gemini-3.1-flash-image`: the name tables are keyed by."""
    name = model.removeprefix("models/")
    return ALIASES.get(name, name)
