"""Text scorers for analysis steps (an image in, text out: OCR, product identification, captions)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from harness.record import Score
from harness.scoring.context import ScoreContext
from harness.scoring.registry import Params, scorer


def _clip(text: str, n: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


class ContainsParams(Params):
    """The step's text contains `text` (case-sensitive for `contains`, ignoring case for `icontains`)."""

    text: str = Field(description="substring to find")


@scorer("contains", ContainsParams, shorthand="text", needs="text")
def score_contains(ctx: ScoreContext, p: ContainsParams) -> list[Score]:
    """The response text contains a substring (case-sensitive)."""
    ok = p.text in (ctx.text or "")
    return [
        ctx.score(
            1.0 if ok else 0.0,
            ok,
            f"'{p.text}' {'found' if ok else 'not found'} in '{_clip(ctx.text or '')}'",
            threshold=p.text,
        )
    ]


@scorer("icontains", ContainsParams, shorthand="text", needs="text")
def score_icontains(ctx: ScoreContext, p: ContainsParams) -> list[Score]:
    """The response text contains a substring, ignoring case."""
    ok = p.text.casefold() in (ctx.text or "").casefold()
    return [
        ctx.score(
            1.0 if ok else 0.0,
            ok,
            f"'{p.text}' {'found' if ok else 'not found'} (any case) in '{_clip(ctx.text or '')}'",
            threshold=p.text,
        )
    ]


class RegexParams(Params):
    """Python regular expression searched anywhere in the text (re.search)."""

    pattern: str = Field(description="Python regular expression")
    ignore_case: bool = Field(False, description="match regardless of case")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return v


@scorer("regex", RegexParams, shorthand="pattern", needs="text")
def score_regex(ctx: ScoreContext, p: RegexParams) -> list[Score]:
    """The response text matches a regular expression."""
    m = re.search(p.pattern, ctx.text or "", re.IGNORECASE if p.ignore_case else 0)
    reason = (
        f"/{p.pattern}/ matched '{_clip(m.group(0))}'"
        if m
        else f"/{p.pattern}/ no match in '{_clip(ctx.text or '')}'"
    )
    return [ctx.score(1.0 if m else 0.0, m is not None, reason, threshold=p.pattern)]


class EqualsParams(Params):
    """The whole text equals `text` (after stripping surrounding whitespace unless strip is false)."""

    text: str = Field(description="the expected answer")
    strip: bool = Field(True, description="ignore surrounding whitespace")
    ignore_case: bool = Field(False, description="compare regardless of case")


@scorer("equals", EqualsParams, shorthand="text", needs="text")
def score_equals(ctx: ScoreContext, p: EqualsParams) -> list[Score]:
    """The response text equals an exact string."""
    got, want = ctx.text or "", p.text
    if p.strip:
        got, want = got.strip(), want.strip()
    if p.ignore_case:
        got, want = got.casefold(), want.casefold()
    ok = got == want
    return [
        ctx.score(
            1.0 if ok else 0.0,
            ok,
            f"'{_clip(ctx.text or '')}' {'==' if ok else '!='} '{_clip(p.text)}'",
            threshold=p.text,
        )
    ]


class JsonSchemaParams(Params):
    """The text is JSON (a ```json fence around it is fine) valid against a JSON Schema."""

    json_schema: dict[str, Any] = Field(alias="schema", description="a JSON Schema (draft 2020-12 or older)")

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        import jsonschema  # on first use: registering the scorers must stay cheap

        try:
            jsonschema.validators.validator_for(v).check_schema(v)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from exc
        return v


@scorer("json_schema", JsonSchemaParams, shorthand="schema", needs="text", dict_shorthand=True)
def score_json_schema(ctx: ScoreContext, p: JsonSchemaParams) -> list[Score]:
    """The response text parses as JSON and validates against a schema."""
    import jsonschema

    raw = (ctx.text or "").strip()
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", raw, re.DOTALL)
    try:
        data = json.loads(fence.group(1) if fence else raw)
    except json.JSONDecodeError as exc:
        return [ctx.score(0.0, False, f"not JSON ({exc.msg} at char {exc.pos}): '{_clip(raw)}'")]
    errors = sorted(
        jsonschema.validators.validator_for(p.json_schema)(p.json_schema).iter_errors(data),
        key=lambda e: list(e.path),
    )
    if errors:
        where = "/".join(str(x) for x in errors[0].path) or "(root)"
        return [ctx.score(0.0, False, f"JSON fails the schema at {where}: {errors[0].message}")]
    return [ctx.score(1.0, True, "JSON valid against the schema")]


class LengthParams(Params):
    """Text length within [min, max], counted in `unit` (chars or words). Bounds default to None."""

    min: int | None = Field(None, description="shortest length that passes")
    max: int | None = Field(None, description="longest length that passes")
    unit: Literal["chars", "words"] = Field("chars", description="chars or words")


@scorer("length", LengthParams, needs="text")
def score_length(ctx: ScoreContext, p: LengthParams) -> list[Score]:
    """The response text length (characters or words) is within bounds."""
    text = ctx.text or ""
    n = len(text.split()) if p.unit == "words" else len(text.strip())
    ok = (p.min is None or n >= p.min) and (p.max is None or n <= p.max)
    bounds = f"[{'' if p.min is None else p.min}, {'' if p.max is None else p.max}]"
    return [
        ctx.score(float(n), ok, f"{n} {p.unit} {'within' if ok else 'outside'} {bounds}", threshold=bounds)
    ]
