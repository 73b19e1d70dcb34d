"""One trial through the real SDK over a scripted transport: records, outcomes, chains, concurrency."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import pytest
from _runner_helpers import (
    FakeGemini,
    FakeSession,
    blocked_output_body,
    blocked_prompt_body,
    error_body,
    image_body,
    mock_client,
    plan,
    png,
    respond,
    step,
    text_body,
    writer,
)
from PIL import Image

from harness.record import OUTCOMES, TrialRecord
from harness.runner import execute_trials
from harness.runner.retry import RetryPolicy
from harness.store import Run

FAST = RetryPolicy(max_attempts=3, base_s=0.01, max_wait_s=5)


def run(plans, fake, tmp_path, *, concurrency=4, session=None, policy=FAST):
    w = writer(tmp_path)
    records = asyncio.run(
        execute_trials(
            plans, mock_client(fake), w, session or FakeSession(), concurrency=concurrency, policy=policy
        )
    )
    w.close("finished")
    return records, w


def test_ok_trial_has_every_field_and_real_images(tmp_path):
    source = tmp_path / "watch.png"
    source.write_bytes(png(20, 20, (0, 0, 255)))
    p = plan(tmp_path, steps=(step(inputs=(source,), kind="edit"),))
    fake = FakeGemini(lambda body, n: respond(image_body(images=2)))
    (record,), w = run([p], fake, tmp_path)

    assert record.outcome == "ok" and record.finish_reason == "STOP" and record.error is None
    assert (record.trial_id, record.case, record.variant, record.repeat) == (
        "s::c1[default-r0]",
        "c1",
        "default",
        0,
    )
    assert record.model == "gemini-2.5-flash-image" and record.model_version == "mock-image-001"
    assert record.prompt == "a red square"
    s = record.steps[0]
    assert s.text == "Here it is."  # the thought text is left out
    assert s.usage.model_dump() == {
        "prompt_tokens": 12,
        "output_tokens": 2585,
        "image_tokens": 2580,
        "thought_tokens": 7,
    }
    assert s.cost_usd == pytest.approx((12 * 0.30 + (5 + 7) * 2.50 + 2580 * 30.0) / 1e6)
    assert s.attempts == 1 and s.latency_s >= 0 and s.inputs == ["watch.png"]
    assert len(s.images) == 2
    for ref in s.images:
        path = w.dir / ref.path
        with Image.open(path) as im:
            im.load()
            assert im.size == (ref.width, ref.height) and ref.mime == "image/png"
    # stored line round-trips and carries every documented key
    line = json.loads((w.dir / "trials.jsonl").read_text().splitlines()[0])
    for key in (
        "trial_id",
        "case",
        "variant",
        "repeat",
        "model",
        "model_version",
        "prompt",
        "outcome",
        "finish_reason",
        "steps",
    ):
        assert key in line
    for key in ("images", "text", "usage", "cost_usd", "latency_s", "attempts", "error"):
        assert key in line["steps"][0]
    # the request: pinned v1beta, config mapped, the input image sent as its exact bytes
    req = fake.requests[0]
    assert fake.paths[0] == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    gen = req["generationConfig"]
    assert gen["responseModalities"] == ["TEXT", "IMAGE"] and gen["seed"] == 7 and gen["temperature"] == 0.5
    assert gen["imageConfig"] == {"aspectRatio": "1:1", "imageSize": "1K"}
    sent = req["contents"][0]["parts"][1]["inlineData"]
    assert base64.urlsafe_b64decode(sent["data"]) == source.read_bytes()


@pytest.mark.parametrize(
    ("body", "outcome", "finish"),
    [
        (blocked_prompt_body("PROHIBITED_CONTENT"), "blocked_prompt", "PROHIBITED_CONTENT"),
        (blocked_output_body("IMAGE_SAFETY"), "blocked_output", "IMAGE_SAFETY"),
        (blocked_output_body("IMAGE_PROHIBITED_CONTENT"), "blocked_output", "IMAGE_PROHIBITED_CONTENT"),
        (image_body(images=0, finish="NO_IMAGE"), "no_image", "NO_IMAGE"),
        (image_body(images=0, finish="STOP"), "no_image", "STOP"),
    ],
)
def test_outcome_classes(tmp_path, body, outcome, finish):
    (record,), _ = run([plan(tmp_path)], FakeGemini(lambda b, n: respond(body)), tmp_path)
    assert (record.outcome, record.finish_reason) == (outcome, finish)
    assert record.steps[0].images == []


def test_error_outcome_keeps_code_status_message(tmp_path):
    fake = FakeGemini(lambda b, n: respond(error_body(500, "INTERNAL", "boom inside"), 500))
    (record,), _ = run([plan(tmp_path)], fake, tmp_path)
    assert record.outcome == "error"
    assert (record.error.code, record.error.status, record.error.message) == (500, "INTERNAL", "boom inside")
    assert record.steps[0].attempts == FAST.max_attempts == len(fake.requests)


@pytest.mark.parametrize(("text", "outcome"), [("yes", "ok"), (None, "no_image")])
def test_text_step_outcome_depends_on_text(tmp_path, text, outcome):
    s = step(kind="analyze", model="gemini-2.5-flash", modalities=("TEXT",))
    fake = FakeGemini(lambda b, n: respond(text_body(text)))
    (record,), _ = run([plan(tmp_path, steps=(s,))], fake, tmp_path)
    assert record.outcome == outcome and record.steps[0].text == text
    assert "imageConfig" not in fake.requests[0]["generationConfig"]


def test_chain_is_one_conversation_that_keeps_thought_signatures(tmp_path):
    steps = (
        step(0, "draw a watch"),
        step(1, "make it warmer", kind="edit"),
        step(2, "add a shadow", kind="edit"),
    )
    signatures = [b"sig-one", b"sig-two", b"sig-three"]
    fake = FakeGemini(lambda body, n: respond(image_body(signature=signatures[n])))
    (record,), _ = run([plan(tmp_path, steps=steps)], fake, tmp_path)

    assert record.outcome == "ok" and [s.outcome for s in record.steps] == ["ok", "ok", "ok"]
    assert len(fake.requests) == 3
    second = fake.requests[1]["contents"]
    assert [c["role"] for c in second] == ["user", "model", "user"]
    model_parts = second[1]["parts"]
    assert {"text": "thinking", "thought": True} in model_parts  # thought parts are echoed too
    echoed = [p["thoughtSignature"] for p in model_parts if "thoughtSignature" in p]
    assert [base64.urlsafe_b64decode(s) for s in echoed] == [b"sig-one"]
    third = fake.requests[2]["contents"]
    sigs = [
        base64.urlsafe_b64decode(p["thoughtSignature"])
        for c in third
        for p in c["parts"]
        if "thoughtSignature" in p
    ]
    assert sigs == [b"sig-one", b"sig-two"]
    assert third[-1]["parts"][0]["text"] == "add a shadow"


def test_chain_stops_at_the_first_bad_step(tmp_path):
    steps = (step(0, "draw"), step(1, "edit it", kind="edit"), step(2, "again", kind="edit"))
    bodies = [image_body(), blocked_output_body("IMAGE_SAFETY")]
    fake = FakeGemini(lambda body, n: respond(bodies[n]))
    (record,), _ = run([plan(tmp_path, steps=steps)], fake, tmp_path)
    assert len(fake.requests) == 2
    assert record.outcome == "blocked_output" and record.finish_reason == "IMAGE_SAFETY"
    last = record.steps[2]
    assert last.attempts == 0 and last.error.status == "NOT_RUN" and "step 1" in last.error.message


def test_one_bad_trial_never_stops_the_run(tmp_path):
    plans = [plan(tmp_path, f"c{i}") for i in range(5)]

    def script(body, n):
        if "bad" in json.dumps(body):
            return respond(error_body(400, "INVALID_ARGUMENT", "bad request"), 400)
        return respond(image_body())

    plans[2] = plan(tmp_path, "c2", steps=(step(prompt="a bad one"),))
    plans[3] = plan(tmp_path, "c3", steps=(step(inputs=(tmp_path / "missing.png",)),))
    records, w = run(plans, FakeGemini(script), tmp_path)
    assert [r.outcome for r in records] == ["ok", "ok", "error", "error", "ok"]
    assert "missing.png" in records[3].error.message
    stored = Run.load(w.dir).trials
    assert sorted(r.case for r in stored) == ["c0", "c1", "c2", "c3", "c4"]
    assert all(r.outcome in OUTCOMES for r in stored)


def test_concurrency_bound_is_respected(tmp_path):
    fake = FakeGemini(lambda body, n: respond(image_body()), delay=0.05)
    plans = [plan(tmp_path, f"c{i}") for i in range(9)]
    records, _ = run(plans, fake, tmp_path, concurrency=3)
    assert len(records) == 9 and all(r.outcome == "ok" for r in records)
    assert fake.peak == 3  # reached, never exceeded
    fake_one = FakeGemini(lambda body, n: respond(image_body()), delay=0.02)
    run(plans[:4], fake_one, tmp_path / "one", concurrency=1)
    assert fake_one.peak == 1


def test_records_are_appended_as_they_finish(tmp_path):
    w = writer(tmp_path)
    seen: list[int] = []

    def script(body, n):
        seen.append(len((w.dir / "trials.jsonl").read_text().splitlines()))
        return respond(image_body())

    asyncio.run(
        execute_trials(
            [plan(tmp_path, f"c{i}") for i in range(3)],
            mock_client(FakeGemini(script)),
            w,
            FakeSession(),
            concurrency=1,
            policy=FAST,
        )
    )
    assert seen == [0, 1, 2]  # each trial was on disk before the next request went out
    assert all(isinstance(r, TrialRecord) for r in Run.load(w.dir).trials)


def test_input_image_is_sent_as_raw_bytes_not_reencoded(tmp_path):
    odd = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(odd, format="PNG", compress_level=0)
    source = tmp_path / "raw.png"
    source.write_bytes(odd.getvalue())
    fake = FakeGemini(lambda body, n: respond(image_body()))
    run([plan(tmp_path, steps=(step(inputs=(source,)),))], fake, tmp_path)
    data = fake.requests[0]["contents"][0]["parts"][1]["inlineData"]["data"]
    assert base64.urlsafe_b64decode(data) == source.read_bytes()
