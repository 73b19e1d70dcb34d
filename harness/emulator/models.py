"""Per-model profiles: what each emulated Gemini model answers (pixel sizes, mime, tokens, latency, style).

Sizes follow the published tables for each model; a request the table cannot serve is a 400, as on the
real API. Token counts and latencies are the figures real responses show (2.5 flash bills 1290 tokens).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RATIOS_1K_FLASH25 = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
# Gemini 3 image models: the 1K grid; 2K and 4K are exact multiples, 512 is half.
RATIOS_1K_GEMINI3 = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
EXTRA_RATIOS_31 = {"1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384)}


def _scaled(table: dict[str, tuple[int, int]], factor: float) -> dict[str, tuple[int, int]]:
    return {r: (int(w * factor), int(h * factor)) for r, (w, h) in table.items()}


@dataclass(frozen=True)
class ModelProfile:
    """How one emulated model behaves; `sizes` maps image size -> aspect ratio -> (width, height)."""

    name: str
    kind: str  # "image" or "text"
    display_name: str
    mime: str = "image/png"
    sizes: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    default_size: str = "1K"
    no_ratio_size: tuple[int, int] | None = None  # what the model answers when no aspect ratio is asked
    image_tokens: dict[str, int] = field(default_factory=dict)
    input_image_tokens: int = 258
    thinking: bool = False  # reports thoughtsTokenCount and sends thoughtSignature
    signature_bytes: tuple[int, int] = (0, 0)  # (text part, image part) signature sizes
    latency_s: float = 1.0  # realistic seconds per answer before latency_scale
    style: str = "flat"
    ignores_image_size: bool = False

    def pixel_size(self, aspect_ratio: str | None, image_size: str | None) -> tuple[int, int]:
        """The (width, height) answered; raises ValueError with the accepted values when unsupported."""
        size = self.default_size if (self.ignores_image_size or not image_size) else image_size.upper()
        if size not in self.sizes:
            raise ValueError(
                f"imageSize {image_size!r} is not supported by {self.name}; use one of {sorted(self.sizes)}"
            )
        table = self.sizes[size]
        if not aspect_ratio:
            if self.no_ratio_size and size == self.default_size:
                return self.no_ratio_size
            return table["1:1"]
        if aspect_ratio not in table:
            raise ValueError(
                f"aspectRatio {aspect_ratio!r} is not supported by {self.name}; use one of {list(table)}"
            )
        return table[aspect_ratio]

    def tokens_for(self, image_size: str | None) -> int:
        size = self.default_size if (self.ignores_image_size or not image_size) else image_size.upper()
        return self.image_tokens.get(size, self.image_tokens.get(self.default_size, 0))

    def ratio_for(self, width: int, height: int, image_size: str | None) -> str:
        """The table's aspect ratio closest to an input image's (edits keep the input's shape)."""
        size = self.default_size if (self.ignores_image_size or not image_size) else image_size.upper()
        table = self.sizes.get(size, self.sizes[self.default_size])
        target = width / max(height, 1)
        return min(table, key=lambda r: abs(table[r][0] / table[r][1] - target))


_G3_SIZES = {
    "1K": RATIOS_1K_GEMINI3,
    "2K": _scaled(RATIOS_1K_GEMINI3, 2),
    "4K": _scaled(RATIOS_1K_GEMINI3, 4),
}
_G31 = {**RATIOS_1K_GEMINI3, **EXTRA_RATIOS_31}

MODELS: dict[str, ModelProfile] = {
    "gemini-2.5-flash-image": ModelProfile(
        name="gemini-2.5-flash-image",
        kind="image",
        display_name="Nano Banana",
        mime="image/png",
        sizes={"1K": RATIOS_1K_FLASH25},
        image_tokens={"1K": 1290},
        latency_s=6.0,
        style="flat",
        ignores_image_size=True,
    ),
    "gemini-3-pro-image-preview": ModelProfile(
        name="gemini-3-pro-image-preview",
        kind="image",
        display_name="Nano Banana Pro",
        mime="image/jpeg",
        sizes=_G3_SIZES,
        no_ratio_size=(1408, 768),
        image_tokens={"1K": 1120, "2K": 1120, "4K": 2000},
        input_image_tokens=1120,
        thinking=True,
        signature_bytes=(24_000, 24_000),
        latency_s=20.0,
        style="shaded",
    ),
    "gemini-3.1-flash-image": ModelProfile(
        name="gemini-3.1-flash-image",
        kind="image",
        display_name="Nano Banana 2",
        mime="image/jpeg",
        sizes={"512": _scaled(_G31, 0.5), "1K": _G31, "2K": _scaled(_G31, 2), "4K": _scaled(_G31, 4)},
        image_tokens={"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
        input_image_tokens=1120,
        thinking=True,
        signature_bytes=(1_200, 320_000),
        latency_s=8.0,
        style="grain",
    ),
    "gemini-2.5-flash": ModelProfile(
        name="gemini-2.5-flash",
        kind="text",
        display_name="Gemini 2.5 Flash",
        thinking=True,
        latency_s=1.5,
    ),
    "gemini-3-flash-preview": ModelProfile(
        name="gemini-3-flash-preview",
        kind="text",
        display_name="Gemini 3 Flash Preview",
        thinking=True,
        input_image_tokens=1120,
        signature_bytes=(600, 0),
        latency_s=2.0,
    ),
}
ALIASES = {"gemini-3.1-flash-image-preview": "gemini-3.1-flash-image"}


def get_model(name: str) -> ModelProfile | None:
    """The profile for a model name with or without the `models/` prefix; None when not emulated."""
    bare = name.removeprefix("models/")
    return MODELS.get(ALIASES.get(bare, bare))


def model_resource(profile: ModelProfile) -> dict:
    """A `models.get`/`models.list` entry shaped like the real API's Model resource."""
    methods = ["generateContent", "countTokens", "batchGenerateContent"]
    return {
        "name": f"models/{profile.name}",
        "version": "001",
        "displayName": profile.display_name,
        "description": f"{profile.display_name} (emulated by prompt-harness: procedural output)",
        "inputTokenLimit": 32768 if profile.kind == "image" else 1048576,
        "outputTokenLimit": 32768 if profile.kind == "image" else 65536,
        "supportedGenerationMethods": methods,
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
        "thinking": profile.thinking,
    }
