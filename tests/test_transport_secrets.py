"""A record run with a known fake key: the key must not reach any file, log line or exception text."""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from _transport_helpers import FAKE_KEY, MODEL, FakeGemini, client, generate

from harness.context import RequestContext, current_request
from harness.transport import ReplayMiss, TransportSession

UPLOAD_TOKEN = "UPLOADCAPABILITY0123456789"


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
            key = request.headers["x-goog-api-key"]
            err = {
                "error": {"code": 400, "message": f"API key {key} not valid", "status": "INVALID_ARGUMENT"}
            }
            return httpx2.Response(400, json=err)
        return super().__call__(request)


@pytest.fixture
def backend() -> Iterator[tuple[str, httpx2.MockTransport | None]]:
    """The emulator when it is importable (the real thing), else a MockTransport fake."""
    try:
        from harness.emulator import Emulator
    except ImportError:
        yield "http://fake.test", httpx2.MockTransport(LeakyGemini())
        return
    with Emulator() as emu:
        yield emu.url, None


def all_bytes_under(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


def test_fake_key_reaches_no_file_log_or_exception(
    tmp_path: Path,
    backend: tuple[str, httpx2.MockTransport | None],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    base_url, inner = backend
    cas = tmp_path / "cassettes" / "s.cassette.yaml"
    current_request.set(RequestContext("s", "c1", "default", 0, 0))
    with TransportSession("record", cas, suite="s", inner=inner) as session:
        c = client(session, base_url=base_url)
        generate(c, "a red cup")
        list(c.models.generate_content_stream(model=MODEL, contents="a red cup"))
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session, base_url=base_url)
        generate(c, "a red cup")
        with pytest.raises(ReplayMiss) as err:
            generate(c, "a blue cup")
    texts = [str(err.value), repr(err.value), "".join(traceback.format_exception(err.value))]
    texts += [caplog.text, *capfd.readouterr()]
    assert "'a red cup' -> 'a blue cup'" in texts[0]
    files = dict(all_bytes_under(tmp_path))
    assert any(p.suffix in (".png", ".jpg") for p in files) and any(p.suffix == ".yaml" for p in files)
    for path, data in files.items():
        assert FAKE_KEY.encode() not in data, path
    for text in texts:
        assert FAKE_KEY not in text


def test_echoed_key_and_upload_token_are_redacted(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    with TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(LeakyGemini())) as session:
        c = client(session)
        with pytest.raises(Exception, match="not valid"):
            generate(c, "leak please")
        uploaded = c.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
        assert uploaded.name == "files/abc"
    text = cas.read_text()
    assert FAKE_KEY not in text and UPLOAD_TOKEN not in text
    assert "API key {REDACTED} not valid" in text and "upload_id={REDACTED}" in text
    with TransportSession("replay", cas, suite="s") as session:  # the redacted upload URL still replays
        c = client(session)
        with pytest.raises(Exception, match="REDACTED"):
            generate(c, "leak please")
        assert (
            c.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"}).name == "files/abc"
        )
    assert json.dumps(text).count("x-goog-api-key") == 0
