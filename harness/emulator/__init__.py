"""A local Gemini-compatible image API: procedural images that follow the prompt, faults on demand.

`Emulator(host="127.0.0.1", port=0, faults=None, latency_scale=0.0)`, a context manager with `.url`.
`read_scene(image_bytes)` returns the scene an emulator image carries (None for other images).
"""

from __future__ import annotations

from harness.emulator.models import MODELS
from harness.emulator.render import SCENE_KEY, read_scene
from harness.emulator.server import Emulator

__all__ = ["MODELS", "SCENE_KEY", "Emulator", "read_scene"]
