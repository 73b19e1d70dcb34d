"""Replay end to end at scale: `harness.run(suite, mode="replay")` of a suite of N one-image trials
without image checks, at 1,000 and 10,000 trials, each next to a floor measured in the same run.

The run is the whole of it: suite load, cassette load, transport session, SDK calls, trial records,
images stored in the run folder, manifest, trials.parquet. The floor is what any replay of those trials
has to do at least: read each recorded image from the blob store, hash it (the run stores images by
sha256), base64 it and back (the SDK receives JSON), and store it in a folder (a hard link to the blob,
as the run does; a copy where links cannot be made). Beside it, the SDK alone: generate_content answered
by a mock transport with a recorded body. Wall and CPU time (every thread of this process) are both
printed: on a loaded machine CPU time is the steadier figure.

    .venv/bin/python bench/replay_scale.py [--trials 1000 10000] [--rounds 2] [--floor-sample 2000]

The recordings come from the in-process emulator, once: they are kept under
/tmp/harness-bench-replay-<N>/ so a rerun only replays. Before anything is timed, every blob is read
once (the page cache is warm for the replay and the floor alike) and a 5-trial replay pays the imports
and first calls (bench/startup.py measures those), so the per-trial figures are per trial. The floor is
measured on the first --floor-sample images (it is per image, independent of N). Goals (issue 17):
<= 4 ms a trial, and the per-trial time at 10,000 within 1.2x of that at 1,000.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import os
import tempfile
import time
from pathlib import Path

import httpx2
import yaml

import harness
from harness.api import run_suites
from harness.runner.progress import PlainProgress
from harness.selection import Selection

GOAL_MS, GOAL_RATIO = 4.0, 1.2


def recorded(n: int) -> Path:
    """A suite of n cases and its cassette recorded from the emulator (kept for the next run)."""
    folder = Path(f"/tmp/harness-bench-replay-{n}")
    suite = folder / "scale.yaml"
    cassette = folder / "cassettes" / "scale.cassette.yaml"
    if not cassette.exists():
        folder.mkdir(exist_ok=True)
        cases = "".join(f"  - id: c{i}\n    prompt: a product photo of item {i}\n" for i in range(n))
        suite.write_text(f"suite: scale\ndefaults: {{model: gemini-2.5-flash-image}}\ncases:\n{cases}")
        quiet = PlainProgress(io.StringIO())
        run_suites(
            [suite], backend="emulator", mode="record", out=folder / "recorded", concurrency=8, progress=quiet
        )
    return suite


def blobs_of(suite: Path) -> list[Path]:
    """The image blob each trial's response names, in cassette order."""
    cassette = suite.parent / "cassettes" / "scale.cassette.yaml"
    text = cassette.read_text(encoding="utf-8")
    names = [line.split("$blob:", 1)[1].strip() for line in text.splitlines() if "$blob:" in line]
    return [cassette.parent / "blobs" / name for name in names]


def floor_s(blobs: list[Path], out: Path) -> tuple[float, float, str]:
    """(wall, CPU) seconds to read, hash, base64 round-trip and store every image given, and how it was
    stored (linked, or copied where the folder is on another file system)."""
    out.mkdir(parents=True, exist_ok=True)
    how = "link"
    t0, c0 = time.perf_counter(), time.process_time()
    for blob in blobs:
        data = base64.b64decode(base64.b64encode(blob.read_bytes()))
        target = out / f"{hashlib.sha256(data).hexdigest()}.png"
        try:
            os.link(blob, target)
        except OSError:
            how = "copy"
            target.write_bytes(data)
    return time.perf_counter() - t0, time.process_time() - c0, how


def warm(suite: Path, blobs: list[Path], out: Path) -> None:
    """Every blob read once, and a short replay run for the imports and first calls."""
    for blob in blobs:
        blob.read_bytes()
    harness.run(suite, mode="replay", out=out, run_id="warm-up", selection=Selection(limit=5))


def sdk_s(suite: Path, n: int) -> tuple[float, float]:
    """(wall, CPU) seconds of n SDK generate_content calls answered with the first recorded body by a
    mock transport: what the client library itself costs a trial, no cassette, no run."""
    from google import genai
    from google.genai import types

    from harness.transport.bodies import load_body
    from harness.transport.cassette import Cassette

    cassette = Cassette.load(suite.parent / "cassettes" / "scale.cassette.yaml")
    body = load_body(cassette.interactions[0].response, cassette.blobs)
    mock = httpx2.MockTransport(
        lambda request: httpx2.Response(200, headers={"content-type": "application/json"}, content=body)
    )
    options = types.HttpOptions(async_client_args={"transport": mock, "trust_env": False})
    client = genai.Client(api_key="bench-no-key", http_options=options)
    config = types.GenerateContentConfig(response_modalities=["IMAGE", "TEXT"])

    async def calls() -> None:
        for i in range(n):
            await client.aio.models.generate_content(
                model="gemini-2.5-flash-image", contents=[f"a product photo of item {i}"], config=config
            )

    t0, c0 = time.perf_counter(), time.process_time()
    asyncio.run(calls())
    return time.perf_counter() - t0, time.process_time() - c0


def replay_s(suite: Path, out: Path, rounds: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `rounds` whole replay runs (CPU: every thread of this
    process, the figure a loaded machine disturbs least)."""
    best = (float("inf"), float("inf"))
    for r in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        run = harness.run(suite, mode="replay", out=out, run_id=f"replay-{time.time_ns()}-{r}")
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
        assert run.manifest.status == "finished" and len(run.trials) == trials_in(suite), run.manifest
    return best


def trials_in(suite: Path) -> int:
    return len(yaml.safe_load(suite.read_text(encoding="utf-8"))["cases"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--floor-sample", type=int, default=2000, help="images the floor is measured on")
    args = ap.parse_args()
    per_trial: dict[int, tuple[float, float]] = {}  # n -> (wall, CPU) ms a trial
    print(f"harness.run(mode='replay') of N one-image trials without image checks, best of {args.rounds}")
    for n in args.trials:
        suite = recorded(n)
        blobs = blobs_of(suite)
        sample = blobs[: args.floor_sample]
        with tempfile.TemporaryDirectory(prefix="harness-bench-replay-") as tmp:
            warm(suite, blobs, Path(tmp) / "warm")
            replay, replay_cpu = replay_s(suite, Path(tmp) / "results", args.rounds)
            floor, floor_cpu, how = floor_s(sample, Path(tmp) / "floor")
        calls = min(n, 1000)
        sdk, sdk_cpu = sdk_s(suite, calls)
        per_trial[n] = (1000 * replay / n, 1000 * replay_cpu / n)
        floor_ms, floor_cpu_ms = 1000 * floor / len(sample), 1000 * floor_cpu / len(sample)
        own = 1000 * replay_cpu / n - 1000 * sdk_cpu / calls - floor_cpu_ms
        kib = sum(b.stat().st_size for b in blobs) / len(blobs) / 1024
        print(
            f"  {n:6d} trials ({kib:.0f} KiB PNGs): replay {1000 * replay / n:6.2f} ms/trial "
            f"(CPU {1000 * replay_cpu / n:5.2f}), floor {floor_ms:5.2f} ms/trial "
            f"(CPU {floor_cpu_ms:5.2f}; read+hash+base64+{how}, {len(sample)} images), "
            f"replay/floor {1000 * replay / n / floor_ms:4.1f}x; goal <= {GOAL_MS} ms/trial"
        )
        print(
            f"  {'':6s}   the SDK alone (mock transport, same body): {1000 * sdk / calls:5.2f} ms/call "
            f"(CPU {1000 * sdk_cpu / calls:5.2f}); replay CPU minus SDK and floor CPU: "
            f"{own:5.2f} ms/trial (the harness's own)"
        )
    if len(per_trial) > 1:
        small, large = min(per_trial), max(per_trial)
        wall, cpu = (per_trial[large][k] / per_trial[small][k] for k in (0, 1))
        print(
            f"  per-trial time at {large} / at {small}: {wall:.2f}x wall, {cpu:.2f}x CPU "
            f"(goal <= {GOAL_RATIO}x, linear)"
        )
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")


if __name__ == "__main__":
    main()
