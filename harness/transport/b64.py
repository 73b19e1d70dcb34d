"""Base64 leaves: the SDK sends URL-safe base64, Gemini answers in the standard alphabet.

Both sides are decoded before they are compared or stored, and the original spelling (alphabet,
padding) is remembered so a replayed body is byte-for-byte what was recorded.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

# Keys whose string values are bytes on the wire (camelCase and snake_case spellings).
B64_KEYS = frozenset(
    {
        "data",
        "thoughtSignature",
        "thought_signature",
        "continuationToken",
        "continuation_token",
        "bytesBase64Encoded",
        "imageBytes",
        "image_bytes",
        "videoBytes",
        "video_bytes",
    }
)
# Long strings that look like base64 under any key are treated as bytes too.
LONG_LEAF = 1024
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


@dataclass(frozen=True)
class Decoded:
    data: bytes
    urlsafe: bool
    padded: bool


def decode(text: str) -> Decoded | None:
    """Strictly decode either alphabet; None when `text` is not base64 that re-encodes to itself."""
    if not text or not _B64.fullmatch(text):
        return None
    urlsafe = "-" in text or "_" in text
    if urlsafe and ("+" in text or "/" in text):
        return None
    padded = text.endswith("=") or len(text) % 4 == 0
    body = text if padded else text + "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(body, altchars=b"-_" if urlsafe else None, validate=True)
    except (binascii.Error, ValueError):
        return None
    decoded = Decoded(data, urlsafe, padded)
    return decoded if encode(decoded) == text else None


def encode(d: Decoded) -> str:
    return encode_ascii(d).decode("ascii")


def encode_ascii(d: Decoded) -> bytes:
    """`encode` as the ASCII bytes a replayed body splices in (no str round trip for megabytes)."""
    text = base64.urlsafe_b64encode(d.data) if d.urlsafe else base64.b64encode(d.data)
    return text if d.padded else text.rstrip(b"=")


def is_candidate(key: str | None, value: str) -> bool:
    """Worth trying to decode: a known bytes field, or a long unbroken base64-looking string."""
    return (key in B64_KEYS and len(value) >= 4) or len(value) >= LONG_LEAF
