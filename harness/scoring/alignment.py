"""`alignment:` question-based prompt alignment (DSG: Davidsonian Scene Graph, Cho et al. 2024).

Two judge calls, both recorded and replayed: the judge model decomposes the prompt into atomic yes/no
questions with dependencies (once per prompt: they are kept in the suite's questions file, see
questions.py), then answers all of them about the image. A question counts as yes only when it is
answered yes and every question it depends on counts as yes (no "is the cup blue?" without a cup).
The score is the share of yes; the reason names the questions that failed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from harness.record import Detail, Score
from harness.scoring.context import ScoreContext
from harness.scoring.judge_call import JudgeFailure, ask, image_part
from harness.scoring.questions import (
    Entry,
    Question,
    QuestionSet,
    load,
    lock_for,
    prompt_hash,
    questions_path,
    save,
)
from harness.scoring.registry import Params, scorer

QUESTIONS_PROMPT_VERSION = "dsg-questions-v1"
QUESTIONS_PROMPT = """You decompose an image-generation prompt into atomic yes/no questions (a scene graph).
Prompt: {prompt}
Write one question per atomic fact the prompt asks for: each entity, each attribute of an entity
(colour, material, style), each count, each spatial relation, each text to be rendered, and the
background. Every question must be answerable with yes or no by looking at the image. Number them from 1,
and list in `parents` the ids a question depends on (an attribute, count or relation depends on the
question about its entity).
Answer only JSON: {{"questions": [{{"id": 1, "kind": "entity|attribute|count|relation|text|background|style",
"question": "Is there a cup?", "parents": []}}]}}."""

ANSWER_PROMPT_VERSION = "dsg-answer-v1"
ANSWER_PROMPT = """Answer each question about the attached image with yes or no, judging only what it shows.
{questions}
Answer only JSON: {{"answers": [{{"id": <question id>, "answer": "yes" or "no"}}]}}."""

PROMPTS = {QUESTIONS_PROMPT_VERSION: QUESTIONS_PROMPT, ANSWER_PROMPT_VERSION: ANSWER_PROMPT}


class Answer(BaseModel):
    id: int
    answer: Literal["yes", "no"]


class AnswerSet(BaseModel):
    """The judge's yes/no answers (sent as response_schema)."""

    answers: list[Answer]


class AlignmentParams(Params):
    """The judge model splits the prompt into atomic yes/no questions (kept, reviewable, in
    `<suite dir>/questions/<suite>.yaml`) and answers each about the image; passes when the share of
    questions counted yes is >= `min`. A question whose parent is "no" never counts as yes."""

    min: float = Field(0.8, ge=0, le=1, description="lowest passing share of questions answered yes")
    model: str | None = Field(None, description="override the judge model for this expectation")


def render_questions_prompt(prompt: str) -> str:
    return QUESTIONS_PROMPT.format(prompt=prompt)


def render_answer_prompt(questions: list[Question]) -> str:
    return ANSWER_PROMPT.format(questions="\n".join(f"{q.id}. {q.question}" for q in questions))


def counted_yes(questions: list[Question], answers: dict[int, bool]) -> dict[int, bool]:
    """Each question's verdict after dependencies: yes only if answered yes and every parent counts yes."""
    ids = {q.id: q for q in questions}
    out: dict[int, bool] = {}

    def visit(qid: int, seen: frozenset[int]) -> bool:
        if qid in out:
            return out[qid]
        q = ids.get(qid)
        if q is None or qid in seen:  # an unknown parent or a cycle cannot be confirmed
            return False
        ok = answers.get(qid, False) and all(visit(p, seen | {qid}) for p in q.parents)
        out[qid] = ok
        return ok

    for q in questions:
        visit(q.id, frozenset())
    return out


def alignment_score(questions: list[Question], answers: dict[int, bool]) -> tuple[float, list[str]]:
    """(share counted yes, what failed) for one image."""
    verdicts = counted_yes(questions, answers)
    failed = []
    for q in questions:
        if verdicts[q.id]:
            continue
        if q.id not in answers:
            failed.append(f"not answered: {q.question}")
        elif not answers[q.id]:
            failed.append(f"no: {q.question}")
        else:
            failed.append(f"yes, but a question it depends on is not: {q.question}")
    return sum(verdicts.values()) / len(questions), failed


def questions_for(ctx: ScoreContext, model: str) -> list[Question] | JudgeFailure:
    """The prompt's questions from the suite's questions file, asked of the judge (and saved) when absent."""
    assert ctx.env.suite_dir is not None
    path = questions_path(ctx.env.suite_dir, ctx.record.suite)
    prompt = ctx.step.prompt
    key = prompt_hash(prompt)
    with lock_for(path):
        entries = load(path)
        if key in entries:
            return entries[key].questions
        made = ask(ctx, model, [render_questions_prompt(prompt)], QuestionSet, QUESTIONS_PROMPT_VERSION)
        if isinstance(made, JudgeFailure):
            return made
        entries[key] = Entry(
            prompt=prompt,
            generated_by={"model": model, "prompt_version": QUESTIONS_PROMPT_VERSION},
            questions=made.questions,
        )
        save(path, ctx.record.suite, entries)
        return made.questions


@scorer("alignment", AlignmentParams)
def score_alignment(ctx: ScoreContext, p: AlignmentParams) -> list[Score]:
    """Question-based prompt alignment (DSG): share of the prompt's atomic questions the image answers yes."""
    model = p.model or ctx.env.judge_model
    if ctx.env.client is None:
        return [ctx.skip("alignment skipped: no Gemini client (run with a transport, or replay a cassette)")]
    if ctx.env.suite_dir is None:
        return [ctx.skip("alignment skipped: the suite's folder (for its questions file) is not known")]
    questions = questions_for(ctx, model)
    if isinstance(questions, JudgeFailure):
        return [_failure(ctx, questions, p.min, "writing the questions")]
    if not questions:
        return [ctx.skip("alignment skipped: the prompt has no questions (see the suite's questions file)")]
    parts = [image_part(ctx.image_path().read_bytes()), render_answer_prompt(questions)]
    answered = ask(ctx, model, parts, AnswerSet, ANSWER_PROMPT_VERSION)
    if isinstance(answered, JudgeFailure):
        return [_failure(ctx, answered, p.min, "answering the questions")]
    answers = {a.id: a.answer == "yes" for a in answered.answers}
    share, failed = alignment_score(questions, answers)
    yes = len(questions) - len(failed)
    which = "; ".join(failed) if failed else "every question answered yes"
    reason = f"alignment {model}: {yes}/{len(questions)} questions yes (min {p.min:.0%}): {which}"
    detail: Detail = {
        "yes": yes,
        "questions": len(questions),
        "model": model,
        "prompt_version": ANSWER_PROMPT_VERSION,
    }
    return [ctx.score(round(share, 4), share >= p.min, reason, threshold=p.min, detail=detail)]


def _failure(ctx: ScoreContext, failure: JudgeFailure, threshold: float, doing: str) -> Score:
    if failure.miss:
        return ctx.score(None, False, f"alignment ({doing}): {failure.reason}", threshold=threshold)
    return ctx.skip(f"alignment ({doing}): {failure.reason}")
