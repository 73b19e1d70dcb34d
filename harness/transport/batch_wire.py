"""What the transport reads about Batch API jobs that the SDK does not give: poll counts, recorded jobs.

Counts: a job's request counts (`metadata.batchStats`), read from the GET body the SDK drops them from.

google-genai 3.6.1 maps name, state, times, model and output of a job (`_BatchJob_from_mldev`), not
`metadata.batchStats`, and `batches.get` sets no `sdk_http_response` (gemini-wire.md section 6). The
transport under the SDK sees every body anyway, in every mode: it notes the counts of each job it sees
polled, and the poller asks the session for them. The SDK stays the client; nothing here sends a request.

On the wire the counts are int64s written as JSON strings, and a zero count is left out (proto3), e.g.
`{"requestCount": "2", "pendingRequestCount": "2"}` while a job waits. A body with no `batchStats` at all
(an old recording) gives None: the counts are unknown, never zero.

Recorded jobs: the jobs a cassette's creates made, with the request keys each holds, so a replayed run
can find the job answering a request by its key even when it groups its requests differently from the
recording (a judge whose questions file was written by the recording run asks one round fewer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

FIELDS = ("requestCount", "successfulRequestCount", "failedRequestCount", "pendingRequestCount")
BATCH_CREATE = re.compile(r"/(?:v1beta|v1)/models/(?P<model>[^/:]+):batchGenerateContent$")
BATCH_GET = re.compile(r"/(?:v1beta|v1)/(?P<name>batches/[^/:]+)$")


@dataclass(frozen=True)
class BatchStats:
    requests: int
    succeeded: int
    failed: int
    pending: int


def polled_job(method: str, url: str) -> str | None:
    """`batches/<id>` when the request is a `batches.get` of that job, else None."""
    if method.upper() != "GET":
        return None
    found = BATCH_GET.search(urlsplit(url).path)
    return found["name"] if found else None


def stats_of(body: bytes) -> BatchStats | None:
    """The counts a job's body carries, or None when it carries none (or is not a job's JSON)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    raw = meta.get("batchStats") if isinstance(meta, dict) else None
    if not isinstance(raw, dict):
        return None
    try:
        count = [int(raw.get(k, 0)) for k in FIELDS]
    except (TypeError, ValueError):
        return None
    return BatchStats(*count)


@dataclass(frozen=True)
class RecordedJob:
    name: str
    model: str
    display_name: str | None
    keys: tuple[str, ...]  # each inlined request's `metadata.key`, in request order


def recorded_job(request: dict[str, Any], response: dict[str, Any]) -> RecordedJob | None:
    """The job a recorded create made (its canonical request and stored response), or None when the
    interaction is no successful inlined create (a file's keys are inside the uploaded file)."""
    found = BATCH_CREATE.search(str(request.get("path", "")))
    body = response.get("json")
    if found is None or response.get("status") != 200 or not isinstance(body, dict) or "name" not in body:
        return None
    batch = (request.get("body") or {}).get("batch") or {}
    inlined = ((batch.get("inputConfig") or {}).get("requests") or {}).get("requests") or []
    keys = tuple(str(k) for r in inlined if (k := ((r or {}).get("metadata") or {}).get("key")) is not None)
    return RecordedJob(str(body["name"]), found["model"], batch.get("displayName"), keys)
