"""What `--batch-judge` costs the harness per judged trial, the emulator's own time excluded, next to the
floor of the same batch run with its judge calls sent one by one (measured in the same run):

- batch judge: `run_suites(batch=True, batch_judge=True)` of an N-case suite, one judge expectation per
  case, against a running emulator: the trials' job, a scoring round that collects every judge request
  (each scorer reports it as waiting), one judge job, then the trials scored again with the answers;
- floor: `run_suites(batch=True)` of the same suite, each judge call sent alone as it is scored.

Both subtract the time the emulator spent inside its handlers. Jobs finish on their first poll, so
neither side sleeps. A 2-trial warm-up run goes first, so one-off imports are not counted per trial.

    .venv/bin/python bench/batch_judge_overhead.py [--trials 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_overhead import timed_batch_run  # the same timed batch run, beside this script


def suite_text(n: int) -> str:
    cases = "".join(
        f'  - id: c{i}\n    prompt: "a product photo of item number {i} on a white table"\n'
        f'    expect: [{{judge: "item number {i} on a white table"}}]\n'
        for i in range(n)
    )
    return f"suite: bench-judge\ndefaults: {{model: gemini-2.5-flash-image}}\ncases:\n{cases}"


def overhead(root: Path, n: int, run_id: str, batch_judge: bool) -> tuple[float, float, int, float]:
    wall, busy, run = timed_batch_run(root, run_id, suite_text(n), batch_judge)
    judged = sum(1 for r in run.trials for s in r.scores if s.name == "judge" and s.value is not None)
    return wall, busy, judged, run.manifest.totals.judge_cost_usd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    n = args.trials
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        overhead(root, 2, "warm-up", batch_judge=True)
        floor_wall, floor_busy, floor_judged, floor_usd = overhead(root, n, "one-by-one", batch_judge=False)
        wall, busy, judged, usd = overhead(root, n, "batch-judge", batch_judge=True)
    assert judged == floor_judged == n, f"judged {judged} and {floor_judged} of {n}"
    ms = (wall - busy) / n * 1000
    floor_ms = (floor_wall - floor_busy) / n * 1000
    print(f"batch run of {n} judged trials (emulator; the machine may be loaded)")
    print(
        f"  --batch-judge: {wall:.2f}s wall, emulator busy {busy:.2f}s -> {ms:.2f} ms/trial, judge ${usd:.4f}"
    )
    print(
        f"  floor (judge calls one by one): {floor_wall:.2f}s wall, emulator busy {floor_busy:.2f}s "
        f"-> {floor_ms:.2f} ms/trial, judge ${floor_usd:.4f}"
    )
    print(f"  batch-judge overhead / floor: {ms / floor_ms:.2f}x; judge cost ratio {usd / floor_usd:.3f}")


if __name__ == "__main__":
    main()
