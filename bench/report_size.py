"""Size and render time of the diff page and the run page for 500 cases (synthetic runs, 256 px thumbs)."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from harness.analysis.synthetic import TrialSpec, write_run
from harness.diff import diff_runs
from harness.report import write_diff_html, write_run_html

CASES = 500


def specs(arm: str, rng: random.Random) -> list[TrialSpec]:
    return [
        TrialSpec(f"case-{c:03d}", passed=rng.random() < 0.8, style=("studio", "watercolor")[c % 2],
                  scores={"judge": (rng.randint(1, 5), True), "aspect": (1.0, True)},
                  image_seed=c, image_noise=4 if arm == "b" and c % 3 == 0 else 0,
                  steps=3 if c % 10 == 0 else 1, latency_s=rng.uniform(2, 9))
        for c in range(CASES)
    ]  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, rng = Path(tmp), random.Random(3)
        run_a, run_b = write_run(root, "a", specs("a", rng)), write_run(root, "b", specs("b", rng))
        t = time.perf_counter()
        result = diff_runs(run_a, run_b)
        t_diff = time.perf_counter() - t
        t = time.perf_counter()
        page = write_diff_html(result, run_b / "diff.html")
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        write_diff_html(result, run_b / "diff.html")
        t_warm = time.perf_counter() - t
        t = time.perf_counter()
        run_page = write_run_html(run_a)
        t_run = time.perf_counter() - t
        mb = page.stat().st_size / 1e6
        print(
            f"diff page, {CASES} cases: {mb:.1f} MB ({page.stat().st_size // CASES // 1000} kB/case), "
            f"render {t_cold:.2f} s with thumbnails cold, {t_warm:.2f} s warm (diff itself {t_diff:.2f} s)"
        )
        print(
            f"run page,  {CASES} cases: {run_page.stat().st_size / 1e6:.1f} MB, render {t_run:.2f} s "
            f"(thumbnails of run A already cached)"
        )


if __name__ == "__main__":
    main()
