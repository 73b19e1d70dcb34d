"""File and clock helpers every layer shares: a write that is all or nothing, one timestamp format, the
project root a suite's files must stay under, whether an image file decodes, and the garbage collector
around bulk loads and long runs."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Readers see the old file or the new one, never half of either (temp file, fsync, rename).

    `sync` False skips the fsync, for files that may be lost (a cache): a killed process still loses
    nothing, but a power cut may leave the file empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results and cassettes are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_file(value: str) -> Path:
    """argparse `type=` for a file the command writes: a folder there, or a file where a folder must be,
    is a usage error (exit 2) before any work, not a traceback from the final write."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; give a file name, e.g. {path / 'out.html'}")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise argparse.ArgumentTypeError(f"{folder} is a file, so {path} cannot be written under it")
            break
    return path


ROOT_MARKERS = ("pyproject.toml", ".git")


def project_root(folder: Path) -> Path:
    """The folder a suite's files must stay in: from the suite's `folder` up, the nearest one with
    pyproject.toml or .git, else the suite's folder itself."""
    here = Path(folder).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return here


def outside(path: Path, roots: Iterable[Path]) -> Path | None:
    """`path` resolved (symlinks followed) when it lies under none of `roots`, else None."""
    resolved = Path(path).resolve()
    for root in roots:
        if resolved.is_relative_to(Path(root).resolve()):
            return None
    return resolved


def image_problem(path: Path) -> str | None:
    """Why an image file cannot be used (not an image, truncated, a decompression bomb), or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
    except Image.DecompressionBombError as exc:
        return f"too many pixels to decode safely ({exc})"
    except UnidentifiedImageError:
        return "not an image Pillow can decode (PNG, JPEG, WebP, GIF...)"
    except (OSError, ValueError, SyntaxError) as exc:
        return f"the image does not decode ({exc})"
    return None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """A bulk load (a suite, a cassette's YAML, a run's trial records) allocates many small containers and
    none of them is garbage; the cyclic collector would walk them again and again. Paused for the load
    only. What the load made is then handed to the oldest generation unscanned (freeze, unfreeze), so the
    next young collections do not walk all of it at once; it stays collectable. Not while something else
    keeps objects frozen (a run's `gc_frozen`, or the host's own): unfreezing would end that freeze."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def gc_frozen() -> Iterator[None]:
    """What is alive on entry (a run's suites, plans and cassettes) is left out of every collection until
    the exit, so a long run's collections walk only what its trials allocate, not the 10,000-interaction
    cassette each time. A host that froze objects itself keeps its own freeze (nothing is done then)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
