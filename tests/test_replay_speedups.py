"""What makes replay cheap keeps it correct: the cassette parse cache, base64 text kept per blob, and
images linked from their verified blobs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from harness.store import Run
from harness.transport import CassetteError
from harness.transport import cassette as cassette_module
from harness.transport.blobs import BlobStore
from harness.transport.cassette import Cassette, parse_cache_dir


def _cassette(tmp_path: Path, prompt: str = "a cat") -> Path:
    path = tmp_path / "s.cassette.yaml"
    c = Cassette.new(path, "s")
    c.interactions.append(
        cassette_module.Interaction(
            "k1", {"method": "POST", "path": "/p", "body": {"prompt": prompt}}, {"status": 200, "text": "hi"}
        )
    )
    c.save()
    return path


def test_a_second_load_reads_the_parse_cache_and_an_edit_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _cassette(tmp_path)
    first = Cassette.load(path)
    entries = list(parse_cache_dir(path).glob("*.json"))
    assert entries and entries[0].is_relative_to(tmp_path)  # inside the cassette's project, not ~/.cache
    assert (parse_cache_dir(path).parent / ".gitignore").read_text().endswith("*\n")
    parsed: list[str] = []
    real_load = yaml.load

    def counted(*args, **kwargs):
        parsed.append("yaml")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(cassette_module.yaml, "load", counted)
    again = Cassette.load(path)
    assert parsed == [] and again.header == first.header
    assert [i.request for i in again.interactions] == [i.request for i in first.interactions]
    path.write_text(path.read_text().replace("a cat", "a dog"))
    edited = Cassette.load(path)
    assert parsed == ["yaml"] and edited.interactions[0].request["body"]["prompt"] == "a dog"


def test_a_torn_parse_cache_entry_is_a_miss(tmp_path: Path) -> None:
    path = _cassette(tmp_path)
    Cassette.load(path)
    for entry in parse_cache_dir(path).glob("*.json"):
        entry.write_text('{"sha256": "')
    assert Cassette.load(path).interactions[0].key == "k1"


def test_encoded_text_is_kept_and_a_tampered_blob_is_still_caught(tmp_path: Path, monkeypatch) -> None:
    store = BlobStore(tmp_path / "blobs")
    name = store.put(b"\x89PNG" + bytes(range(256)) * 8)
    text = store.encoded(name, urlsafe=False, padded=True)
    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    assert store.encoded(name, urlsafe=False, padded=True) == text and reads == []
    urlsafe = text.replace(b"+", b"-").replace(b"/", b"_").rstrip(b"=")
    assert store.encoded(name, urlsafe=True, padded=False) == urlsafe
    blob = store.path(name)
    blob.write_bytes(b"tampered")
    os.utime(blob, ns=(1, 1))
    with pytest.raises(CassetteError, match="does not match its sha256"):
        store.encoded(name, urlsafe=False, padded=True)


SUITE = "suite: s\ncases:\n  - id: a\n    prompt: a red cup\n  - id: b\n    prompt: a blue hat\n"


def _record_and_replay(tmp_path: Path) -> tuple[Run, Run, Path]:
    from harness.api import run_suites

    suite = tmp_path / "s.yaml"
    suite.write_text(SUITE)
    cassettes = tmp_path / "cassettes"
    common = {"cassettes": cassettes, "out": tmp_path / "results"}
    recorded = Run.load(run_suites([suite], backend="emulator", mode="record", run_id="rec", **common))
    replayed = Run.load(run_suites([suite], mode="replay", run_id="rep", **common))
    return recorded, replayed, cassettes / "blobs"


def test_a_replayed_image_is_a_link_to_its_verified_blob_with_the_recorded_bytes(tmp_path: Path) -> None:
    recorded, replayed, blobs = _record_and_replay(tmp_path)
    assert [r.images() for r in replayed.trials] == [r.images() for r in recorded.trials]
    for ref in (img for r in replayed.trials for img in r.images()):
        image, blob = replayed.image_path(ref), blobs / Path(ref.path).name
        assert image.stat().st_ino == blob.stat().st_ino  # linked: neither written nor synced again
        assert image.read_bytes() == recorded.image_path(ref).read_bytes()
        assert recorded.image_path(ref).stat().st_nlink == 1  # a recording writes its own copy


def test_an_image_is_written_where_no_link_can_be_made(tmp_path: Path, monkeypatch) -> None:
    def cross_device(source: Path, target: Path) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("harness.store.os.link", cross_device)
    recorded, replayed, _ = _record_and_replay(tmp_path)
    for ref in (img for r in replayed.trials for img in r.images()):
        assert replayed.image_path(ref).stat().st_nlink == 1
        assert replayed.image_path(ref).read_bytes() == recorded.image_path(ref).read_bytes()


def test_only_an_unchanged_verified_blob_is_offered_for_linking(tmp_path: Path) -> None:
    import hashlib

    store = BlobStore(tmp_path / "blobs")
    data = b"\x89PNG" + bytes(range(256)) * 8
    name = store.put(data)
    sha = hashlib.sha256(data).hexdigest()
    assert store.verified_file(data, sha) is None  # never read, so never verified
    store.get(name)
    assert store.verified_file(data, sha) == store.path(name)
    os.utime(store.path(name), ns=(1, 1))  # touched since it was verified
    assert store.verified_file(data, sha) is None


def test_a_finished_run_frees_its_cassette_without_waiting_for_the_garbage_collector(
    tmp_path: Path, monkeypatch
) -> None:
    """No reference cycle holds a run's client, session and cassette: they go when the run returns, not at
    some later full collection that walks (and then frees) every recording of a large cassette."""
    import gc
    import weakref

    from harness.api import run_suites

    _record_and_replay(tmp_path)
    loaded: list[weakref.ref[Cassette]] = []
    load = Cassette.load.__func__  # type: ignore[attr-defined]

    def tracked(cls: type[Cassette], path: Path, **kwargs: bool) -> Cassette:
        cassette = load(cls, path, **kwargs)
        loaded.append(weakref.ref(cassette))
        return cassette

    monkeypatch.setattr(Cassette, "load", classmethod(tracked))
    suite = tmp_path / "judged.yaml"
    suite.write_text(SUITE.replace("prompt: a red cup", "prompt: a red cup\n    expect: [{format: png}]"))
    common = {"cassettes": tmp_path / "cassettes", "out": tmp_path / "results"}
    run_suites([suite], backend="emulator", mode="record", run_id="rec2", **common)
    gc.collect()
    gc.disable()
    try:
        loaded.clear()
        run_suites([suite], mode="replay", run_id="rep2", **common)
        assert loaded and all(ref() is None for ref in loaded)
    finally:
        gc.enable()


def test_clients_share_one_tls_context_per_trust_setting(monkeypatch, tmp_path: Path) -> None:
    """Each SDK client made its own TLS contexts (~40 ms each, three a run) though our transports do the
    connecting; now a process makes one per trust setting, and SSL_CERT_FILE still picks the roots."""
    import ssl
    from types import ModuleType

    import httpx2

    from harness.runner.client import build_client
    from harness.transport import TransportSession
    from harness.transport.recorder import tls_context

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    shared = tls_context(httpx2)
    made: list[object] = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(a) or real(*a, **k))
    for _ in range(2):
        options = TransportSession("live", None, suite="s").http_options()
        assert options.async_client_args is not None and options.client_args is not None
        assert options.client_args["verify"] is shared and options.async_client_args["ssl"] is shared
        build_client("no-key-needed", options)
    assert made == []  # neither the SDK's httpx clients nor its websocket context made one
    library = ModuleType("an_http_library")  # counts the contexts it is asked to make
    library.create_ssl_context = lambda: made.append("made") or object()  # type: ignore[attr-defined]
    first = tls_context(library)
    assert tls_context(library) is first and made == ["made"]
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "other-roots.pem"))
    assert tls_context(library) is not first and made == ["made", "made"]
