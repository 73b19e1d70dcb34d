"""vcrpy cassettes -> harness cassettes, so recordings made with pytest-recording keep working.

Both styles are read: standard `body: {string: ...}` (gzip/deflate bodies decoded) and the
`parsed_body` style (the JSON tree inline, as pydantic-ai records). Requests become canonical forms,
response headers are filtered like a live recording, and base64 images/signatures become blobs.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.transport import redact
from harness.transport.blobs import CassetteError
from harness.transport.bodies import store_body, store_json
from harness.transport.canonical import api_version, canonical_request, request_key
from harness.transport.cassette import SUFFIX, Cassette, Interaction
from harness.transport.modes import cassette_file
from harness.transport.session import GEMINI_HOST

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _header_items(headers: dict[str, Any] | None) -> list[tuple[str, str]]:
    items = []
    for name, values in (headers or {}).items():
        for value in values if isinstance(values, list) else [values]:
            items.append((str(name), str(value)))
    return items


def _raw(body: Any) -> bytes:
    value = body.get("string") if isinstance(body, dict) else body
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _request_content(req: dict[str, Any]) -> bytes:
    if "parsed_body" in req:
        return json.dumps(req["parsed_body"]).encode("utf-8") if req["parsed_body"] is not None else b""
    return _raw(req.get("body"))


def _decompress(data: bytes, encoding: str) -> bytes:
    if "gzip" in encoding:
        return gzip.decompress(data)
    if "deflate" in encoding:
        return zlib.decompress(data)
    return data


def _response(resp: dict[str, Any], cassette: Cassette) -> dict[str, Any]:
    items = _header_items(resp.get("headers"))
    kept = redact.keep_response_headers(items)
    status = resp.get("status") or {}
    out: dict[str, Any] = {
        "status": int(status.get("code", 200) if isinstance(status, dict) else status),
        "headers": kept,
    }
    if "parsed_body" in resp:
        return (
            {**out, **store_json(resp["parsed_body"], cassette.blobs)}
            if resp["parsed_body"] is not None
            else out
        )
    encoding = ",".join(v.lower() for k, v in items if k.lower() == "content-encoding")
    content = _decompress(_raw(resp.get("body")), encoding)
    return {**out, **store_body(content, kept.get("content-type", ""), cassette.blobs)}


def _read(source: Path) -> list[Any]:
    try:
        doc = yaml.load(source.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise CassetteError(f"cannot read vcrpy cassette: {exc}", file=source) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        raise CassetteError("not a vcrpy cassette (no `interactions:` list)", file=source)
    return doc["interactions"]


def _append(source: Path, cassette: Cassette) -> None:
    """Adds one vcrpy file's interactions, in their recorded order, to `cassette`."""
    for n, item in enumerate(_read(source)):
        try:
            req, resp = item["request"], item["response"]
            url = redact.redact_url(str(req["uri"]))
            form = canonical_request(str(req["method"]), url, _request_content(req))
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"interaction {n} is malformed ({exc})", file=source) from None
        cassette.interactions.append(Interaction(request_key(form), form, _response(resp, cassette)))
        host = urlsplit(url).hostname or "unknown"
        cassette.header["backend"] = "gemini" if host == GEMINI_HOST else host
        cassette.header["api_version"] = api_version(form["path"])
    cassette.header["imported_from"].append(source.name)


def _new(path: Path, suite: str) -> Cassette:
    cassette = Cassette.new(path, suite)
    cassette.header.update(sdk_version="unknown (imported from vcrpy)", imported_from=[])
    return cassette


def import_vcr(sources: list[Path], out_dir: Path, suite: str | None = None) -> list[Path]:
    """Writes `<out_dir>/<source stem>.cassette.yaml` per source (+ blobs/), or with `suite` one
    `<out_dir>/<suite>.cassette.yaml` holding every source's interactions, which that suite replays."""
    if suite is not None:
        cassette = _new(cassette_file(Path(out_dir), suite), suite)
        cassettes = [cassette]
        for source in sources:
            _append(Path(source), cassette)
    else:
        cassettes = []
        for source in map(Path, sources):
            name = source.name.removesuffix(".yaml").removesuffix(".yml")
            cassettes.append(_new(Path(out_dir) / f"{name}{SUFFIX}", name))
            _append(source, cassettes[-1])
    for cassette in cassettes:
        cassette.save()
    return [c.path for c in cassettes]
