"""Replay throughput, each next to the floor of just reading the same images from the blob store and
decoding them with Pillow (measured in the same run):

- `harness run --mode replay` of a suite recorded from the emulator: trials/s, the whole run included
  (suite load, session, SDK, trial records, image files, manifest);
- SDK generate_content calls/s through the replay transport alone, on larger noisy PNGs.

    .venv/bin/python bench/replay_throughput.py [--images 20] [--size 512] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import httpx2
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _transport_helpers import FakeGemini, client, generate, image_of

from harness.api import run_suites
from harness.context import RequestContext, current_request
from harness.runner.progress import PlainProgress
from harness.transport import TransportSession


def decode(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.size


def floor_rate(blobs: list[Path], rounds: int) -> float:
    """Images/s for reading each blob and decoding it: what any replay has to do at least."""
    t0 = time.perf_counter()
    for _ in range(rounds):
        for blob in blobs:
            decode(blob.read_bytes())
    return rounds * len(blobs) / (time.perf_counter() - t0)


def run_rate(root: Path, images: int, rounds: int) -> tuple[float, list[Path]]:
    """Trials/s of whole replay runs of an `images`-case suite recorded from the in-process emulator."""
    cases = "".join(f"  - id: c{n}\n    prompt: a product photo of item {n}\n" for n in range(images))
    suite = root / "bench.yaml"
    suite.write_text(f"suite: bench\ndefaults: {{model: gemini-2.5-flash-image}}\ncases:\n{cases}")
    quiet = PlainProgress(io.StringIO())
    out = root / "results"
    run_suites([suite], backend="emulator", mode="record", out=out, run_id="record", progress=quiet)
    t0 = time.perf_counter()
    for n in range(rounds):
        run_suites([suite], mode="replay", out=out, run_id=f"replay-{n}", progress=quiet)
    rate = rounds * images / (time.perf_counter() - t0)
    return rate, sorted((root / "cassettes" / "blobs").glob("*.png"))


def sdk_rate(root: Path, images: int, size: int, rounds: int) -> tuple[float, float, list[Path], Path]:
    """(calls/s, session setup ms) of SDK calls through the replay transport, and what was replayed."""
    cas = root / "cassettes" / "bench.cassette.yaml"
    prompts = [f"bench image {n}" for n in range(images)]
    with TransportSession(
        "record", cas, suite="bench", inner=httpx2.MockTransport(FakeGemini(size=size))
    ) as s:
        c = client(s)
        for n, p in enumerate(prompts):
            current_request.set(RequestContext("bench", f"c{n}", "default", 0, 0))
            generate(c, p)
    calls, replay_s, setup_s = 0, 0.0, 0.0
    for _ in range(rounds):  # a fresh session per round: blob hashes are verified again each time
        t0 = time.perf_counter()
        with TransportSession("replay", cas, suite="bench") as s:
            c = client(s)
            t1 = time.perf_counter()
            for n, p in enumerate(prompts):
                current_request.set(RequestContext("bench", f"c{n}", "default", 0, 0))
                decode(image_of(generate(c, p)))
                calls += 1
            replay_s += time.perf_counter() - t1
        setup_s += t1 - t0
    blobs = sorted((root / "cassettes" / "blobs").glob("*.png"))
    return calls / replay_s, 1000 * setup_s / rounds, blobs, cas


def kib_each(blobs: list[Path]) -> float:
    return sum(b.stat().st_size for b in blobs) / len(blobs) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="replay-bench-run-"))
    trials_rate, blobs = run_rate(root, args.images, args.rounds)
    floor = floor_rate(blobs, args.rounds)
    print(f"harness run --mode replay, {len(blobs)} emulator PNGs of {kib_each(blobs):.0f} KiB:")
    print(f"  replay:                      {trials_rate:8.1f} trials/s ({1000 / trials_rate:.2f} ms/trial)")
    print(f"  floor: read blob + decode:   {floor:8.1f} images/s ({1000 / floor:.2f} ms/image)")
    print(f"  ratio replay/floor: {trials_rate / floor:.2f} (one image per trial)")

    root = Path(tempfile.mkdtemp(prefix="replay-bench-sdk-"))
    calls_rate, setup_ms, blobs, cas = sdk_rate(root, args.images, args.size, args.rounds)
    floor = floor_rate(blobs, args.rounds)
    print(
        f"SDK calls through the transport, {len(blobs)} PNG {args.size}x{args.size} of "
        f"{kib_each(blobs):.0f} KiB; cassette {cas.stat().st_size:,} bytes:"
    )
    print(f"  replay through SDK + decode: {calls_rate:8.1f} calls/s  ({1000 / calls_rate:.2f} ms/call)")
    print(f"  session + SDK client setup:  {setup_ms:8.1f} ms once per run (not in the rate)")
    print(f"  floor: read blob + decode:   {floor:8.1f} images/s ({1000 / floor:.2f} ms/image)")
    print(f"  ratio replay/floor: {calls_rate / floor:.2f} (1.0 = replay adds nothing to the image)")


if __name__ == "__main__":
    main()
