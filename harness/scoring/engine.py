"""Run every `expect:` entry of a trial's steps (score_trial) and the cross-trial ones (score_groups)."""

from __future__ import annotations

import contextvars
import json
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.record import Score, TrialRecord
from harness.scoring.cache import ScoreCache
from harness.scoring.context import ScoreContext, ScoringEnv
from harness.scoring.group_scorers import GroupContext
from harness.scoring.registry import Expectation, Scorer, parse_expect


def _spec_name(spec: Any) -> str:
    if isinstance(spec, dict):
        keys = [k for k in spec if k != "weight"]
        if keys:
            return str(keys[0])
    return "expect"


def _missing_output(ctx: ScoreContext, needs: str) -> str | None:
    """Why a scorer cannot look at this step's output, or None when it can."""
    step = ctx.step
    if needs == "none":
        return None
    if step.outcome != "ok":
        what = "text" if needs == "text" else "image" if needs == "image" else "output"
        return f"no {what} (outcome {step.outcome})"
    if needs == "image" and not step.images:
        return "no image in the response"
    if needs == "text" and not (step.text or "").strip():
        return "no text in the response"
    if needs == "output" and not step.images and not (step.text or "").strip():
        return "no image or text in the response"
    return None


def compute(scorer: Scorer, params: Any, ctx: ScoreContext) -> list[Score]:
    """The scorer's scores for this step; a broken image or scorer fails this score, named, instead of
    the whole run. The score pool's workers call this too, so a score is the same wherever it runs."""
    try:
        return scorer.fn(ctx, params)
    except Exception as exc:
        return [ctx.score(None, False, f"could not score: {type(exc).__name__}: {exc}")]


def _expectation(spec: Any, env: ScoringEnv) -> tuple[Expectation, dict[str, Any]]:
    """parse_expect(spec) and its parameters as the score cache keys them, once per distinct spec (by its
    repr) in the run: every step of a suite repeats the same few. A bad spec raises ValueError each time."""
    text = repr(spec)
    found = env.expectations.get(text)
    if found is None:
        exp = parse_expect(spec)
        found = env.expectations[text] = (exp, exp.params.model_dump(mode="json"))
    return found


def _cache_key(exp: Expectation, params: dict[str, Any], ctx: ScoreContext) -> str | None:
    """The score cache's key for this scorer on this step, or None when its scores are not cacheable."""
    cached = exp.scorer.cached
    if cached is None or not ctx.step.images:
        return None
    if cached == "previous":
        other: str | None = ctx.previous_digest()
    elif cached == "reference":
        other = exp.params.reference_digest(ctx)  # type: ignore[attr-defined]
    else:
        other = None
    return ScoreCache.key(exp.scorer.name, exp.scorer.version, params, ctx.step.images[0].sha256, other)


def score_trial(record: TrialRecord, env: ScoringEnv) -> list[Score]:
    """Score each step's expectations (record.steps[i].expect); group scorers are left to score_groups.

    With `env.pool` (a ScoringPool), the pixel scorers the score cache does not know run in one of its
    worker processes, the rest here meanwhile; the scores come back in expectation order either way."""
    slots: list[tuple[int, float, list[Score]]] = []  # (step, weight, scores) per expectation
    fresh: list[tuple[str, list[Score]]] = []  # (cache key, scores) measured here, for the score cache
    pending: list[tuple[int, Expectation, str | None]] = []  # (slot, expectation, cache key) for the pool
    for i, step in enumerate(record.steps):
        for spec in step.expect:
            try:
                exp, params = _expectation(spec, env)
            except ValueError as exc:
                bad = Score(
                    name=_spec_name(spec),
                    value=None,
                    passed=False,
                    reason=f"bad expectation: {exc}",
                    kind="step",
                )
                slots.append((i, 1.0, [bad]))
                continue
            if exp.scorer.kind != "step":
                continue
            ctx = ScoreContext(record, i, env, scorer=exp.scorer.name)
            known, key = _known(exp, params, ctx)
            if known is None and env.pool is not None and env.pool.takes(exp, env):
                pending.append((len(slots), exp, key))
                known = []
            elif known is None:
                known = compute(exp.scorer, exp.params, ctx)
                if key is not None:
                    fresh.append((key, known))
            slots.append((i, exp.weight, known))
    if pending and env.pool is not None:
        steps = [(slots[n][0], exp) for n, exp, _ in pending]
        answers = env.pool.score(record, env, steps)
        for (n, _, key), scores in zip(pending, answers, strict=True):
            if key is not None:
                fresh.append((key, scores))
            slots[n] = (slots[n][0], slots[n][1], scores)
    if env.score_cache is not None:
        env.score_cache.put_many(fresh)
    out: list[Score] = []
    for i, weight, scores in slots:
        for s in scores:
            s.step, s.weight, s.kind = i, weight, "step"
            out.append(s)
    return out


def _known(
    exp: Expectation, params: dict[str, Any], ctx: ScoreContext
) -> tuple[list[Score] | None, str | None]:
    """(scores already known without running the scorer, or None; the score cache key, or None)."""
    missing = _missing_output(ctx, getattr(exp.params, "needs", exp.scorer.needs))
    if missing:
        return [ctx.score(None, False, missing)], None
    key = _cache_key(exp, params, ctx)
    cache = ctx.env.score_cache
    if key is not None and cache is not None:
        return cache.get(key), key
    return None, key


def score_trials(records: Sequence[TrialRecord], env: ScoringEnv) -> list[list[Score]]:
    """score_trial of each record, in order. From the first trial `env.pool` is given, several trials are
    scored at once (two jobs queued per worker, so no worker waits for the next trial); until then, and
    without a pool, one after another: trials answered from the score cache are pure Python, and threads
    would only take turns at the GIL (an unchanged re-score of 1,000 trials took 0.8-1.5 s in threads,
    0.5 s in one)."""
    pool = env.pool
    given = pool.jobs if pool is not None else 0
    scored: list[list[Score]] = []
    while len(scored) < len(records) and (pool is None or pool.jobs == given):
        scored.append(score_trial(records[len(scored)], env))
    if pool is None or len(scored) == len(records):
        return scored
    with ThreadPoolExecutor(2 * pool.workers) as threads:  # each thread with the caller's context
        rest = records[len(scored) :]
        jobs = [threads.submit(contextvars.copy_context().run, score_trial, r, env) for r in rest]
        return scored + [job.result() for job in jobs]


def awaits_group_scores(record: TrialRecord) -> bool:
    """Whether the trial has a cross-trial expectation (e.g. `consistent`), scored only once every trial of
    its set has finished: until then its verdict is provisional."""
    for step in record.steps:
        for spec in step.expect:
            try:
                if parse_expect(spec).scorer.kind == "group":
                    return True
            except ValueError:
                continue
    return False


def _set_key(record: TrialRecord, over: str) -> tuple[str, ...] | None:
    if over == "group":
        return None if record.group is None else ("group", record.suite, record.group, record.variant)
    return ("repeats", record.suite, record.case, record.variant)


def score_groups(records: list[TrialRecord], env: ScoringEnv) -> dict[str, list[Score]]:
    """Scores of cross-trial expectations (e.g. `consistent`), keyed by trial_id, for the caller to add to
    each record's scores (then decide_passed again)."""
    sets: dict[tuple[Any, ...], list[tuple[ScoreContext, Expectation]]] = defaultdict(list)
    out: dict[str, list[Score]] = defaultdict(list)
    for record in records:
        for i, step in enumerate(record.steps):
            for spec in step.expect:
                try:
                    exp = parse_expect(spec)
                except ValueError:
                    continue  # score_trial already reported it
                if exp.scorer.kind != "group":
                    continue
                ctx = ScoreContext(record, i, env, scorer=exp.scorer.name)
                over = getattr(exp.params, "over", "repeats")
                key = _set_key(record, over)
                if key is None:
                    s = ctx.score(None, False, f"{exp.scorer.name} over group, but the case has no `group:`")
                else:
                    missing = _missing_output(ctx, exp.scorer.needs)
                    if not missing:
                        sets[
                            (*key, i, exp.scorer.name, json.dumps(exp.params.model_dump(), sort_keys=True))
                        ].append((ctx, exp))
                        continue
                    s = ctx.score(None, False, missing)
                s.step, s.weight, s.kind = i, exp.weight, "group"
                out[record.trial_id].append(s)
    for key, members in sets.items():
        exp = members[0][1]
        label = f"{key[0]} of {key[2]}[{key[3]}]" if key[0] == "repeats" else f"group {key[2]}[{key[3]}]"
        try:
            result = exp.scorer.fn(GroupContext([m for m, _ in members], env, label), exp.params)
        except Exception as exc:
            result = {
                m.record.trial_id: [m.score(None, False, f"could not score: {type(exc).__name__}: {exc}")]
                for m, _ in members
            }
        for ctx, e in members:
            for s in result.get(ctx.record.trial_id, []):
                s.step, s.weight, s.kind = ctx.step_index, e.weight, "group"
                out[ctx.record.trial_id].append(s)
    return dict(out)
