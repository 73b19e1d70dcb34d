"""Request parsing and error bodies: accept what the SDK really sends (snake_case keys, URL-safe base64)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Payloads whose keys are user data (JSON schema property names), never camel-cased.
_OPAQUE = {"responseSchema", "responseJsonSchema", "metadata", "labels", "parametersJsonSchema"}
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An error answered as `{"error": {code, message, status, details}}` with that HTTP status."""

    def __init__(self, code: int, message: str, details: list | None = None, headers: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.details, self.headers = code, message, details or [], headers or {}

    def body(self) -> dict:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": status_name(self.code)}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def status_name(code: int) -> str:
    return _STATUS.get(code, "UNKNOWN")


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def normalize(obj: Any) -> Any:
    """Camel-case every key (protobuf JSON accepts both spellings), leaving user-data payloads untouched."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            ck = camel(k)
            out[ck] = v if ck in _OPAQUE else normalize(v)
        return out
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    return obj


def b64decode(data: str) -> bytes:
    """Decode standard or URL-safe base64, padded or not."""
    s = data.strip().replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, f"Invalid value at 'contents': invalid base64 data ({exc})") from exc


def b64encode(data: bytes) -> str:
    """Responses use the standard alphabet, as the real server does."""
    return base64.b64encode(data).decode("ascii")


@dataclass
class Part:
    text: str | None = None
    thought: bool = False
    image: bytes | None = None
    mime: str | None = None
    signature: bytes | None = None


@dataclass
class Turn:
    role: str
    parts: list[Part] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.parts if p.text and not p.thought)

    @property
    def images(self) -> list[bytes]:
        return [p.image for p in self.parts if p.image]


@dataclass
class GenerateRequest:
    """The parts of a generateContent body the emulator acts on."""

    model: str
    turns: list[Turn]
    system: str = ""
    modalities: list[str] = field(default_factory=list)  # empty: not asked (the model's default)
    aspect_ratio: str | None = None
    image_size: str | None = None
    seed: int | None = None
    response_mime: str | None = None
    response_schema: dict | None = None
    include_thoughts: bool = False
    key: str = ""  # digest of the normalized body: the same request always has the same key

    @property
    def current(self) -> Turn:
        users = [t for t in self.turns if t.role != "model"]
        return users[-1] if users else Turn("user")

    @property
    def signatures(self) -> list[bytes]:
        return [p.signature for t in self.turns for p in t.parts if p.signature]

    def latest_image(self) -> bytes | None:
        """The newest image in the conversation: the current turn's, else the last model output."""
        for turn in reversed(self.turns):
            if turn.images:
                return turn.images[-1]
        return None


def _typed(value: Any, kind: type, where: str) -> Any:
    """`value` when it has the JSON type the API expects at `where`, else a 400 naming the field."""
    if value is not None and not isinstance(value, kind):
        expected = {dict: "an object", list: "a list", str: "a string"}[kind]
        raise ApiError(400, f"Invalid value at '{where}': expected {expected}, got {type(value).__name__}")
    return value


def _parse_part(raw: dict) -> Part:
    part = Part(text=_typed(raw.get("text"), str, "contents.parts.text"), thought=bool(raw.get("thought")))
    blob = _typed(raw.get("inlineData"), dict, "contents.parts.inline_data") or {}
    if blob.get("data"):
        part.image = b64decode(_typed(blob["data"], str, "contents.parts.inline_data.data"))
        part.mime = blob.get("mimeType", "application/octet-stream")
    if raw.get("thoughtSignature"):
        part.signature = b64decode(_typed(raw["thoughtSignature"], str, "contents.parts.thought_signature"))
    return part


def _parse_content(raw: Any, default_role: str = "user") -> Turn:
    if not isinstance(raw, dict) or not isinstance(raw.get("parts", []), list):
        raise ApiError(400, "Invalid value at 'contents': each content needs a 'parts' list")
    return Turn(
        raw.get("role") or default_role, [_parse_part(p) for p in raw.get("parts", []) if isinstance(p, dict)]
    )


def parse_json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid JSON payload received. {exc.__class__.__name__}: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    return normalize(data)


def parse_generate(model: str, data: dict) -> GenerateRequest:
    """Turn a normalized generateContent body into a GenerateRequest; 400 for what the API rejects."""
    contents = data.get("contents")
    if not contents or not isinstance(contents, list):
        raise ApiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
    turns = [_parse_content(c) for c in contents]
    cfg = _typed(data.get("generationConfig"), dict, "generation_config") or {}
    img = _typed(cfg.get("imageConfig"), dict, "generation_config.image_config") or {}
    thinking = _typed(cfg.get("thinkingConfig"), dict, "generation_config.thinking_config") or {}
    system = _typed(data.get("systemInstruction"), dict, "system_instruction")
    modalities = _typed(cfg.get("responseModalities"), list, "generation_config.response_modalities")
    schema = cfg.get("responseJsonSchema") or cfg.get("responseSchema")
    req = GenerateRequest(
        model=model,
        turns=turns,
        system=_parse_content(system).text if system else "",
        aspect_ratio=img.get("aspectRatio"),
        image_size=img.get("imageSize"),
        seed=cfg.get("seed"),
        response_mime=cfg.get("responseMimeType"),
        response_schema=_typed(schema, dict, "generation_config.response_json_schema"),
        include_thoughts=bool(thinking.get("includeThoughts")),
    )
    if modalities:
        req.modalities = [str(m).upper() for m in modalities]
    req.key = request_key(model, data)
    return req


def request_key(model: str, data: dict) -> str:
    """A stable digest of a request (model + body with base64 leaves decoded to one alphabet)."""
    canon = json.dumps(_canon(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{model}\n{canon}".encode()).hexdigest()


def _canon(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: (_digest_b64(v) if k in ("data", "thoughtSignature") else _canon(v)) for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_canon(v) for v in obj]
    return obj


def _digest_b64(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return hashlib.sha256(b64decode(value)).hexdigest()
    except ApiError:
        return value


WORD_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())
