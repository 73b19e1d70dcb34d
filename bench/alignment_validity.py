"""How often the `alignment:` scorer's yes/no answers agree with the truth, on emulator images.

    .venv/bin/python bench/alignment_validity.py [N_CASES]

The truth is the scene each emulator image embeds (what was really drawn), checked by structured atoms,
never by the judge's words; see harness/scoring/alignment_validity.py. The emulator is the judge here, so
the figure measures the scorer's whole request path and the emulated judge, not a real Gemini model.
"""

from __future__ import annotations

import sys
import time

from google import genai
from google.genai import types

from harness.emulator import Emulator
from harness.scoring.alignment_validity import accuracy, run_decisions


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with Emulator() as emulator:
        client = genai.Client(
            api_key="emulator-no-key",
            http_options=types.HttpOptions(base_url=emulator.url, api_version="v1beta"),
        )
        start = time.perf_counter()
        decisions, coverage = run_decisions(client, n_cases=n)
        took = time.perf_counter() - start
    labels = sum(d.expected for d in decisions)
    print(f"{len(decisions)} labelled yes/no answers ({labels} true) on {n} emulator images in {took:.1f}s")
    print(f"{'atom':12s} {'agreement':>9s} {'n':>6s}  first disagreements")
    for name, (acc, count, wrong) in accuracy(decisions).items():
        errors = "; ".join(w.detail for w in wrong[:3])
        print(f"{name:12s} {acc * 100:8.1f}% {count:6d}  {errors}")
    share = coverage.covered / coverage.atoms
    covered = f"{coverage.covered}/{coverage.atoms}"
    print(f"decomposition: {coverage.questions} questions cover {covered} prompt atoms ({share:.1%})")


if __name__ == "__main__":
    main()
