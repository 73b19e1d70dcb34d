"""import-vcr shapes beyond the real sample (Ruby `!binary`/`base64_string`, JSON cassettes, gzip bytes),
whole-body blobs in stats/prune/verify, percent-encoded paths, merged backends, `--suite` merging."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from _transport_helpers import FakeGemini, client, generate, no_network

from harness.cli import main
from harness.context import RequestContext, current_request
from harness.transport import Mode, TransportSession
from harness.transport.cassette import Cassette

__all__ = ["no_network"]
GEMINI = "https://generativelanguage.googleapis.com"
URL = f"{GEMINI}/v1beta/models/gemini-2.5-flash:generateContent"
ANSWER = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "hello cup"}]}, "finishReason": "STOP"}]
}


def ask(prompt: str = "hi") -> str:
    return json.dumps({"contents": [{"parts": [{"text": prompt}], "role": "user"}]})


def replay_text(cassette: Path, prompt: str = "hi") -> str | None:
    with TransportSession("replay", cassette, suite="vcr") as session:
        c = client(session, base_url=GEMINI)
        return c.models.generate_content(model="gemini-2.5-flash", contents=prompt).text


def imported(tmp_path: Path, name: str, text: str) -> Path:
    src = tmp_path / name
    src.write_text(text)
    assert main(["cassettes", "import-vcr", str(src), "--out", str(tmp_path / "out")]) == 0
    stem = name.rsplit(".", 1)[0]
    return tmp_path / "out" / f"{stem}.cassette.yaml"


def test_ruby_vcr_binary_and_base64_string_bodies(tmp_path: Path, no_network: list[str]) -> None:
    body = base64.b64encode(json.dumps(ANSWER).encode()).decode()
    text = f"""---
http_interactions:
- request:
    method: post
    uri: {URL}
    body:
      encoding: UTF-8
      string: !binary |-
        {base64.b64encode(ask().encode()).decode()}
  response:
    status: {{code: 200, message: OK}}
    headers: {{Content-Type: [application/json]}}
    body: {{encoding: ASCII-8BIT, base64_string: "{body}"}}
recorded_with: VCR 6.4.0
"""
    assert replay_text(imported(tmp_path, "ruby.yml", text)) == "hello cup"


def gzip_flagged(body: str | bytes) -> dict[str, Any]:
    item = {
        "request": {"method": "POST", "uri": URL, "body": ask(), "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Encoding": ["gzip"], "Content-Type": ["application/json"]},
            "body": {"string": body},
        },
    }
    return {"version": 1, "interactions": [item]}


def test_vcrpy_json_cassette_whose_gzip_body_is_already_decoded(
    tmp_path: Path, no_network: list[str]
) -> None:
    """urllib3 2 decodes the body but vcrpy keeps `Content-Encoding: gzip` (and JSON is a vcrpy format)."""
    doc = gzip_flagged(json.dumps(ANSWER))
    assert replay_text(imported(tmp_path, "plain.json", json.dumps(doc))) == "hello cup"


def test_vcrpy_binary_gzip_body(tmp_path: Path, no_network: list[str]) -> None:
    text = yaml.safe_dump(gzip_flagged(gzip.compress(json.dumps(ANSWER).encode())))
    assert "!!binary" in text
    assert replay_text(imported(tmp_path, "gz.yaml", text)) == "hello cup"


def test_percent_encoded_paths_match_what_the_sdk_sends(tmp_path: Path, no_network: list[str]) -> None:
    escaped = URL.replace(":generateContent", "%3AgenerateContent")
    doc = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": escaped, "body": ask()},
                "response": {
                    "status": 200,
                    "headers": {"content-type": "application/json"},
                    "body": {"string": json.dumps(ANSWER)},
                },
            }
        ]
    }
    cassette = imported(tmp_path, "escaped.yaml", yaml.safe_dump(doc))
    assert Cassette.load(cassette).interactions[0].request["path"].endswith(":generateContent")
    assert replay_text(cassette) == "hello cup"


def record_download(cas: Path) -> bytes:
    data = bytes(range(256)) * 8  # not UTF-8: stored as one whole-body blob

    def serve(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=data, headers={"content-type": "application/octet-stream"})

    with TransportSession(Mode.RECORD, cas, suite="s", inner=httpx2.MockTransport(serve)) as session:
        assert client(session).files.download(file="files/abc") == data
    return data


def test_whole_body_blobs_count_in_stats_prune_and_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cas = tmp_path / "s.cassette.yaml"
    data = record_download(cas)
    assert "blob" in Cassette.load(cas).interactions[0].response
    assert main(["cassettes", "stats", str(tmp_path)]) == 0
    assert "1 interaction(s), 1 blob(s)" in capsys.readouterr().out
    assert main(["cassettes", "prune", str(tmp_path)]) == 0
    assert "deleted 0 unreferenced" in capsys.readouterr().out
    with TransportSession("replay", cas, suite="s") as session:
        assert client(session).files.download(file="files/abc") == data
    (blob,) = (tmp_path / "blobs").iterdir()
    blob.unlink()
    assert main(["cassettes", "verify", str(tmp_path)]) == 1
    assert blob.name in capsys.readouterr().out


def vcr_doc(host: str, prompt: str) -> str:
    item = {
        "request": {"method": "POST", "uri": URL.replace(GEMINI, host), "body": ask(prompt)},
        "response": {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "body": {"string": json.dumps(ANSWER)},
        },
    }
    return yaml.safe_dump({"interactions": [item]})


def test_import_into_an_existing_suite_cassette_merges_and_names_every_backend(
    tmp_path: Path, no_network: list[str]
) -> None:
    out = tmp_path / "cassettes"
    cas = out / "s.cassette.yaml"
    with TransportSession(Mode.RECORD, cas, suite="s", inner=httpx2.MockTransport(FakeGemini())) as session:
        current_request.set(RequestContext("s", "c1", "default", 0, 0))
        generate(client(session), "a red cup")
        current_request.set(None)
    assert Cassette.load(cas).header["backend"] == "emulator"
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(vcr_doc(GEMINI, "from gemini"))
    b.write_text(vcr_doc("https://gateway.example", "from gateway"))
    for _ in range(2):  # importing the same files again replaces them, it does not add copies
        assert main(["cassettes", "import-vcr", str(a), str(b), "--out", str(out), "--suite", "s"]) == 0
    merged = Cassette.load(cas)
    assert len(merged.interactions) == 3
    assert merged.header["backend"] == "emulator+gateway.example+gemini"
    assert merged.header["imported_from"] == ["a.yaml", "b.yaml"]
    assert replay_text(cas, "from gemini") == "hello cup"


def test_auto_mode_adds_its_backend_to_the_header(tmp_path: Path) -> None:
    cas = tmp_path / "s.cassette.yaml"
    (tmp_path / "a.yaml").write_text(vcr_doc(GEMINI, "from gemini"))
    assert (
        main(["cassettes", "import-vcr", str(tmp_path / "a.yaml"), "--out", str(tmp_path), "--suite", "s"])
        == 0
    )
    with TransportSession(Mode.AUTO, cas, suite="s", inner=httpx2.MockTransport(FakeGemini())) as session:
        generate(client(session), "new prompt")
    assert Cassette.load(cas).header["backend"] == "emulator+gemini"


def test_an_unreadable_source_leaves_the_existing_cassette_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(vcr_doc(GEMINI, "from gemini"))
    assert (
        main(["cassettes", "import-vcr", str(tmp_path / "a.yaml"), "--out", str(tmp_path), "--suite", "s"])
        == 0
    )
    before = (tmp_path / "s.cassette.yaml").read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "interactions:\n- request: {method: GET, uri: 'https://x/'}\n"
        "  response: {body: {string: !!binary 'H4sIAAAA'}, headers: {Content-Encoding: gzip}}\n"
    )
    assert (
        main(
            [
                "cassettes",
                "import-vcr",
                str(tmp_path / "a.yaml"),
                str(bad),
                "--out",
                str(tmp_path),
                "--suite",
                "s",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert str(bad) in err and "interaction 0" in err and "gzip" in err and "Traceback" not in err
    assert (tmp_path / "s.cassette.yaml").read_bytes() == before
