"""Load a suite file: YAML with lines -> pydantic models -> structural checks, every problem at once."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import SuiteError, ValidationFailed
from harness.suite.schema import MAX_REFERENCES, Case, Step, Suite
from harness.suite.yaml_lines import Loc, LocatedYaml, load_yaml

M = TypeVar("M", bound=BaseModel)


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """' Did you mean 'x'?' for a near miss, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return f" Did you mean '{close[0]}'?" if close else ""


def allowed_keys(cls: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in cls.model_fields.items()]


def parse_model(cls: type[M], doc: LocatedYaml, what: str) -> tuple[M | None, list[SuiteError]]:
    """Validate `doc.data` as `cls`; each pydantic error becomes a SuiteError at its own line."""
    if not isinstance(doc.data, dict):
        return None, [
            SuiteError(
                f"a {what} file must be a YAML mapping (key: value lines)",
                file=doc.file,
                line=doc.line(()),
                hint=f"start with the keys of a {what}",
            )
        ]
    try:
        return cls.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [_to_suite_error(cls, doc, err) for err in exc.errors()]


def _to_suite_error(root: type[BaseModel], doc: LocatedYaml, err: Any) -> SuiteError:
    loc: Loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or None
    line = doc.line(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(root, loc[:-1])
        allowed = allowed_keys(owner) if owner else []
        name = str(loc[-1])
        return SuiteError(
            f"unknown key '{name}'.{did_you_mean(name, allowed)}",
            file=doc.file,
            line=line,
            key=key,
            hint=f"allowed keys here: {', '.join(allowed)}",
        )
    if kind == "missing":
        return SuiteError(
            f"missing required key '{loc[-1]}'",
            file=doc.file,
            line=line,
            key=key,
            hint=f"add '{loc[-1]}:' here",
        )
    value = err.get("input")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return SuiteError(
        f"{err['msg']} (got {shown})", file=doc.file, line=line, key=key, hint="fix the value at that line"
    )


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
    suite, errors = parse_model(Suite, doc, "suite")
    errors = [*doc.duplicates, *errors]
    if suite is not None:
        suite._path = path.resolve()
        suite._source = doc
        if suite.cassettes is not None and not suite.cassettes.is_absolute():
            suite.cassettes = suite.dir / suite.cassettes
        errors += structural_problems(suite)
    return suite, errors


def structural_problems(suite: Suite) -> list[SuiteError]:
    """Checks that need no files: empty or duplicate cases, prompt/template/chain shape, expect shape."""
    errors: list[SuiteError] = []

    def err(message: str, loc: Loc, case: str | None = None, hint: str | None = None) -> None:
        errors.append(
            SuiteError(
                message,
                file=suite.path,
                line=suite.line(*loc),
                case=case,
                key=".".join(map(str, loc)) or None,
                hint=hint,
            )
        )

    if not suite.cases:
        err(
            "the suite has no cases",
            ("cases",),
            hint="add at least one case under 'cases:' (- id: ..., prompt: ...)",
        )
    seen: dict[str, int] = {}
    for i, case in enumerate(suite.cases):
        loc: Loc = ("cases", i)
        if case.id in seen:
            err(
                f"duplicate case id '{case.id}' (first at line {suite.line('cases', seen[case.id])})",
                (*loc, "id"),
                case.id,
                "give every case a unique id; trial ids and diffs are keyed on it",
            )
        seen.setdefault(case.id, i)
        _check_expect(case.expect, (*loc, "expect"), case.id, err)
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
            _check_expect(step.expect, (*loc, "chain", j, "expect"), case.id, err)
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
    given = [k for k in ("prompt", "template", "edit") if getattr(item, k, None) is not None]
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


def _check_expect(expect: list[Any], loc: Loc, case: str, err: Any) -> None:
    for k, entry in enumerate(expect):
        if len(entry) != 1:
            err(
                f"each expectation is a single-key mapping, got keys {sorted(map(str, entry))}",
                (*loc, k),
                case,
                "one scorer per list item, e.g. '- aspect_ratio: \"1:1\"' (weight: goes inside its value)",
            )


def suite_error(
    suite: Suite, message: str, loc: Loc, case: str | None = None, hint: str | None = None
) -> SuiteError:
    return SuiteError(
        message,
        file=suite.path,
        line=suite.line(*loc),
        case=case,
        key=".".join(map(str, loc)) or None,
        hint=hint,
    )
