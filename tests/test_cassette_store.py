"""Cassette files and the blob store: header, size, dedup, tamper/missing detection, atomic writes, CLI."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
import yaml
from _transport_helpers import MODEL, FakeGemini, client, generate, png_for, sig_for

from harness.cli import main
from harness.context import RequestContext, current_request
from harness.transport import CassetteError, TransportSession
from harness.transport.cassette import FORMAT, Cassette


def record(cas: Path, prompts: list[str], size: int = 64) -> FakeGemini:
    fake = FakeGemini(size=size)
    with TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(fake)) as session:
        c = client(session)
        for n, prompt in enumerate(prompts):
            current_request.set(RequestContext("s", f"case-{n}", "default", 0, 0))
            generate(c, prompt)
    return fake


def test_header_names_format_sdk_api_backend_and_time(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    record(cas, ["cup"])
    doc = yaml.safe_load(cas.read_text())
    assert doc["format"] == FORMAT and doc["api_version"] == "v1beta" and doc["backend"] == "emulator"
    assert doc["sdk_version"].startswith("3.") and doc["recorded_at"].endswith("Z")
    assert doc["interactions"][0]["trial"]["case"] == "case-0"


def test_twenty_images_cost_their_decoded_size_plus_small_overhead(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    prompts = [f"product shot {n}" for n in range(20)]
    record(cas, prompts, size=96)
    decoded = sum(len(png_for(p, n + 1, 96)) + len(sig_for(p)) for n, p in enumerate(prompts))
    blobs = sum(f.stat().st_size for f in (tmp_path / "blobs").iterdir())
    total = blobs + cas.stat().st_size
    assert blobs == decoded  # stored decoded, once each
    assert total <= decoded * 1.05 + 20 * 2048, (total, decoded)
    assert decoded > 20 * 20_000  # the images are big enough for the check to mean something


def test_identical_payloads_are_stored_once_across_cassettes(tmp_path: Path) -> None:
    record(tmp_path / "a.cassette.yaml", ["cup"])
    record(tmp_path / "b.cassette.yaml", ["cup"])
    assert len(list((tmp_path / "blobs").iterdir())) == 2  # one image + one signature, shared


def test_tampered_blob_is_a_clear_error_through_the_sdk(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    record(cas, ["cup"])
    png = next((tmp_path / "blobs").glob("*.png"))
    png.write_bytes(png.read_bytes()[:-1] + b"\x00")
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        with pytest.raises(CassetteError) as err:
            generate(c, "cup")
    assert png.name in str(err.value) and "tampered" in str(err.value) and str(cas) in str(err.value)


def test_re_recording_repairs_a_tampered_blob(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    record(cas, ["cup"])
    png = next((tmp_path / "blobs").glob("*.png"))
    good = png.read_bytes()
    png.write_bytes(good[:-1] + b"\x00")
    record(cas, ["cup"])
    assert png.read_bytes() == good
    with TransportSession("replay", cas, suite="s") as session:
        current_request.set(RequestContext("s", "case-0", "default", 0, 0))
        generate(client(session), "cup")


def test_missing_blob_fails_when_the_session_opens(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    record(cas, ["cup"])
    png = next((tmp_path / "blobs").glob("*.png"))
    png.unlink()
    with pytest.raises(CassetteError) as err:
        TransportSession("replay", cas, suite="s")
    assert png.name in str(err.value) and "missing" in str(err.value) and "--mode record" in str(err.value)


def test_missing_cassette_in_replay_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="--mode record"):
        TransportSession("replay", tmp_path / "none.cassette.yaml", suite="s")


def test_writer_dying_mid_write_leaves_the_old_cassette_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cas = tmp_path / "s.cassette.yaml"
    record(cas, ["cup"])
    before = cas.read_bytes()

    def die(fd: int) -> None:
        raise OSError("killed mid-write")

    monkeypatch.setattr("harness.store.os.fsync", die)
    with pytest.raises(OSError, match="killed"):
        record(cas, ["cup", "hat"])
    assert cas.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert len(Cassette.load(cas).interactions) == 1


def test_cli_stats_verify_prune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(tmp_path / "s.cassette.yaml", ["cup", "hat"])
    orphan = tmp_path / "blobs" / ("0" * 64 + ".png")
    orphan.write_bytes(b"left over")
    (tmp_path / "blobs" / "README").write_text("not a blob")
    assert main(["cassettes", "stats", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 interaction(s), 4 blob(s)" in out and "5 blob(s)" in out and "1 unreferenced" in out
    assert main(["cassettes", "prune", str(tmp_path)]) == 0
    assert not orphan.exists() and (tmp_path / "blobs" / "README").exists()
    assert main(["cassettes", "verify", str(tmp_path)]) == 0
    victim = next((tmp_path / "blobs").glob("*.png"))
    victim.write_bytes(b"tampered")
    assert main(["cassettes", "verify", str(tmp_path)]) == 1
    assert victim.name in capsys.readouterr().out


def test_model_is_part_of_the_request_path(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    record(cas, ["cup"])
    assert Cassette.load(cas).interactions[0].request["path"] == f"/v1beta/models/{MODEL}:generateContent"
