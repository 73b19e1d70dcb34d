"""Other tools' cassettes -> harness cassettes, so recordings made elsewhere keep working.

Read, in every shape real projects commit (see tests/data/real-wire/):
- vcrpy (`interactions:`, YAML or JSON): `body: {string: ...}`, `!!binary` bodies, a body whose headers
  say `Content-Encoding: gzip` but which urllib3 2 already decoded, and pydantic-ai's `parsed_body`;
- Ruby VCR 6 (`http_interactions:`): `body: {encoding, string}` or `{base64_string}`, `!binary` bodies;
- R vcr (`http_interactions:`, `recorded_with: VCR-vcr/...`): plain `status: 200`, scalar headers.
Requests become canonical forms, response headers are filtered like a live recording, and base64
images/signatures become blobs. A file that cannot be read is a CassetteError naming it and why.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.transport import redact
from harness.transport.blobs import UnreadableCassette
from harness.transport.bodies import store_body, store_json
from harness.transport.canonical import api_version, canonical_request, request_key
from harness.transport.cassette import SUFFIX, Cassette, Interaction, merge_backends
from harness.transport.modes import cassette_file
from harness.transport.session import GEMINI_HOST

MAX_SOURCE_BYTES = 512 * 1024 * 1024
MAX_YAML_NODES = 1_000_000  # alias expansion beyond this is a "billion laughs" file, not a recording


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML plus Ruby's `!binary` (base64 bytes, as `!!binary` is); any other tag is refused."""


def _ruby_binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    try:
        return base64.b64decode("".join(str(value).split()), validate=True)
    except binascii.Error as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"!binary value is not base64 ({exc})", node.start_mark
        ) from None


_Loader.add_constructor("!binary", _ruby_binary)


@dataclass
class _Source:
    path: Path
    interactions: list[Any]


def _fail(source: Path, reason: str, n: int | None = None) -> UnreadableCassette:
    where = f"interaction {n}: " if n is not None else ""
    return UnreadableCassette(
        f"cannot import: {where}{reason}",
        file=source,
        hint="import-vcr reads vcrpy, Ruby VCR 6 and R vcr cassettes (YAML or JSON)",
    )


def _parse(source: Path) -> Any:
    try:
        if source.stat().st_size > MAX_SOURCE_BYTES:
            raise _fail(source, f"larger than {MAX_SOURCE_BYTES // 2**20} MiB")
        data = source.read_bytes()
    except OSError as exc:
        raise _fail(source, exc.strerror or type(exc).__name__) from None
    if data[:2] == b"\x1f\x8b":
        raise _fail(source, "the file is gzip-compressed; gunzip it first")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(source, f"not UTF-8 text (byte {exc.start})") from None
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass  # flow-style YAML starts the same way
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _node_count(node) > MAX_YAML_NODES:
                raise _fail(source, f"YAML aliases expand to more than {MAX_YAML_NODES:,} nodes")
            return loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(source, f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise _fail(source, "YAML nested too deeply") from None


def _node_count(root: yaml.Node) -> int:
    """Nodes as the document expands them (an alias counts its whole target again), stopping early."""
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_YAML_NODES:
            return count
        if isinstance(node, yaml.MappingNode):
            stack += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return count


def _read(source: Path) -> _Source:
    doc = _parse(source)
    if isinstance(doc, dict):
        items = doc.get("interactions", doc.get("http_interactions"))
        if isinstance(items, list):
            return _Source(source, items)
        keys = ", ".join(sorted(map(str, doc))[:6])
        looks = " (it looks like a response body)" if {"candidates", "name", "error"} & set(doc) else ""
        raise _fail(source, f"no `interactions:` or `http_interactions:` list; top-level keys: {keys}{looks}")
    raise _fail(source, f"a cassette is a mapping with an interactions list, got {type(doc).__name__}")


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if not isinstance(headers, dict):
        raise ValueError(f"headers are a {type(headers).__name__}, not a mapping")
    items = []
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            items.append((str(name), str(value)))
    return items


def _raw(body: Any) -> bytes:
    """The body bytes of every style: a plain string or bytes (vcrpy requests), `{string: ...}` (vcrpy
    responses, Ruby, R), `{base64_string: ...}` (Ruby binary bodies)."""
    if isinstance(body, dict):
        if body.get("file"):
            raise ValueError("the body is kept in a separate file (vcr `file: true`), which is not read")
        if "base64_string" in body:
            text = "".join(str(body["base64_string"]).split())
            try:
                return base64.b64decode(text, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"base64_string is not base64 ({exc})") from None
        body = body.get("string")
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise ValueError(f"the body is a {type(body).__name__}, not text or bytes")


def _request_content(req: dict[str, Any]) -> bytes:
    if "parsed_body" in req:
        return json.dumps(req["parsed_body"]).encode("utf-8") if req["parsed_body"] is not None else b""
    return _raw(req.get("body"))


def _decompress(data: bytes, encoding: str) -> bytes:
    """Decoded bytes; a body its headers call gzip/deflate but which is plain already is kept as it is
    (urllib3 2, R vcr and VCR keep the header after decoding)."""
    if "gzip" in encoding and data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"the gzip body is corrupt ({exc})") from None
    if "deflate" in encoding and data[:1] == b"\x78":
        try:
            return zlib.decompress(data)
        except zlib.error as exc:
            raise ValueError(f"the deflate body is corrupt ({exc})") from None
    return data


def _status(resp: dict[str, Any]) -> int:
    status = resp.get("status", 200)
    code = status.get("code", 200) if isinstance(status, dict) else status
    value = int(code)
    if not 100 <= value <= 599:
        raise ValueError(f"status {value} is not an HTTP status")
    return value


def _response(resp: dict[str, Any], cassette: Cassette) -> dict[str, Any]:
    items = _header_items(resp.get("headers"))
    kept = redact.keep_response_headers(items)
    out: dict[str, Any] = {"status": _status(resp), "headers": kept}
    if "parsed_body" in resp:
        parsed = resp["parsed_body"]
        return {**out, **store_json(parsed, cassette.blobs)} if parsed is not None else out
    encoding = ",".join(v.lower() for k, v in items if k.lower() == "content-encoding")
    content = _decompress(_raw(resp.get("body")), encoding)
    return {**out, **store_body(content, kept.get("content-type", ""), cassette.blobs)}


def _interactions(source: _Source, cassette: Cassette) -> tuple[list[Interaction], set[str], str | None]:
    """One source's interactions in recorded order, the backends it talked to, and its API version."""
    out: list[Interaction] = []
    backends: set[str] = set()
    version = None
    for n, item in enumerate(source.interactions):
        try:
            if not isinstance(item, dict):
                raise ValueError(f"an interaction is a mapping, got {type(item).__name__}")
            req, resp = item["request"], item["response"]
            if not isinstance(req, dict) or not isinstance(resp, dict):
                raise ValueError("request and response must be mappings")
            url = redact.redact_url(str(req["uri"]))
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"uri {url[:80]!r} is not an http(s) URL")
            form = canonical_request(str(req["method"]), url, _request_content(req))
            response = _response(resp, cassette)
        except KeyError as exc:
            raise _fail(source.path, f"missing {exc}", n) from None
        except (TypeError, ValueError) as exc:
            raise _fail(source.path, str(exc), n) from None
        out.append(Interaction(request_key(form), form, response))
        host = urlsplit(url).hostname or "unknown"
        backends.add("gemini" if host == GEMINI_HOST else host)
        version = api_version(form["path"]) or version
    return out, backends, version


def _new(path: Path, suite: str) -> Cassette:
    cassette = Cassette.new(path, suite)
    cassette.header.update(sdk_version="unknown (imported)", imported_from=[])
    return cassette


def _existing(path: Path, suite: str) -> Cassette:
    """The cassette `--suite` adds to: what it holds stays, unless re-imported (same request again)."""
    if not path.exists():
        return _new(path, suite)
    cassette = Cassette.load(path, check_blobs=False)
    cassette.header.setdefault("imported_from", [])
    return cassette


def _add(cassette: Cassette, sources: list[_Source]) -> None:
    """Appends every source's interactions; an untrialled recording of a request imported again goes
    (re-importing a file replaces it), everything else already there stays."""
    new: list[Interaction] = []
    backends: set[str] = set()
    for source in sources:
        found, hosts, version = _interactions(source, cassette)
        new += found
        backends |= hosts
        cassette.header["api_version"] = version or cassette.header.get("api_version")
        if source.path.name not in cassette.header["imported_from"]:
            cassette.header["imported_from"].append(source.path.name)
    keys = {i.key for i in new}
    kept = [i for i in cassette.interactions if i.trial or i.key not in keys]
    cassette.interactions = kept + new
    cassette.header["backend"] = merge_backends(cassette.header.get("backend"), *sorted(backends))


def import_vcr(sources: list[Path], out_dir: Path, suite: str | None = None) -> list[Path]:
    """Writes `<out_dir>/<source stem>.cassette.yaml` per source (+ blobs/), or with `suite` adds every
    source's interactions to `<out_dir>/<suite>.cassette.yaml`, which that suite replays. No cassette is
    written unless every source converts (blobs stored on the way are then unreferenced: prune drops them)."""
    read = [_read(Path(s)) for s in sources]
    if suite is not None:
        cassette = _existing(cassette_file(Path(out_dir), suite), suite)
        _add(cassette, read)
        cassettes = [cassette]
    else:
        cassettes = []
        for source in read:
            name = source.path.name
            for suffix in (".yaml", ".yml", ".json"):
                name = name.removesuffix(suffix)
            cassettes.append(_new(Path(out_dir) / f"{name}{SUFFIX}", name))
            _add(cassettes[-1], [source])
    for cassette in cassettes:
        cassette.save()
    return [c.path for c in cassettes]
