"""What never reaches a cassette: credentials, upload capability tokens, volatile or encoding headers.

Request headers are not stored at all (they do not take part in matching). Response headers are kept
only when they matter to the SDK or the reader. As a last guard, any credential value the transport saw
on the wire is scrubbed from the cassette text before it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

REDACTED = "{REDACTED}"
SECRET_HEADERS = ("x-goog-api-key", "authorization", "x-goog-user-project", "proxy-authorization")
# Dropped: the body is stored decoded (gzip pitfall), and these vary per call or carry ids/cookies.
DROP_HEADERS = frozenset(
    {
        "content-encoding",
        "content-length",
        "transfer-encoding",
        "date",
        "server-timing",
        "alt-svc",
        "server",
        "expires",
        "cache-control",
        "set-cookie",
        "connection",
        "keep-alive",
        "vary",
        "x-xss-protection",
        "x-frame-options",
        "x-content-type-options",
    }
)
KEEP_GOOG = frozenset(
    {
        "x-goog-upload-status",
        "x-goog-upload-url",
        "x-goog-upload-control-url",
        "x-goog-upload-chunk-granularity",
    }
)
_TOKEN_QUERY = re.compile(r"((?:upload_id|key|access_token)=)[^&#\s]+", re.I)


def redact_url(url: str) -> str:
    return _TOKEN_QUERY.sub(lambda m: m.group(1) + REDACTED, url)


def keep_response_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in DROP_HEADERS or name in SECRET_HEADERS:
            continue
        if name.startswith("x-goog-") and name not in KEEP_GOOG:
            continue
        value = redact_url(value) if name.startswith("x-goog-upload") else value
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


def secrets_in(headers: Mapping[str, str]) -> set[str]:
    """Credential values present on a request (e.g. the API key), remembered to scrub output later."""
    found = set()
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            found.add(value)
            if " " in value:  # "Bearer <token>": the token alone too
                found.add(value.split(" ", 1)[1])
    return {s for s in found if len(s) >= 6}


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
