"""A Batch API job's request counts (`metadata.batchStats`), read from the GET body the SDK drops them from.

google-genai 3.6.1 maps name, state, times, model and output of a job (`_BatchJob_from_mldev`), not
`metadata.batchStats`, and `batches.get` sets no `sdk_http_response` (gemini-wire.md section 6). The
transport under the SDK sees every body anyway, in every mode: it notes the counts of each job it sees
polled, and the poller asks the session for them. The SDK stays the client; nothing here sends a request.

On the wire the counts are int64s written as JSON strings, and a zero count is left out (proto3), e.g.
`{"requestCount": "2", "pendingRequestCount": "2"}` while a job waits. A body with no `batchStats` at all
(an old recording) gives None: the counts are unknown, never zero.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

FIELDS = ("requestCount", "successfulRequestCount", "failedRequestCount", "pendingRequestCount")
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
