"""The runner's own retry policy (the SDK's stays off): which failures to retry, and how long to wait.

Exponential backoff with full jitter, seeded per trial so a run's waits are reproducible; a server hint
(`Retry-After` header, or google.rpc.RetryInfo.retryDelay in the error body) replaces the guess. Waits go
through the transport session's sleep, so replays do not wait at all.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import re
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx2
from google.genai import errors as genai_errors

T = TypeVar("T")
RETRY_CODES = frozenset({429, 500, 502, 503, 504})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
Sleep = Callable[[float], Any]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # including the first
    base_s: float = 1.0
    max_wait_s: float = 60.0  # no single wait longer than this; a longer server hint ends the retries
    seed: int = 0

    def rng(self, key: str) -> random.Random:
        """One generator per trial, so concurrency does not change which waits a trial gets."""
        return random.Random(self.seed ^ zlib.crc32(key.encode()))

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        return rng.uniform(0.0, min(self.max_wait_s, self.base_s * 2 ** (attempt - 1)))


def is_retryable(exc: BaseException) -> bool:
    """429/5xx, timeouts, dropped connections, and a body cut short (truncated JSON) are worth another try."""
    if isinstance(exc, genai_errors.APIError):
        return exc.code in RETRY_CODES
    return isinstance(exc, httpx2.TransportError | TimeoutError | ConnectionError | json.JSONDecodeError)


def retry_after_header(exc: BaseException) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    value = str(value).strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def retry_info_delay(exc: BaseException) -> float | None:
    """google.rpc.RetryInfo.retryDelay ("34.4s") among the error body's details."""
    body = getattr(exc, "details", None)
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for item in details if isinstance(details, list) else []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = item.get("retryDelay")
            if isinstance(delay, dict):  # the proto-JSON object form {seconds, nanos}
                return float(delay.get("seconds", 0)) + float(delay.get("nanos", 0)) / 1e9
            match = _DURATION.match(str(delay or ""))
            if match:
                return float(match.group(1))
    return None


def server_hint(exc: BaseException) -> float | None:
    header = retry_after_header(exc)
    return header if header is not None else retry_info_delay(exc)


async def _sleep(sleep: Sleep, seconds: float) -> None:
    result = sleep(seconds)
    if inspect.isawaitable(result):
        await result


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
    on_attempt: Callable[[int], None] | None = None,
) -> tuple[T, int]:
    """Run `call` until it succeeds or the policy says stop; returns (result, attempts).

    The last error is re-raised with `.attempts` set on it, so the record can say how many were made.
    """
    attempt = 0
    while True:
        attempt += 1
        if on_attempt is not None:
            on_attempt(attempt)
        try:
            return await call(), attempt
        except Exception as exc:
            if not is_retryable(exc) or attempt >= policy.max_attempts:
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            hint = server_hint(exc)
            if hint is not None and hint > policy.max_wait_s:
                exc.attempts = attempt  # type: ignore[attr-defined]
                exc.gave_up = f"server asked to wait {hint:g}s, over the {policy.max_wait_s:g}s cap"  # type: ignore[attr-defined]
                raise
            await _sleep(sleep, hint if hint is not None else policy.backoff(attempt, rng))
