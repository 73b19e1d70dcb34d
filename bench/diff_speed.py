"""Time to diff two 10,000-trial runs (synthetic, written with RunWriter), by stage, next to a floor.

The floor is just reading both trials.jsonl files and parsing their JSON lines: no tool that reads
the run format can go below it. Aim: the whole diff under 3 s on a 2-core machine.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from harness.analysis.synthetic import TrialSpec, write_run
from harness.diff import diff_arms
from harness.diff.align import align, load_arms
from harness.diff.compare import compare
from harness.diff.stats import summarize
from harness.diff.verdict import verdict

CASES, REPEATS = 2500, 4  # 10,000 trials per run


def specs(arm: str, rng: random.Random) -> list[TrialSpec]:
    out = []
    for c in range(CASES):
        for r in range(REPEATS):
            worse = arm == "b" and c % 7 == 0
            passed = rng.random() < (0.55 if worse else 0.8)
            out.append(
                TrialSpec(
                    f"case-{c:05d}",
                    repeat=r,
                    passed=passed,
                    style=("studio", "watercolor")[c % 2],
                    scores={"judge": (rng.randint(1, 5), passed), "aspect": (1.0, True), "bg": (0.6, True)},
                    image_seed=c % 50,
                    image_noise=3 if arm == "b" and c % 5 == 0 else 0,
                    cost_usd=0.039 if arm == "a" else 0.134,
                    latency_s=rng.uniform(2, 9),
                )
            )
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        rng = random.Random(7)
        run_a = write_run(root, "a", specs("a", rng))
        run_b = write_run(root, "b", specs("b", rng))
        print(f"setup: wrote 2 x {CASES * REPEATS} trials in {time.perf_counter() - t0:.1f} s")

        t = time.perf_counter()
        for run in (run_a, run_b):
            with open(run / "trials.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    json.loads(line)
        floor = time.perf_counter() - t

        t = time.perf_counter()
        a, b = load_arms(run_a, run_b)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        al = align(a, b)
        t_align = time.perf_counter() - t
        t = time.perf_counter()
        comp = compare(al)
        t_compare = time.perf_counter() - t
        t = time.perf_counter()
        summary = summarize(comp)
        line = verdict(summary)
        t_stats = time.perf_counter() - t
        total = t_load + t_align + t_compare + t_stats

        t = time.perf_counter()
        diff_arms(a, b)  # again, with the phash cache warm
        warm = time.perf_counter() - t

        print(f"floor  read+parse both trials.jsonl: {floor:.2f} s")
        print(f"load   read_frame x2 (jsonl -> rows): {t_load:.2f} s  ({t_load / floor:.1f}x floor)")
        print(f"align  per-case summaries + joins:   {t_align:.2f} s")
        print(f"compare deltas, flips, drift:        {t_compare:.2f} s")
        print(f"stats  bootstrap, sign test, verdict: {t_stats:.2f} s")
        print(
            f"total diff: {total:.2f} s  ({total / floor:.1f}x floor; aim < 3 s) "
            f"| align+compare+stats again, phash cached: {warm:.2f} s"
        )
        print(f"verdict: {line}")


if __name__ == "__main__":
    main()
