"""The one price table: USD per million tokens, per model, with where each price came from.

Image output is billed as tokens; e.g. gemini-2.5-flash-image bills 1290 image tokens per 1K image at
$30/M = $0.039. Estimates before a run and costs after it both come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.record import Usage


@dataclass(frozen=True)
class Price:
    input_per_m: float
    text_output_per_m: float  # text and thinking tokens
    image_output_per_m: float
    image_tokens: dict[str, int]  # image_size -> output image tokens per image
    as_of: str
    source: str


_GEMINI_PRICING = "ai.google.dev/gemini-api/docs/pricing (standard tier, paid)"
Tier = Literal["standard", "batch"]
BATCH_DISCOUNT = 0.5  # every price of the table, for requests sent through the Batch API
BATCH_SOURCE = "ai.google.dev/gemini-api/docs/batch-mode (Batch API: 50% of the standard price)"
TIER_FACTOR: dict[str, float] = {"standard": 1.0, "batch": BATCH_DISCOUNT}

PRICES: dict[str, Price] = {
    "gemini-2.5-flash-image": Price(0.30, 2.50, 30.0, {"1K": 1290}, "2025-10", _GEMINI_PRICING),
    "gemini-3-pro-image-preview": Price(
        2.00, 12.0, 120.0, {"1K": 1120, "2K": 1120, "4K": 2000}, "2025-11", _GEMINI_PRICING
    ),
    "gemini-3.1-flash-image": Price(
        0.50, 3.0, 60.0, {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}, "2026-02", _GEMINI_PRICING
    ),
    "gemini-2.5-flash": Price(0.30, 2.50, 0.0, {}, "2025-06", _GEMINI_PRICING),
    "gemini-3-flash-preview": Price(0.50, 3.00, 0.0, {}, "2025-12", _GEMINI_PRICING),
}

ALIASES = {"gemini-3.1-flash-image-preview": "gemini-3.1-flash-image"}


def price_for(model: str) -> Price | None:
    name = model.removeprefix("models/")
    return PRICES.get(ALIASES.get(name, name))


def cost_usd(model: str, usage: Usage, tier: Tier = "standard") -> float:
    """Cost of one response from its reported usage; 0.0 for a model with no known price."""
    price = price_for(model)
    if price is None:
        return 0.0
    text_out = max(usage.output_tokens - usage.image_tokens, 0) + usage.thought_tokens
    return (
        TIER_FACTOR[tier]
        * (
            usage.prompt_tokens * price.input_per_m
            + text_out * price.text_output_per_m
            + usage.image_tokens * price.image_output_per_m
        )
        / 1e6
    )


def estimate_image_usd(
    model: str,
    image_size: str | None,
    images: int = 1,
    prompt_tokens: int = 50,
    tier: Tier = "standard",
) -> float:
    """A pre-run estimate: the image tokens the model bills for that size, plus a short prompt."""
    price = price_for(model)
    if price is None:
        return 0.0
    per_image = price.image_tokens.get(image_size or "1K") or max(price.image_tokens.values(), default=0)
    tokens = per_image * images
    usage = Usage(prompt_tokens=prompt_tokens, output_tokens=tokens, image_tokens=tokens)
    return cost_usd(model, usage, tier)
