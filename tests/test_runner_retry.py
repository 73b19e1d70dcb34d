"""The runner's retry policy: which failures retry, server hints honoured, waits measured."""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest
from _runner_helpers import (
    FakeGemini,
    FakeSession,
    error_body,
    image_body,
    mock_client,
    plan,
    respond,
    writer,
)
from google.genai import errors as genai_errors

from harness.runner import execute_trials
from harness.runner.retry import RetryPolicy, call_with_retry, is_retryable, retry_info_delay, server_hint

RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def api_error(code: int, body: dict, headers: dict | None = None) -> genai_errors.APIError:
    response = httpx2.Response(code, json=body, headers=headers or {})
    cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, body, response)


def run_one(tmp_path, script, *, session=None, policy=None):
    session = session or FakeSession()
    fake = FakeGemini(script)
    w = writer(tmp_path)
    (record,) = asyncio.run(
        execute_trials(
            [plan(tmp_path)],
            mock_client(fake),
            w,
            session,
            policy=policy or RetryPolicy(max_attempts=4, base_s=0.5, max_wait_s=60),
        )
    )
    return record, fake, session


def test_hint_from_retry_after_header_seconds_and_date():
    assert (
        server_hint(api_error(429, error_body(429, "RESOURCE_EXHAUSTED", "slow"), {"Retry-After": "7"}))
        == 7.0
    )
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    hint = server_hint(api_error(503, error_body(503, "UNAVAILABLE", "x"), {"Retry-After": later}))
    assert 25 <= hint <= 30


def test_hint_from_retry_info_in_the_error_body():
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
        {"@type": RETRY_INFO, "retryDelay": "34.4s"},
    ]
    assert retry_info_delay(api_error(429, error_body(429, "RESOURCE_EXHAUSTED", "q", details))) == 34.4
    proto = [{"@type": RETRY_INFO, "retryDelay": {"seconds": 3, "nanos": 500000000}}]
    assert retry_info_delay(api_error(429, error_body(429, "RESOURCE_EXHAUSTED", "q", proto))) == 3.5
    assert server_hint(api_error(500, error_body(500, "INTERNAL", "no hint"))) is None


def test_header_wins_over_body_hint():
    details = [{"@type": RETRY_INFO, "retryDelay": "9s"}]
    exc = api_error(429, error_body(429, "RESOURCE_EXHAUSTED", "q", details), {"retry-after": "2"})
    assert server_hint(exc) == 2.0


@pytest.mark.parametrize(
    ("code", "retry"),
    [
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
    ],
)
def test_which_status_codes_retry(code, retry):
    assert is_retryable(api_error(code, error_body(code, "X", "m"))) is retry


def test_timeouts_and_connection_errors_retry():
    assert is_retryable(httpx2.ReadTimeout("slow"))
    assert is_retryable(httpx2.ConnectError("refused"))
    assert is_retryable(httpx2.RemoteProtocolError("peer closed connection"))
    assert is_retryable(json.JSONDecodeError("Unterminated string", '{"a": "b', 6))  # a body cut short
    assert not is_retryable(ValueError("bug"))


def test_retry_after_is_honoured_end_to_end(tmp_path):
    answers = [
        respond(error_body(429, "RESOURCE_EXHAUSTED", "quota"), 429, {"Retry-After": "7"}),
        respond(image_body()),
    ]
    record, fake, session = run_one(tmp_path, lambda b, n: answers[n])
    assert record.outcome == "ok" and record.steps[0].attempts == 2 and len(fake.requests) == 2
    assert session.waits == [7.0]


def test_retry_info_delay_is_honoured_end_to_end(tmp_path):
    details = [{"@type": RETRY_INFO, "retryDelay": "2.5s"}]
    answers = [
        respond(error_body(503, "UNAVAILABLE", "busy", details), 503),
        respond(error_body(503, "UNAVAILABLE", "busy", details), 503),
        respond(image_body()),
    ]
    record, _, session = run_one(tmp_path, lambda b, n: answers[n])
    assert record.outcome == "ok" and record.steps[0].attempts == 3
    assert session.waits == [2.5, 2.5]


def test_backoff_without_hint_is_bounded_full_jitter_and_seeded(tmp_path):
    policy = RetryPolicy(max_attempts=4, base_s=0.5, max_wait_s=60, seed=11)
    record, fake, session = run_one(
        tmp_path / "a", lambda b, n: respond(error_body(500, "INTERNAL", "x"), 500), policy=policy
    )
    assert record.outcome == "error" and record.steps[0].attempts == 4 and len(fake.requests) == 4
    assert len(session.waits) == 3
    for k, wait in enumerate(session.waits, 1):
        assert 0 <= wait <= 0.5 * 2 ** (k - 1)
    _, _, again = run_one(
        tmp_path / "b", lambda b, n: respond(error_body(500, "INTERNAL", "x"), 500), policy=policy
    )
    assert again.waits == session.waits  # same seed, same trial -> same waits


def test_no_retry_on_400(tmp_path):
    record, fake, session = run_one(
        tmp_path, lambda b, n: respond(error_body(400, "INVALID_ARGUMENT", "bad"), 400)
    )
    assert len(fake.requests) == 1 and session.waits == []
    assert record.outcome == "error" and record.steps[0].attempts == 1
    assert (record.error.code, record.error.status) == (400, "INVALID_ARGUMENT")


def test_timeout_then_success(tmp_path):
    def script(body, n):
        if n == 0:
            raise httpx2.ReadTimeout("read timed out")
        return respond(image_body())

    record, _fake, session = run_one(tmp_path, script)
    assert record.outcome == "ok" and record.steps[0].attempts == 2 and len(session.waits) == 1


def test_a_timeout_says_so_and_what_to_change(tmp_path):
    def script(body, n):
        raise httpx2.ReadTimeout("")

    record, fake, _ = run_one(tmp_path, script, policy=RetryPolicy(max_attempts=2, base_s=0.01))
    assert record.outcome == "error" and record.steps[0].attempts == 2 and len(fake.requests) == 2
    assert record.error.status == "ReadTimeout" and "--timeout" in record.error.message


def test_a_hint_over_the_cap_ends_retries(tmp_path):
    answer = respond(error_body(429, "RESOURCE_EXHAUSTED", "quota"), 429, {"Retry-After": "3600"})
    record, fake, session = run_one(
        tmp_path, lambda b, n: answer, policy=RetryPolicy(max_attempts=5, max_wait_s=30)
    )
    assert len(fake.requests) == 1 and session.waits == []
    assert record.outcome == "error" and "3600s" in record.error.message and "30s cap" in record.error.message


def test_a_real_wait_lasts_at_least_the_server_hint(tmp_path):
    details = [{"@type": RETRY_INFO, "retryDelay": "0.3s"}]
    answers = [respond(error_body(429, "RESOURCE_EXHAUSTED", "q", details), 429), respond(image_body())]
    started = time.monotonic()
    record, _, session = run_one(tmp_path, lambda b, n: answers[n], session=FakeSession(real=True))
    elapsed = time.monotonic() - started
    assert record.outcome == "ok" and session.waits == [0.3]
    assert elapsed >= 0.3


def test_call_with_retry_counts_attempts_on_the_raised_error():
    calls = 0

    async def always_503():
        nonlocal calls
        calls += 1
        raise api_error(503, error_body(503, "UNAVAILABLE", "x"))

    async def no_wait(_s):
        return None

    with pytest.raises(genai_errors.ServerError) as info:
        asyncio.run(call_with_retry(always_503, RetryPolicy(max_attempts=3), random.Random(0), no_wait))
    assert calls == 3 and info.value.attempts == 3
