"""Replay throughput: SDK generate_content calls/s through the replay transport, next to the floor of just
reading the same images from the blob store and decoding them with Pillow (measured in the same run).

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

from harness.context import RequestContext, current_request
from harness.transport import TransportSession


def decode(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    cas = root / "cassettes" / "bench.cassette.yaml"
    prompts = [f"bench image {n}" for n in range(args.images)]
    with TransportSession(
        "record", cas, suite="bench", inner=httpx2.MockTransport(FakeGemini(size=args.size))
    ) as s:
        c = client(s)
        for n, p in enumerate(prompts):
            current_request.set(RequestContext("bench", f"c{n}", "default", 0, 0))
            generate(c, p)
    blobs = sorted((root / "cassettes" / "blobs").glob("*.png"))
    image_bytes = sum(b.stat().st_size for b in blobs)

    calls, replay_s, setup_s = 0, 0.0, 0.0
    for _ in range(args.rounds):  # a fresh session per round: blob hashes are verified again each time
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

    reads, t0 = 0, time.perf_counter()
    for _ in range(args.rounds):
        for b in blobs:
            decode(b.read_bytes())
            reads += 1
    floor_s = time.perf_counter() - t0

    replay_rate, floor_rate = calls / replay_s, reads / floor_s
    print(
        f"images: {len(blobs)} PNG {args.size}x{args.size}, {image_bytes / len(blobs) / 1024:.0f} KiB each; "
        f"cassette {cas.stat().st_size:,} bytes"
    )
    print(f"replay through SDK + decode: {replay_rate:8.1f} calls/s  ({1000 / replay_rate:.2f} ms/call)")
    print(
        f"session + SDK client setup:  {1000 * setup_s / args.rounds:8.1f} ms once per run (not in the rate)"
    )
    print(f"floor: read blob + decode:   {floor_rate:8.1f} images/s ({1000 / floor_rate:.2f} ms/image)")
    print(f"ratio replay/floor: {replay_rate / floor_rate:.2f} (1.0 = replay adds nothing to the image)")


if __name__ == "__main__":
    main()
