"""Start-up: `harness --version` and `harness validate` of a small suite, each next to the floor of the
same interpreter starting and importing what that command cannot avoid (measured in the same run).

Goals: --version <= 0.3 s, validate <= 1 s. Each figure is the median of --rounds fresh processes, so a
loaded machine moves it less than a single run would.

    .venv/bin/python bench/startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "suites" / "examples" / "prompt-ab.yaml"
PYTHON = sys.executable
# The command line, then the floor: what that command must pay whatever the harness does.
CASES = [
    ("harness --version", [PYTHON, "-m", "harness.cli", "--version"], [PYTHON, "-c", "pass"], 0.3),
    (
        f"harness validate {SUITE.relative_to(ROOT)}",
        [PYTHON, "-m", "harness.cli", "validate", str(SUITE)],
        [PYTHON, "-c", "import pydantic, yaml, jinja2, numpy, PIL.Image"],  # suite schema, templates, scorers
        1.0,
    ),
]


def median_seconds(argv: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print("start-up (median of fresh processes; floor measured in the same run)")
    for label, argv, floor_argv, goal in CASES:
        took = median_seconds(argv, args.rounds)
        floor = median_seconds(floor_argv, args.rounds)
        verdict = "meets" if took <= goal else "MISSES"
        print(
            f"  {label:<46} {took:6.3f} s   floor {floor:6.3f} s ({took / floor:4.1f}x)   "
            f"goal <= {goal} s: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
