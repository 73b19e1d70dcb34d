"""Load a suite file: YAML with lines -> pydantic models -> structural checks, every problem at once."""

from __future__ import annotations

import copy
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import SuiteError, ValidationFailed
from harness.suite.names import did_you_mean, safe_name
from harness.suite.schema import MAX_REFERENCES, NAME_PATTERN, Case, Step, Suite
from harness.suite.sources import build_cases
from harness.suite.yaml_lines import Loc, LocatedYaml, load_yaml

M = TypeVar("M", bound=BaseModel)


def allowed_keys(cls: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in cls.model_fields.items()]


def parse_model(cls: type[M], doc: LocatedYaml, what: str) -> tuple[M | None, list[SuiteError]]:
    """Validate `doc.data` as `cls`; each pydantic error becomes a SuiteError at its own line."""
    model, errors, _ = _parse(cls, doc, what)
    return model, errors


def _parse(cls: type[M], doc: LocatedYaml, what: str) -> tuple[M | None, list[SuiteError], list[Any]]:
    """The model, the problems as SuiteErrors, and pydantic's raw errors (for `salvage`)."""
    if not isinstance(doc.data, dict):
        problem = SuiteError(
            f"a {what} file must be a YAML mapping (key: value lines)",
            file=doc.file,
            line=doc.line(()),
            hint=f"start with the keys of a {what}",
        )
        return None, [problem], []
    try:
        return cls.model_validate(doc.data), [], []
    except ValidationError as exc:
        raw = exc.errors()
        return None, [_to_suite_error(cls, doc, err) for err in raw], raw


def case_id_at(data: Any, loc: Loc) -> str | None:
    """The id of the case `loc` points into (`cases.N...`), when the file gives one."""
    if len(loc) < 2 or loc[0] != "cases" or not isinstance(loc[1], int) or not isinstance(data, dict):
        return None
    cases = data.get("cases")
    case = cases[loc[1]] if isinstance(cases, list) and loc[1] < len(cases) else None
    ident = case.get("id") if isinstance(case, dict) else None
    return str(ident) if ident is not None else None


def _to_suite_error(root: type[BaseModel], doc: LocatedYaml, err: Any) -> SuiteError:
    loc: Loc = tuple(err["loc"])
    where: dict[str, Any] = {
        "file": doc.file,
        "line": doc.line(loc),
        "key": ".".join(str(p) for p in loc) or None,
        "case": case_id_at(doc.data, loc),
    }
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(root, loc[:-1])
        allowed = allowed_keys(owner) if owner else []
        name = str(loc[-1])
        return SuiteError(
            f"unknown key '{name}'.{did_you_mean(name, allowed)}",
            hint=f"allowed keys here: {', '.join(allowed)}",
            **where,
        )
    if kind == "missing":
        return SuiteError(f"missing required key '{loc[-1]}'", hint=f"add '{loc[-1]}:' here", **where)
    value = err.get("input")
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == NAME_PATTERN:
        return SuiteError(
            f"{value!r} is not a valid name",
            hint=f"use letters, digits, '.', '_' and '-' only, no spaces, e.g. '{safe_name(str(value))}'",
            **where,
        )
    if kind in ("model_type", "dict_type"):
        return SuiteError(
            f"expected a mapping (key: value lines), got {_shown(value)}",
            hint="a case reads '- id: NAME' with 'prompt: ...' under it"
            if len(loc) == 2 and loc[0] == "cases"
            else "write 'key: value' lines here, indented under the key above",
            **where,
        )
    if kind == "list_type":
        return SuiteError(
            f"expected a list, got {_shown(value)}",
            hint=f"write [{value}] or one '- item' per line" if isinstance(value, str) else "write a list",
            **where,
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    got = f" (got {_shown(value)})" if not isinstance(value, dict | list) else ""
    return SuiteError(f"{message}{got}", hint="fix the value at that line", **where)


def _shown(value: Any) -> str:
    return repr(value) if not isinstance(value, dict | list) else f"a {type(value).__name__}"


def salvage(data: dict[str, Any], raw_errors: list[Any]) -> dict[str, Any] | None:
    """A copy of the suite data with each failing key cut out (and a bad case id made valid), so the
    checks after the schema can still run and report their own problems in the same pass. Case and
    step indices never shift, so every later line number stays right. None when a failure cannot be
    cut out (a missing or bad `suite:` or `cases:`)."""
    fixed = copy.deepcopy(data)
    for err in raw_errors:
        loc: Loc = tuple(err["loc"])
        if loc[:1] == ("suite",):  # a name is needed: make the given one valid
            fixed["suite"] = safe_name(str(fixed.get("suite", "suite")))
            continue
        if len(loc) >= 3 and loc[0] == "cases" and loc[2] == "id":
            case = _at(fixed, loc[:2])
            case["id"] = safe_name(str(case.get("id", f"case-{loc[1] + 1}")))
            continue
        path = _existing(fixed, loc)
        if len(path) < 2 and path[:1] in ((), ("cases",)):
            return None
        if len(path) == 2 and path[0] == "cases":  # a case that is not a mapping at all
            fixed["cases"][path[1]] = {"id": f"case-{path[1] + 1}", "prompt": "-"}
            continue
        parent = _at(fixed, path[:-1])
        if not isinstance(parent, dict):
            return None  # a bad item inside a list: cutting it out would shift the indices after it
        parent.pop(path[-1], None)
    return fixed


def _existing(data: Any, loc: Loc) -> Loc:
    """The longest prefix of `loc` present in `data` (pydantic adds union member names to some locs)."""
    found: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        if not in_dict and not (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            break
        node = node[part]
        found.append(part)
    return tuple(found)


def _at(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _model_at(cls: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Which model class owns the mapping at `loc` (to list its allowed keys)."""
    current: Any = cls
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def load_suite(path: str | Path) -> Suite:
    """Read and check a suite file; raises ValidationFailed listing every problem with its line."""
    suite, errors = load_suite_collect(path)
    if errors:
        raise ValidationFailed(errors)
    assert suite is not None
    return suite


def load_suite_collect(path: str | Path) -> tuple[Suite | None, list[SuiteError]]:
    """The suite (None when its shape is wrong) and every problem found, so validate can go on checking."""
    path = Path(path)
    doc = load_yaml(path)
    suite, errors, raw = _parse(Suite, doc, "suite")
    errors = [*doc.duplicates, *errors]
    fixed = salvage(doc.data, raw) if raw else None
    if fixed is not None:  # check the rest too, so one pass lists every problem
        try:
            suite = Suite.model_validate(fixed)
        except ValidationError:
            suite = None
    if suite is not None:
        suite._path = path.resolve()
        suite._source = doc
        if suite.cassettes is not None and not suite.cassettes.is_absolute():
            suite.cassettes = suite.dir / suite.cassettes
        made = build_cases(suite)
        errors += made
        errors += structural_problems(suite, sources_failed=bool(made))
    return suite, errors


def structural_problems(suite: Suite, sources_failed: bool = False) -> list[SuiteError]:
    """Checks that need no files: empty or duplicate cases, prompt/template/chain shape, expect shape."""
    errors: list[SuiteError] = []

    def err(message: str, loc: Loc, case: str | None = None, hint: str | None = None) -> None:
        errors.append(suite_error(suite, message, loc, case, hint))

    if not suite.cases and not sources_failed:  # no cases because a data file failed: that error says it
        err(
            "the suite has no cases",
            ("cases",),
            hint="add at least one case under 'cases:' (- id: ..., prompt: ...), or cases_from: / dataset:",
        )
    seen: dict[str, int] = {}
    for i, case in enumerate(suite.cases):
        loc: Loc = ("cases", i)
        if case.id in seen:
            first_file, first_line = suite.where("cases", seen[case.id])
            same_file = first_file == suite.where(*loc)[0]
            first = f"line {first_line}" if same_file else f"{first_file}:{first_line}"
            err(
                f"duplicate case id '{case.id}' (first at {first})",
                (*loc, "id"),
                case.id,
                "give every case a unique id; trial ids and diffs are keyed on it",
            )
        seen.setdefault(case.id, i)
        if len(case.references) > MAX_REFERENCES:
            err(
                f"{len(case.references)} reference images; the models accept at most {MAX_REFERENCES}",
                (*loc, "references"),
                case.id,
                "drop references or split the case",
            )
        if case.chain is None:
            _check_source(case, loc, case.id, err, first=False)
            continue
        for key in ("prompt", "template"):
            if key in case.model_fields_set:
                err(
                    f"a chain case keeps its prompts in its steps, not in '{key}:'",
                    (*loc, key),
                    case.id,
                    f"move '{key}:' into the first step of 'chain:'",
                )
        if not case.chain:
            err("'chain:' is empty", (*loc, "chain"), case.id, "list at least one step, or drop 'chain:'")
        for j, step in enumerate(case.chain):
            _check_source(step, (*loc, "chain", j), case.id, err, first=j == 0 and not case.inputs)
            if len(case.references) + len(step.references) > MAX_REFERENCES:
                err(
                    f"{len(case.references) + len(step.references)} reference images at this step; "
                    f"the models accept at most {MAX_REFERENCES}",
                    (*loc, "chain", j, "references"),
                    case.id,
                    "drop references",
                )
    return errors


def _check_source(item: Case | Step, loc: Loc, case: str, err: Any, first: bool) -> None:
    """`first`: this step opens a conversation with no input image, so `edit:` has nothing to act on."""
    edit = item.edit if isinstance(item, Step) else None
    given = [
        k for k, v in (("prompt", item.prompt), ("template", item.template), ("edit", edit)) if v is not None
    ]
    if len(given) > 1:
        err(
            f"give one of {' / '.join(given)}, not {len(given)}",
            (*loc, given[1]),
            case,
            "a prompt is either literal text (prompt: or edit:) or a template with vars",
        )
    if isinstance(item, Step) and item.edit is not None and first and not item.inputs:
        err(
            "the first step has nothing to edit yet",
            (*loc, "edit"),
            case,
            "use 'prompt:' or 'template:' for the first step, or give it 'inputs:' images",
        )


def suite_error(
    suite: Suite, message: str, loc: Loc, case: str | None = None, hint: str | None = None
) -> SuiteError:
    file, line = suite.where(*loc)
    return SuiteError(
        message,
        file=file,
        line=line,
        case=case,
        key=".".join(map(str, loc)) or None,
        hint=hint,
    )
