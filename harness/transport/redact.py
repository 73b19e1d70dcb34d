"""What never reaches a cassette: credentials, upload capability tokens, volatile or encoding headers.

Request headers are not stored at all (they do not take part in matching). Response headers are kept
only when they matter to the SDK or the reader. Any credential value the transport saw on the wire is
scrubbed from response bodies before the SDK gets them (so an echoed key reaches no exception, trial
record or log) and, as a last guard, from the cassette text before it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

REDACTED = "{REDACTED}"
SECRET_HEADERS = ("x-goog-api-key", "authorization", "x-goog-user-project", "proxy-authorization")
# Describe the bytes on the wire; wrong once a body has been decoded (the gzip pitfall).
ENCODING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
# Dropped: the body is stored decoded, and these vary per call or carry ids/cookies.
DROP_HEADERS = ENCODING_HEADERS | frozenset(
    {
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
SECRET_QUERY = frozenset({"key", "access_token"})
# Credentials plus per-upload capability tokens: redacted from stored URLs, never part of a request's key.
TOKEN_QUERY = SECRET_QUERY | {"upload_id"}
_TOKEN_QUERY = re.compile(rf"((?:{'|'.join(sorted(TOKEN_QUERY))})=)[^&#\s]+", re.I)


# Response headers naming where an upload goes: stored redacted, handed back whole while recording.
UPLOAD_URL_HEADERS = frozenset({"x-goog-upload-url", "x-goog-upload-control-url"})


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


def secrets_in(headers: Mapping[str, str], url: str = "") -> set[str]:
    """Credential values present on a request (the API key in a header or a `key=` query parameter, a
    bearer token), remembered so that nothing the transport stores or hands back can contain them."""
    found = {value for name, value in parse_qsl(urlsplit(url).query) if name.lower() in SECRET_QUERY}
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            found.add(value)
            if " " in value:  # "Bearer <token>": the token alone too
                found.add(value.split(" ", 1)[1])
    return {s for s in found if len(s) >= 6}


def _longest_first(secrets: Iterable[str]) -> list[str]:
    """A secret holding another ("Bearer <token>") goes whole, and the result never depends on set order."""
    return sorted(secrets, key=lambda s: (-len(s), s))


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in _longest_first(secrets):
        text = text.replace(secret, REDACTED)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """`scrub` for a response body, e.g. an error message that echoes the key back."""
    for secret in _longest_first(secrets):
        data = data.replace(secret.encode("utf-8"), REDACTED.encode("utf-8"))
    return data
