"""The batch executor: one step of many trials as ONE Batch API job, through the SDK.

Requests are keyed by trial id (`metadata.key` inlined, `key` in a JSONL file), so every response finds
its trial whatever order the job returns them in. A job goes inline while its requests stay under the
inline limit, otherwise as a JSONL file uploaded with `client.files.upload`. Waiting polls with backoff
through the transport session's sleep, which replay skips, so a replayed batch is instant.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from google import genai
from google.genai import _common as sdk_common
from google.genai import batches as sdk_batches
from google.genai import types

from harness.errors import HarnessError
from harness.plan import StepPlan
from harness.record import TrialError
from harness.runner.request import build_config, build_parts
from harness.transport.batch_wire import BatchStats

INLINE_LIMIT_BYTES = 20 * 1024 * 1024  # ai.google.dev/gemini-api/docs/batch-mode: inline requests < 20 MB
TERMINAL_STATES = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
)


@dataclass(frozen=True)
class PollPolicy:
    """Seconds between polls: `first`, growing by `factor` to at most `ceiling`."""

    first: float = 2.0
    factor: float = 1.5
    ceiling: float = 60.0

    def delays(self) -> Any:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.ceiling)


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run waits and when its requests go as a file instead of inline."""

    poll: PollPolicy = field(default_factory=PollPolicy)
    inline_limit: int = INLINE_LIMIT_BYTES


@dataclass
class BatchStatus:
    """What the progress display shows while a job runs. The counts are what the job's last poll said
    (`metadata.batchStats`, read by the transport), then what its results held; None when not known (a
    recording without batchStats), never shown as 0. `polls` 0 marks the status after the results."""

    name: str
    state: str
    polls: int
    elapsed_s: float
    requests: int
    done: int | None = None
    failed: int | None = None
    pending: int | None = None
    kind: str = "generate"  # or "judge": a job of judge and analysis requests (--batch-judge)


@dataclass
class Submission:
    """A created job: its name (written to the manifest at once), how its input went, and its keys."""

    name: str
    keys: list[str]
    source: str  # "inline" or "file"
    input_file: str | None = None


@dataclass
class BatchResult:
    """One request's answer: a response, or the per-request error the job reported for it."""

    response: types.GenerateContentResponse | None = None
    error: TrialError | None = None


@dataclass
class JobOutcome:
    state: str
    results: dict[str, BatchResult] = field(default_factory=dict)
    error: TrialError | None = None  # the job's own failure (FAILED, EXPIRED, CANCELLED)


def batch_config(step: StepPlan) -> types.GenerateContentConfig:
    """The interactive request's config, minus what belongs to one HTTP call (timeout, AFC switch)."""
    return build_config(step.config).model_copy(
        update={"http_options": None, "automatic_function_calling": None}
    )


def batch_request(key: str, step: StepPlan, history: Sequence[types.Content] = ()) -> types.InlinedRequest:
    """Step `step` as one request; `history` is the conversation so far, as a chat would send it (the
    model's Contents verbatim, thought signatures included)."""
    turn = types.Content(role="user", parts=build_parts(step))
    return types.InlinedRequest(contents=[*history, turn], config=batch_config(step), metadata={"key": key})


def wire_request(client: genai.Client, request: types.InlinedRequest) -> dict[str, Any]:
    """The request as the SDK puts it on the wire for an inlined job (the SDK's own converter), so a
    JSONL file line carries exactly what the inlined form would."""
    converted = sdk_batches._InlinedRequest_to_mldev(client._api_client, request)
    plain = sdk_common.encode_unserializable_types(sdk_common.convert_to_dict(converted["request"]))
    return json.loads(json.dumps(plain))


def jsonl_lines(client: genai.Client, requests: Sequence[types.InlinedRequest]) -> bytes:
    lines = []
    for request in requests:
        key = (request.metadata or {})["key"]
        line = {"key": key, "request": wire_request(client, request)}
        lines.append(json.dumps(line, separators=(",", ":")) + "\n")
    return "".join(lines).encode()


def submit(
    client: genai.Client,
    model: str,
    requests: Sequence[types.InlinedRequest],
    display_name: str,
    inline_limit: int = INLINE_LIMIT_BYTES,
) -> Submission:
    """Create the job: inlined under the limit, else a JSONL file uploaded first."""
    keys = [(r.metadata or {})["key"] for r in requests]
    body = jsonl_lines(client, requests)
    config = types.CreateBatchJobConfig(display_name=display_name)
    if len(body) < inline_limit:
        job = client.batches.create(model=model, src=list(requests), config=config)
        return Submission(_name(job), keys, "inline")
    uploaded = client.files.upload(
        file=io.BytesIO(body),
        config=types.UploadFileConfig(mime_type="application/jsonl", display_name=display_name),
    )
    if not uploaded.name:
        raise HarnessError(f"the Files API accepted {display_name}.jsonl but returned no file name")
    job = client.batches.create(model=model, src=uploaded.name, config=config)
    return Submission(_name(job), keys, "file", uploaded.name)


def _name(job: types.BatchJob) -> str:
    if not job.name:
        raise HarnessError("the Batch API created a job but returned no name")
    return job.name


def state_of(job: types.BatchJob) -> str:
    return str(getattr(job.state, "value", job.state) or "JOB_STATE_UNSPECIFIED")


def wait(
    client: genai.Client,
    name: str,
    sleep: Callable[[float], None],
    *,
    requests: int = 0,
    policy: PollPolicy | None = None,
    on_status: Callable[[BatchStatus], None] | None = None,
    stats: Callable[[str], BatchStats | None] | None = None,
    kind: str = "generate",
) -> types.BatchJob:
    """Poll until the job ends. `sleep` is the session's: real when calling out, skipped in replay.
    `stats` gives the counts the transport saw in the job's last poll (the SDK does not map them)."""
    started = time.monotonic()
    delays = (policy or PollPolicy()).delays()
    polls = 0
    while True:
        job = client.batches.get(name=name)
        polls += 1
        state = state_of(job)
        if on_status is not None:
            counts = stats(name) if stats is not None else None
            status = BatchStatus(name, state, polls, time.monotonic() - started, requests, kind=kind)
            if counts is not None:
                status.requests = counts.requests
                status.done, status.failed, status.pending = counts.succeeded, counts.failed, counts.pending
            on_status(status)
        if state in TERMINAL_STATES:
            return job
        sleep(next(delays))


def read_results(client: genai.Client, job: types.BatchJob) -> JobOutcome:
    """Every answered request by its key; a job that did not succeed carries its error instead."""
    state = state_of(job)
    if state != "JOB_STATE_SUCCEEDED":
        error = job.error
        message = (error.message if error else None) or f"the batch job ended {state}"
        code = error.code if error else None
        return JobOutcome(state, error=TrialError(code=code, status=state, message=message))
    dest = job.dest
    if dest is not None and dest.inlined_responses is not None:
        items = dest.inlined_responses
    elif dest is not None and dest.file_name:
        data = client.files.download(file=dest.file_name)
        items = [_line_response(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    else:
        items = []
    results: dict[str, BatchResult] = {}
    for item in items:
        key = (item.metadata or {}).get("key")
        if key is None:
            continue
        if item.error is not None:
            code = item.error.code
            results[key] = BatchResult(
                error=TrialError(code=code, status=_status(code), message=item.error.message or "")
            )
        else:
            results[key] = BatchResult(response=item.response)
    return JobOutcome(state, results)


def _line_response(line: str) -> types.InlinedResponse:
    """An output-file line, `{"key", "response" | "error"}`, as the SDK type an inlined job returns."""
    raw = json.loads(line)
    item = types.InlinedResponse.model_validate_json(
        json.dumps({k: raw[k] for k in ("response", "error") if k in raw})
    )
    item.metadata = {"key": raw.get("key", "")}
    return item


_HTTP_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _status(code: int | None) -> str | None:
    """The status name an interactive call with that code would carry, so the two classify alike."""
    return _HTTP_STATUS.get(code) if code is not None else None
