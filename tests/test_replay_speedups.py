"""What makes replay cheap keeps it correct: the cassette parse cache, and base64 text kept per blob."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

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
    urlsafe = text.replace("+", "-").replace("/", "_").rstrip("=")
    assert store.encoded(name, urlsafe=True, padded=False) == urlsafe
    blob = store.path(name)
    blob.write_bytes(b"tampered")
    os.utime(blob, ns=(1, 1))
    with pytest.raises(CassetteError, match="does not match its sha256"):
        store.encoded(name, urlsafe=False, padded=True)
