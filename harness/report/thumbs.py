"""Page images: small JPEG data URIs (cached per sha256) and a relative link to the full-size file."""

from __future__ import annotations

import base64
import io
import os
from functools import lru_cache
from pathlib import Path

from PIL import Image

THUMB_PX = 256


@lru_cache(maxsize=8192)
def _thumb(path: str, sha: str, size: int) -> str | None:
    try:
        with Image.open(path) as im:
            im.thumbnail((size, size))
            rgb = im.convert("RGB")
    except (OSError, ValueError):
        return None
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=78, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail(run_dir: Path, rel_path: str, sha: str, size: int = THUMB_PX) -> str | None:
    """A downscaled JPEG data URI of a stored image, or None when the file is missing or undecodable."""
    return _thumb(str(run_dir / rel_path), sha, size)


def link(run_dir: Path, rel_path: str, page: Path) -> str:
    """The full-size image relative to the page, so it opens from disk wherever the page was written."""
    target = (run_dir / rel_path).resolve()
    return Path(os.path.relpath(target, page.resolve().parent)).as_posix()
