"""The judge: a Gemini text model reads the step's image (and text) plus a rubric and answers
JSON {score: 1..5, reason} through `response_schema`.

It calls `env.client`, a sync google.genai.Client built by the runner over the run's transport, so a
judgement is recorded and replayed like any generation (tagged purpose="judge" in harness.context).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from harness.context import RequestContext, current_request
from harness.errors import ReplayMiss
from harness.record import JudgeInfo, Score, TrialRecord
from harness.scoring.context import ScoreContext, ScoringEnv
from harness.scoring.judge_call import verdict_detail
from harness.scoring.judge_edit import PROMPTS, judge_kind, score_edit_judge, score_references_judge
from harness.scoring.registry import Params, parse_expect, scorer

JUDGE_PROMPT_VERSION = "judge-v1"
JUDGE_PROMPT = """You grade one output of an image-generation prompt against a rubric.
Rubric: {rubric}
{prompt_line}{text_line}Look at the attached image (if any) and score how well the output meets the rubric:
1 = not at all, 2 = poorly, 3 = partly, 4 = mostly, 5 = fully.
Answer only JSON: {{"score": <integer 1-5>, "reason": "<one short sentence>"}}."""


class JudgeVerdict(BaseModel):
    """The JSON shape the judge must answer with (sent as response_schema)."""

    score: int = Field(ge=1, le=5)
    reason: str


class JudgeParams(Params):
    """A Gemini text model grades the output against `rubric` from 1 to 5; passes at >= `min`.
    model defaults to the suite's judge model (gemini-2.5-flash unless the suite sets `judge:`)."""

    rubric: str = Field(min_length=3, description="what a good output shows, in plain words")
    min: int = Field(4, ge=1, le=5, description="lowest passing grade")
    model: str | None = Field(None, description="override the judge model for this expectation")
    include_prompt: bool = Field(True, description="show the judge the prompt that produced the output")


def render_prompt(rubric: str, prompt: str | None, text: str | None) -> str:
    prompt_line = f"The prompt was: {prompt}\n" if prompt else ""
    text_line = f"The model also answered with this text: {text}\n" if text else ""
    return JUDGE_PROMPT.format(rubric=rubric, prompt_line=prompt_line, text_line=text_line)


def judge_manifest(env: ScoringEnv) -> JudgeInfo:
    """What the run manifest records about the judge, so a judged score can be reproduced."""
    return JudgeInfo(
        model=env.judge_model,
        temperature=env.judge_temperature,
        prompt_version=JUDGE_PROMPT_VERSION,
        prompt_sha256=_digest(JUDGE_PROMPT),
        prompt=JUDGE_PROMPT,
        prompt_versions={v: _digest(t) for v, t in all_prompts().items()},
    )


def all_prompts() -> dict[str, str]:
    """Every judge prompt template by its version: single-image, edit, references, alignment."""
    from harness.scoring.alignment import PROMPTS as ALIGNMENT_PROMPTS

    return {JUDGE_PROMPT_VERSION: JUDGE_PROMPT, **PROMPTS, **ALIGNMENT_PROMPTS}


def _digest(template: str) -> str:
    return hashlib.sha256(template.encode()).hexdigest()[:16]


STORED_NOTE = "stored grade, judge not asked again"


def judgement_key(
    trial_id: str, step: int, p: JudgeParams, model: str, temperature: float
) -> tuple[str, int, str, str, bool, float]:
    """What a grade depends on besides the stored output: the rubric and how the judge was asked."""
    return (trial_id, step, p.rubric, model, p.include_prompt, float(temperature))


def stored_judgements(
    records: list[TrialRecord], model: str, temperature: float
) -> dict[tuple[str, int, str, str, bool, float], JudgeVerdict]:
    """The grades a stored run already holds, keyed by judgement_key (`model`/`temperature`: the run's judge).

    Re-scoring a run that has no cassette (a live run) keeps them for every judge expectation whose rubric
    and judge settings are unchanged, so changing a threshold does not lose the judgements. The grade and
    the judge's reason are read from the score's `detail`; a score without one (a record written before
    scores carried it) is not a stored grade: the judge is asked again, or the score is unmeasured."""
    out = {}
    for r in records:
        for i, step in enumerate(r.steps):
            specs = [spec for spec in step.expect if isinstance(spec, dict) and "judge" in spec]
            graded = [s for s in r.scores if s.step == i and s.scorer == "judge"]
            if len(specs) != len(graded):
                continue  # the scores do not line up with the expectations; ask again rather than guess
            for spec, s in zip(specs, graded, strict=True):
                verdict = _stored_verdict(s)
                try:
                    p = parse_expect(spec).params
                except ValueError:
                    continue
                if verdict is None or not isinstance(p, JudgeParams):
                    continue
                asked = s.detail.get("model")
                key = judgement_key(r.trial_id, i, p, asked if isinstance(asked, str) else model, temperature)
                out[key] = verdict
    return out


def _stored_verdict(s: Score) -> JudgeVerdict | None:
    """The single-image judge's verdict a score holds in its detail, or None (another prompt, no grade)."""
    if s.detail.get("prompt_version") != JUDGE_PROMPT_VERSION:
        return None
    try:
        return JudgeVerdict.model_validate({"score": s.detail.get("grade"), "reason": s.detail.get("reason")})
    except ValidationError:
        return None


def _graded(ctx: ScoreContext, model: str, verdict: JudgeVerdict, p: JudgeParams, stored: bool) -> Score:
    note = f"; {STORED_NOTE}" if stored else ""
    return ctx.score(
        float(verdict.score),
        verdict.score >= p.min,
        f"judge {model}: {verdict.score}/5 (min {p.min}{note}): {verdict.reason}",
        threshold=p.min,
        detail=verdict_detail(verdict.score, verdict.reason, model, JUDGE_PROMPT_VERSION),
    )


@scorer("judge", JudgeParams, shorthand="rubric", needs="output")
def score_judge(ctx: ScoreContext, p: JudgeParams) -> list[Score]:
    """A Gemini text model grades the image (and text) against a rubric, 1..5."""
    model = p.model or ctx.env.judge_model
    kind = judge_kind(ctx)
    if kind != "single":
        if ctx.env.client is None:
            return [ctx.skip("judge skipped: no Gemini client (run with a transport, or replay a cassette)")]
        if kind == "edit":
            return score_edit_judge(ctx, p, model)
        return score_references_judge(ctx, p, model)
    key = judgement_key(ctx.record.trial_id, ctx.step_index, p, model, ctx.env.judge_temperature)
    stored = ctx.env.stored_judgements.get(key)
    if ctx.env.client is None:
        if stored is not None:
            return [_graded(ctx, model, stored, p, stored=True)]
        return [ctx.skip("judge skipped: no Gemini client (run with a transport, or replay a cassette)")]
    from google.genai import types

    step = ctx.step
    parts: list[Any] = []
    if step.images:
        ref = step.images[0]
        parts.append(
            types.Part.from_bytes(data=(ctx.env.run_dir / ref.path).read_bytes(), mime_type=ref.mime)
        )
    parts.append(render_prompt(p.rubric, step.prompt if p.include_prompt else None, step.text))
    config = types.GenerateContentConfig(
        temperature=ctx.env.judge_temperature,
        response_mime_type="application/json",
        response_schema=JudgeVerdict,
    )
    r = ctx.record
    request = RequestContext(
        r.suite, r.case, r.variant, r.repeat, ctx.step_index, "judge", JUDGE_PROMPT_VERSION
    )
    token = current_request.set(request)
    try:
        response = ctx.env.client.models.generate_content(model=model, contents=parts, config=config)
    except Exception as exc:  # neither a replay miss nor an API error may crash scoring; both are reported
        if stored is not None:
            return [_graded(ctx, model, stored, p, stored=True)]
        if isinstance(exc, ReplayMiss):  # the recording no longer matches: a named failure, never a skip
            return [ctx.score(None, False, f"judge {model} not in the cassette: {exc}", threshold=p.min)]
        return [ctx.skip(f"judge call to {model} failed: {type(exc).__name__}: {exc}")]
    finally:
        current_request.reset(token)
    verdict = parse_verdict(response)
    if isinstance(verdict, str):
        return [ctx.skip(f"judge {model} gave no usable verdict: {verdict}")]
    return [_graded(ctx, model, verdict, p, stored=False)]


def parse_verdict(response: Any) -> JudgeVerdict | str:
    """The SDK's parsed object when it validated, else the raw JSON text; a string explains a failure."""
    parsed = getattr(response, "parsed", None)
    if isinstance(parsed, JudgeVerdict):
        return parsed
    text = getattr(response, "text", None)
    if not text:
        return "empty response"
    try:
        return JudgeVerdict.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        return f"{type(exc).__name__} on {text[:80]!r}"
