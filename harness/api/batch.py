"""A batch run: trials grouped into Batch API jobs, answers classified, scored and stored like any run.

Trials are grouped by suite (one client each) and model; a chain runs one batch round per step (step k
of every chain in one job), carrying its conversation as the interactive chat would. Every job's name
goes into the manifest the moment it is created; a resumed run passes those refs back in `attach` and
polls them instead of creating a job twice. Trials are stored once their last round is read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from google import genai
from google.genai import types

from harness.api.batch_judge import score_batch_judged
from harness.context import RequestContext, current_request
from harness.plan import StepPlan, TrialPlan
from harness.record import BatchJobRef, Manifest, StepRecord, TrialError, TrialRecord
from harness.runner import batch as stage
from harness.runner.execute import not_run, step_from_error, step_from_response, trial_record
from harness.runner.outcome import error_of
from harness.runner.progress import Progress
from harness.runner.run import Target, score_record
from harness.store import Run, RunWriter, utc_now

StatusCallback = Callable[[stage.BatchStatus], None]


@dataclass
class _Trial:
    plan: TrialPlan
    target: Target
    started_at: str
    steps: list[StepRecord] = field(default_factory=list)
    history: list[types.Content] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return all(s.outcome == "ok" for s in self.steps)


@dataclass
class _Job:
    ref: BatchJobRef
    target: Target
    trials: list[_Trial]
    sent: dict[str, types.Content]  # the user turn each trial sent, for its chain's history
    submitted: float


def find_job(
    jobs: Sequence[BatchJobRef], suite: str, model: str, step: int, trials: list[str]
) -> BatchJobRef | None:
    """The generation job an earlier attempt created holding every one of these requests (it may hold
    more: trials stored before a crash are not asked again, and their answers are ignored)."""
    wanted = set(trials)
    return next(
        (
            j
            for j in jobs
            if j.kind == "generate"
            and (j.suite, j.model, j.step) == (suite, model, step)
            and wanted <= set(j.trials)
        ),
        None,
    )


def display_name(suite: str, model: str, step: int) -> str:
    """Deterministic (no clock, no run id), so a recorded create matches its replay."""
    return f"harness-{suite}-{model}-step{step}"[:128]


async def run_batch(
    work: Sequence[tuple[TrialPlan, Target]],
    writer: RunWriter,
    *,
    attach: Sequence[BatchJobRef] = (),
    options: stage.BatchOptions | None = None,
    progress: Progress | None = None,
    on_status: StatusCallback | None = None,
    finished: list[TrialRecord] | None = None,
    keep: set[str] | None = None,
    batch_judge: Collection[str] = (),
) -> list[TrialRecord]:
    """Run every trial through Batch API jobs; records come back in plan order. With `keep`, only those
    trials are scored and stored (the others only fill a replayed job as it was recorded). The judge and
    analysis calls of the suites named in `batch_judge` go through Batch API jobs too (batch_judge.py)."""
    options = options or stage.BatchOptions()
    manifest = writer.manifest
    manifest.batch = True
    trials = [_Trial(plan, target, utc_now()) for plan, target in work]
    groups: dict[tuple[int, str], list[_Trial]] = {}
    for trial in trials:
        groups.setdefault((id(trial.target), trial.plan.model), []).append(trial)
    rounds = max((len(t.plan.steps) for t in trials), default=0)
    for k in range(rounds):
        jobs = []
        for (_, model), members in groups.items():
            todo = [t for t in members if len(t.plan.steps) > k and t.alive]
            job = await asyncio.to_thread(
                _start, todo, model, k, manifest, writer, attach, options.inline_limit
            )
            if job is not None:
                jobs.append(job)
        for job in jobs:
            await asyncio.to_thread(_finish, job, k, manifest, writer, options.poll, on_status)
    done = finished if finished is not None else []
    kept = [(_record(t), t.target) for t in trials if keep is None or t.plan.trial_id in keep]
    judged = [(r, t) for r, t in kept if r.suite in batch_judge]
    if judged:
        await score_batch_judged(judged, writer, attach=attach, options=options, on_status=on_status)
    records = []
    for record, target in kept:
        if record.suite not in batch_judge:
            await score_record(record, target.env)
        writer.append(record)
        done.append(record)
        records.append(record)
        if progress is not None:
            progress.advance(record)
    return records


def _start(
    todo: list[_Trial],
    model: str,
    k: int,
    manifest: Manifest,
    writer: RunWriter,
    attach: Sequence[BatchJobRef],
    inline_limit: int,
) -> _Job | None:
    """Build the round's requests, then re-attach to the job made for them or create it (and record it)."""
    requests: list[types.InlinedRequest] = []
    sent: dict[str, types.Content] = {}
    members: list[_Trial] = []
    for trial in todo:
        step = trial.plan.steps[k]
        try:
            request = stage.batch_request(trial.plan.trial_id, step, trial.history)
        except Exception as exc:  # an input image that cannot be read: this trial's error, not the job's
            trial.steps.append(step_from_error(trial.plan, step, error_of(exc), attempts=0))
            continue
        requests.append(request)
        contents = request.contents
        assert isinstance(contents, list) and isinstance(
            contents[-1], types.Content
        )  # as batch_request builds
        sent[trial.plan.trial_id] = contents[-1]
        members.append(trial)
    if not members:
        return None
    target, suite = members[0].target, members[0].plan.suite
    ids = [t.plan.trial_id for t in members]
    submitted = time.monotonic()
    ref = find_job(attach, suite, model, k, ids)
    if ref is None:
        token = current_request.set(_context(suite, model, k))
        try:
            submission = stage.submit(
                target.client, model, requests, display_name(suite, model, k), inline_limit
            )
        except Exception as exc:  # the job could not be created: every request of it errs with the reason
            error = error_of(exc)
            for trial in members:
                trial.steps.append(step_from_error(trial.plan, trial.plan.steps[k], error))
            return None
        finally:
            current_request.reset(token)
        ref = BatchJobRef(
            name=submission.name,
            suite=suite,
            model=model,
            step=k,
            trials=ids,
            source=submission.source,  # type: ignore[arg-type]
            input_file=submission.input_file,
            created_at=utc_now(),
        )
    if ref not in manifest.batch_jobs:
        manifest.batch_jobs.append(ref)
        writer.write_manifest()  # before any poll: a run killed while waiting knows its jobs
    return _Job(ref, target, members, sent, submitted)


def _finish(
    job: _Job,
    k: int,
    manifest: Manifest,
    writer: RunWriter,
    poll: stage.PollPolicy,
    on_status: StatusCallback | None,
) -> None:
    """Wait for the job, read its results and give each trial its step k."""
    ref, client = job.ref, job.target.client
    token = current_request.set(_context(ref.suite, ref.model, k))
    try:
        done = stage.wait(
            client,
            ref.name,
            _sync_sleep(job.target),
            requests=len(ref.trials),
            policy=poll,
            on_status=on_status,
            stats=job.target.session.batch_stats if job.target.session is not None else None,
        )
        outcome = stage.read_results(client, done)
    except Exception as exc:
        outcome = stage.JobOutcome("UNKNOWN", error=error_of(exc))
    finally:
        current_request.reset(token)
    ref.state = outcome.state
    writer.write_manifest()
    latency = round(time.monotonic() - job.submitted, 4)
    failed = 0
    for trial in job.trials:
        step = trial.plan.steps[k]
        record = _step(trial, step, outcome, writer, latency)
        failed += record.outcome == "error"
        trial.steps.append(record)
        result = outcome.results.get(trial.plan.trial_id)
        if record.outcome == "ok" and result is not None and result.response is not None:
            candidates = result.response.candidates or []
            if candidates and candidates[0].content is not None:
                trial.history += [job.sent[trial.plan.trial_id], candidates[0].content]
    if on_status is not None:
        on_status(
            stage.BatchStatus(
                ref.name, outcome.state, 0, latency, len(job.trials), len(job.trials) - failed, failed
            )
        )


def _step(
    trial: _Trial, step: StepPlan, outcome: stage.JobOutcome, writer: RunWriter, latency: float
) -> StepRecord:
    plan = trial.plan
    if outcome.error is not None:
        return step_from_error(plan, step, outcome.error)
    result = outcome.results.get(plan.trial_id)
    if result is None:
        message = f"the batch job returned no answer for request key {plan.trial_id!r}"
        return step_from_error(plan, step, TrialError(status="MISSING_RESPONSE", message=message))
    if result.error is not None:
        return step_from_error(plan, step, result.error)
    assert result.response is not None
    record = step_from_response(
        plan, step, result.response, writer, attempts=1, latency_s=latency, tier="batch"
    )
    return record


def _record(trial: _Trial) -> TrialRecord:
    """The steps a chain never reached are NOT_RUN, as in an interactive run."""
    steps = list(trial.steps)
    for step in trial.plan.steps[len(steps) :]:
        stopper = next(s for s in steps if s.outcome != "ok")
        steps.append(not_run(trial.plan, step, stopper))
    return trial_record(trial.plan, steps, trial.started_at)


def _context(suite: str, model: str, step: int) -> RequestContext:
    """Batch traffic is tagged by job (suite, model, step), not by trial: one request serves many."""
    return RequestContext(suite, f"batch:{model}", "", 0, step, purpose="batch")


def _sync_sleep(target: Target) -> Callable[[float], None]:
    """The session's sleep (skipped when replaying); a real sleep when there is no session."""
    session = target.session
    return session.sleep if session is not None else time.sleep


@dataclass
class JobStatus:
    """A job of a run as the API reports it now (`state` None with `error` when it could not be read)."""

    ref: BatchJobRef
    state: str | None
    error: str | None = None


def run_jobs(run_dir: Path) -> list[BatchJobRef]:
    """The batch jobs a run created, from its manifest (no network)."""
    return list(Run.load(run_dir).manifest.batch_jobs)


def reattachable(manifest: Manifest) -> list[BatchJobRef]:
    """The jobs a resumed run polls instead of creating again: every job the manifest names (one that
    already ended is read again, never re-sent)."""
    return list(manifest.batch_jobs)


def job_states(run_dir: Path, client: genai.Client) -> list[JobStatus]:
    """Ask the API for each job's state now (batches.get), one job's failure never hiding the others."""
    out = []
    for ref in run_jobs(run_dir):
        try:
            out.append(JobStatus(ref, stage.state_of(client.batches.get(name=ref.name))))
        except Exception as exc:
            out.append(JobStatus(ref, None, error_of(exc).message))
    return out


def cancel_jobs(run_dir: Path, client: genai.Client) -> list[JobStatus]:
    """Cancel every job of the run that has not ended; the others are reported as they are."""
    out = []
    for status in job_states(run_dir, client):
        if status.state is None or status.state in stage.TERMINAL_STATES:
            out.append(status)
            continue
        try:
            client.batches.cancel(name=status.ref.name)
            out.append(JobStatus(status.ref, stage.state_of(client.batches.get(name=status.ref.name))))
        except Exception as exc:
            out.append(JobStatus(status.ref, status.state, error_of(exc).message))
    return out
