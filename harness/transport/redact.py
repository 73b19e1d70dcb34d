"""What never reaches a cassette: credentials, upload capability tokens, volatile or encoding headers.

Request headers are not stored at all (they do not take part in matching). Response headers are kept
only when they matter to the SDK or the reader. Any credential value the transport saw on the wire is
scrubbed from response bodies before the SDK gets them (so an echoed key reaches no exception, trial
record or log) and, as a last guard, from the cassette text before it is written.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

REDACTED = "{REDACTED}"
MIN_SECRET = 6  # shorter values (a user called "ci") would be scrubbed out of ordinary text too
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
        "x-guploader-uploadid",  # the resumable upload id again: a capability token
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
SECRET_QUERY = frozenset({"key", "access_token", "token", "api_key", "apikey", "password"})
# Credentials plus per-upload capability tokens: redacted from stored URLs, never part of a request's key.
TOKEN_QUERY = SECRET_QUERY | {"upload_id"}
_TOKEN_QUERY = re.compile(rf"((?:{'|'.join(sorted(TOKEN_QUERY))})=)[^&#\s]+", re.I)


# Response headers naming where an upload goes: stored redacted, handed back whole while recording.
UPLOAD_URL_HEADERS = frozenset({"x-goog-upload-url", "x-goog-upload-control-url"})

_USERINFO = re.compile(r"(//)[^/@\s?#]*@")


def redact_url(url: str) -> str:
    """Credentials out of a URL: `user:password@` and token query values become {REDACTED}."""
    return _TOKEN_QUERY.sub(lambda m: m.group(1) + REDACTED, _USERINFO.sub(rf"\1{REDACTED}@", url))


def public_host(url: str) -> str:
    """`host[:port]` of a base URL, safe to print and store (no user, password, path or query)."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return REDACTED
    if not host:
        return REDACTED
    return f"{host}:{port}" if port else host


def base_url_arg(value: str) -> str:
    """argparse `type=` for --base-url: http(s)://host[:port][/path] or a usage error (exit 2) before any
    trial runs; the message shows the URL with its credentials redacted."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port that is not a number raises here)
        problem = None if parts.hostname else "it names no host"
    except ValueError:
        problem = "it does not parse as a URL (a port that is not a number, an unclosed [IPv6 address]?)"
    if problem is None and parts.scheme not in ("http", "https"):
        problem = f"the scheme must be http or https, not {parts.scheme or 'none'!r}"
    if problem:
        raise argparse.ArgumentTypeError(
            f"{redact_url(value)}: {problem}; give http(s)://host[:port][/path], e.g. http://127.0.0.1:8000"
        )
    return value


def url_secrets(url: str) -> set[str]:
    """The credentials a URL carries: its user and password (as typed and %-decoded) and token values."""
    try:
        parts = urlsplit(url)
        userinfo = [parts.username, parts.password]
    except ValueError:
        return set()
    found = {value for name, value in parse_qsl(parts.query) if name.lower() in SECRET_QUERY}
    found |= {v for raw in userinfo if raw for v in (raw, unquote(raw))}
    return {s for s in found if len(s) >= MIN_SECRET}


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
    found = url_secrets(url)
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            found.add(value)
            if " " in value:  # "Bearer <token>": the token alone too
                found.add(value.split(" ", 1)[1])
    return {s for s in found if len(s) >= MIN_SECRET}


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


HTTP_LOGGERS = ("httpx2", "httpx", "httpcore2", "httpcore")


class _RedactedLog(logging.Filter):
    """The HTTP libraries log each request's full URL (user, password, `key=` and all) at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_url(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_LOG_FILTER = _RedactedLog()


def guard_http_logs() -> None:
    """Install the filter on the HTTP libraries' loggers (idempotent)."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)
