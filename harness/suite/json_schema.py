"""JSON Schema of suite files and style presets, generated from the pydantic models, for editors.

The models stay the one definition: the schema is `model_json_schema()` plus the short forms their
before-validators accept (`dataset: partiprompts`, `image_size: 512`, `category: Animals`), so an editor
never flags a file `harness validate` takes. It checks shape only; validate checks the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.suite.schema import StylePreset, Suite

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = "docs/schema"  # in the checkout, where shipped files' yaml-language-server comments point
FILES = {"suite": "suite.schema.json", "style": "style.schema.json"}


def _image_models(defs: dict[str, Any]) -> list[str]:
    return [name for name, d in defs.items() if "image_size" in d.get("properties", {})]


def _widen(prop: dict[str, Any], extra: list[dict[str, Any]]) -> dict[str, Any]:
    options = prop.pop("anyOf", None) or [{k: prop.pop(k) for k in list(prop) if k not in _KEEP}]
    prop["anyOf"] = [*options, *extra]
    return prop


_KEEP = ("default", "description", "title")


def _short_forms(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs", {})
    for name in _image_models(defs):
        for key in ("aspect_ratio", "image_size"):
            _widen(defs[name]["properties"][key], [{"type": "integer"}])
    if "Dataset" in defs:
        for key in ("category", "challenge", "tag"):
            _widen(defs["Dataset"]["properties"][key], [{"type": "string"}])
    props = schema.get("properties", {})
    for key, ref, short in (("cases_from", "CasesFrom", "file"), ("dataset", "Dataset", "name")):
        if key in props:
            item = {"anyOf": [{"$ref": f"#/$defs/{ref}"}, {"type": "string", "description": f"the {short}"}]}
            props[key] = {"anyOf": [item, {"type": "array", "items": item}], "default": []}
    if "version" in props and "title" in schema and schema["title"] == "StylePreset":
        _widen(props["version"], [{"type": "number"}])
    return schema


def json_schema(kind: str) -> dict[str, Any]:
    """The schema of a suite file (`kind` "suite") or a style preset ("style")."""
    model = Suite if kind == "suite" else StylePreset
    schema = _short_forms(model.model_json_schema(by_alias=True))
    return {"$schema": SCHEMA_DIALECT, "$id": FILES[kind], **schema}


def schema_text(kind: str) -> str:
    return json.dumps(json_schema(kind), indent=2, sort_keys=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name in FILES.items():
        path = folder / name
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written
