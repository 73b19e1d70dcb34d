"""What makes replay cheap keeps it correct: the cassette parse cache, base64 text kept per blob, and the
run's images synced in batches with the trial lines (a synced trial line always has its images)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from harness import files
from harness.files import utc_now
from harness.record import Manifest
from harness.store import RunWriter
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
    assert list(parse_cache_dir().glob("*.json"))  # under the tests' XDG_CACHE_HOME, not ~/.cache
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
    for entry in parse_cache_dir().glob("*.json"):
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


def _writer(tmp_path: Path) -> RunWriter:
    manifest = Manifest(
        run_id="r",
        harness_version="t",
        sdk_version="t",
        api_version="v1beta",
        backend="emulator",
        started_at=utc_now(),
    )
    return RunWriter(tmp_path, manifest)


def test_images_are_synced_before_the_trial_lines_that_name_them(tmp_path: Path, monkeypatch) -> None:
    from _scoring_helpers import png, product

    from harness.record import TrialRecord

    order: list[str] = []
    monkeypatch.setattr("harness.store.sync_files", lambda paths: order.extend(Path(p).name for p in paths))
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: order.append("fsync") or real_fsync(fd))
    writer = _writer(tmp_path)
    order.clear()
    ref = writer.save_image(png(product()))
    assert order == []  # written, not yet synced: the sync goes with the trial line
    record = TrialRecord(
        trial_id="s::c[default-r0]", suite="s", case="c", variant="default", repeat=0, model="m", prompt="p",
        outcome="ok", steps=[], started_at=utc_now(), finished_at=utc_now(),
    )  # fmt: skip
    writer.append(record)
    assert order == [Path(ref.path).name, "fsync"]  # the image, then trials.jsonl
    writer.close()


def test_an_image_a_power_cut_left_empty_is_written_again(tmp_path: Path) -> None:
    from _scoring_helpers import png, product

    writer = _writer(tmp_path)
    data = png(product())
    ref = writer.save_image(data)
    target = writer.dir / ref.path
    target.write_bytes(b"")
    writer.save_image(data)
    assert target.read_bytes() == data
    writer.close()


def test_sync_files_syncs_each_file_and_its_folder(tmp_path: Path, monkeypatch) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "sub" / "b.bin"
    files.atomic_write(a, b"a", sync=False)
    files.atomic_write(b, b"b", sync=False)
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    files.sync_files([a, b])
    assert len(synced) == 4  # two files, two folders
