"""One trial through the SDK: a single generate_content call, or a chain as ONE chat conversation.

The chat keeps every model part the SDK returns (thought text, images, thought signatures) because the
SDK echoes each response Content back verbatim; the runner never rebuilds history by hand. A step whose
outcome is not ok ends the chain; the steps after it are recorded with attempts=0 and status NOT_RUN.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from google import genai
from google.genai import types

from harness.context import RequestContext, current_request
from harness.files import utc_now
from harness.plan import StepPlan, TrialPlan
from harness.prices import Tier, cost_usd
from harness.record import StepRecord, TrialError, TrialRecord
from harness.runner.outcome import classify, error_of
from harness.runner.pacing import Pacer
from harness.runner.request import build_config, build_parts, config_record, relative_path, wants_image
from harness.runner.retry import RetryPolicy, call_with_retry
from harness.store import RunWriter

Send = Callable[[], Awaitable[types.GenerateContentResponse]]


def _step_base(plan: TrialPlan, step: StepPlan) -> dict[str, Any]:
    base = plan.suite_path.parent
    return {
        "index": step.index,
        "kind": step.kind,
        "prompt": step.prompt,
        "inputs": [relative_path(p, base) for p in step.inputs],
        "references": [relative_path(p, base) for p in step.references],
        "config": config_record(step.config),
        "expect": [dict(e) for e in step.expect],
    }


def not_run(plan: TrialPlan, step: StepPlan, stopper: StepRecord) -> StepRecord:
    message = f"not run: step {stopper.index} ended the chain with outcome {stopper.outcome}"
    return StepRecord(
        **_step_base(plan, step),
        outcome="error",
        attempts=0,
        error=TrialError(status="NOT_RUN", message=message),
    )


async def run_step(
    plan: TrialPlan,
    step: StepPlan,
    send: Send,
    writer: RunWriter,
    sleep: Callable[[float], Any],
    policy: RetryPolicy,
    rng: Any,
    pacer: Pacer | None = None,
    store_inline: bool = False,
) -> StepRecord:
    """Send with retries under the step's request context, then classify and store what came back: in a
    worker thread (an image written is fsynced), or on the loop when `store_inline` (a replay links its
    images from the cassette's blobs, and no request of it waits on a network meanwhile)."""
    if pacer is not None:
        send = functools.partial(pacer.call, send)
    started = [time.monotonic()]

    def mark(_attempt: int) -> None:
        started[0] = time.monotonic()

    token = current_request.set(RequestContext(plan.suite, plan.case, plan.variant, plan.repeat, step.index))
    try:
        response, attempts = await call_with_retry(send, policy, rng, sleep, on_attempt=mark)
    except Exception as exc:
        error = error_of(exc)
        if getattr(exc, "gave_up", None):
            error.message = f"{error.message} ({exc.gave_up})"  # type: ignore[attr-defined]
        return StepRecord(
            **_step_base(plan, step),
            outcome="error",
            error=error,
            attempts=getattr(exc, "attempts", 1),
            latency_s=round(time.monotonic() - started[0], 4),
        )
    finally:
        current_request.reset(token)
    latency = round(time.monotonic() - started[0], 4)
    store = functools.partial(
        step_from_response, plan, step, response, writer, attempts=attempts, latency_s=latency
    )
    return store() if store_inline else await asyncio.to_thread(store)


def step_from_response(
    plan: TrialPlan,
    step: StepPlan,
    response: types.GenerateContentResponse,
    writer: RunWriter,
    *,
    attempts: int,
    latency_s: float,
    tier: Tier = "standard",
) -> StepRecord:
    """Classify a response and store its images: the one path interactive and batch answers share."""
    base = _step_base(plan, step)
    result = classify(response, wants_image(step.config))
    try:
        images = [writer.save_image(data, mime) for data, mime in result.images]
    except Exception as exc:  # an undecodable image is this trial's error, not the run's
        return StepRecord(
            **base,
            outcome="error",
            finish_reason=result.finish_reason,
            error=error_of(exc),
            attempts=attempts,
            latency_s=latency_s,
            usage=result.usage,
        )
    return StepRecord(
        **base,
        outcome=result.outcome,  # type: ignore[arg-type]
        finish_reason=result.finish_reason,
        model_version=result.model_version,
        images=images,
        text=result.text,
        usage=result.usage,
        cost_usd=cost_usd(step.config.model, result.usage, tier),
        latency_s=latency_s,
        attempts=attempts,
    )


def step_from_error(plan: TrialPlan, step: StepPlan, error: TrialError, *, attempts: int = 1) -> StepRecord:
    """A step whose request failed (an HTTP error, or a per-request error inside a batch job)."""
    return StepRecord(**_step_base(plan, step), outcome="error", error=error, attempts=attempts)


async def execute_trial(
    plan: TrialPlan,
    client: genai.Client,
    writer: RunWriter,
    sleep: Callable[[float], Any],
    *,
    policy: RetryPolicy | None = None,
    timeout_s: float | None = None,
    pacer: Pacer | None = None,
    store_inline: bool = False,
) -> TrialRecord:
    policy = policy or RetryPolicy()
    rng = policy.rng(plan.trial_id)
    started_at = utc_now()
    steps: list[StepRecord] = []
    chat: Any = None
    for step in plan.steps:
        stopper = next((s for s in steps if s.outcome != "ok"), None)
        if stopper is not None:
            steps.append(not_run(plan, step, stopper))
            continue
        try:
            parts = build_parts(step)
        except Exception as exc:
            steps.append(
                StepRecord(**_step_base(plan, step), outcome="error", error=error_of(exc), attempts=0)
            )
            continue
        config = build_config(step.config, timeout_s)
        model = step.config.model
        if not plan.is_chain:
            send = functools.partial(
                client.aio.models.generate_content, model=model, contents=parts, config=config
            )
        else:
            if chat is None:  # one conversation, one model: validation refuses a chain that switches
                chat = client.aio.chats.create(model=model, config=config)
            send = functools.partial(chat.send_message, parts, config=config)
        steps.append(await run_step(plan, step, send, writer, sleep, policy, rng, pacer, store_inline))
    return trial_record(plan, steps, started_at)


def failed_trial(plan: TrialPlan, exc: BaseException, started_at: str) -> TrialRecord:
    """A trial that broke outside any request (a bug, a disk error): every step carries the error."""
    steps = [
        StepRecord(**_step_base(plan, s), outcome="error", error=error_of(exc), attempts=0)
        for s in plan.steps
    ]
    return trial_record(plan, steps, started_at)


def trial_record(plan: TrialPlan, steps: list[StepRecord], started_at: str) -> TrialRecord:
    """The trial takes the outcome of its first step that was not ok (or ok when every step was)."""
    decisive = next((s for s in steps if s.outcome != "ok"), steps[-1])
    return TrialRecord(
        trial_id=plan.trial_id,
        suite=plan.suite,
        case=plan.case,
        variant=plan.variant,
        repeat=plan.repeat,
        model=plan.model,
        model_version=next((s.model_version for s in reversed(steps) if s.model_version), None),
        prompt=plan.steps[0].prompt,
        style=plan.style,
        style_version=plan.style_version,
        group=plan.group,
        tags=list(plan.tags),
        pass_rule=plan.pass_rule,
        outcome=decisive.outcome,
        finish_reason=decisive.finish_reason,
        error=decisive.error,
        steps=steps,
        cost_usd=round(sum(s.cost_usd for s in steps), 6),
        latency_s=round(sum(s.latency_s for s in steps), 4),
        started_at=started_at,
        finished_at=utc_now(),
    )
