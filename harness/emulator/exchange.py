"""One request in, one reply out: what the HTTP edge and the endpoint handlers pass between them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reply:
    """What the HTTP edge sends: a JSON body or SSE events, extra headers, a delivery fault, a delay."""

    status: int = 200
    body: dict | None = None
    events: list[dict] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delivery: str = "normal"  # or "drop" / "truncate"
    delay: float = 0.0
    raw: bytes | None = None  # sent as is instead of a JSON body (file downloads, an upload's empty start)
    content_type: str = "application/octet-stream"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
