"""One judge request, shared by every judge kind: tagged with its trial and prompt version, errors named.

The call goes through `env.client` (a sync google.genai.Client over the run's transport), so it is
recorded and replayed like any generation. The prompt version rides in the request's context, not its
body: a version change is a replay miss naming both versions, while the request bytes stay comparable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.context import RequestContext, current_request
from harness.record import Detail
from harness.scoring.context import ScoreContext
from harness.store import image_ref

VerdictT = TypeVar("VerdictT", bound=BaseModel)


def verdict_detail(grade: int, reason: str, model: str, prompt_version: str) -> Detail:
    """What a judged score keeps beside its text (Score.detail): the grade, the judge's own reason, which
    model was asked with which prompt. Later stages read these, never the score's reason text."""
    return {"grade": grade, "reason": reason, "model": model, "prompt_version": prompt_version}


@dataclass(frozen=True)
class JudgeFailure:
    """Why a judge call gave no verdict; `miss` means the cassette lacks it (a failure, never a skip)."""

    reason: str
    miss: bool = False


def image_part(data: bytes) -> Any:
    from google.genai import types

    mime = image_ref(data)[0].mime
    return types.Part.from_bytes(data=data, mime_type=mime)


def ask(
    ctx: ScoreContext, model: str, parts: list[Any], schema: type[VerdictT], version: str
) -> VerdictT | JudgeFailure:
    """Send `parts` to the judge model and parse its JSON answer into `schema`."""
    from google.genai import types

    from harness.errors import ReplayMiss

    config = types.GenerateContentConfig(
        temperature=ctx.env.judge_temperature,
        response_mime_type="application/json",
        response_schema=schema,
    )
    r = ctx.record
    request = RequestContext(r.suite, r.case, r.variant, r.repeat, ctx.step_index, "judge", version)
    token = current_request.set(request)
    try:
        response = ctx.env.client.models.generate_content(model=model, contents=parts, config=config)
    except ReplayMiss as exc:
        return JudgeFailure(f"judge {model} not in the cassette: {exc}", miss=True)
    except Exception as exc:  # an API error must not crash scoring; it is reported as unmeasured
        return JudgeFailure(f"judge call to {model} failed: {type(exc).__name__}: {exc}")
    finally:
        current_request.reset(token)
    return parse(response, schema, model)


def parse(response: Any, schema: type[VerdictT], model: str) -> VerdictT | JudgeFailure:
    """The SDK's parsed object when it validated, else the raw JSON text validated here."""
    parsed = getattr(response, "parsed", None)
    if isinstance(parsed, schema):
        return parsed
    text = getattr(response, "text", None)
    if not text:
        return JudgeFailure(f"judge {model} gave no usable verdict: empty response")
    try:
        return schema.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        return JudgeFailure(f"judge {model} gave no usable verdict: {type(exc).__name__} on {text[:80]!r}")
