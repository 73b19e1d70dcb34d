"""A tiny fake Gemini behind httpx2.MockTransport, for transport tests that need no server; and a gateway
that leaks the key (LeakyGemini), served over real HTTP for whole `harness run`s (`serve`, `leak_run`)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import logging
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
from google import genai
from PIL import Image

from harness.transport import TransportSession

FAKE_KEY = "test-key-not-real-0123456789abcdef"
MODEL = "gemini-2.5-flash-image"
UPLOAD_TOKEN = "UPLOADCAPABILITY0123456789"


def png_for(prompt: str, n: int, size: int = 64) -> bytes:
    """Deterministic per (prompt, n) and noisy, so the PNG is about as big as a real one per pixel."""
    raw = random.Random(f"{prompt}#{n}").randbytes(size * size * 3)
    buf = io.BytesIO()
    Image.frombytes("RGB", (size, size), raw).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class FakeGemini:
    """Counts calls; answers image parts with a thought signature; optional 429s before success."""

    fail_first: int = 0
    size: int = 64
    calls: int = 0
    paths: list[str] = field(default_factory=list)
    keys_seen: list[str] = field(default_factory=list)

    def body(self, prompt: str) -> dict[str, Any]:
        img = base64.b64encode(png_for(prompt, self.calls, self.size)).decode()
        sig = base64.b64encode(sig_for(prompt)).decode()
        return {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": f"here is {prompt}"},
                            {"inlineData": {"mimeType": "image/png", "data": img}, "thoughtSignature": sig},
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 1290, "totalTokenCount": 1297},
            "modelVersion": MODEL,
            "responseId": f"resp-{self.calls}",
        }

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.calls += 1
        self.paths.append(request.url.path)
        self.keys_seen.append(request.headers.get("x-goog-api-key", ""))
        headers = {
            "x-harness-emulator": "test",
            "date": "Mon, 01 Jan 2024 00:00:00 GMT",
            "server-timing": "gfet4t7; dur=1",
            "x-goog-request-id": "abc",
        }
        if self.calls <= self.fail_first:
            err = {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}
            return httpx2.Response(429, json=err, headers={**headers, "retry-after": "0"})
        prompt = json.loads(request.content)["contents"][0]["parts"][0]["text"]
        if request.url.path.endswith(":streamGenerateContent"):
            full = self.body(prompt)
            parts = full["candidates"][0]["content"]["parts"]
            events = [
                {"candidates": [{"content": {"role": "model", "parts": [p]}, "index": 0}]} for p in parts
            ]
            events[-1].update(usageMetadata=full["usageMetadata"], modelVersion=MODEL)
            text = "".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events)
            return httpx2.Response(
                200, content=text.encode(), headers={**headers, "content-type": "text/event-stream"}
            )
        return httpx2.Response(200, json=self.body(prompt), headers=headers)


def client(session: TransportSession, base_url: str = "http://fake.test", **kw: Any) -> genai.Client:
    return genai.Client(api_key=FAKE_KEY, http_options=session.http_options(base_url=base_url, **kw))


def generate(c: genai.Client, prompt: str, model: str = MODEL) -> Any:
    return c.models.generate_content(
        model=model, contents=prompt, config={"response_modalities": ["TEXT", "IMAGE"]}
    )


def image_of(response: Any) -> bytes:
    return next(p.inline_data.data for p in response.candidates[0].content.parts if p.inline_data)


def sig_for(prompt: str) -> bytes:
    return hashlib.sha512(prompt.encode()).digest() * 8


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on any attempt to open a socket is recorded and fails; assert the list stays empty."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    yield block_network(monkeypatch)


class LeakyGemini(FakeGemini):
    """Echoes the key back in an error body and hands out an upload URL with a capability token."""

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if "upload_id" in request.url.query.decode():
            file = {"name": "files/abc", "mimeType": "text/plain", "sizeBytes": "5"}
            return httpx2.Response(200, json={"file": file}, headers={"x-goog-upload-status": "final"})
        if request.url.path.endswith("/upload/v1beta/files"):
            url = f"{request.url.scheme}://{request.url.host}/upload/v1beta/files?upload_id={UPLOAD_TOKEN}"
            return httpx2.Response(200, json={}, headers={"x-goog-upload-url": url})
        if "leak" in request.content.decode():
            key, auth = request.headers["x-goog-api-key"], request.headers.get("authorization", "-")
            message = f"API key {key} not valid (authorization {auth})"
            return httpx2.Response(400, json={"error": {"code": 400, "message": message}})
        return super().__call__(request)


@contextlib.contextmanager
def serve(app: LeakyGemini) -> Iterator[str]:
    """`app` behind a real local HTTP server, for whole `harness run`s (which build their own transports)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            content = self.rfile.read(int(self.headers["content-length"]))
            url = f"http://{self.headers['host']}{self.path}"
            reply = app(httpx2.Request("POST", url, headers=dict(self.headers), content=content))
            self.send_response(reply.status_code)
            for name, value in reply.headers.multi_items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.content)

        def log_message(self, *args: object) -> None:
            """Quiet: the test greps stderr."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def all_bytes_under(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


LEAK_SUITE = """suite: leaky
defaults: {model: gemini-2.5-flash-image, repeats: 1}
cases:
  - id: cup
    prompt: a red cup
  - id: leak
    prompt: leak please
"""


@dataclass
class LeakRun:
    suite: Path  # two cases: one the gateway answers, one whose error echoes the key
    out: Path  # the results folder
    url: str  # LeakyGemini, served for the whole test
    capfd: pytest.CaptureFixture[str]
    caplog: pytest.LogCaptureFixture

    def output(self) -> str:
        """Everything printed and logged so far."""
        return "".join(self.capfd.readouterr()) + self.caplog.text


@pytest.fixture
def leak_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> Iterator[LeakRun]:
    """The set-up of a whole run through LeakyGemini: the fake key in the environment, every log line
    captured, the leaky suite written, the gateway listening."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    suite = tmp_path / "leaky.yaml"
    suite.write_text(LEAK_SUITE)
    with serve(LeakyGemini()) as url:
        yield LeakRun(suite, tmp_path / "results", url, capfd, caplog)
