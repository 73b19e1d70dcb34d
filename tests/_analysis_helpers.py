"""Synthetic runs shared by the report tests (static and browser)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import write_run


def report_runs(root: Path, reason: str = "synthetic") -> tuple[Path, Path]:
    """Eight cases: two regress (one by a safety block in a chain), one improves, the rest hold."""
    a, b = [], []
    for i in range(8):
        style = "studio" if i % 2 else "watercolor"
        name = f"case-{i}"
        a.append(T(name, style=style, scores={"judge": (4, True), "aspect": (1, True)}, image_seed=i))
        if i in (0, 1):
            b.append(
                T(
                    name,
                    style=style,
                    passed=False,
                    scores={"judge": (2, False), "aspect": (1, True)},
                    image_seed=i,
                    image_noise=5,
                )
            )
        elif i == 2:
            a[-1] = T(name, style=style, passed=False, scores={"judge": (1, False)}, image_seed=i)
            b.append(T(name, style=style, scores={"judge": (5, True)}, image_seed=i))
        else:
            b.append(T(name, style=style, scores={"judge": (4, True), "aspect": (1, True)}, image_seed=i))
    a.append(T("chain", steps=3, scores={"warm": (1, True)}, image_seed=20))
    b.append(
        T(
            "chain",
            steps=3,
            passed=False,
            outcome="blocked_output",
            scores={"outcome": (0, False)},
            image_seed=20,
        )
    )
    for spec in a + b:
        spec.reason = reason
    return (
        write_run(root, "run-a", a, backend="emulator", procedural_images=True),
        write_run(root, "run-b", b, backend="emulator", procedural_images=True),
    )
