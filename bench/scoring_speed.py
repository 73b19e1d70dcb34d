"""Scoring speed: the default image scorers on N 1024x1024 images (chains of 4, so preserved/changed/warmer
compare against the previous step), both cores, next to the floor of only decoding the same images.

    .venv/bin/python bench/scoring_speed.py [N=1000]

Images are cached under /tmp/harness-bench-images-N so a rerun skips generating them.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from harness.files import utc_now
from harness.record import Manifest, StepRecord, TrialRecord
from harness.scoring import ScoringEnv, score_trial
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
    with Image.open(path) as im:
        return im.convert("RGB").size[0]


_ENV: ScoringEnv | None = None  # one per worker process, as a run keeps one per run


def _score(args: tuple[Path, Path, TrialRecord]) -> int:
    global _ENV
    run_dir, suite_dir, record = args
    if _ENV is None:
        _ENV = ScoringEnv(run_dir, suite_dir)
    return len(score_trial(record, _ENV))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    folder = ensure_images(n)
    with tempfile.TemporaryDirectory(prefix="harness-bench-run-") as root:
        measure(folder, n, Path(root))


def measure(folder: Path, n: int, root: Path) -> None:
    run_dir, records = build_run(folder, n, root)
    paths = sorted(folder.glob("img-*.png"))[:n]
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(_decode, paths[:4]))  # warm the workers (imports) before timing
        start = time.perf_counter()
        list(pool.map(_decode, paths, chunksize=8))
        decode_s = time.perf_counter() - start
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(_score, [(run_dir, folder, records[0])] * WORKERS))
        start = time.perf_counter()
        scores = sum(pool.map(_score, [(run_dir, folder, r) for r in records], chunksize=4))
        score_s = time.perf_counter() - start
    print(
        f"{n} images of {SIZE}x{SIZE} PNG, {WORKERS} worker processes, "
        f"{len(DEFAULT_EXPECT)} expectations per step"
    )
    print(f"decode only : {decode_s:6.2f}s  {n / decode_s:7.1f} images/s")
    print(f"score       : {score_s:6.2f}s  {n / score_s:7.1f} images/s  ({scores} scores)")
    print(f"ratio score/decode: {score_s / decode_s:.2f}x (aim: within 2x)")


if __name__ == "__main__":
    main()
