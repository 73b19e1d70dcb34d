"""Harness overhead per trial of a batch run, the emulator's own time excluded, next to the floor of the
bare SDK doing the same create + get on the same requests (measured in the same run):

- harness: `run_suites(batch=True)` of an N-case suite against a running emulator: suite load, request
  building, the SDK, the job's results mapped to trials, outcomes classified, images stored, scored,
  trial records and manifest written;
- floor: `client.batches.create` with the same N inlined requests, then `client.batches.get` until done.

Both subtract the time the emulator spent inside its handlers (drawing N images when the job ends is
the emulator's wait, not ours). Jobs finish on their first poll, so neither side sleeps. A 2-trial
warm-up run goes first, so one-off imports are not counted per trial.

    .venv/bin/python bench/batch_overhead.py [--trials 1000]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from google import genai
from google.genai import types

from harness.api import run_suites
from harness.emulator import Emulator
from harness.runner.batch import BatchOptions, PollPolicy
from harness.runner.progress import PlainProgress
from harness.store import Run

MODEL = "gemini-2.5-flash-image"


class TimedEmulator:
    """An emulator that adds up the seconds its handlers run (thread-safe)."""

    def __init__(self) -> None:
        self.emu = Emulator(faults="batch_polls=0")
        self.busy = 0.0
        self._lock = threading.Lock()
        inner = self.emu.api.handle

        def handle(req: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(req)
            finally:
                with self._lock:
                    self.busy += time.perf_counter() - t0

        self.emu.api.handle = handle  # type: ignore[method-assign]

    def __enter__(self) -> TimedEmulator:
        self.emu.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.emu.stop()


def prompts(n: int) -> list[str]:
    return [f"a product photo of item number {i} on a white table" for i in range(n)]


def harness_overhead(root: Path, n: int, run_id: str = "bench") -> tuple[float, float, int]:
    cases = "".join(f'  - id: c{i}\n    prompt: "{p}"\n' for i, p in enumerate(prompts(n)))
    wall, busy, run = timed_batch_run(
        root, run_id, f"suite: bench-batch\ndefaults: {{model: {MODEL}}}\ncases:\n{cases}"
    )
    return wall, busy, sum(r.outcome == "ok" for r in run.trials)


def timed_batch_run(
    root: Path, run_id: str, suite_text: str, batch_judge: bool = False
) -> tuple[float, float, Run]:
    """A batch run of `suite_text` against a timed emulator: (wall seconds, emulator seconds, the run)."""
    suite = root / f"{run_id}.yaml"
    suite.write_text(suite_text)
    with TimedEmulator() as timed:
        t0 = time.perf_counter()
        run_dir = run_suites(
            [suite],
            base_url=timed.emu.url,
            mode="live",
            batch=True,
            batch_judge=batch_judge,
            out=root / "results",
            run_id=run_id,
            batch_options=BatchOptions(PollPolicy(first=0.01)),
            progress=PlainProgress(io.StringIO()),
        )
        wall = time.perf_counter() - t0
    return wall, timed.busy, Run.load(run_dir)


def floor_overhead(n: int) -> tuple[float, float]:
    config = types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio="1:1", image_size="1K"),
    )
    with TimedEmulator() as timed:
        client = genai.Client(
            api_key="bench", http_options=types.HttpOptions(base_url=timed.emu.url, api_version="v1beta")
        )
        requests = [
            types.InlinedRequest(
                contents=[types.Content(role="user", parts=[types.Part(text=p)])],
                config=config,
                metadata={"key": str(i)},
            )
            for i, p in enumerate(prompts(n))
        ]
        t0 = time.perf_counter()
        job = client.batches.create(model=MODEL, src=requests)
        while not (job := client.batches.get(name=job.name or "")).done:
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        answered = len(job.dest.inlined_responses or []) if job.dest else 0
        assert answered == n, f"floor job answered {answered} of {n}"
    return wall, timed.busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    args = parser.parse_args()
    n = args.trials
    floor_wall, floor_busy = floor_overhead(n)
    with tempfile.TemporaryDirectory() as tmp:
        harness_overhead(Path(tmp), 2, "warm-up")  # imports (scoring, pandas) are paid once, not per trial
        wall, busy, ok = harness_overhead(Path(tmp), n)
    assert ok == n, f"only {ok} of {n} trials came back ok"
    harness_ms = (wall - busy) / n * 1000
    floor_ms = (floor_wall - floor_busy) / n * 1000
    print(f"batch of {n} trials (one job, inlined, emulator; the machine may be loaded)")
    print(f"  harness: {wall:.2f}s wall, emulator busy {busy:.2f}s -> overhead {harness_ms:.2f} ms/trial")
    print(
        f"  floor (bare SDK create+get): {floor_wall:.2f}s wall, emulator busy {floor_busy:.2f}s "
        f"-> {floor_ms:.2f} ms/trial"
    )
    print(f"  harness overhead / floor: {harness_ms / floor_ms:.1f}x")


if __name__ == "__main__":
    main()
