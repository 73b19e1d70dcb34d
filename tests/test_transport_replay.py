"""Record through the real SDK, then replay: hits, misses, repeats, retries, streams, async."""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import httpx2
import pytest
import yaml
from _transport_helpers import MODEL, FakeGemini, client, generate, image_of, no_network, png_for
from google.genai import _api_client, errors

from harness.context import RequestContext, current_request
from harness.transport import Mode, ReplayMiss, TransportSession
from harness.transport.cassette import Cassette, Interaction, rerecorded

__all__ = ["no_network"]


def ctx(case: str = "c1", repeat: int = 0, step: int = 0) -> RequestContext:
    return RequestContext("s", case, "default", repeat, step)


def record(
    path: Path, prompts: dict[str, str], repeats: int = 1, fake: FakeGemini | None = None
) -> FakeGemini:
    fake = fake or FakeGemini()
    with TransportSession(Mode.RECORD, path, suite="s", inner=httpx2.MockTransport(fake)) as session:
        c = client(session)
        for case, prompt in prompts.items():
            for r in range(repeats):
                token = current_request.set(ctx(case, r))
                generate(c, prompt)
                current_request.reset(token)
    return fake


@pytest.fixture
def cas(tmp_path: Path) -> Path:
    return tmp_path / "cassettes" / "s.cassette.yaml"


def test_replay_returns_recorded_images_in_order_and_opens_no_socket(
    cas: Path, no_network: list[str]
) -> None:
    record(cas, {"c1": "a red cup"}, repeats=3)
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session, base_url="https://generativelanguage.googleapis.com")
        images = [image_of(generate(c, "a red cup")) for _ in range(3)]
        assert session.seen_emulator
    assert images == [png_for("a red cup", n) for n in (1, 2, 3)]
    assert no_network == []


def test_concurrent_replay_prefers_the_recorded_trial(cas: Path) -> None:
    record(cas, {"c1": "same prompt"}, repeats=4)
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)

        def run(repeat: int) -> bytes:
            current_request.set(ctx("c1", repeat))
            return image_of(generate(c, "same prompt"))

        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda r: contextvars.copy_context().run(run, r), [3, 1, 0, 2]))
    assert got == [png_for("same prompt", n + 1) for n in [3, 1, 0, 2]]


def test_changed_prompt_misses_with_trial_diff_and_command(cas: Path, no_network: list[str]) -> None:
    record(cas, {"c1": "a red cup", "c2": "a green hat"})
    with TransportSession("replay", cas, suite="s", suite_path=Path("suites/s.yaml")) as session:
        c = client(session)
        current_request.set(ctx("c2"))
        assert image_of(generate(c, "a green hat"))
        current_request.set(ctx("c1"))
        with pytest.raises(ReplayMiss) as err:
            generate(c, "a blue cup")
    text = str(err.value)
    for part in (
        "suite 's'",
        "case 'c1'",
        "variant 'default'",
        "repeat 0",
        "step 0",
        "contents[0].parts[0].text: 'a red cup' -> 'a blue cup'",
        "re-record it from the local emulator, as it was recorded (no key)",  # the cassette's backend
        "harness run suites/s.yaml --backend emulator --mode auto",
        "--mode record",
    ):
        assert part in text, part
    assert no_network == []


def test_more_calls_than_recorded_is_a_miss_that_says_so(cas: Path) -> None:
    record(cas, {"c1": "a red cup"}, repeats=1)
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        generate(c, "a red cup")
        with pytest.raises(ReplayMiss, match="recorded 1 time"):
            generate(c, "a red cup")


def test_auto_records_only_the_missing_interaction(cas: Path) -> None:
    record(cas, {"c1": "a red cup", "c2": "a green hat"})
    fake = FakeGemini()
    with TransportSession("auto", cas, suite="s", inner=httpx2.MockTransport(fake)) as session:
        c = client(session)
        current_request.set(ctx("c1"))
        generate(c, "a red cup")
        current_request.set(ctx("c2"))
        generate(c, "a green hat, larger")
    assert fake.calls == 1
    prompts = [i.request["body"]["contents"][0]["parts"][0]["text"] for i in Cassette.load(cas).interactions]
    assert sorted(prompts) == ["a green hat", "a green hat, larger", "a red cup"]


def test_auto_without_new_requests_leaves_the_file_untouched(cas: Path) -> None:
    record(cas, {"c1": "a red cup"})
    before = cas.read_bytes()
    with TransportSession("auto", cas, suite="s", inner=httpx2.MockTransport(FakeGemini())) as session:
        c = client(session)
        generate(c, "a red cup")
    assert cas.read_bytes() == before


def prompts_by_trial(cas: Path) -> dict[tuple[str, int], str]:
    return {
        (i.trial["case"], i.trial["repeat"]): i.request["body"]["contents"][0]["parts"][0]["text"]
        for i in Cassette.load(cas).interactions
    }


def test_record_replaces_the_trials_it_ran_and_keeps_the_others(cas: Path) -> None:
    record(cas, {"c1": "a red cup", "c2": "a hat"}, repeats=2)
    record(cas, {"c1": "a blue cup"})  # one case, fewer repeats
    assert prompts_by_trial(cas) == {
        ("c1", 0): "a blue cup",
        ("c1", 1): "a red cup",
        ("c2", 0): "a hat",
        ("c2", 1): "a hat",
    }
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        for case, repeat, prompt in [("c2", 1, "a hat"), ("c1", 0, "a blue cup"), ("c1", 1, "a red cup")]:
            current_request.set(ctx(case, repeat))
            assert image_of(generate(c, prompt))


def test_record_that_recorded_nothing_leaves_the_cassette_alone(cas: Path) -> None:
    record(cas, {"c1": "a red cup"})
    before = cas.read_bytes()
    record(cas, {})
    assert cas.read_bytes() == before


def test_record_over_an_unreadable_cassette_starts_it_afresh(
    cas: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cas.parent.mkdir(parents=True)
    cas.write_text("interactions: [unclosed\n")
    record(cas, {"c1": "a red cup"})
    assert prompts_by_trial(cas) == {("c1", 0): "a red cup"}
    assert "not valid YAML" in caplog.text and "starts it afresh" in caplog.text


def test_rerecorded_header_keeps_old_fields_and_names_both_backends(tmp_path: Path) -> None:
    def one(case: str, backend: str, **extra: object) -> Cassette:
        trial = {"suite": "s", "case": case, "variant": "v", "repeat": 0, "step": 0, "purpose": "generate"}
        header = {"format": "f", "backend": backend, "recorded_at": case, **extra}
        return Cassette(tmp_path / "s.cassette.yaml", header, [Interaction(case, {}, {}, trial)])

    old = one("a", "gemini", imported_from=["x.yaml"])
    merged = rerecorded(old, one("b", "emulator"))
    assert [i.key for i in merged.interactions] == ["a", "b"]
    assert merged.header == {
        "format": "f",
        "backend": "emulator+gemini",
        "recorded_at": "b",
        "imported_from": ["x.yaml"],
    }
    assert rerecorded(old, one("a", "emulator")).header["backend"] == "emulator"  # nothing old kept
    imported = Cassette(old.path, old.header, [Interaction("a", {}, {}), Interaction("z", {}, {})])
    assert [i.key for i in rerecorded(imported, one("a", "emulator")).interactions] == ["z", "a"]


def test_retry_429_then_200_replays_in_the_same_order(cas: Path) -> None:
    retry = {"http_options": {"retry_options": {"attempts": 3, "initial_delay": 0.01, "max_delay": 0.01}}}
    fake = FakeGemini(fail_first=1)
    with TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(fake)) as session:
        c = client(session)
        c.models.generate_content(model=MODEL, contents="cup", config=retry)
    assert [i.response["status"] for i in Cassette.load(cas).interactions] == [429, 200]
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        with pytest.raises(errors.ClientError) as err:  # no retries: the recorded 429 comes first
            c.models.generate_content(model=MODEL, contents="cup")
        assert err.value.code == 429 and err.value.response.headers["retry-after"] == "0"
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        resp = c.models.generate_content(model=MODEL, contents="cup", config=retry)
        assert resp.response_id == "resp-2"


def test_stream_is_stored_per_event_and_replays(cas: Path) -> None:
    config = {"response_modalities": ["TEXT", "IMAGE"]}
    with TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(FakeGemini())) as session:
        c = client(session)
        live = list(c.models.generate_content_stream(model=MODEL, contents="cup", config=config))
    stored = yaml.safe_load(cas.read_text())["interactions"][0]
    assert stored["request"]["query"] == {"alt": "sse"} and len(stored["response"]["sse"]) == 2
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        again = list(c.models.generate_content_stream(model=MODEL, contents="cup", config=config))
    assert [c.model_dump() for c in again] == [c.model_dump() for c in live]
    assert again[1].candidates[0].content.parts[0].inline_data.data == png_for("cup", 1)


async def _async_roundtrip(cas: Path, prompt: str) -> tuple[bytes, int, str]:
    """Async call + async stream recorded, replayed, then a miss: all through our async transport."""
    with TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(FakeGemini())) as session:
        c = client(session)
        await c.aio.models.generate_content(model=MODEL, contents=prompt)
        [ch async for ch in await c.aio.models.generate_content_stream(model=MODEL, contents=prompt)]
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        resp = await c.aio.models.generate_content(model=MODEL, contents=prompt)
        chunks = [ch async for ch in await c.aio.models.generate_content_stream(model=MODEL, contents=prompt)]
        with pytest.raises(ReplayMiss) as err:
            await c.aio.models.generate_content(model=MODEL, contents=prompt + "!")
    return image_of(resp), len(chunks), str(err.value)


def test_async_goes_through_the_transport_even_if_sdk_thinks_aiohttp_is_there(
    cas: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[str]
) -> None:
    monkeypatch.setattr(_api_client, "has_aiohttp", True)
    image, chunks, miss = asyncio.run(_async_roundtrip(cas, "async cup"))
    assert image == png_for("async cup", 1) and chunks == 2
    assert "'async cup' -> 'async cup!'" in miss
    assert no_network == []


def test_async_with_real_aiohttp_installed(cas: Path) -> None:
    assert _api_client.has_aiohttp
    image, chunks, _ = asyncio.run(_async_roundtrip(cas, "aio cup"))
    assert chunks == 2
    assert image == png_for("aio cup", 1)


def test_sleep_is_skipped_only_in_replay(cas: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("harness.transport.session.time.sleep", slept.append)
    record(cas, {"c1": "x"})
    with TransportSession("replay", cas, suite="s") as session:
        session.sleep(5)
    with TransportSession("live", None, suite="s") as session:
        session.sleep(2)
    assert slept == [2]


def test_live_mode_passes_through_and_notices_the_emulator() -> None:
    fake = FakeGemini()
    with TransportSession("live", None, suite="s", inner=httpx2.MockTransport(fake)) as session:
        assert not session.seen_emulator
        c = client(session)
        resp = generate(c, "cup")
        assert session.seen_emulator and resp.response_id == "resp-1"
        assert "date" in resp.sdk_http_response.headers  # untouched in live mode
    assert fake.calls == 1


def test_read_timeout_is_recorded_and_replayed_but_connect_errors_are_not(cas: Path) -> None:
    def flaky(request: httpx2.Request) -> httpx2.Response:
        if b"slow" in request.content:
            raise httpx2.ReadTimeout("timed out reading", request=request)
        raise httpx2.ConnectError("no route", request=request)

    with TransportSession("record", cas, suite="s", inner=httpx2.MockTransport(flaky)) as session:
        c = client(session)
        with pytest.raises(httpx2.ReadTimeout):
            generate(c, "slow cup")
        with pytest.raises(httpx2.ConnectError):
            generate(c, "cup")
    assert [i.response for i in Cassette.load(cas).interactions] == [
        {"error": {"type": "ReadTimeout", "message": "timed out reading"}}
    ]
    with TransportSession("replay", cas, suite="s") as session:
        c = client(session)
        with pytest.raises(httpx2.ReadTimeout, match="timed out reading"):
            generate(c, "slow cup")


def test_httpx_inner_transport_makes_httpx_the_backend(cas: Path) -> None:
    fake = FakeGemini()

    def handler(request: httpx.Request) -> httpx.Response:
        reply = fake(httpx2.Request(request.method, str(request.url), content=request.read()))
        return httpx.Response(reply.status_code, headers=reply.headers.multi_items(), content=reply.content)

    with TransportSession("record", cas, suite="s", inner=httpx.MockTransport(handler)) as session:
        c = client(session)
        generate(c, "cup")
        assert isinstance(c._api_client._httpx_client, httpx.Client)
    with TransportSession("replay", cas, suite="s", inner=httpx.MockTransport(handler)) as session:
        c = client(session)
        assert image_of(generate(c, "cup")) == png_for("cup", 1)
    assert fake.calls == 1


@pytest.mark.parametrize(
    ("backend", "flags", "words"),
    [
        ("emulator", "--backend emulator", "from the local emulator"),
        ("gemini", "--backend gemini", "needs GEMINI_API_KEY"),
        ("gateway.example.com", "--base-url https://gateway.example.com", "from gateway.example.com"),
    ],
)
def test_a_miss_hint_re_records_from_the_backend_the_cassette_names(backend, flags, words, tmp_path):
    """Issue 18: the hint named only real Gemini, even for a cassette recorded from the emulator."""
    from harness.transport.miss import build_miss

    miss = build_miss(
        form={"method": "POST", "path": "/v1beta/models/m:generateContent"},
        key="k",
        ctx=None,
        suite="s",
        cassette=tmp_path / "s.cassette.yaml",
        recorded=[],
        exhausted=0,
        suite_ref="s.yaml",
        backend=backend,
    )
    assert f"harness run s.yaml {flags} --mode auto" in str(miss) and words in str(miss)
