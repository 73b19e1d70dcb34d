"""The judge: a fake client for every path, and the real SDK against the emulator."""

from __future__ import annotations

import json

import pytest
from _scoring_helpers import RunBuilder, fake_client, product

from harness.context import current_request
from harness.scoring import ScoringEnv, judge_manifest, score_trial


def judged(tmp_path, answer, expect=None, **env):
    b = RunBuilder(tmp_path)
    rec = b.trial([b.step([product()], [expect or {"judge": {"rubric": "a red square on white", "min": 4}}])])
    client = fake_client(answer)
    (s,) = score_trial(rec, b.env(client=client, **env))
    return s, client.models.calls


def test_judge_pass_sends_image_rubric_and_schema(tmp_path):
    s, calls = judged(tmp_path, json.dumps({"score": 5, "reason": "exactly that"}), judge_model="gemini-x")
    assert s.passed is True and s.value == 5.0 and "exactly that" in s.reason
    (call,) = calls
    assert call["model"] == "gemini-x"
    assert call["config"].response_mime_type == "application/json"
    assert call["config"].response_schema is not None and call["config"].temperature == 0.0
    assert call["contents"][0].inline_data.mime_type == "image/png"
    assert "a red square on white" in call["contents"][1]
    assert call["ctx"].purpose == "judge" and call["ctx"].case == "c"
    assert current_request.get() is None  # restored after the call


def test_judge_fail_below_min(tmp_path):
    s, _ = judged(tmp_path, '{"score": 2, "reason": "blue"}')
    assert s.passed is False and s.threshold == 4


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("not json", "no usable verdict"),
        ('{"score": 9, "reason": "x"}', "no usable verdict"),
        (RuntimeError("503 UNAVAILABLE"), "judge call to gemini-2.5-flash failed: RuntimeError: 503"),
    ],
)
def test_judge_problems_are_skipped_with_reason(tmp_path, answer, words):
    s, _ = judged(tmp_path, answer)
    assert s.passed is None and words in s.reason


def test_judge_without_client_is_skipped(tmp_path):
    b = RunBuilder(tmp_path)
    rec = b.trial([b.step([product()], [{"judge": "a red square"}])])
    (s,) = score_trial(rec, b.env())
    assert s.passed is None and "no Gemini client" in s.reason


def test_judge_manifest():
    m = judge_manifest(ScoringEnv("x", judge_model="gemini-3-flash-preview", judge_temperature=0.2))
    assert (m.model, m.temperature) == ("gemini-3-flash-preview", 0.2) and m.prompt_version == "judge-v1"
    # the template itself, so a judged score can be reproduced
    assert m.prompt is not None and "Rubric: {rubric}" in m.prompt


def test_judge_with_real_sdk_against_emulator(tmp_path):
    from google import genai
    from google.genai import types

    from harness import emulator

    with emulator.Emulator() as emu:
        client = genai.Client(
            api_key="test-key-not-real",
            http_options=types.HttpOptions(base_url=emu.url, api_version="v1beta"),
        )
        made = client.models.generate_content(
            model="gemini-2.5-flash-image",
            contents="a red circle on a white background",
            config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
        )
        data = next(p.inline_data.data for p in made.candidates[0].content.parts if p.inline_data)
        b = RunBuilder(tmp_path)
        ref = b.writer.save_image(data)
        step = b.step([], [{"judge": {"rubric": "a red circle on a white background", "min": 3}}])
        step.images = [ref]
        rec = b.trial([step])
        (s,) = score_trial(rec, b.env(client=client))
    assert s.value is not None and 1 <= s.value <= 5, s.reason
    assert s.passed is (s.value >= 3)
    assert s.reason.startswith("judge gemini-2.5-flash:")


def test_judge_replay_miss_fails_the_trial_with_the_miss_and_the_rerecord_command(tmp_path):
    from harness.scoring import decide_passed
    from harness.transport import ReplayMiss

    miss = ReplayMiss(
        "replay miss for suite 's', case 'c', variant 'default', repeat 0, step 0 (judge)",
        file="cassettes/s.cassette.yaml",
        hint="re-record it: harness run s.yaml --mode auto",
    )
    b = RunBuilder(tmp_path)
    expect = [{"format": "png"}, {"judge": {"rubric": "a red square on white", "min": 4}}]
    rec = b.trial([b.step([product()], expect)])
    rec.scores = score_trial(rec, b.env(client=fake_client(miss)))
    fmt, judge = rec.scores
    assert fmt.passed is True and (judge.passed, judge.value, judge.threshold) == (False, None, 4)
    assert "cassettes/s.cassette.yaml: replay miss for suite 's', case 'c'" in judge.reason
    assert "re-record it: harness run s.yaml --mode auto" in judge.reason
    assert decide_passed(rec) is False
