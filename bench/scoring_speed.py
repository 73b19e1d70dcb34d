"""Scoring speed: the default image scorers on N 1024x1024 images (chains of 4, so
preserved/changed/warmer compare against the previous step), through the harness's own scoring path
(`score_trials` with the pool of worker processes `harness score` and `harness run` use), next to the
floor of reading, hashing and decoding the same images on both cores.

    .venv/bin/python bench/scoring_speed.py [N=1000]

Images are cached under /tmp/harness-bench-images-N so a rerun skips generating them.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from harness.files import utc_now
from harness.record import Manifest, StepRecord, TrialRecord
from harness.scoring import ScoringEnv
from harness.scoring.cache import CACHE_FILE
from harness.scoring.engine import score_trials
from harness.scoring.pool import cores, wanted
from harness.store import RunWriter

SIZE, CHAIN, WORKERS = 1024, 4, 2
DEFAULT_EXPECT = [
    {"format": "png"},
    {"aspect_ratio": "1:1"},
    {"min_resolution": "1K"},
    {"dimensions": {"width": 1024}},
    {"background": "white"},
    {"palette": ["white", "red", "navy"]},
    {"brightness": {"min": 20}},
    {"contrast": {"min": 5}},
    {"saturation": {"max": 90}},
    {"warmth": {"min": -30}},
    {"preserved": True},
    {"changed": True},
    {"warmer": True},
    {"similar": {"golden": "img-00000.png"}},
]


def make_image(i: int) -> Image.Image:
    """Photo-like (smooth colour blobs, grain) on even i, a product shot on white on odd i."""
    rng = np.random.default_rng(i)
    if i % 2:
        im = Image.new("RGB", (SIZE, SIZE), "white")
    else:
        low = Image.fromarray((rng.random((32, 32, 3)) * 255).astype(np.uint8)).resize((SIZE, SIZE))
        grain = rng.normal(0, 8, (SIZE, SIZE, 3))
        im = Image.fromarray(
            np.clip(np.asarray(low.filter(ImageFilter.GaussianBlur(8)), np.float32) + grain, 0, 255).astype(
                np.uint8
            )
        )
    d = ImageDraw.Draw(im)
    for _ in range(4):
        x, y = rng.uniform(0.2, 0.6, 2) * SIZE
        d.ellipse((x, y, x + 200, y + 200), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return im


def _write(args: tuple[Path, int]) -> None:
    folder, i = args
    make_image(i).save(folder / f"img-{i:05d}.png")


def ensure_images(n: int) -> Path:
    folder = Path(f"/tmp/harness-bench-images-{n}")
    folder.mkdir(exist_ok=True)
    todo = [(folder, i) for i in range(n) if not (folder / f"img-{i:05d}.png").exists()]
    if todo:
        with ProcessPoolExecutor(WORKERS) as pool:
            list(pool.map(_write, todo, chunksize=8))
    return folder


def build_run(folder: Path, n: int, root: Path) -> tuple[Path, list[TrialRecord]]:
    manifest = Manifest(
        run_id=f"bench-{time.time_ns()}",
        harness_version="bench",
        sdk_version="-",
        api_version="v1beta",
        backend="emulator",
        started_at=utc_now(),
    )
    writer = RunWriter(root, manifest)
    records = []
    for t in range(0, n, CHAIN):
        steps = []
        for k, i in enumerate(range(t, min(t + CHAIN, n))):
            ref = writer.save_image((folder / f"img-{i:05d}.png").read_bytes())
            steps.append(
                StepRecord(
                    index=k,
                    kind="edit" if k else "generate",
                    prompt="p",
                    outcome="ok",
                    images=[ref],
                    expect=DEFAULT_EXPECT if k else DEFAULT_EXPECT[:11],
                )
            )
        records.append(
            TrialRecord(
                trial_id=f"b::c{t}[default-r0]",
                suite="b",
                case=f"c{t}",
                variant="default",
                repeat=0,
                model="m",
                prompt="p",
                outcome="ok",
                steps=steps,
                started_at=utc_now(),
                finished_at=utc_now(),
            )
        )
    writer.close()
    return writer.dir, records


def _decode(path: Path) -> int:
    """The floor's work for one image: read it, hash it (the run names images by sha256), decode it."""
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB").size[0]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    folder = ensure_images(n)
    with tempfile.TemporaryDirectory(prefix="harness-bench-run-") as root:
        measure(folder, n, Path(root))


def _score_all(run_dir: Path, folder: Path, records: list[TrialRecord]) -> tuple[float, int, int, int]:
    """(seconds, scores, pool jobs, of those scored in the caller while the workers started) of the
    harness's own scoring path, as `harness score` takes it: a pool of worker processes when `wanted`
    says the run has enough images (its start-up included), the score cache asked first."""
    start = time.perf_counter()
    pool = wanted(step.expect for r in records for step in r.steps)
    env = ScoringEnv(run_dir, folder, pool=pool)
    try:
        scores = sum(len(s) for s in score_trials(records, env))
    finally:
        if pool is not None:
            pool.close()
    if pool is None:
        return time.perf_counter() - start, scores, 0, 0
    return time.perf_counter() - start, scores, pool.jobs, pool.in_caller


def measure(folder: Path, n: int, root: Path) -> None:
    run_dir, records = build_run(folder, n, root)
    paths = sorted(folder.glob("img-*.png"))[:n]
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(_decode, paths[:4]))  # warm the workers (imports) before timing
        start = time.perf_counter()
        list(pool.map(_decode, paths, chunksize=8))
        decode_s = time.perf_counter() - start
    cache = run_dir.parent / CACHE_FILE
    cache.unlink(missing_ok=True)
    score_s, scores, jobs, in_caller = _score_all(run_dir, folder, records)  # first time: every image
    cached_s, cached_scores, cached_jobs, _ = _score_all(run_dir, folder, records)  # unchanged: the cache
    assert cached_scores == scores and cached_jobs == 0
    print(
        f"{n} images of {SIZE}x{SIZE} PNG, {len(DEFAULT_EXPECT)} expectations per step; the harness's "
        f"scoring path (score_trials): {jobs} pool jobs on {cores()} cores ({in_caller} of them scored "
        "in the caller while the workers started)"
    )
    print(f"decode+hash (floor)  : {decode_s:6.2f}s  {n / decode_s:7.1f} images/s  ({WORKERS} processes)")
    print(
        f"score, first time    : {score_s:6.2f}s  {n / score_s:7.1f} images/s  ({scores} scores, "
        "pool start-up included)"
    )
    print(
        f"score again, cached  : {cached_s:6.2f}s  {n / cached_s:7.1f} images/s  (score cache {cache.name})"
    )
    print(f"ratio first/floor    : {score_s / decode_s:.2f}x (goal: within 1.3x)")
    print(f"ratio cached/first   : {cached_s / score_s:.3f}x (goal: <= 0.1x)")


if __name__ == "__main__":
    main()
