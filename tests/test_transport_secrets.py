"""A record run with a known fake key: the key must not reach any file, log line or exception text."""

from __future__ import annotations

import gzip
import io
import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from _transport_helpers import (
    FAKE_KEY,
    MODEL,
    UPLOAD_TOKEN,
    FakeGemini,
    LeakRun,
    LeakyGemini,
    all_bytes_under,
    client,
    generate,
    leak_run,
)

from harness.cli import main
from harness.context import RequestContext, current_request
from harness.emulator import Emulator
from harness.transport import ReplayMiss, TransportSession

__all__ = ["leak_run"]  # the fixture
BEARER = "fake-oauth-token-0123456789-not-real"


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """The emulator: the real SDK talks to it over HTTP, as to Gemini."""
    with Emulator() as emu:
        yield emu.url


def test_fake_key_reaches_no_file_log_or_exception(
    tmp_path: Path,
    emulator_url: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    base_url = emulator_url
    cas = tmp_path / "cassettes" / "s.cassette.yaml"
    current_request.set(RequestContext("s", "c1", "default", 0, 0))
    with TransportSession("record", cas, suite="s") as session:
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
    inner = httpx2.MockTransport(LeakyGemini())
    with TransportSession("record", cas, suite="s", inner=inner) as session:
        c = client(session, headers={"authorization": f"Bearer {BEARER}"})
        with pytest.raises(Exception, match="not valid") as err:
            generate(c, "leak please")
        uploaded = c.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
        assert uploaded.name == "files/abc"
    for text in (str(err.value), "".join(traceback.format_exception(err.value))):
        assert FAKE_KEY not in text and BEARER not in text
    text = cas.read_text()
    assert FAKE_KEY not in text and UPLOAD_TOKEN not in text and BEARER not in text
    assert "API key {REDACTED} not valid (authorization {REDACTED})" in text
    assert "upload_id={REDACTED}" in text
    with TransportSession("replay", cas, suite="s") as session:  # the redacted upload URL still replays
        c = client(session)
        with pytest.raises(Exception, match="REDACTED"):
            generate(c, "leak please")
        assert (
            c.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"}).name == "files/abc"
        )
    assert json.dumps(text).count("x-goog-api-key") == 0


@pytest.mark.parametrize("mode", ["record", "live"])
def test_a_harness_run_with_a_fake_key_writes_it_nowhere(
    mode: str, tmp_path: Path, leak_run: LeakRun
) -> None:
    """A whole run against a gateway that echoes the key in an error: results, cassette, output, logs."""
    suite, out = leak_run.suite, leak_run.out
    assert main(["run", str(suite), "--base-url", leak_run.url, "--mode", mode, "--out", str(out)]) == 1
    cassette = tmp_path / "cassettes" / "leaky.cassette.yaml"
    assert cassette.exists() == (mode == "record")
    if mode == "record":  # and the replay of what was recorded
        assert main(["run", str(suite), "--mode", "replay", "--out", str(out)]) == 1
    for trials in out.glob("*/trials.jsonl"):
        rows = [json.loads(line) for line in trials.read_text().splitlines()]
        assert {r["case"]: r["error"] and r["error"]["message"] for r in rows} == {
            "cup": None,
            "leak": "API key {REDACTED} not valid (authorization -)",
        }
    files = dict(all_bytes_under(tmp_path))
    assert any(p.suffix == ".png" for p in files)
    for path, data in files.items():
        assert FAKE_KEY.encode() not in data, path
    assert FAKE_KEY not in leak_run.output()


def test_live_error_echoing_the_key_is_scrubbed_even_gzipped() -> None:
    def gateway(request: httpx2.Request) -> httpx2.Response:
        if b"leak" not in request.content:
            return FakeGemini()(request)
        message = f"key {request.headers['x-goog-api-key']} rejected"
        body = gzip.compress(json.dumps({"error": {"code": 403, "message": message}}).encode())
        return httpx2.Response(
            403, content=body, headers={"content-encoding": "gzip", "content-type": "application/json"}
        )

    with TransportSession("live", None, suite="s", inner=httpx2.MockTransport(gateway)) as session:
        c = client(session)
        with pytest.raises(Exception, match=r"key \{REDACTED\} rejected") as err:
            generate(c, "leak please")
        assert FAKE_KEY not in "".join(traceback.format_exception(err.value))
        assert "date" in generate(c, "a red cup").sdk_http_response.headers  # successes pass untouched
