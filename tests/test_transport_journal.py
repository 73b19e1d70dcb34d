"""The record journal and the recorder fixes, at the session level: a trial not committed (Ctrl-C) never
replaces its earlier recording, replay never hands one trial another trial's recording, a dropped
connection is recorded, an error does not overwrite a good recording unless asked, a journal left by a
killed run is folded at the next start."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from _transport_helpers import FakeGemini, client, generate, image_of, png_for

from harness.context import RequestContext, current_request
from harness.transport import TransportSession
from harness.transport.cassette import Cassette
from harness.transport.journal import journal_path
from harness.transport.miss import ReplayMiss


def ctx(case: str, repeat: int = 0) -> RequestContext:
    return RequestContext("s", case, "default", repeat, 0)


def call(session: TransportSession, case: str, prompt: str, repeat: int = 0) -> bytes:
    token = current_request.set(ctx(case, repeat))
    try:
        return image_of(generate(client(session), prompt))
    finally:
        current_request.reset(token)


def record(path: Path, fake: FakeGemini, cases: dict[str, str], commit: set[str], **kw) -> TransportSession:
    session = TransportSession(
        "record", path, suite="s", inner=httpx2.MockTransport(fake), journal=True, **kw
    )
    for case, prompt in cases.items():
        call(session, case, prompt)
        if case in commit:
            session.commit_trial("s", case, "default", 0)
    return session


@pytest.fixture
def cas(tmp_path: Path) -> Path:
    return tmp_path / "cassettes" / "s.cassette.yaml"


def test_an_uncommitted_trial_keeps_its_earlier_recording(cas: Path) -> None:
    record(cas, FakeGemini(), {"a": "an apple", "b": "a bee"}, {"a", "b"}).close()
    before = Cassette.load(cas)
    # a re-record interrupted while b was in flight: b's partial recording must not replace the old one
    record(cas, FakeGemini(calls=10), {"a": "an apple", "b": "a bee"}, {"a"}).close()
    with TransportSession("replay", cas, suite="s") as replay:
        assert call(replay, "a", "an apple") == png_for("an apple", 11)  # re-recorded
        assert call(replay, "b", "a bee") == png_for("a bee", 2)  # kept from the first recording
    assert len(Cassette.load(cas).interactions) == len(before.interactions)
    assert {p.name for p in (cas.parent / "blobs").iterdir()} == Cassette.load(cas).refs()  # none orphaned


def test_replay_never_answers_a_trial_with_another_trials_recording(cas: Path) -> None:
    record(cas, FakeGemini(), {"a": "same prompt"}, {"a"}).close()
    with TransportSession("replay", cas, suite="s") as replay:
        with pytest.raises(ReplayMiss):
            call(replay, "b", "same prompt")  # trial b was never recorded: a miss, not trial a's image
        assert call(replay, "a", "same prompt") == png_for("same prompt", 1)


def test_a_killed_recording_is_folded_from_the_journal_at_the_next_start(cas: Path) -> None:
    session = record(cas, FakeGemini(), {"a": "an apple", "b": "a bee"}, {"a"})
    assert journal_path(cas).exists() and not cas.exists()  # the process dies here: close never runs
    blobs = {p.name for p in (cas.parent / "blobs").iterdir()}
    assert len(blobs) == 2  # a's image and signature; b's stayed in memory, never reached the disk
    with TransportSession("replay", cas, suite="s") as replay:
        assert call(replay, "a", "an apple") == png_for("an apple", 1)
    assert not journal_path(cas).exists()
    del session


def test_a_dropped_connection_is_recorded_and_replayed(cas: Path) -> None:
    class Drop(httpx2.ByteStream):
        def __iter__(self):
            yield b'{"candidates": ['
            raise httpx2.RemoteProtocolError("peer closed connection without sending complete message body")

    def dropping(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, stream=Drop(b""), headers={"content-type": "application/json"})

    session = TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(dropping), journal=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        call(session, "a", "an apple")
    session.commit_trial("s", "a", "default", 0)
    session.close()
    (inter,) = Cassette.load(cas).interactions
    assert inter.response["error"]["type"] == "RemoteProtocolError"
    with TransportSession("replay", cas, suite="s") as replay, pytest.raises(httpx2.RemoteProtocolError):
        call(replay, "a", "an apple")


def test_an_error_does_not_overwrite_a_good_recording_unless_asked(cas: Path) -> None:
    record(cas, FakeGemini(), {"a": "an apple"}, {"a"}).close()
    failing = FakeGemini(fail_first=99)
    session = TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(failing), journal=True)
    with pytest.raises(Exception, match="429"):
        call(session, "a", "an apple")
    session.commit_trial("s", "a", "default", 0)
    session.close()
    with TransportSession("replay", cas, suite="s") as replay:
        assert call(replay, "a", "an apple") == png_for("an apple", 1)  # the good one was kept
    session = TransportSession(
        "record", cas, suite="s", inner=httpx2.MockTransport(failing), journal=True, overwrite_errors=True
    )
    with pytest.raises(Exception, match="429"):
        call(session, "a", "an apple")
    session.commit_trial("s", "a", "default", 0)
    session.close()
    assert Cassette.load(cas).interactions[-1].response["status"] == 429


def test_a_committed_binary_body_reaches_the_disk_before_a_kill(cas: Path) -> None:
    """A whole-body blob (a binary response) is written when its trial commits, like the blobs inside a
    JSON body, so the journal a killed run leaves never names a blob that is not on disk."""

    def binary(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=bytes(range(256)) * 4, headers={"content-type": "image/png"})

    session = TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(binary), journal=True)
    with pytest.raises(Exception):  # noqa: B017 - the SDK cannot parse the body; the recording is the point
        call(session, "a", "an apple")
    session.commit_trial("s", "a", "default", 0)
    assert not cas.exists()  # the process dies here: close never runs
    with TransportSession("replay", cas, suite="s"):
        folded = Cassette.load(cas)
        (inter,) = folded.interactions
        assert "blob" in inter.response
        folded.check_blobs_present()
    del session
