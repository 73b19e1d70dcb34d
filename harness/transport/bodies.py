"""Response bodies as stored in a cassette: readable JSON trees, SSE as one tree per event, and large
base64 leaves (images, thought signatures) moved to the blob store as decoded bytes.

`store_body` and `load_body` are inverses: the replayed bytes parse to exactly what was received.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from harness.transport import b64
from harness.transport.blobs import BlobStore, CassetteError

BLOB_MIN_CHARS = 256
# The keys of a stored response that are not its body: a response with only these had no body (the
# Files-API upload start answers 200 with nothing but an upload URL header).
ENVELOPE_KEYS = frozenset({"status", "headers"})
TEXT_MAX_CHARS = 65536
_SSE_SPLIT = re.compile(r"\r?\n\r?\n")


def _extract(value: Any, blobs: BlobStore, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _extract(v, blobs, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_extract(v, blobs, key) for v in value]
    if isinstance(value, str) and len(value) >= BLOB_MIN_CHARS and b64.is_candidate(key, value):
        decoded = b64.decode(value)
        if decoded is not None:
            ref: dict[str, Any] = {"$blob": blobs.put(decoded.data)}
            if decoded.urlsafe:
                ref["$b64"] = "url"
            if not decoded.padded:
                ref["$pad"] = False
            return ref
    return value


def store_json(value: Any, blobs: BlobStore) -> dict[str, Any]:
    """An already parsed JSON body (e.g. vcrpy's `parsed_body`) in stored form."""
    return {"json": _extract(value, blobs)}


class _Splicer:
    """Puts placeholders where blobs go and splices the base64 text into the serialised JSON afterwards,
    so megabytes of base64 are never scanned by the JSON encoder (it needs no escaping)."""

    def __init__(self, blobs: BlobStore, where: Any) -> None:
        self.blobs, self.where = blobs, where
        self.nonce = secrets.token_hex(8)
        self.texts: list[bytes] = []

    def tree(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "$blob" in value:
                urlsafe, padded = value.get("$b64") == "url", value.get("$pad", True)
                self.texts.append(
                    self.blobs.encoded(value["$blob"], urlsafe=urlsafe, padded=padded, cassette=self.where)
                )
                return f"@{self.nonce}:{len(self.texts) - 1}@"
            return {k: self.tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.tree(v) for v in value]
        return value

    def dumps(self, value: Any) -> bytes:
        """UTF-8 JSON; the base64 texts are joined in as bytes, each copied once."""
        rest = _dumps(self.tree(value)).encode("utf-8")
        pieces = []
        for n, b64_text in enumerate(self.texts):
            head, _, rest = rest.partition(f"@{self.nonce}:{n}@".encode("ascii"))
            pieces += [head, b64_text]
        self.texts.clear()
        return b"".join([*pieces, rest])


def blob_refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "$blob" in value:
            return {value["$blob"]}
        return set().union(*(blob_refs(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(blob_refs(v) for v in value)) if value else set()
    return set()


def response_refs(response: dict[str, Any]) -> set[str]:
    """Every blob a stored response needs: those inside its JSON/SSE tree and a whole-body `blob`."""
    whole = response.get("blob")
    return blob_refs({k: v for k, v in response.items() if k != "blob"}) | (
        {whole} if isinstance(whole, str) else set()
    )


def _sse_events(text: str) -> list[Any] | None:
    events = []
    for block in _SSE_SPLIT.split(text.strip("\r\n")):
        lines = block.splitlines()
        if not lines or not all(line.startswith("data:") for line in lines):
            return None
        try:
            events.append(json.loads("\n".join(line[5:].removeprefix(" ") for line in lines)))
        except ValueError:
            return None
    return events


def store_body(content: bytes, content_type: str, blobs: BlobStore) -> dict[str, Any]:
    """One of {json}, {sse: [...]}, {text}, {blob} (binary or very long text), or {} for no body."""
    if not content:
        return {}
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return {"blob": blobs.put(content)}
    if "event-stream" in content_type:
        events = _sse_events(text)
        if events is not None:
            return {"sse": [_extract(e, blobs) for e in events]}
    elif "json" in content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if parsed is not None:  # replay re-serialises the tree; the SDK parses it to the same objects
            return {"json": _extract(parsed, blobs)}
    if len(text) > TEXT_MAX_CHARS:
        return {"blob": blobs.put(content)}
    return {"text": text}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def load_body(stored: dict[str, Any], blobs: BlobStore, where: Any = None) -> bytes:
    """The body bytes of a stored response (`store_body`'s output, alone or inside the response)."""
    splicer = _Splicer(blobs, where)
    if "json" in stored:
        return splicer.dumps(stored["json"])
    if "sse" in stored:
        return b"".join(b"data: " + splicer.dumps(e) + b"\r\n\r\n" for e in stored["sse"])
    if "text" in stored:
        return str(stored["text"]).encode("utf-8")
    if "blob" in stored:
        return blobs.get(stored["blob"], cassette=where)
    unknown = sorted(set(stored) - ENVELOPE_KEYS)
    if unknown:
        raise CassetteError(f"unknown response body form {unknown}", file=where)
    return b""
