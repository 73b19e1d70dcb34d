"""A request's identity for matching: what the model was asked, not how the bytes were spelled.

The canonical form keeps method, percent-decoded path (api version and model included) and the meaningful
query; the JSON body gets camelCase keys, sorted keys, integral floats as ints, base64 leaves replaced by
the hash of their decoded bytes, and UUIDs blanked. Headers (user-agent, timeouts, content-length, the
key) never count.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from harness.transport import b64, redact

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_SNAKE = re.compile(r"_([a-z0-9])")


def camel(key: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), key) if "_" in key.strip("_") else key


def bytes_ref(data: bytes) -> str:
    """How bytes appear in a canonical request: their hash and size, readable in a diff."""
    return f"$bytes sha256={hashlib.sha256(data).hexdigest()[:16]} len={len(data)}"


def _leaf(key: str | None, value: Any) -> Any:
    if isinstance(value, str):
        if b64.is_candidate(key, value):
            decoded = b64.decode(value)
            if decoded is not None:
                return bytes_ref(decoded.data)
        return _UUID.sub("{UUID}", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical_json(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):  # None and {} carry no meaning: `generationConfig: {}` == absent
        items = sorted((camel(str(k)), v) for k, v in value.items() if v is not None and v != {})
        return {k: canonical_json(v, k) for k, v in items}
    if isinstance(value, list):
        return [canonical_json(v, key) for v in value]
    return _leaf(key, value)


def canonical_body(content: bytes) -> Any:
    """JSON bodies canonicalised; anything else is identified by its bytes' hash."""
    if not content:
        return None
    try:
        return canonical_json(json.loads(content))
    except (ValueError, UnicodeDecodeError):
        return bytes_ref(content)


def canonical_request(method: str, url: str, content: bytes) -> dict[str, Any]:
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in redact.TOKEN_QUERY}
    # percent-decoded: clients differ in what they escape (`%3AgenerateContent`, `models%2Fx`)
    form: dict[str, Any] = {"method": method.upper(), "path": unquote(parts.path) or "/"}
    if query:
        form["query"] = dict(sorted(query.items()))
    body = canonical_body(content)
    if body is not None:
        form["body"] = body
    return form


def request_key(form: dict[str, Any]) -> str:
    text = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def api_version(path: str) -> str | None:
    """The `v1beta` in `/v1beta/models/...` (also after an upload/ or a base-url prefix)."""
    match = re.search(r"/(v\d+(?:alpha|beta)?\d*)/", path + "/")
    return match.group(1) if match else None
