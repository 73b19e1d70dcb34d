"""StepPlan -> what the SDK sends: the user parts and the GenerateContentConfig.

Images go as raw file bytes (Part.from_bytes), never through PIL, so the bytes on the wire, their hashes
and any recorded cassette stay identical across Pillow versions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from google.genai import types

from harness.plan import GenConfig, StepPlan
from harness.store import image_ref


def wants_image(config: GenConfig) -> bool:
    return any(m.upper() == "IMAGE" for m in config.response_modalities)


def image_part(path: Path) -> types.Part:
    data = Path(path).read_bytes()
    ref, _ = image_ref(data)
    return types.Part.from_bytes(data=data, mime_type=ref.mime)


def build_parts(step: StepPlan) -> list[types.Part]:
    """The prompt first, then the images to edit, then the style/composition references."""
    parts = [types.Part.from_text(text=step.prompt)]
    parts.extend(image_part(p) for p in step.inputs)
    parts.extend(image_part(p) for p in step.references)
    return parts


def build_config(config: GenConfig, timeout_s: float | None = None) -> types.GenerateContentConfig:
    """SDK retries stay off (the runner retries); no function calling; the timeout applies per request."""
    image_config = None
    if (wants_image(config) or not config.response_modalities) and (config.aspect_ratio or config.image_size):
        image_config = types.ImageConfig(aspect_ratio=config.aspect_ratio, image_size=config.image_size)
    seconds = timeout_s if timeout_s is not None else config.timeout_s
    return types.GenerateContentConfig(
        response_modalities=list(config.response_modalities) or None,
        image_config=image_config,
        temperature=config.temperature,
        seed=config.seed,
        system_instruction=config.system_instruction,
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        http_options=types.HttpOptions(timeout=int(seconds * 1000)),
    )


def config_record(config: GenConfig) -> dict[str, Any]:
    """The step's settings as stored in the trial record (JSON-ready)."""
    data = dataclasses.asdict(config)
    data["response_modalities"] = list(config.response_modalities)
    return data


def relative_path(path: Path, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
