"""Build small stored runs of synthetic images for the scoring tests (through the real RunWriter)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PIL import Image, ImageDraw

from harness.context import current_request
from harness.files import utc_now
from harness.record import ImageRef, Manifest, StepRecord, TrialRecord, Usage
from harness.scoring import ScoringEnv
from harness.store import RunWriter


def png(im: Image.Image, fmt: str = "PNG", **save: Any) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def product(
    bg: tuple[int, int, int] = (255, 255, 255),
    fg: tuple[int, int, int] = (200, 30, 30),
    size: tuple[int, int] = (256, 256),
    box: tuple[float, float, float, float] = (0.3, 0.3, 0.7, 0.7),
) -> Image.Image:
    """A 'product shot': one coloured square in the middle of a flat background."""
    im = Image.new("RGB", size, bg)
    w, h = size
    ImageDraw.Draw(im).rectangle((box[0] * w, box[1] * h, box[2] * w, box[3] * h), fill=fg)
    return im


def scene(seed: int = 1, size: int = 256) -> Image.Image:
    """A busier picture: several shapes on a gradient."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, size)[None, :, None]
    arr = rng.integers(0, 256, 3) * (1 - t) + rng.integers(0, 256, 3) * t
    im = Image.fromarray(np.broadcast_to(arr, (size, size, 3)).astype("uint8"))
    d = ImageDraw.Draw(im)
    for _ in range(5):
        x, y = rng.uniform(0.1, 0.8, 2) * size
        r = rng.uniform(0.05, 0.2) * size
        d.ellipse((x, y, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return im


class RunBuilder:
    def __init__(self, tmp_path: Path, run_id: str = "run-a", suite: str = "s") -> None:
        manifest = Manifest(
            run_id=run_id,
            harness_version="0.1.0",
            sdk_version="test",
            api_version="v1beta",
            backend="emulator",
            started_at=utc_now(),
        )
        self.writer = RunWriter(tmp_path / "results", manifest)
        self.dir = self.writer.dir
        self.suite = suite
        self.records: list[TrialRecord] = []

    def image(self, im: Image.Image, fmt: str = "PNG", **save: Any) -> ImageRef:
        return self.writer.save_image(png(im, fmt, **save))

    def step(
        self,
        images: list[Image.Image] | None = None,
        expect: list[dict] | None = None,
        *,
        outcome: str = "ok",
        text: str | None = None,
        index: int = 0,
        **kw: Any,
    ) -> StepRecord:
        refs = [self.image(im) for im in images or []]
        return StepRecord(
            index=index,
            kind=kw.pop("kind", "generate"),
            prompt=kw.pop("prompt", "a product"),
            outcome=outcome,
            images=refs,
            text=text,
            expect=expect or [],
            usage=kw.pop("usage", Usage()),
            **kw,
        )

    def trial(
        self,
        steps: list[StepRecord],
        *,
        case: str = "c",
        variant: str = "default",
        repeat: int = 0,
        **kw: Any,
    ) -> TrialRecord:
        outcome = kw.pop("outcome", steps[-1].outcome)
        record = TrialRecord(
            trial_id=f"{self.suite}::{case}[{variant}-r{repeat}]",
            suite=self.suite,
            case=case,
            variant=variant,
            repeat=repeat,
            model="gemini-2.5-flash-image",
            prompt="a product",
            outcome=outcome,
            steps=steps,
            started_at=utc_now(),
            finished_at=utc_now(),
            **kw,
        )
        self.writer.append(record)
        self.records.append(record)
        return record

    def close(self) -> Path:
        self.writer.close()
        return self.dir

    def env(self, **kw: Any) -> ScoringEnv:
        return ScoringEnv(self.dir, **kw)


class FakeModels:
    """A stand-in for `client.models` that answers every judge call with one JSON text (or raises)."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.calls: list[dict] = []

    def generate_content(self, *, model, contents, config):
        self.calls.append(
            {"model": model, "contents": contents, "config": config, "ctx": current_request.get()}
        )
        if isinstance(self.answer, Exception):
            raise self.answer
        return SimpleNamespace(text=self.answer, parsed=None)


def fake_client(answer: str | Exception) -> SimpleNamespace:
    """A judge client for paths the emulator cannot produce (bad JSON, out-of-range grades, errors)."""
    return SimpleNamespace(models=FakeModels(answer))
