"""Trials in flight: bounded concurrency, each trial scored as it finishes and appended at once.

One bad trial never stops the run: anything a trial raises becomes that trial's `error` record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google import genai

from harness.errors import UsageError
from harness.files import utc_now
from harness.plan import TrialPlan
from harness.record import Score, TrialRecord
from harness.runner.execute import execute_trial, failed_trial
from harness.runner.pacing import Budget, Pacer
from harness.runner.progress import Progress
from harness.runner.retry import RetryPolicy
from harness.store import RunWriter


@dataclass
class Target:
    """Where one suite's trials go: its client, its transport session (for sleeps), its scoring env."""

    client: genai.Client
    session: Any = None
    env: Any = None

    @property
    def replays(self) -> bool:
        """Answers come from a cassette (no network wait), and images are linked from its blobs."""
        return bool(getattr(self.session, "replaying", False))

    async def sleep(self, seconds: float) -> None:
        """The session's sleep (skipped in replay) without blocking the loop; asyncio's when no session."""
        await (asyncio.sleep(seconds) if self.session is None else self.session.asleep(seconds))


async def score_record(record: TrialRecord, env: Any) -> None:
    """Per-trial scores in a worker thread (pixel work and judge calls block); a scorer crash is a score."""
    if env is None:
        return
    from harness.runner.judging import judge_cost
    from harness.scoring import decide_passed, score_trial

    try:  # a trial without expectations has no scores: no thread to wait for
        has_checks = any(step.expect for step in record.steps)
        record.scores = await asyncio.to_thread(score_trial, record, env) if has_checks else []
    except Exception as exc:
        failed = Score(name="scoring", value=None, passed=None, reason=f"scoring failed: {exc}", kind="step")
        record.scores = [failed]
    record.passed = decide_passed(record, env.require_measured)
    record.judge_cost_usd = judge_cost(env.client, record)


async def run_targets(
    work: Sequence[tuple[TrialPlan, Target]],
    writer: RunWriter,
    *,
    concurrency: int = 4,
    policy: RetryPolicy | None = None,
    timeout_s: float | None = None,
    progress: Progress | None = None,
    finished: list[TrialRecord] | None = None,
    pacer: Pacer | None = None,
    budget: Budget | None = None,
    estimates: dict[str, float] | None = None,
) -> list[TrialRecord]:
    """Run every (plan, target) with at most `concurrency` trials in flight; records come back in plan order.

    `finished` (when given) receives each record as it is appended, so a caller that is cancelled mid-way
    still knows what reached the disk. A trial the `budget` refuses is not started and not returned.
    Each trial's recordings are committed to its session (the cassette journal) before its record is
    appended, so a trial in trials.jsonl always has its recording on disk.
    """
    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
    policy = policy or RetryPolicy()
    done = finished if finished is not None else []
    estimates = estimates or {}

    async def one(plan: TrialPlan, target: Target) -> TrialRecord | None:
        estimate = estimates.get(plan.trial_id, 0.0)
        if budget is not None and not budget.try_start(estimate):
            return None
        started = utc_now()
        try:
            record = await execute_trial(
                plan,
                target.client,
                writer,
                target.sleep,
                policy=policy,
                timeout_s=timeout_s,
                pacer=pacer,
                store_inline=target.replays,
            )
        except Exception as exc:
            record = failed_trial(plan, exc, started)
        await score_record(record, target.env)
        if budget is not None:
            budget.finish(estimate, record.spent_usd)
        if getattr(target.session, "journaling", False):  # a replay has nothing to commit: no thread hop
            session = target.session
            await asyncio.to_thread(session.commit_trial, plan.suite, plan.case, plan.variant, plan.repeat)
        writer.append(record)
        done.append(record)
        if progress is not None:
            progress.advance(record)
        return record

    # `concurrency` workers take the trials in plan order: a task per worker, not one per trial waiting
    # at a semaphore (10,000 suspended tasks the garbage collector walks again and again)
    results: list[TrialRecord | None] = [None] * len(work)
    pending = iter(enumerate(work))

    async def worker() -> None:
        for index, (plan, target) in pending:
            results[index] = await one(plan, target)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(work)))))
    return [r for r in results if r is not None]


async def execute_trials(
    plans: Sequence[TrialPlan],
    client: genai.Client,
    writer: RunWriter,
    session: Any,
    *,
    concurrency: int = 4,
    env: Any = None,
    policy: RetryPolicy | None = None,
    timeout_s: float | None = None,
    progress: Progress | None = None,
) -> list[TrialRecord]:
    """Run the trials of one client/session into `writer`; `env` None skips scoring."""
    target = Target(client, session, env)
    return await run_targets(
        [(p, target) for p in plans],
        writer,
        concurrency=concurrency,
        policy=policy,
        timeout_s=timeout_s,
        progress=progress,
    )
