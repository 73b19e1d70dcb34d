"""The record journal's cost per trial: recording N trials through the SDK into a cassette with the
journal (each trial's interactions appended and fsynced, its blobs written, as it ends) next to the
floor of the same recording without it (everything written once at close), measured in the same run.

    .venv/bin/python bench/journal_overhead.py [--trials 40] [--size 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _transport_helpers import FakeGemini, client, generate

from harness.context import RequestContext, current_request
from harness.transport import TransportSession


def record(folder: Path, trials: int, size: int, journal: bool) -> float:
    """Seconds to record `trials` one-request trials (and close the cassette)."""
    fake = FakeGemini(size=size)
    t0 = time.perf_counter()
    session = TransportSession(
        "record", folder / "b.cassette.yaml", suite="b", inner=httpx2.MockTransport(fake), journal=journal
    )
    c = client(session)
    for n in range(trials):
        token = current_request.set(RequestContext("b", f"c{n}", "default", 0, 0))
        generate(c, f"picture {n}")
        current_request.reset(token)
        if journal:
            session.commit_trial("b", f"c{n}", "default", 0)
    session.close()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--size", type=int, default=256, help="PNG side in pixels")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    floor, journal = [], []
    for _ in range(args.rounds):  # interleaved, so machine load hits both alike
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            floor.append(record(Path(a), args.trials, args.size, journal=False))
            journal.append(record(Path(b), args.trials, args.size, journal=True))
    per_floor = statistics.median(floor) / args.trials * 1000
    per_journal = statistics.median(journal) / args.trials * 1000
    print(f"record {args.trials} trials, {args.size}px PNGs, median of {args.rounds} rounds")
    print(f"  floor (no journal, written at close): {per_floor:7.2f} ms/trial")
    print(f"  with the journal (fsync per trial):   {per_journal:7.2f} ms/trial")
    ratio = per_journal / per_floor
    print(f"  journal overhead: {per_journal - per_floor:+.2f} ms/trial ({ratio:.2f}x the floor)")


if __name__ == "__main__":
    main()
