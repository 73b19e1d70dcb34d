"""The judge for steps that start from images: edits and chain steps see the before image and the result
and get two grades (instruction followed, rest preserved, each with its reason, as GIE-Bench separates
them); compositions show the judge the reference images beside the output.

`judge:` picks the kind from the step: an edit (a chain step after the first, or a case with `inputs:`)
gets the edit judge; a generation with `references:` gets the reference judge; anything else the
single-image judge of judge.py, whose requests are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from harness.record import Score
from harness.scoring.context import ScoreContext
from harness.scoring.judge_call import JudgeFailure, ask, image_part, verdict_detail

if TYPE_CHECKING:
    from harness.scoring.judge import JudgeParams

EDIT_PROMPT_VERSION = "edit-judge-v1"
EDIT_PROMPT = """You grade an image edit.
The first attached image is the image before the edit; the last attached image is the result.
The edit instruction was: {instruction}
Rubric: {rubric}
Grade two things separately, each from 1 to 5:
1 = not at all, 2 = poorly, 3 = partly, 4 = mostly, 5 = fully.
instruction_followed: how fully the result carries out the instruction and meets the rubric;
rest_preserved: how well everything the instruction did not ask to change is kept as it was before.
Answer only JSON: {{"instruction_followed": <1-5>, "instruction_reason": "<one short sentence>",
"rest_preserved": <1-5>, "preserved_reason": "<one short sentence>"}}."""

REFERENCES_PROMPT_VERSION = "references-judge-v1"
REFERENCES_PROMPT = """You grade one output of an image prompt that came with reference images, by a rubric.
Rubric: {rubric}
{prompt_line}Look at the attached images: the first {n} are the reference images the prompt was given,
the last one is the output. Score how well the output meets the rubric, using the references where the
rubric or the prompt points to them:
1 = not at all, 2 = poorly, 3 = partly, 4 = mostly, 5 = fully.
Answer only JSON: {{"score": <integer 1-5>, "reason": "<one short sentence>"}}."""

PROMPTS = {EDIT_PROMPT_VERSION: EDIT_PROMPT, REFERENCES_PROMPT_VERSION: REFERENCES_PROMPT}


class EditVerdict(BaseModel):
    """The two grades of an edit (sent as response_schema)."""

    instruction_followed: int = Field(ge=1, le=5)
    instruction_reason: str
    rest_preserved: int = Field(ge=1, le=5)
    preserved_reason: str


def render_edit_prompt(instruction: str, rubric: str) -> str:
    return EDIT_PROMPT.format(instruction=instruction, rubric=rubric)


def render_references_prompt(rubric: str, prompt: str | None, references: int) -> str:
    prompt_line = f"The prompt was: {prompt}\n" if prompt else ""
    return REFERENCES_PROMPT.format(rubric=rubric, prompt_line=prompt_line, n=references)


def before_image(ctx: ScoreContext) -> bytes | None:
    """The bytes the step started from: the previous chain step's output, or the edit's first input."""
    if ctx.step_index > 0:
        prev = ctx.record.steps[ctx.step_index - 1]
        return (ctx.env.run_dir / prev.images[0].path).read_bytes() if prev.images else None
    for name in ctx.step.inputs:
        path = ctx.env.resolve(name)
        if path is not None:
            return path.read_bytes()
    return None


def judge_kind(ctx: ScoreContext) -> str:
    """ "edit", "references" or "single": which judge a `judge:` expectation on this step asks."""
    if ctx.step.kind == "edit" and (ctx.step_index > 0 or ctx.step.inputs):
        return "edit"
    if ctx.step.references:
        return "references"
    return "single"


def score_edit_judge(ctx: ScoreContext, p: JudgeParams, model: str) -> list[Score]:
    before = before_image(ctx)
    if before is None:
        what = "the previous step has no image" if ctx.step_index > 0 else "its input image is not found"
        return [ctx.score(None, False, f"edit judge cannot grade: {what}", threshold=p.min)]
    after = ctx.image_path().read_bytes()
    parts = [image_part(before), image_part(after), render_edit_prompt(ctx.step.prompt, p.rubric)]
    verdict = ask(ctx, model, parts, EditVerdict, EDIT_PROMPT_VERSION)
    if isinstance(verdict, JudgeFailure):
        return _failed(ctx, verdict, p.min, ("instruction", "preserved"))
    head = f"edit judge {model}"
    return [
        ctx.score(
            float(verdict.instruction_followed),
            verdict.instruction_followed >= p.min,
            f"{head}: instruction followed {verdict.instruction_followed}/5 (min {p.min}): "
            f"{verdict.instruction_reason}",
            threshold=p.min,
            suffix="instruction",
            detail=verdict_detail(
                verdict.instruction_followed, verdict.instruction_reason, model, EDIT_PROMPT_VERSION
            ),
        ),
        ctx.score(
            float(verdict.rest_preserved),
            verdict.rest_preserved >= p.min,
            f"{head}: rest preserved {verdict.rest_preserved}/5 (min {p.min}): {verdict.preserved_reason}",
            threshold=p.min,
            suffix="preserved",
            detail=verdict_detail(
                verdict.rest_preserved, verdict.preserved_reason, model, EDIT_PROMPT_VERSION
            ),
        ),
    ]


def score_references_judge(ctx: ScoreContext, p: JudgeParams, model: str) -> list[Score]:
    from harness.scoring.judge import JudgeVerdict

    refs = [ctx.env.resolve(name) for name in ctx.step.references]
    missing = [name for name, path in zip(ctx.step.references, refs, strict=True) if path is None]
    if missing:
        return [
            ctx.score(None, False, f"judge cannot grade: reference {missing[0]} not found", threshold=p.min)
        ]
    parts: list[Any] = [image_part(path.read_bytes()) for path in refs if path is not None]
    parts.append(image_part(ctx.image_path().read_bytes()))
    prompt = ctx.step.prompt if p.include_prompt else None
    parts.append(render_references_prompt(p.rubric, prompt, len(refs)))
    verdict = ask(ctx, model, parts, JudgeVerdict, REFERENCES_PROMPT_VERSION)
    if isinstance(verdict, JudgeFailure):
        return _failed(ctx, verdict, p.min, (None,))
    return [
        ctx.score(
            float(verdict.score),
            verdict.score >= p.min,
            f"judge {model} with {len(refs)} reference(s): {verdict.score}/5 (min {p.min}): {verdict.reason}",
            threshold=p.min,
            detail=verdict_detail(verdict.score, verdict.reason, model, REFERENCES_PROMPT_VERSION),
        )
    ]


def _failed(
    ctx: ScoreContext, failure: JudgeFailure, threshold: int, suffixes: tuple[str | None, ...]
) -> list[Score]:
    """A replay miss fails each grade (named, with the re-record command); other failures are unmeasured."""
    if failure.miss:
        return [ctx.score(None, False, failure.reason, threshold=threshold, suffix=s) for s in suffixes]
    return [ctx.skip(failure.reason, suffix=s) for s in suffixes]
