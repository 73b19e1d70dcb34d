"""A response with no body records and replays: the Files-API resumable upload start answers 200 with an
empty body and only an upload URL header (as the real server does, see tests/data/real-wire/posit-dev_*),
so `client.files.upload` works in record and replay, sync and async."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2
import pytest
import yaml
from _transport_helpers import client, no_network

from harness.transport import Mode, ReplayMiss, TransportSession

__all__ = ["no_network"]
UPLOAD_ID = "AKhXX7It8bPPcgDLTfZyT9UdEkDS9ieb8gI_1zDRr6XqJP"


class FakeFiles:
    """The two-step resumable upload: start (200, empty body, upload URL), then one `upload, finalize`."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        command = request.headers.get("x-goog-upload-command", "")
        self.calls.append(command)
        if command == "start":
            url = f"http://fake.test/upload/v1beta/files?upload_id={UPLOAD_ID}&upload_protocol=resumable"
            headers = {
                "x-goog-upload-url": url,
                "x-goog-upload-status": "active",
                "content-type": "text/plain; charset=utf-8",
                "content-length": "0",
            }
            return httpx2.Response(200, content=b"", headers=headers)
        size = str(len(request.content))
        file = {"name": "files/abc123", "mimeType": "application/jsonl", "sizeBytes": size, "state": "ACTIVE"}
        return httpx2.Response(200, json={"file": file}, headers={"x-goog-upload-status": "final"})


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "batch-in.jsonl"
    path.write_text('{"key": "a", "request": {}}\n')
    return path


def upload(session: TransportSession, source: Path, *, use_async: bool = False) -> str | None:
    c = client(session)
    config = {"mime_type": "application/jsonl", "display_name": "batch-in"}
    if use_async:
        file = asyncio.run(c.aio.files.upload(file=str(source), config=config))
    else:
        file = c.files.upload(file=str(source), config=config)
    return file.name


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_files_upload_records_then_replays_without_the_server(
    tmp_path: Path, source: Path, no_network: list[str], use_async: bool
) -> None:
    cas = tmp_path / "cassettes" / "s.cassette.yaml"
    fake = FakeFiles()
    with TransportSession(Mode.RECORD, cas, suite="s", inner=httpx2.MockTransport(fake)) as session:
        assert upload(session, source, use_async=use_async) == "files/abc123"
    assert fake.calls == ["start", "upload, finalize"]
    stored = yaml.safe_load(cas.read_text())["interactions"]
    start = stored[0]["response"]
    assert start["status"] == 200 and set(start) == {"status", "headers"}  # no body form at all
    assert start["headers"]["x-goog-upload-url"].count("{REDACTED}") == 1
    assert UPLOAD_ID not in cas.read_text()
    with TransportSession(Mode.REPLAY, cas, suite="s") as session:
        assert upload(session, source, use_async=use_async) == "files/abc123"
    assert fake.calls == ["start", "upload, finalize"]  # replay asked nobody
    assert no_network == []


def test_a_changed_file_is_a_replay_miss_not_a_wrong_answer(tmp_path: Path, source: Path) -> None:
    cas = tmp_path / "cassettes" / "s.cassette.yaml"
    with TransportSession(Mode.RECORD, cas, suite="s", inner=httpx2.MockTransport(FakeFiles())) as session:
        upload(session, source)
    source.write_text('{"key": "b", "request": {}}\n')
    with TransportSession(Mode.REPLAY, cas, suite="s") as session, pytest.raises(ReplayMiss):
        upload(session, source)
