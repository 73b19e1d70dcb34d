"""Replay lookup and cassette load at 1,000 and 10,000 recordings, next to floors measured in the same run:

- per request, TransportSession answering from its cassette (key, lookup, body) against the floor of
  computing the request's key alone, at both sizes: linear means the 10,000 figure stays within 1.2x
  of the 1,000 one (the lookup was a scan of every recording before);
- loading the cassette YAML, against the floor of PyYAML parsing the same text (with the garbage
  collector paused the way Cassette.load pauses it, and with it running).

    .venv/bin/python bench/replay_lookup.py
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

from harness.context import RequestContext, current_request
from harness.transport import Mode, TransportSession
from harness.transport.canonical import canonical_request, request_key
from harness.transport.cassette import Cassette, Interaction

URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"


def body(n: int) -> bytes:
    return json.dumps(
        {"contents": [{"role": "user", "parts": [{"text": f"a product photo of item {n}"}]}]}
    ).encode()


def write_cassette(path: Path, n: int) -> None:
    cassette = Cassette.new(path, "bench", backend="emulator")
    for i in range(n):
        form = canonical_request("POST", URL, body(i))
        trial = {
            "suite": "bench",
            "case": f"c{i}",
            "variant": "v",
            "repeat": 0,
            "step": 0,
            "purpose": "generate",
        }
        response = {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "json": {"candidates": [i]},
        }
        cassette.interactions.append(Interaction(request_key(form), form, response, trial))
    cassette.save()


def per_request(path: Path, n: int) -> tuple[float, float]:
    """(seconds a request through the session, seconds for its key alone), averaged over n requests."""
    bodies = [body(i) for i in range(n)]
    headers = {"content-type": "application/json"}
    t0 = time.perf_counter()
    for b in bodies:
        request_key(canonical_request("POST", URL, b))
    floor = (time.perf_counter() - t0) / n
    with TransportSession(Mode.REPLAY, path, suite="bench") as session:
        t0 = time.perf_counter()
        for i, b in enumerate(bodies):
            token = current_request.set(RequestContext("bench", f"c{i}", "v", 0, 0))
            prepared = session.before("POST", URL, headers, b)
            current_request.reset(token)
            assert isinstance(prepared.outcome, tuple), prepared.outcome
        took = (time.perf_counter() - t0) / n
    return took, floor


def load_times(path: Path) -> tuple[float, float, float]:
    """(Cassette.load, yaml parse with gc paused, yaml parse with gc running), in seconds."""
    from harness.transport.cassette import _Loader

    text = path.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    Cassette.load(path)
    load = time.perf_counter() - t0
    gc.disable()
    t0 = time.perf_counter()
    yaml.load(text, Loader=_Loader)
    paused = time.perf_counter() - t0
    gc.enable()
    t0 = time.perf_counter()
    yaml.load(text, Loader=_Loader)
    running = time.perf_counter() - t0
    return load, paused, running


def main() -> int:
    print("replay lookup (per request, mean) and cassette load; floors measured in the same run")
    results = {}
    with tempfile.TemporaryDirectory(prefix="harness-bench-lookup-") as root:
        for n in (1_000, 10_000):
            path = Path(root) / f"b{n}.cassette.yaml"
            write_cassette(path, n)
            took, floor = per_request(path, n)
            results[n] = took
            load, paused, running = load_times(path)
            print(
                f"  {n:>6} recordings: {took * 1e3:6.3f} ms/request (key alone {floor * 1e3:6.3f} ms, "
                f"{took / floor:4.1f}x); load {load:5.2f} s (yaml parse {paused:5.2f} s with gc paused, "
                f"{running:5.2f} s with gc running)"
            )
    ratio = results[10_000] / results[1_000]
    print(
        f"  per-request time at 10,000 / at 1,000: {ratio:.2f}x "
        f"(goal <= 1.2x: {'meets' if ratio <= 1.2 else 'MISSES'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
