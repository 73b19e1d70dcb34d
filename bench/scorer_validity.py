"""Accuracy of each scorer decision, at its documented default thresholds, on the labelled validity set.

    .venv/bin/python bench/scorer_validity.py [N_BASES]

Base images are procedural (shapes on flat colours, gradients, photo-like textures); each is transformed in
known ways (JPEG q70, resize, 5% crop, warm/cool shift, brighter/darker, object pasted in, background
swapped, an unrelated image), and every pair is labelled. See harness/scoring/validity.py.
"""

from __future__ import annotations

import sys
import time

from harness.scoring.validity import accuracy, run_decisions


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    start = time.perf_counter()
    decisions = run_decisions(n_bases=n)
    took = time.perf_counter() - start
    print(f"{len(decisions)} labelled decisions from {n} base images in {took:.1f}s")
    print(f"{'decision':16s} {'accuracy':>9s} {'n':>6s}  first errors")
    for name, (acc, count, wrong) in accuracy(decisions).items():
        errors = "; ".join(w.detail for w in wrong[:3])
        print(f"{name:16s} {acc * 100:8.1f}% {count:6d}  {errors}")


if __name__ == "__main__":
    main()
