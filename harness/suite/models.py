"""What each image model accepts (aspect ratios, sizes), so a bad combination fails before it costs money."""

from __future__ import annotations

import difflib

from harness.models import ALIASES, BASE_RATIOS, EXTREME_RATIOS, STANDARD_RATIOS
from harness.models import canonical_model as canonical
from harness.prices import PRICES

SIZES = ("512", "1K", "2K", "4K")

_RATIOS: dict[str, tuple[str, ...]] = {
    "gemini-2.5-flash-image": BASE_RATIOS,
    "gemini-3-pro-image-preview": BASE_RATIOS,
    "gemini-3.1-flash-image": BASE_RATIOS + EXTREME_RATIOS,
}
_SIZES: dict[str, tuple[str, ...]] = {
    "gemini-2.5-flash-image": ("1K",),
    "gemini-3-pro-image-preview": ("1K", "2K", "4K"),
    "gemini-3.1-flash-image": SIZES,
}


# Input token limits ("Maximum input tokens") from Google's model pages, read 2026-12: for
# gemini-2.5-flash-image cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/2-5-flash-image
# (32,768), for gemini-3-pro-image-preview docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/
# 3-pro-image (65,536), for gemini-3.1-flash-image-preview .../models/gemini/3-1-flash-image (131,072). A
# prompt is counted at about four characters a token, so only a prompt clearly over the limit is refused.
_INPUT_TOKENS: dict[str, int] = {
    "gemini-2.5-flash-image": 32_768,
    "gemini-3-pro-image-preview": 65_536,
    "gemini-3.1-flash-image": 131_072,
}
CHARS_PER_TOKEN = 4


def max_prompt_chars(model: str) -> int | None:
    """The longest prompt `model` takes, in characters (None: a model whose limit we do not know)."""
    limit = _INPUT_TOKENS.get(canonical(model))
    return None if limit is None else limit * CHARS_PER_TOKEN


def check_prompt_length(model: str, prompt: str) -> str | None:
    """A problem sentence when `prompt` cannot fit the model's input, else None (unknown models pass)."""
    longest = max_prompt_chars(model)
    if longest is None or len(prompt) <= longest:
        return None
    limit = longest // CHARS_PER_TOKEN
    return (
        f"the prompt is {len(prompt):,} characters, about {len(prompt) // CHARS_PER_TOKEN:,} tokens; "
        f"{model} accepts at most {limit:,} input tokens"
    )


def known_models() -> list[str]:
    return sorted({*PRICES, *ALIASES, *_RATIOS})


def image_models() -> list[str]:
    return sorted(_RATIOS)


def is_image_model(model: str) -> bool | None:
    """True/False for a model we know; None for one we do not (the API decides)."""
    name = canonical(model)
    if name in _RATIOS:
        return True
    if name in PRICES:
        return bool(PRICES[name].image_tokens)
    return None


def allowed_ratios(model: str) -> tuple[str, ...]:
    return _RATIOS.get(canonical(model), STANDARD_RATIOS)


def allowed_sizes(model: str) -> tuple[str, ...]:
    return _SIZES.get(canonical(model), SIZES)


def check_ratio(model: str, ratio: str) -> str | None:
    """A problem sentence, or None when `ratio` is fine for `model`."""
    allowed = allowed_ratios(model)
    if ratio in allowed:
        return None
    if ratio in STANDARD_RATIOS:
        return f"aspect ratio '{ratio}' is not available on {model} (allowed: {' '.join(allowed)})"
    return f"aspect ratio '{ratio}' is not one the models accept (allowed for {model}: {' '.join(allowed)})"


def check_size(model: str, size: str) -> str | None:
    allowed = allowed_sizes(model)
    if size in allowed:
        return None
    if size.upper() in allowed:
        return f"image size '{size}' must be written '{size.upper()}' (uppercase K)"
    if size in SIZES:
        return f"image size '{size}' is not available on {model} (allowed: {' '.join(allowed)})"
    return f"image size '{size}' is not one the models accept (allowed for {model}: {' '.join(allowed)})"


def model_warning(model: str) -> str | None:
    """What is wrong with a model name we do not know (an error unless --allow-unknown-model: new models
    appear), with the known name it resembles."""
    if canonical(model) in known_models():
        return None
    close = difflib.get_close_matches(model, known_models(), n=1, cutoff=0.8)
    hint = f"; did you mean '{close[0]}'?" if close else " (the API will decide whether it exists)"
    return f"unknown model '{model}'{hint}"
