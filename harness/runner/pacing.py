"""Pacing for paid endpoints: `--rpm` as a token bucket, and adaptive concurrency on rate limits.

Every request waits for a free slot (at most `limit` in flight) and a token (one per 60/rpm seconds, a
bucket of one so there are no bursts). A 429 halves the limit; `grow_after` successes in a row give one
slot back, up to the concurrency asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from google.genai import errors as genai_errors

T = TypeVar("T")


@dataclass
class PacingStats:
    requests: int = 0
    rate_limited: int = 0
    lowest_limit: int = 0
    elapsed_s: float = 0.0

    @property
    def effective_rpm(self) -> float | None:
        """Requests per minute over the time requests were being sent."""
        return round(self.requests * 60 / self.elapsed_s, 1) if self.elapsed_s > 0 and self.requests else None


class Pacer:
    def __init__(
        self,
        concurrency: int,
        rpm: float | None = None,
        *,
        grow_after: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rpm is not None and rpm <= 0:
            raise ValueError(f"--rpm must be above 0, got {rpm}")
        self.ceiling = concurrency
        self.limit = concurrency
        self.rpm = rpm
        self.grow_after = grow_after
        self._clock, self._sleep = clock, sleep
        self._in_flight = 0
        self._streak = 0
        self._next_token = 0.0
        self._first: float | None = None
        self._last = 0.0
        self._changed: asyncio.Condition | None = None
        self.stats = PacingStats(lowest_limit=concurrency)

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:  # made inside the running loop
            self._changed = asyncio.Condition()
        return self._changed

    async def _take_token(self) -> None:
        if self.rpm is None:
            return
        now = self._clock()
        start = max(now, self._next_token)
        self._next_token = start + 60.0 / self.rpm
        if start > now:
            await self._sleep(start - now)

    async def call(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send under the limit and the bucket; learn from a 429."""
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self._in_flight < self.limit)
            self._in_flight += 1
        try:
            await self._take_token()
            now = self._clock()
            self._first = now if self._first is None else self._first
            self.stats.requests += 1
            try:
                result = await send()
            except genai_errors.APIError as exc:
                if exc.code == 429:
                    self.rate_limited()
                raise
            self.succeeded()
            return result
        finally:
            self._last = self._clock()
            self.stats.elapsed_s = self._last - (self._last if self._first is None else self._first)
            async with changed:
                self._in_flight -= 1
                changed.notify_all()

    def rate_limited(self) -> None:
        self.stats.rate_limited += 1
        self._streak = 0
        self.limit = max(1, self.limit // 2)
        self.stats.lowest_limit = min(self.stats.lowest_limit, self.limit)

    def succeeded(self) -> None:
        self._streak += 1
        if self._streak >= self.grow_after and self.limit < self.ceiling:
            self.limit += 1
            self._streak = 0  # the waiters are woken when this request's slot is given back


class Budget:
    """`--max-cost`: a trial starts only when what was spent plus the estimates of the trials in flight
    plus its own estimate stays within the cap, so a run stops within one trial's cost of it."""

    def __init__(self, cap_usd: float | None, spent_usd: float = 0.0) -> None:
        self.cap = cap_usd
        self.spent = spent_usd
        self.in_flight = 0.0
        self.refused = 0

    def try_start(self, estimate: float) -> bool:
        if self.cap is not None and self.spent + self.in_flight + estimate > self.cap + 1e-12:
            self.refused += 1
            return False
        self.in_flight += estimate
        return True

    def finish(self, estimate: float, actual: float) -> None:
        self.in_flight -= estimate
        self.spent += actual

    @property
    def exhausted(self) -> bool:
        return self.refused > 0
