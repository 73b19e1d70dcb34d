"""Shared by the runner tests: a scripted Gemini stand-in under the real SDK, plans, writers, PNGs."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
from google.genai import types
from PIL import Image

from harness.files import utc_now
from harness.plan import GenConfig, StepPlan, TrialPlan
from harness.record import Manifest, StepRecord, TrialRecord
from harness.runner.client import build_client
from harness.store import RunWriter

KEY = "test-key-not-real"
IMAGE_MODEL = "gemini-2.5-flash-image"


def png(width: int = 48, height: int = 32, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_body(
    *,
    images: int = 1,
    text: str | None = "Here it is.",
    finish: str = "STOP",
    signature: bytes | None = b"sig-turn-1",
    thought: str | None = "thinking",
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if thought:
        parts.append({"text": thought, "thought": True})
    if text:
        parts.append({"text": text})
    for n in range(images):
        part: dict[str, Any] = {"inlineData": {"mimeType": "image/png", "data": b64(png(48 + n, 32))}}
        if signature is not None:
            part["thoughtSignature"] = b64(signature)
        parts.append(part)
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 1290 * images + 5,
            "thoughtsTokenCount": 7,
            "totalTokenCount": 12 + 1290 * images + 12,
            "candidatesTokensDetails": [
                {"modality": "IMAGE", "tokenCount": 1290 * images},
                {"modality": "TEXT", "tokenCount": 5},
            ],
        },
        "modelVersion": "mock-image-001",
        "responseId": "resp-1",
    }


def text_body(text: str | None = "an answer") -> dict[str, Any]:
    parts = [{"text": text}] if text else []
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8},
        "modelVersion": "mock-text-001",
    }


def blocked_prompt_body(reason: str = "PROHIBITED_CONTENT") -> dict[str, Any]:
    return {"promptFeedback": {"blockReason": reason}, "usageMetadata": {"promptTokenCount": 9}}


def blocked_output_body(finish: str = "IMAGE_SAFETY") -> dict[str, Any]:
    return {"candidates": [{"finishReason": finish, "index": 0}], "usageMetadata": {"promptTokenCount": 9}}


def error_body(code: int, status: str, message: str, details: list | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


def respond(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> httpx2.Response:
    return httpx2.Response(status, json=body, headers=headers or {})


Script = Callable[[dict[str, Any], int], httpx2.Response]


class FakeGemini:
    """An async MockTransport handler: answers from `script(body, n)`, keeps every request body and the
    peak number of requests in flight at once."""

    def __init__(self, script: Script | list[httpx2.Response], delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}")
        n = len(self.requests)
        self.requests.append(body)
        self.paths.append(request.url.path)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if callable(self.script):
                return self.script(body, n)
            return self.script[n]
        finally:
            self.in_flight -= 1


def mock_client(fake: FakeGemini, timeout_s: float = 30):
    transport = httpx2.MockTransport(fake)
    options = types.HttpOptions(
        base_url="http://gemini.mock",
        api_version="v1beta",
        timeout=int(timeout_s * 1000),
        client_args={"transport": transport},
        async_client_args={"transport": transport},
    )
    return build_client(KEY, options)


class FakeSession:
    """Stands in for TransportSession's sleeps: records each requested wait, waits for real only if asked."""

    def __init__(self, real: bool = False) -> None:
        self.real = real
        self.waits: list[float] = []
        self.seen_emulator = False

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.real:
            await asyncio.sleep(seconds)


def step(
    index: int = 0,
    prompt: str = "a red square",
    *,
    model: str = IMAGE_MODEL,
    kind: str = "generate",
    modalities: tuple[str, ...] = ("TEXT", "IMAGE"),
    inputs: tuple[Path, ...] = (),
    expect: tuple[dict, ...] = (),
) -> StepPlan:
    config = GenConfig(
        model=model,
        aspect_ratio="1:1",
        image_size="1K",
        temperature=0.5,
        seed=7,
        response_modalities=modalities,
    )
    return StepPlan(
        index=index,
        kind=kind,
        prompt=prompt,
        config=config,
        inputs=inputs,  # type: ignore[arg-type]
        expect=expect,
    )


def plan(
    tmp_path: Path,
    case: str = "c1",
    *,
    steps: tuple[StepPlan, ...] | None = None,
    repeat: int = 0,
    variant: str = "default",
) -> TrialPlan:
    suite_path = tmp_path / "suite.yaml"
    if not suite_path.exists():
        suite_path.write_text("suite: s\n")
    return TrialPlan(
        suite="s", suite_path=suite_path, case=case, variant=variant, repeat=repeat, steps=steps or (step(),)
    )


def writer(tmp_path: Path, run_id: str = "run-1") -> RunWriter:
    manifest = Manifest(
        run_id=run_id,
        harness_version="t",
        sdk_version="t",
        api_version="v1beta",
        backend="mock",
        started_at=utc_now(),
    )
    return RunWriter(tmp_path / "results", manifest)


def trial_record(
    case: str, outcome: str = "ok", passed: bool | None = True, latency: float = 1.5, cost: float = 0.039
) -> TrialRecord:
    """A one-step trial of suite s, as the runner stores it."""
    step = StepRecord(index=0, kind="generate", prompt="p", outcome=outcome)
    return TrialRecord(
        trial_id=f"s::{case}[default-r0]",
        suite="s",
        case=case,
        variant="default",
        repeat=0,
        model="m",
        prompt="p",
        outcome=outcome,
        steps=[step],
        passed=passed,
        cost_usd=cost,
        latency_s=latency,
        started_at="t",
        finished_at="t",
    )
