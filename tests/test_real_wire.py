"""Every real recording in tests/data/real-wire/ (vcrpy, Ruby VCR 6, R vcr; sources in SOURCES.md there)
imports, verifies and replays each of its requests; the SDK reads the replies as it read the real ones."""

from __future__ import annotations

import base64
import functools
import io
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from _transport_helpers import no_network
from google import genai
from google.genai import errors
from PIL import Image

from harness.cli import main
from harness.transport import TransportSession
from harness.transport.cassette import Cassette

__all__ = ["no_network"]
DATA = Path(__file__).parent / "data" / "real-wire"
CASSETTES = sorted(p for p in DATA.iterdir() if p.suffix in (".yaml", ".yml"))
KEY = "test-key-not-real-0123456789"


class _SourceLoader(yaml.CSafeLoader):
    """Read the originals independently of the importer: safe YAML plus Ruby's `!binary` (libyaml's parser:
    the pure-Python one took seconds over these 5 MB)."""


_SourceLoader.add_constructor(
    "!binary", lambda loader, node: base64.b64decode("".join(loader.construct_scalar(node).split()))
)


@functools.cache
def source_interactions(path: Path) -> list[dict[str, Any]]:
    """The recorded interactions, parsed once per test process (tests read them and never change them)."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_SourceLoader)
    return doc.get("interactions") or doc["http_interactions"]


def body_of(message: dict[str, Any]) -> bytes:
    """A request's or response's body as sent: pydantic-ai keeps JSON under `parsed_body`."""
    if "parsed_body" in message:
        return json.dumps(message["parsed_body"]).encode()
    return body_bytes(message.get("body"))


def body_bytes(body: Any) -> bytes:
    if isinstance(body, dict):
        if "base64_string" in body:
            return base64.b64decode(body["base64_string"])
        body = body.get("string")
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode()


def status_of(response: dict[str, Any]) -> int:
    status = response["status"]
    return int(status["code"] if isinstance(status, dict) else status)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real-wire")
    assert main(["cassettes", "import-vcr", *map(str, CASSETTES), "--out", str(out)]) == 0
    return out


def cassette_for(imported: Path, source: Path) -> Path:
    return imported / f"{source.name.removesuffix('.yaml').removesuffix('.yml')}.cassette.yaml"


def test_the_sample_holds_every_format() -> None:
    kinds = {p.name.split("__")[0]: source_interactions(p) is not None for p in CASSETTES}
    assert len(CASSETTES) == 9 and all(kinds.values())
    text = {p.name: p.read_text() for p in CASSETTES}
    assert any("http_interactions:" in t and "VCR 6" in t for t in text.values())  # Ruby VCR 6
    assert any("VCR-vcr/" in t for t in text.values())  # R vcr
    assert any("!!binary" in t for t in text.values())  # vcrpy bytes


@pytest.mark.parametrize("source", CASSETTES, ids=lambda p: p.name[:60])
def test_every_real_cassette_imports_verifies_and_replays_each_request(
    imported: Path, source: Path, no_network: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = cassette_for(imported, source)
    assert main(["cassettes", "verify", str(cassette)]) == 0
    assert "ok: every blob present and intact" in capsys.readouterr().out
    recorded = source_interactions(source)
    assert len(Cassette.load(cassette).interactions) == len(recorded)
    with TransportSession("replay", cassette, suite="real") as session:
        http = httpx2.Client(transport=session.sync_transport)
        for n, item in enumerate(recorded):
            req, resp = item["request"], item["response"]
            got = http.request(str(req["method"]).upper(), req["uri"], content=body_of(req))
            assert got.status_code == status_of(resp), n
            want = body_of(resp)
            if want.strip()[:1] in (b"{", b"["):
                assert got.json() == json.loads(want), n  # the same tree (bodies are stored parsed)
            else:
                assert got.content == want, n
    assert no_network == []


def sdk(session: TransportSession) -> genai.Client:
    return genai.Client(api_key=KEY, http_options=session.http_options(api_version="v1beta"))


def test_files_upload_lifecycle_replays_through_the_sdk(imported: Path, no_network: list[str]) -> None:
    """chatlas's real Files-API traffic: a 200 with an empty body and an upload URL, then the finalize."""
    source = DATA / "posit-dev_chatlas__tests__vcr_test_provider_google_files_test_google_file_lifecycle.yaml"
    pdf = source_interactions(source)[1]["request"]["body"]
    assert pdf.startswith(b"%PDF")
    with TransportSession("replay", cassette_for(imported, source), suite="real") as session:
        c = sdk(session)
        file = c.files.upload(file=io.BytesIO(pdf), config={"mime_type": "application/pdf"})
        assert (file.name, file.mime_type, file.size_bytes) == (
            "files/o3s42u5uu1z2",
            "application/pdf",
            14560,
        )
        assert c.files.get(name=file.name).state.name == "ACTIVE"
        assert "files/o3s42u5uu1z2" in [f.name for f in c.files.list()]
        c.files.delete(name=file.name)
    assert no_network == []


def test_ruby_batch_polled_to_success_replays_in_order(imported: Path, no_network: list[str]) -> None:
    source = next(p for p in CASSETTES if "batch_with_gemini" in p.name)
    recorded = source_interactions(source)
    batch = json.loads(body_bytes(recorded[0]["request"]["body"]))["batch"]
    src = [
        {"model": r["request"]["model"], "contents": r["request"]["contents"], "metadata": r["metadata"]}
        for r in batch["inputConfig"]["requests"]["requests"]
    ]
    with TransportSession("replay", cassette_for(imported, source), suite="real") as session:
        c = sdk(session)
        job = c.batches.create(
            model="gemini-2.5-flash", src=src, config={"display_name": batch["displayName"]}
        )
        states = [c.batches.get(name=job.name).state.name for _ in recorded[1:]]
    assert states[0] != "JOB_STATE_SUCCEEDED" and states[-1] == "JOB_STATE_SUCCEEDED"
    assert len(states) == 27
    assert no_network == []


def test_real_429_and_safety_block_reach_the_sdk_as_they_did(imported: Path) -> None:
    error = next(p for p in CASSETTES if "real_error" in p.name)
    body = json.loads(body_bytes(source_interactions(error)[0]["request"]["body"]))
    with TransportSession("replay", cassette_for(imported, error), suite="real") as session:
        c = sdk(session)
        with pytest.raises(errors.ClientError) as exc:
            c.models.generate_content(model="gemini-2.5-flash", contents=body["contents"])
    assert exc.value.code == 429 and exc.value.status == "RESOURCE_EXHAUSTED"
    assert any("RetryInfo" in d.get("@type", "") for d in exc.value.details["error"]["details"])


def test_ruby_image_with_megabyte_signature_comes_back_whole(imported: Path) -> None:
    source = next(p for p in CASSETTES if "can_paint_images" in p.name)
    cassette = cassette_for(imported, source)
    assert cassette.stat().st_size < 4000  # the JPEG and the 1.1 MB signature are blobs
    with TransportSession("replay", cassette, suite="real") as session:
        c = sdk(session)
        resp = c.models.generate_content(
            model="gemini-3.1-flash-lite-image",
            contents="a siamese cat",
            config={"response_modalities": ["TEXT", "IMAGE"]},
        )
    part = next(p for p in resp.candidates[0].content.parts if p.inline_data)
    assert Image.open(io.BytesIO(part.inline_data.data)).size == (1408, 768)
    assert len(part.thought_signature) > 800_000


def test_upload_ids_and_volatile_headers_never_reach_the_cassettes(imported: Path) -> None:
    text = "".join(p.read_text() for p in imported.glob("*.cassette.yaml"))
    assert "AKhXX7It8bPPcgDLTfZyT9UdEkDS9ieb8gI" not in text
    for header in ("server-timing", "alt-svc", "content-length", "transfer-encoding", "content-encoding"):
        assert header not in text


@pytest.mark.parametrize(
    "name",
    [
        "tidyverse_ellmer__tests_testthat_batch_state-capitals-gemini.json",
        "vercel_ai__packages_google_src___fixtures___google-429-retry-info.json",
    ],
)
def test_json_bodies_that_are_not_cassettes_are_a_clear_error(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cassettes", "import-vcr", str(DATA / name), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert name in err and "no `interactions:`" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.cassette.yaml"))
