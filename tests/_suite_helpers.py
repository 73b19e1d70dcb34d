"""Helpers for the suite tests: write suites, templates, presets and images into a tmp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def png(root: Path, rel: str, color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), color).save(path)
    return path


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle` (so tests do not hard-code line numbers)."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    return hits[nth - 1]
