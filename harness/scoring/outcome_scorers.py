"""Outcome scorers: what happened to the request, not what it produced. They run on every outcome, so a
safety case can expect `outcome: blocked_prompt` and pass when the prompt was blocked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from harness.record import OUTCOMES, Score
from harness.scoring.context import ScoreContext
from harness.scoring.registry import Params, scorer


def _listify(v: object) -> object:
    return [v] if isinstance(v, str) else v


class OutcomeParams(Params):
    """The step's outcome is one of `expected` (ok, blocked_prompt, blocked_output, no_image, error)."""

    expected: list[str] = Field(description="one outcome or a list of them")

    @field_validator("expected", mode="before")
    @classmethod
    def _check(cls, v: object) -> object:
        items = _listify(v)
        for item in items or []:  # type: ignore[union-attr]
            if item not in OUTCOMES:
                raise ValueError(f"'{item}' is not an outcome; use one of {', '.join(OUTCOMES)}")
        return items


@scorer("outcome", OutcomeParams, shorthand="expected", needs="none")
def score_outcome(ctx: ScoreContext, p: OutcomeParams) -> list[Score]:
    """The step ended with an expected outcome (e.g. a safety case expects blocked_prompt)."""
    got = ctx.step.outcome
    ok = got in p.expected
    return [
        ctx.score(
            1.0 if ok else 0.0,
            ok,
            f"outcome {got} (expected {' or '.join(p.expected)})",
            threshold="|".join(p.expected),
        )
    ]


class FinishReasonParams(Params):
    """The candidate's finishReason is one of `expected` (STOP, IMAGE_SAFETY, NO_IMAGE, ...; any case)."""

    expected: list[str] = Field(description="one finish reason or a list of them")

    @field_validator("expected", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return [str(x).upper() for x in _listify(v) or []]  # type: ignore[union-attr]


@scorer("finish_reason", FinishReasonParams, shorthand="expected", needs="none")
def score_finish_reason(ctx: ScoreContext, p: FinishReasonParams) -> list[Score]:
    """The response's finish reason is one of the expected ones."""
    got = (ctx.step.finish_reason or "").upper() or "none"
    ok = got in p.expected
    return [
        ctx.score(
            1.0 if ok else 0.0,
            ok,
            f"finish reason {got} (expected {' or '.join(p.expected)})",
            threshold="|".join(p.expected),
        )
    ]


class MaxLatencyParams(Params):
    """Step latency (seconds, retries included) is at most `seconds`."""

    seconds: float = Field(gt=0, description="most seconds the step may take")


@scorer("max_latency", MaxLatencyParams, shorthand="seconds", needs="none")
def score_max_latency(ctx: ScoreContext, p: MaxLatencyParams) -> list[Score]:
    """The step took no longer than a limit."""
    v = ctx.step.latency_s
    ok = v <= p.seconds
    return [ctx.score(v, ok, f"latency {v:.2f}s (max {p.seconds}s)", threshold=p.seconds)]


class MaxCostParams(Params):
    """Step cost in USD (from harness.prices) is at most `usd`."""

    usd: float = Field(ge=0, description="most USD the step may cost")


@scorer("max_cost", MaxCostParams, shorthand="usd", needs="none")
def score_max_cost(ctx: ScoreContext, p: MaxCostParams) -> list[Score]:
    """The step cost no more than a limit."""
    v = ctx.step.cost_usd
    ok = v <= p.usd
    return [ctx.score(v, ok, f"cost ${v:.4f} (max ${p.usd})", threshold=p.usd)]


class MaxTokensParams(Params):
    """Token count of the step at most `tokens`; `count` picks output (default), prompt, image, thought
    or total (prompt + output)."""

    tokens: int = Field(ge=0, description="most tokens the step may use")
    count: Literal["output", "prompt", "image", "thought", "total"] = Field(
        "output", description="output, prompt, image, thought or total"
    )


@scorer("max_tokens", MaxTokensParams, shorthand="tokens", needs="none")
def score_max_tokens(ctx: ScoreContext, p: MaxTokensParams) -> list[Score]:
    """The step used no more tokens than a limit."""
    u = ctx.step.usage
    v = {
        "output": u.output_tokens,
        "prompt": u.prompt_tokens,
        "image": u.image_tokens,
        "thought": u.thought_tokens,
        "total": u.prompt_tokens + u.output_tokens,
    }[p.count]
    ok = v <= p.tokens
    return [ctx.score(float(v), ok, f"{p.count} tokens {v} (max {p.tokens})", threshold=p.tokens)]
