"""The pairwise judge: which of two images better fulfils a prompt, asked in both orders.

Judges prefer whichever image they see first (position bias), so every pair is asked twice, A first and
then B first; when the two answers disagree the pair is a tie and counts as order-inconsistent (the bias
figure). Requests go through the client it is given (the SDK over the harness transport), so the answers
are recorded under the suite's cassette and replayed with no key; a recording is matched by its request
body, which holds the two images (by hash), the prompt, the rubric, the judge model and its temperature.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from harness.context import RequestContext, current_request

PAIRWISE_PROMPT_VERSION = "pairwise-v1"
PAIRWISE_PROMPT = """You compare two outputs of one image-generation request and say which better fulfils it.
{task}
The first attached image is output "first", the second attached image is output "second".
Judge only how well each fulfils the request; their order means nothing.
Answer only JSON: {{"winner": "first" | "second" | "tie", "reason": "<one short sentence>"}}."""

Winner = Literal["A", "B", "tie"]


class OrderAnswer(BaseModel):
    """The JSON shape the judge answers with for one order (sent as response_schema)."""

    winner: Literal["first", "second", "tie"]
    reason: str


@dataclass(frozen=True)
class PairwiseSettings:
    """How the pairwise judge is asked; every field is part of the recorded request."""

    model: str
    temperature: float = 0.0
    rubric: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "temperature": self.temperature,
            "rubric": self.rubric,
            "prompt_version": PAIRWISE_PROMPT_VERSION,
            "prompt_sha256": hashlib.sha256(PAIRWISE_PROMPT.encode()).hexdigest()[:16],
        }


@dataclass(frozen=True)
class Shown:
    """One image as the judge is shown it."""

    data: bytes
    mime: str


@dataclass(frozen=True)
class PairJudgement:
    """Both orders of one pair combined. winner None: the judge could not be asked (see error)."""

    winner: Winner | None
    consistent: bool | None  # both orders gave the same answer
    a_first: Winner | None  # the answer with A shown first, mapped to A/B/tie
    b_first: Winner | None
    reason: str
    error: str | None = None


def render_pairwise_prompt(prompt: str, rubric: str | None) -> str:
    task = f"The request was: {prompt}"
    if rubric:
        task += f"\nRubric: {rubric}"
    return PAIRWISE_PROMPT.format(task=task)


def combine(a_first: Winner, b_first: Winner) -> tuple[Winner, bool]:
    """(winner, consistent): orders that agree decide; any disagreement is a tie."""
    if a_first == b_first:
        return a_first, True
    return "tie", False


def _mapped(answer: OrderAnswer, first: Winner, second: Winner) -> Winner:
    return first if answer.winner == "first" else second if answer.winner == "second" else "tie"


def parse_answer(response: Any) -> OrderAnswer | str:
    """The SDK's parsed object when it validated, else the raw JSON text; a string explains a failure."""
    parsed = getattr(response, "parsed", None)
    if isinstance(parsed, OrderAnswer):
        return parsed
    text = getattr(response, "text", None)
    if not text:
        return "empty response"
    try:
        return OrderAnswer.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        return f"{type(exc).__name__} on {text[:80]!r}"


def ask(
    client: Any, first: Shown, second: Shown, text: str, settings: PairwiseSettings, ctx: RequestContext
) -> OrderAnswer | str:
    """One order: the answer, or why there is none (a replay miss names the re-record command)."""
    from google.genai import types

    parts = [
        types.Part.from_bytes(data=first.data, mime_type=first.mime),
        types.Part.from_bytes(data=second.data, mime_type=second.mime),
        text,
    ]
    config = types.GenerateContentConfig(
        temperature=settings.temperature,
        response_mime_type="application/json",
        response_schema=OrderAnswer,
    )
    token = current_request.set(ctx)
    try:
        response = client.models.generate_content(model=settings.model, contents=parts, config=config)
    except Exception as exc:  # a replay miss or an API error is reported per pair, never a crash
        return f"{type(exc).__name__}: {exc}"
    finally:
        current_request.reset(token)
    return parse_answer(response)


def judge_pair(
    client: Any, a: Shown, b: Shown, prompt: str, settings: PairwiseSettings, ctx: RequestContext
) -> PairJudgement:
    """Ask with A first, then with B first, and combine."""
    text = render_pairwise_prompt(prompt, settings.rubric)
    one = ask(client, a, b, text, settings, ctx)
    two = ask(client, b, a, text, settings, ctx)
    failed = [answer for answer in (one, two) if isinstance(answer, str)]
    if failed or not isinstance(one, OrderAnswer) or not isinstance(two, OrderAnswer):
        return PairJudgement(None, None, None, None, "", error=f"judge {settings.model}: {failed[0]}")
    a_first, b_first = _mapped(one, "A", "B"), _mapped(two, "B", "A")
    winner, consistent = combine(a_first, b_first)
    if consistent:
        reason = f"A shown first: {one.reason}"
    else:
        reason = f"orders disagree; A shown first: {one.reason} / B shown first: {two.reason}"
    return PairJudgement(winner, consistent, a_first, b_first, reason)
