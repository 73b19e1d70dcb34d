"""vcrpy cassettes (real Gemini recordings, parsed_body style; and standard body.string) -> harness cassettes,
replayed through the real SDK."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
import yaml
from _transport_helpers import no_network
from google import genai
from PIL import Image

from harness.cli import main
from harness.transport import TransportSession
from harness.transport.cassette import Cassette

__all__ = ["no_network"]
REAL = Path("/work/shared/data/real-gemini")
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="real Gemini vcrpy recordings not present")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("imported")
    assert main(["cassettes", "import-vcr", *map(str, sorted(REAL.glob("*.yaml"))), "--out", str(out)]) == 0
    return out


def replay(
    cassette: Path, model: str, prompt: str, config: dict | None = None
) -> genai.types.GenerateContentResponse:
    with TransportSession("replay", cassette, suite="vcr") as session:
        c = genai.Client(api_key="test-key-not-real", http_options=session.http_options(api_version="v1beta"))
        return c.models.generate_content(model=model, contents=prompt, config=config)


def test_flash_image_png_comes_back_1024_square(imported: Path, no_network: list[str]) -> None:
    resp = replay(
        imported / "pydantic-ai__test_google_image_and_text_output.cassette.yaml",
        "gemini-2.5-flash-image",
        "Tell me a two-sentence story about an axolotl with an illustration.",
    )
    image = next(p.inline_data for p in resp.parts if p.inline_data)
    assert image.mime_type == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (1024, 1024)
    assert resp.model_version == "gemini-2.5-flash-image"
    assert (resp.usage_metadata.prompt_token_count, resp.usage_metadata.total_token_count) == (17, 1353)
    assert no_network == []


def test_pro_image_jpeg_and_thought_signatures(imported: Path, no_network: list[str]) -> None:
    resp = replay(
        imported / "pydantic-ai__test_google_image_generation_with_text.cassette.yaml",
        "gemini-3-pro-image-preview",
        "Generate an illustrated two-sentence story about an axolotl.",
        {"response_modalities": ["TEXT", "IMAGE"]},
    )
    parts = resp.candidates[0].content.parts
    image = next(p.inline_data for p in parts if p.inline_data)
    assert image.mime_type == "image/jpeg" and Image.open(io.BytesIO(image.data)).size == (1408, 768)
    assert [len(p.thought_signature) > 100_000 for p in parts] == [True, True]
    assert resp.model_version == "gemini-3-pro-image-preview"
    assert resp.usage_metadata.thoughts_token_count == 174 and resp.usage_metadata.total_token_count == 1471
    assert no_network == []


def test_two_interactions_replay_in_order(imported: Path) -> None:
    cas = imported / "pydantic-ai__test_google_image_or_text_output.cassette.yaml"
    prompts = [i.request["body"]["contents"][0]["parts"][0]["text"] for i in Cassette.load(cas).interactions]
    with TransportSession("replay", cas, suite="vcr") as session:
        c = genai.Client(api_key="test-key-not-real", http_options=session.http_options())
        first = c.models.generate_content(model="gemini-2.5-flash-image", contents=prompts[0])
        second = c.models.generate_content(model="gemini-2.5-flash-image", contents=prompts[1])
    assert first.text and not any(p.inline_data for p in first.parts)
    assert any(p.inline_data for p in second.parts)


def test_imported_cassettes_are_small_and_drop_volatile_headers(imported: Path) -> None:
    for cas in imported.glob("*.cassette.yaml"):
        text = cas.read_text()
        assert cas.stat().st_size < 4000, cas
        for header in ("server-timing", "alt-svc", "content-length", "transfer-encoding"):
            assert header not in text
    assert main(["cassettes", "verify", str(imported)]) == 0


def test_standard_vcrpy_body_string_with_gzip(tmp_path: Path, no_network: list[str]) -> None:
    body = {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "hello cup"}]}, "finishReason": "STOP"}
        ],
        "modelVersion": "gemini-2.5-flash",
    }
    vcr = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "body": json.dumps({"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}),
                    "headers": {"x-goog-api-key": ["SHOULD-NOT-SURVIVE"]},
                    "uri": "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["gzip"]},
                    "body": {"string": gzip.compress(json.dumps(body).encode())},
                },
            }
        ],
    }
    src = tmp_path / "plain.yaml"
    src.write_text(yaml.safe_dump(vcr))
    assert main(["cassettes", "import-vcr", str(src), "--out", str(tmp_path / "out")]) == 0
    cas = tmp_path / "out" / "plain.cassette.yaml"
    assert "SHOULD-NOT-SURVIVE" not in cas.read_text()
    assert replay(cas, "gemini-2.5-flash", "hi").text == "hello cup"


def test_not_a_vcr_cassette_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "x.yaml"
    src.write_text("just: text\n")
    assert main(["cassettes", "import-vcr", str(src), "--out", str(tmp_path)]) == 1
    assert "not a vcrpy cassette" in capsys.readouterr().err


def test_merged_import_replays_the_real_gemini_suite_through_the_runner(
    tmp_path: Path, no_network: list[str]
) -> None:
    """`--suite` merges the recordings into the cassette suites/real-gemini.yaml replays: flash PNGs and the
    pro JPEG come out as ok trials with the recorded sizes, tokens and model versions."""
    from harness.api import run_suites
    from harness.store import Run

    sources = sorted(map(str, REAL.glob("pydantic-ai__test_google_image_*.yaml")))
    out = tmp_path / "cassettes"
    assert main(["cassettes", "import-vcr", *sources, "--out", str(out), "--suite", "real-gemini"]) == 0
    assert [p.name for p in out.glob("*.cassette.yaml")] == ["real-gemini.cassette.yaml"]
    suite = Path(__file__).resolve().parent.parent / "suites" / "real-gemini.yaml"
    run_dir = run_suites([suite], mode="replay", cassettes=out, out=tmp_path / "results", run_id="r")
    got = {
        t.case: (
            t.outcome,
            t.steps[0].model_version,
            [(i.mime, i.width, i.height) for i in t.steps[0].images],
            (t.steps[0].usage.prompt_tokens, t.steps[0].usage.image_tokens, t.steps[0].usage.thought_tokens),
        )
        for t in Run.load(run_dir).trials
    }
    flash, pro = "gemini-2.5-flash-image", "gemini-3-pro-image-preview"
    assert got == {
        "axolotl-story-with-illustration": ("ok", flash, [("image/png", 1024, 1024)], (17, 1290, 0)),
        "axolotl-story-no-image": ("ok", flash, [], (18, 0, 0)),
        "axolotl-image": ("ok", flash, [("image/png", 1024, 1024)], (10, 1290, 0)),
        "axolotl-pro-story": ("ok", pro, [("image/jpeg", 1408, 768)], (14, 1120, 174)),
    }
    assert no_network == []
