"""Perceptual drift: pHash Hamming distance (0..64) between A's and B's image of the same trial step.

Hashes are computed from the stored image files once per sha256: kept in memory for the process and
in ``<run>/phash.json`` so a second diff of the same run does not decode its images again.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import imagehash
import numpy as np
import pandas as pd
from PIL import Image

from harness.files import atomic_write

CACHE_FILE = "phash.json"
_MEMORY: dict[str, int] = {}


class PhashCache:
    """pHash per sha256 for one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.dirty = False
        try:
            stored = json.loads((run_dir / CACHE_FILE).read_text(encoding="utf-8"))
            _MEMORY.update({k: int(v, 16) for k, v in stored.items()})
        except (OSError, ValueError):
            pass
        self.known: dict[str, int] = {}

    def get(self, sha: str, rel_path: str) -> int | None:
        if sha not in _MEMORY:
            try:
                with Image.open(self.run_dir / rel_path) as im:
                    _MEMORY[sha] = int(str(imagehash.phash(im)), 16)
            except (OSError, ValueError):
                return None
            self.dirty = True
        self.known[sha] = _MEMORY[sha]
        return _MEMORY[sha]

    def save(self) -> None:
        if not self.dirty:
            return
        path = self.run_dir / CACHE_FILE
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        old.update({sha: f"{value:016x}" for sha, value in self.known.items()})
        atomic_write(path, json.dumps(old, sort_keys=True).encode())
        self.dirty = False


def drift_distances(pairs: pd.DataFrame, dir_a: Path, dir_b: Path) -> pd.Series:
    """Distance per pair row (NaN when either side has no image); identical files cost no decoding."""
    out = pd.Series(np.nan, index=pairs.index, dtype="float64")
    both = pairs["image_sha256_a"].notna() & pairs["image_sha256_b"].notna()
    if not both.any():
        return out
    sub = pairs.loc[both, ["image_sha256_a", "image_path_a", "image_sha256_b", "image_path_b"]]
    same = sub["image_sha256_a"] == sub["image_sha256_b"]
    out.loc[same[same].index] = 0.0
    cache_a = PhashCache(dir_a)
    cache_b = cache_a if dir_b == dir_a else PhashCache(dir_b)
    distinct = sub[~same].drop_duplicates(["image_sha256_a", "image_sha256_b"])
    distance: dict[tuple[str, str], float] = {}
    for sha_a, path_a, sha_b, path_b in distinct.itertuples(index=False):
        ha, hb = cache_a.get(sha_a, path_a), cache_b.get(sha_b, path_b)
        distance[(sha_a, sha_b)] = np.nan if ha is None or hb is None else float((ha ^ hb).bit_count())
    if distance:
        rest = sub[~same]
        keys = list(zip(rest["image_sha256_a"], rest["image_sha256_b"], strict=True))
        out.loc[rest.index] = [distance[k] for k in keys]
    for cache in {id(cache_a): cache_a, id(cache_b): cache_b}.values():
        with contextlib.suppress(OSError):  # a read-only run directory only loses the cache
            cache.save()
    return out
