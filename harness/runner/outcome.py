"""A response or an exception -> the step's outcome, finish reason, error, parts of interest and usage.

Blocks come back as HTTP 200 (promptFeedback with no candidates, or a finishReason with no content), so
they are read from the parsed response; only transport/HTTP failures arrive as exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2
from google.genai import errors as genai_errors
from google.genai import types

from harness.errors import HarnessError
from harness.record import TrialError, Usage

BLOCKING_FINISH = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "MODEL_ARMOR",
    }
)


@dataclass
class Classified:
    outcome: str
    finish_reason: str | None
    images: list[tuple[bytes, str | None]] = field(default_factory=list)
    text: str | None = None
    usage: Usage = field(default_factory=Usage)
    model_version: str | None = None


def enum_text(value: object) -> str | None:
    """Enum members and unknown raw strings (which the SDK keeps) both become plain names."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def usage_of(response: types.GenerateContentResponse) -> Usage:
    meta = response.usage_metadata
    if meta is None:
        return Usage()
    image_tokens = sum(
        d.token_count or 0 for d in meta.candidates_tokens_details or [] if enum_text(d.modality) == "IMAGE"
    )
    return Usage(
        prompt_tokens=meta.prompt_token_count or 0,
        output_tokens=meta.candidates_token_count or 0,
        image_tokens=image_tokens,
        thought_tokens=meta.thoughts_token_count or 0,
    )


def classify(response: types.GenerateContentResponse, image_wanted: bool) -> Classified:
    """ok, blocked_prompt, blocked_output or no_image (no image when one was asked; nothing otherwise)."""
    usage, version = usage_of(response), response.model_version
    feedback = response.prompt_feedback
    if not response.candidates:
        reason = enum_text(feedback.block_reason) if feedback else None
        outcome = "blocked_prompt" if reason else "no_image"
        return Classified(outcome, reason, usage=usage, model_version=version)
    candidate = response.candidates[0]
    finish = enum_text(candidate.finish_reason)
    parts = (candidate.content.parts if candidate.content else None) or []
    images = [
        (p.inline_data.data, p.inline_data.mime_type)
        for p in parts
        if not p.thought and p.inline_data is not None and p.inline_data.data
    ]
    texts = [p.text for p in parts if p.text and not p.thought]
    text = "".join(texts) if texts else None
    if finish in BLOCKING_FINISH:
        outcome = "blocked_output"
    elif (image_wanted and not images) or not (images or text):
        outcome = "no_image"
    else:
        outcome = "ok"
    return Classified(outcome, finish, images, text, usage, version)


def error_of(exc: BaseException) -> TrialError:
    """code/status/message of any failure; SDK API errors keep the server's status and message."""
    if isinstance(exc, genai_errors.APIError):
        return TrialError(code=exc.code, status=exc.status, message=str(exc.message or exc))
    if isinstance(exc, HarnessError):
        return TrialError(status=type(exc).__name__, message=str(exc))
    if isinstance(exc, httpx2.TimeoutException | TimeoutError):
        detail = f" ({exc})" if str(exc) else ""
        message = f"no response within the request timeout{detail}; raise --timeout or the step's timeout_s"
        return TrialError(status=type(exc).__name__, message=message)
    return TrialError(status=type(exc).__name__, message=str(exc) or type(exc).__name__)
