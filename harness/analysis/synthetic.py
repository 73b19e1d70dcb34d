"""Synthetic runs with contents chosen by the caller, written through the real RunWriter.

Tests and benches use them to check the diff and the report against numbers known in advance;
they never pretend to be model output (the manifest says backend "synthetic").
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from harness.plan import trial_id
from harness.record import Manifest, Score, StepRecord, Totals, TrialRecord
from harness.store import RunWriter

ScoreSpec = dict[str, tuple[float | None, bool | None]]


@lru_cache(maxsize=4096)
def pattern_png(seed: int, size: int = 64, noise: int = 0) -> bytes:
    """A blocky grey pattern fixed by ``seed``; ``noise`` > 0 perturbs a few blocks (a small phash drift)."""
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, size=(8, 8), dtype=np.uint8)
    if noise:
        flip = np.random.default_rng(10_000 + noise).choice(64, size=min(noise, 64), replace=False)
        grid.flat[flip] = 255 - grid.flat[flip]
    img = Image.fromarray(grid, mode="L").resize((size, size), Image.NEAREST).convert("RGB")
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class TrialSpec:
    """One trial. ``scores`` land on the last step; ``step_scores[i]`` on step i of a chain."""

    case: str
    variant: str = "default"
    repeat: int = 0
    suite: str = "synthetic"
    model: str = "gemini-2.5-flash-image"
    style: str | None = None
    passed: bool | None = True
    outcome: str = "ok"
    scores: ScoreSpec = field(default_factory=dict)
    step_scores: dict[int, ScoreSpec] = field(default_factory=dict)
    steps: int = 1
    image_seed: int | None = 0
    image_noise: int = 0
    cost_usd: float = 0.04
    latency_s: float = 2.0
    reason: str = "synthetic"
    text: str | None = None  # the model's text on the last step (an answer, or words beside the image)


def build_record(spec: TrialSpec, writer: RunWriter) -> TrialRecord:
    steps: list[StepRecord] = []
    scores: list[Score] = []
    for i in range(spec.steps):
        last = i == spec.steps - 1
        outcome = spec.outcome if last else "ok"
        images = []
        if spec.image_seed is not None and outcome == "ok":
            images = [
                writer.save_image(pattern_png(spec.image_seed * 31 + i, noise=spec.image_noise), "image/png")
            ]
        steps.append(
            StepRecord(
                index=i,
                kind="generate" if i == 0 else "edit",
                prompt=f"{spec.case} step {i}",
                outcome=outcome,
                images=images,
                text=spec.text if last else None,
                cost_usd=spec.cost_usd / spec.steps,
                latency_s=spec.latency_s / spec.steps,
                config={"model": spec.model},
            )
        )
        step_spec = {**spec.step_scores.get(i, {}), **(spec.scores if last else {})}
        for name, (value, passed) in step_spec.items():
            scores.append(
                Score(
                    name=name,
                    value=value,
                    passed=passed,
                    threshold=0.5,
                    step=i,
                    reason=f"{spec.reason}: {name}={value} at step {i}",
                    kind="step",
                )
            )
    return TrialRecord(
        trial_id=trial_id(spec.suite, spec.case, spec.variant, spec.repeat),
        suite=spec.suite,
        case=spec.case,
        variant=spec.variant,
        repeat=spec.repeat,
        model=spec.model,
        prompt=f"{spec.case} prompt",
        style=spec.style,
        outcome=spec.outcome,
        steps=steps,
        scores=scores,
        passed=spec.passed,
        cost_usd=spec.cost_usd,
        latency_s=spec.latency_s,
        started_at="2025-01-01T00:00:00.000Z",
        finished_at="2025-01-01T00:00:01.000Z",
    )


def write_run(
    root: Path,
    run_id: str,
    specs: list[TrialSpec],
    *,
    backend: str = "synthetic",
    procedural_images: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a finished run; ``extra`` adds raw keys to manifest.json (e.g. ``tolerance``)."""
    manifest = Manifest(
        run_id=run_id,
        harness_version="test",
        sdk_version="test",
        api_version="v1beta",
        backend=backend,
        procedural_images=procedural_images,
        started_at="2025-01-01T00:00:00Z",
        variants=sorted({s.variant for s in specs}),
    )
    writer = RunWriter(root, manifest)
    for spec in specs:
        writer.append(build_record(spec, writer))
    writer.close("finished", Totals(trials=len(specs)))
    if extra:
        path = writer.dir / "manifest.json"
        data = json.loads(path.read_text())
        data.update(extra)
        path.write_text(json.dumps(data, indent=2))
    return writer.dir
