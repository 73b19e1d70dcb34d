"""`--batch-judge`: a batch run's judge and analysis calls sent as Batch API jobs too, at the batch tier.

The scorers are not changed: during scoring each suite's `env.client` is a BatchJudgeClient. A round
scores the trials; every judge request without an answer yet is collected (its scorer reports it as
waiting), the collected requests go out as one job per (suite, judge model), and the trials that waited
are scored again with the answers. A scorer whose second request needs the first's answer (alignment:
questions, then answers) takes one round more. Each job's name goes into the manifest the moment it is
created (kind "judge", step = round); a resumed run finds each request's key in the jobs it names and
polls those instead of sending the request again. A replay looks each request up in the jobs its
cassette's creates made, so a run grouping its requests otherwise than the recording (a questions file
the recording wrote, a selection) still replays; a job is read once per run, whichever rounds use it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.genai import types

from harness.context import RequestContext, current_request
from harness.record import BatchJobRef, Manifest, TrialError, TrialRecord
from harness.runner import batch as stage
from harness.runner.judging import BatchJudgeClient, JudgeAnswer
from harness.runner.outcome import error_of
from harness.runner.run import Target, score_record
from harness.store import RunWriter, utc_now

MAX_ROUNDS = 4  # a judge needing more dependent requests than this is reported as still waiting
StatusCallback = Callable[[stage.BatchStatus], None]


@dataclass
class _JudgeJob:
    ref: BatchJobRef
    target: Target
    judge: BatchJudgeClient
    keys: list[str]  # the requests of this round the job answers (an attached job may hold more)


def _prefix(suite: str) -> str:
    return f"harness-{suite}-judge-"


def display_name(suite: str, model: str, round_: int) -> str:
    """Deterministic (no clock, no run id), so a recorded create matches its replay."""
    return f"{_prefix(suite)}{model}-round{round_}"[:128]


async def score_batch_judged(
    items: Sequence[tuple[TrialRecord, Target]],
    writer: RunWriter,
    *,
    attach: Sequence[BatchJobRef] = (),
    options: stage.BatchOptions | None = None,
    on_status: StatusCallback | None = None,
) -> None:
    """Score every record, its judge and analysis requests answered through Batch API jobs."""
    options = options or stage.BatchOptions()
    manifest = writer.manifest
    manifest.batch_judge = True
    writer.write_manifest()  # a resumed run batches its judge calls too
    targets = {id(t): t for _, t in items if t.env is not None}
    suites = {id(t): r.suite for r, t in items}
    attach = [*attach, *(ref for key, t in targets.items() for ref in _recorded(t, suites[key]))]
    read: dict[str, stage.JobOutcome] = {}
    judges = {key: BatchJudgeClient(t.client) for key, t in targets.items()}
    clients = {key: t.env.client for key, t in targets.items()}
    for key, target in targets.items():
        target.env.client = judges[key]
    try:
        todo = [(r, t) for r, t in items if t.env is not None]
        for round_ in range(MAX_ROUNDS + 1):
            for record, target in todo:
                await score_record(record, target.env)
            if round_ == MAX_ROUNDS:
                break
            waiting: set[tuple[str, str, str, int]] = set()
            jobs: list[_JudgeJob] = []
            for key, target in targets.items():
                asked, waited = judges[key].take_pending()
                waiting |= waited
                for model, requests in asked.items():
                    jobs += await asyncio.to_thread(
                        _start, target, suites[key], judges[key], model, requests, round_, manifest,
                        writer, attach, options.inline_limit,
                    )  # fmt: skip
            if not jobs and not waiting:
                break
            for job in jobs:
                await asyncio.to_thread(_finish, job, round_, writer, options.poll, on_status, read)
            todo = [(r, t) for r, t in todo if (r.suite, r.case, r.variant, r.repeat) in waiting]
            if not todo:
                break
    finally:
        for key, target in targets.items():
            target.env.client = clients[key]


def _start(
    target: Target,
    suite: str,
    judge: BatchJudgeClient,
    model: str,
    requests: list[tuple[str, types.InlinedRequest]],
    round_: int,
    manifest: Manifest,
    writer: RunWriter,
    attach: Sequence[BatchJobRef],
    inline_limit: int,
) -> list[_JudgeJob]:
    """The jobs answering this round's requests to `model`: those an earlier attempt created holding
    some of them (polled, never re-sent), and one new job for the rest (recorded at once)."""
    known = [
        j
        for j in [*attach, *manifest.batch_jobs]
        if j.kind == "judge" and (j.suite, j.model) == (suite, model)
    ]
    by_job: dict[str, tuple[BatchJobRef, list[str]]] = {}
    fresh = []
    for key, request in requests:
        ref = next((j for j in known if key in j.trials), None)
        if ref is None:
            fresh.append((key, request))
        else:
            by_job.setdefault(ref.name, (ref, []))[1].append(key)
    jobs = [_JudgeJob(ref, target, judge, keys) for ref, keys in by_job.values()]
    for ref, _ in by_job.values():
        if ref not in manifest.batch_jobs:
            manifest.batch_jobs.append(ref)
    if fresh:
        keys = [k for k, _ in fresh]
        token = current_request.set(_context(suite, model, round_))
        try:
            submission = stage.submit(
                target.client,
                model,
                [r for _, r in fresh],
                display_name(suite, model, round_),
                inline_limit,
            )
        except Exception as exc:  # the job could not be created: each of its requests errs with why
            error = error_of(exc)
            for key in keys:  # raised to each scorer as the call itself would (a replay miss stays one)
                judge.answer(key, JudgeAnswer(error=error, exception=exc))
            return jobs
        finally:
            current_request.reset(token)
        ref = BatchJobRef(
            name=submission.name,
            suite=suite,
            model=model,
            step=round_,
            trials=keys,
            source=submission.source,  # type: ignore[arg-type]
            input_file=submission.input_file,
            created_at=utc_now(),
            kind="judge",
        )
        manifest.batch_jobs.append(ref)
        jobs.append(_JudgeJob(ref, target, judge, keys))
    writer.write_manifest()  # before any poll: a run killed while waiting knows its jobs
    return jobs


def _recorded(target: Target, suite: str) -> list[BatchJobRef]:
    """The judge jobs the suite's cassette recorded (replay and auto only), as jobs to look keys up in."""
    session = target.session
    found = session.recorded_batch_jobs() if session is not None else []
    prefix = _prefix(suite)
    out = []
    for job in found:
        if not (job.display_name or "").startswith(prefix):
            continue
        round_ = re.search(r"-round(\d+)$", job.display_name or "")
        out.append(
            BatchJobRef(
                name=job.name,
                suite=suite,
                model=job.model,
                step=int(round_[1]) if round_ else 0,
                trials=list(job.keys),
                created_at="recorded",
                kind="judge",
            )
        )
    return out


def _finish(
    job: _JudgeJob,
    round_: int,
    writer: RunWriter,
    poll: stage.PollPolicy,
    on_status: StatusCallback | None,
    read: dict[str, stage.JobOutcome],
) -> None:
    """Wait for the job and hand each of its requests its answer (or the job's or the request's error).
    A job already read in this run (`read`) is not polled again."""
    ref, client, session = job.ref, job.target.client, job.target.session
    started = time.monotonic()
    if ref.name in read:
        _hand_out(job, read[ref.name], started, on_status)
        return
    token = current_request.set(_context(ref.suite, ref.model, round_))
    try:
        done = stage.wait(
            client,
            ref.name,
            session.sleep if session is not None else time.sleep,
            requests=len(ref.trials),
            policy=poll,
            on_status=on_status,
            stats=session.batch_stats if session is not None else None,
            kind="judge",
        )
        outcome = stage.read_results(client, done)
    except Exception as exc:
        outcome = stage.JobOutcome("UNKNOWN", error=error_of(exc))
    finally:
        current_request.reset(token)
    read[ref.name] = outcome
    ref.state = outcome.state
    writer.write_manifest()
    _hand_out(job, outcome, started, on_status)


def _hand_out(
    job: _JudgeJob, outcome: stage.JobOutcome, started: float, on_status: StatusCallback | None
) -> None:
    ref = job.ref
    failed = 0
    for key in job.keys:
        answer = _answer(key, outcome)
        failed += answer.error is not None
        job.judge.answer(key, answer)
    if on_status is not None:
        elapsed = time.monotonic() - started
        answered = len(job.keys) - failed
        status = stage.BatchStatus(ref.name, outcome.state, 0, elapsed, len(job.keys), answered, failed)
        status.pending, status.kind = 0, "judge"
        on_status(status)


def _answer(key: str, outcome: stage.JobOutcome) -> JudgeAnswer:
    if outcome.error is not None:
        return JudgeAnswer(error=outcome.error)
    result = outcome.results.get(key)
    if result is None:
        message = f"the judge batch job returned no answer for request key {key!r}"
        return JudgeAnswer(error=TrialError(status="MISSING_RESPONSE", message=message))
    return JudgeAnswer(result.response, result.error)


def _context(suite: str, model: str, round_: int) -> RequestContext:
    """Judge batch traffic is tagged by job (suite, judge model, round): one request serves many trials."""
    return RequestContext(suite, f"judge-batch:{model}", "", 0, round_, purpose="judge-batch")
