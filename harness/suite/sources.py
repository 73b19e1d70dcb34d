"""The cases a suite stands for: its own (a `matrix:` case made into one case per combination), one per row
of each `cases_from:` file and `dataset:`, each with the suite-level `expect:` and named expectation sets
folded in. Runs once at load, so expansion, validate, the runner and the pytest plugin see the same cases;
every case remembers where it was written (`CaseOrigin`) so later errors name the data file and row.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import SuiteError
from harness.suite.datasets import DATASETS, DatasetInfo, DatasetRow
from harness.suite.names import did_you_mean, safe_name
from harness.suite.rows import Row, Table, read_table
from harness.suite.schema import (
    NAME_PATTERN,
    Case,
    CaseFields,
    CaseOrigin,
    CasesFrom,
    Dataset,
    Expectation,
    RowSelection,
    Suite,
)

Loc = tuple[str | int, ...]
_NAME = re.compile(NAME_PATTERN)
_TAG_SPLIT = re.compile(r"[,;|]")


class _Sink:
    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.errors: list[SuiteError] = []

    def at(self, message: str, loc: Loc, case: str | None = None, hint: str | None = None) -> None:
        file, line = self.suite.where(*loc)
        key = ".".join(map(str, loc)) or None
        self.errors.append(SuiteError(message, file=file, line=line, case=case, key=key, hint=hint))

    def row(
        self, table: Table, row: Row, column: str | None, message: str, hint: str, case: str | None
    ) -> None:
        where = f"row {row.number}" + (f", column '{column}'" if column else "")
        self.errors.append(
            SuiteError(f"{where}: {message}", file=table.file, line=row.line, case=case, hint=hint)
        )


def build_cases(suite: Suite) -> list[SuiteError]:
    """Replace `suite.cases` with every case it stands for; the problems found on the way."""
    sink = _Sink(suite)
    cases: list[Case] = []
    origins: list[CaseOrigin] = []
    source = suite.source
    for index, case in enumerate(suite.cases):
        loc: Loc = ("cases", index)
        line = source.line(loc) if source is not None else None  # as Suite.where finds it, faster
        for made in _matrix(case, loc, sink) if case.matrix or case.exclude else (case,):
            cases.append(made)
            origins.append(CaseOrigin(suite.path, line, yaml_loc=loc))
    for k, spec in enumerate(suite.cases_from):
        for row_case, origin in _from_file(suite, spec, ("cases_from", k), sink):
            for made in _matrix(
                row_case, ("cases_from", k, "case"), sink
            ):  # a matrix in `case:` crosses rows
                cases.append(made)
                origins.append(origin)
    for k, data in enumerate(suite.dataset):
        for row_case, origin in _from_dataset(data, ("dataset", k), sink):
            for made in _matrix(row_case, ("dataset", k, "case"), sink):
                cases.append(made)
                origins.append(origin)
    suite.cases = cases
    suite._origins = origins
    _fold_expectations(suite, sink)
    return sink.errors


# ---- matrix


def _matrix(case: Case, loc: Loc, sink: _Sink) -> Iterator[Case]:
    """`case` itself, or one case per combination of its `matrix:` values not `exclude:`d."""
    if not case.matrix:
        if case.exclude:
            sink.at("'exclude:' needs a 'matrix:' to exclude from", (*loc, "exclude"), case.id)
        yield case
        return
    keys = list(case.matrix)
    for key, values in case.matrix.items():
        if not values:
            sink.at(f"matrix var '{key}' has no values", (*loc, "matrix", key), case.id, "list at least one")
            return
    for k, rule in enumerate(case.exclude):
        for key, value in rule.items():
            if key not in case.matrix:
                sink.at(
                    f"exclude names '{key}', which is not a matrix var.{did_you_mean(key, keys)}",
                    (*loc, "exclude", k, key),
                    case.id,
                    f"matrix vars: {', '.join(keys)}",
                )
            elif value not in case.matrix[key]:
                sink.at(
                    f"exclude gives {key}={value!r}, which is not one of its matrix values",
                    (*loc, "exclude", k, key),
                    case.id,
                    f"values of '{key}': {', '.join(map(str, case.matrix[key]))}",
                )
    for combo in itertools.product(*case.matrix.values()):
        chosen = dict(zip(keys, combo, strict=True))
        if any(all(chosen.get(k) == v for k, v in rule.items()) for rule in case.exclude):
            continue
        label = ",".join(f"{k}={_label(v, case.matrix[k])}" for k, v in chosen.items())
        yield case.model_copy(
            update={
                "id": f"{case.id}[{label}]",
                "vars": {**case.vars, **chosen},
                "matrix": None,
                "exclude": [],
            },
            deep=True,
        )


def _label(value: Any, values: list[Any]) -> str:
    """A readable id part: short text as itself ('This weekend' -> 'This-weekend'), else its position."""
    if isinstance(value, str | int | float | bool) and len(text := str(value)) <= 32:
        return safe_name(text)
    return f"#{values.index(value) + 1}"


# ---- rows of data files and datasets


def _select(spec: RowSelection, rows: list[Any]) -> list[Any]:
    """`sample:` N rows drawn with `seed:` (kept in file order), then the first `limit:` of them."""
    if spec.sample is not None and spec.sample < len(rows):
        picked = set(random.Random(spec.seed).sample(range(len(rows)), spec.sample))
        rows = [r for i, r in enumerate(rows) if i in picked]
    return rows[: spec.limit] if spec.limit is not None else rows


def _base(fields: CaseFields) -> dict[str, Any]:
    return fields.model_dump(exclude_unset=True, by_alias=True)


def _make_case(
    base: dict[str, Any], own: dict[str, Any], table: Table, row: Row, sink: _Sink, columns: dict[str, str]
) -> Case | None:
    """The row's case: the `case:` fields, with the row's own id, prompt, vars, tags and expectations."""
    data = {**base, **own}
    data["vars"] = {**base.get("vars", {}), **own.get("vars", {})}
    data["tags"] = [*base.get("tags", []), *own.get("tags", [])]
    data["expect"] = [*base.get("expect", []), *own.get("expect", [])]
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            sink.row(
                table,
                row,
                columns.get(field),
                f"{'.'.join(map(str, err['loc']))}: {str(err['msg']).removeprefix('Value error, ')}",
                "fix the cell, or the suite's case: for these rows",
                str(own.get("id")),
            )
        return None


def _from_file(suite: Suite, spec: CasesFrom, loc: Loc, sink: _Sink) -> Iterator[tuple[Case, CaseOrigin]]:
    path = (suite.dir / spec.file).resolve()
    try:
        table = read_table(path)
    except SuiteError as exc:
        if "cannot read" in exc.message:
            file, line = suite.where(*loc, "file")
            exc.message += f" (named by cases_from: at {file}:{line})"
        sink.errors.append(exc)
        return
    mapped = _column_mapping(spec, table, loc, sink)
    if mapped is None:
        return
    base = _base(spec.case)
    for row in _select(spec, table.rows):
        own, columns = _row_fields(spec, mapped, table, row, sink)
        if own is None:
            continue
        made = _make_case(base, own, table, row, sink, columns)
        if made is not None:
            yield made, CaseOrigin(table.file, row.line, row=row.number)


def _column_mapping(spec: CasesFrom, table: Table, loc: Loc, sink: _Sink) -> dict[str, list[str]] | None:
    """The columns each case field reads, every one checked against the header; None when one is missing."""
    id_columns = re.findall(r"{(\w+)}", spec.id) if spec.id and "{" in spec.id else []
    if spec.id is not None and not id_columns:
        id_columns = [spec.id]
    elif spec.id is None and "id" in table.columns:
        id_columns = ["id"]
    single = {"prompt": spec.prompt, "tags": spec.tags, "group": spec.group, "xfail": spec.xfail}
    wanted: dict[str, list[str]] = {"id": [c for c in id_columns if c != "row"]}
    wanted.update({k: [c] for k, c in single.items() if c is not None})
    if isinstance(spec.vars, dict):
        wanted["vars"] = list(spec.vars.values())
    elif isinstance(spec.vars, list):
        wanted["vars"] = list(spec.vars)
    wanted["expect"] = list(spec.expect.values())
    ok = True
    for key, columns in wanted.items():
        for column in columns:
            if column not in table.columns:
                ok = False
                sink.at(
                    f"column '{column}' is not in {table.file.name}.{did_you_mean(column, table.columns)}",
                    (*loc, key),
                    hint=f"its columns: {', '.join(table.columns)} (header at {table.file}:1)",
                )
    if spec.vars is None:  # every column not mapped to something else is a var
        taken = {c for k, cols in wanted.items() if k != "vars" for c in cols}
        wanted["vars"] = [c for c in table.columns if c not in taken]
    return wanted if ok else None


def _row_fields(
    spec: CasesFrom, mapped: dict[str, list[str]], table: Table, row: Row, sink: _Sink
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The case fields one row gives, and which column each field came from (for error messages)."""
    v = row.values
    if spec.id and "{" in spec.id:
        cells = {c: safe_name(str(v.get(c, ""))) for c in mapped["id"]}
        case_id = spec.id.format_map({**cells, "row": row.number})
        id_column = ", ".join(mapped["id"]) or None
    elif mapped["id"]:
        id_column = mapped["id"][0]
        case_id = str(v.get(id_column, ""))
    else:
        case_id, id_column = f"row-{row.number}", None
    if not _NAME.match(case_id):
        sink.row(
            table,
            row,
            id_column,
            f"{case_id!r} is not a valid case id",
            f"use letters, digits, '.', '_' and '-' only, e.g. '{safe_name(case_id)}', or map id: to a "
            "pattern such as 'item-{row}'",
            None,
        )
        return None, {}
    own: dict[str, Any] = {"id": case_id}
    columns = {"id": id_column or "", "vars": "", "expect": ""}
    if spec.prompt is not None:
        own["prompt"] = str(v[spec.prompt])
        columns["prompt"] = spec.prompt
        if not own["prompt"].strip():
            sink.row(table, row, spec.prompt, "the prompt cell is empty", "write a prompt", case_id)
            return None, {}
    names = spec.vars if isinstance(spec.vars, dict) else {c: c for c in mapped["vars"]}
    if spec.prompt is None or spec.vars is not None or spec.case.template is not None:
        own["vars"] = {var: v[col] for var, col in names.items()}
    if spec.tags is not None:
        own["tags"] = [t.strip() for t in _TAG_SPLIT.split(str(v[spec.tags] or "")) if t.strip()]
        columns["tags"] = spec.tags
    if spec.group is not None and v[spec.group] not in (None, ""):
        own["group"] = str(v[spec.group])
        columns["group"] = spec.group
    if spec.xfail is not None and v[spec.xfail] not in (None, ""):
        own["xfail"] = str(v[spec.xfail])
        columns["xfail"] = spec.xfail
    own["expect"] = [{scorer: v[col]} for scorer, col in spec.expect.items() if v[col] not in (None, "")]
    return own, columns


def _from_dataset(data: Dataset, loc: Loc, sink: _Sink) -> Iterator[tuple[Case, CaseOrigin]]:
    info = DATASETS[data.name]
    rows = [info.to_case(r) for r in info.table.rows]
    for key in ("category", "challenge", "tag"):
        wanted = getattr(data, key)
        if wanted is None:
            continue
        if key not in info.filters:
            sink.at(
                f"dataset {data.name} has no '{key}' filter",
                (*loc, key),
                hint=f"filters of {data.name}: {', '.join(info.filters)}",
            )
            return
        before = len(sink.errors)
        rows = _filter(rows, info, key, wanted, (*loc, key), sink)
        if len(sink.errors) > before:
            return
    if not rows:
        sink.at(f"no row of {data.name} passes these filters", loc, hint="widen the filters")
        return
    fields = data.case
    templated = fields.template is not None
    base = _base(fields)
    table = info.table
    for made in _select(data, rows):
        own: dict[str, Any] = {"id": made.id, "tags": list(made.tags), "group": made.group}
        own["vars" if templated else "prompt"] = made.vars if templated else made.prompt
        if not templated and fields.prompt is not None:
            sink.at(
                "a dataset's case: cannot set prompt: (each row brings its own)",
                (*loc, "case", "prompt"),
                hint="use template: with {{ prompt }} to wrap each row's prompt",
            )
            return
        case = _make_case(base, own, table, made.row, sink, {})
        if case is not None:
            yield case, CaseOrigin(info.file, made.row.line, row=made.row.number, dataset=info.name)


def _filter(
    rows: list[DatasetRow], info: DatasetInfo, key: str, wanted: list[str], loc: Loc, sink: _Sink
) -> list[DatasetRow]:
    """Rows whose `key` column is one of `wanted` (matched ignoring case and punctuation, 'food-and-beverage'
    picks 'Food & Beverage'); a value the dataset does not have is an error naming those it has."""
    from harness.suite.datasets import slug

    known = info.values(key)
    by_slug = {slug(k): k for k in known}
    picked = set()
    for value in wanted:
        if slug(value) not in by_slug:
            sink.at(
                f"{info.name} has no {key} '{value}'.{did_you_mean(value, known)}",
                loc,
                hint=f"{key} values: {', '.join(known)}",
            )
            continue
        picked.add(by_slug[slug(value)])
    column = info.filters[key]
    return [r for r in rows if r.row.values[column] in picked]


# ---- expectations


def _fold_expectations(suite: Suite, sink: _Sink) -> None:
    """Every case's `expect:` made concrete: the suite-level entries (less `skip_expect:`), then its own,
    a named set replaced by its entries; `CaseOrigin.expect_at` keeps each entry's file and line."""
    sets = suite.expectations
    for name, entries in sets.items():
        if not _NAME.match(str(name)):
            sink.at(
                f"expectation set name '{name}' may use letters, digits, '.', '_' and '-' only",
                ("expectations", name),
            )
        for j, entry in enumerate(entries):
            _check_entry(entry, ("expectations", name, j), None, sink)
    shared = _resolve(suite, list(suite.expect), ("expect",), None, sink)
    origins = suite._origins  # read once: pydantic's private-attribute hook is slow
    for index, case in enumerate(suite.cases):
        origin = origins[index]
        mine = shared
        if case.skip_expect is True:
            mine = []
        elif case.skip_expect:
            names = {str(n) for n in case.skip_expect}
            known = {*sets, *(next(iter(e)) for e, _, _ in shared)}
            for name in names - known:
                sink.at(
                    f"skip_expect names '{name}', which the suite-level expect: does not use."
                    f"{did_you_mean(name, known)}",
                    ("cases", index, "skip_expect"),
                    case.id,
                    f"suite-level scorers and sets: {', '.join(sorted(known)) or '(none)'}",
                )
            mine = [e for e in shared if e[2] not in names and next(iter(e[0])) not in names]
        own = _resolve(suite, case.expect, ("cases", index, "expect"), case.id, sink)
        if case.chain is None:
            entries = [*mine, *own]
        else:  # the suite-level entries score the chain's last step, as the case's own do
            entries = own
            for j, step in enumerate(case.chain):
                step_entries = _resolve(
                    suite, step.expect, ("cases", index, "chain", j, "expect"), case.id, sink
                )
                if j == len(case.chain) - 1:
                    step_entries = [*step_entries, *mine]
                step.expect = [e for e, _, _ in step_entries]
                origin.expect_at[("chain", j)] = [w for _, w, _ in step_entries]
        case.expect = [e for e, _, _ in entries]
        origin.expect_at[()] = [w for _, w, _ in entries]


def _resolve(
    suite: Suite, items: list[Any], loc: Loc, case: str | None, sink: _Sink
) -> list[tuple[Expectation, tuple[Path, int | None], str | None]]:
    """(entry, where it was written, the set it came from) for each item; a set name is replaced."""
    out: list[tuple[Expectation, tuple[Path, int | None], str | None]] = []
    for k, item in enumerate(items):
        if isinstance(item, str):
            if item not in suite.expectations:
                sink.at(
                    f"unknown expectation set '{item}'.{did_you_mean(item, suite.expectations)}",
                    (*loc, k),
                    case,
                    f"sets under expectations: {', '.join(suite.expectations) or '(none)'}",
                )
                continue
            for j, entry in enumerate(suite.expectations[item]):
                out.append((entry, suite.where("expectations", item, j), item))
            continue
        _check_entry(item, (*loc, k), case, sink)
        out.append((item, suite.where(*loc, k), None))
    return out


def _check_entry(entry: Expectation, loc: Loc, case: str | None, sink: _Sink) -> None:
    if len(entry) != 1:
        sink.at(
            f"each expectation is a single-key mapping, got keys {sorted(map(str, entry))}",
            loc,
            case,
            "one scorer per list item, e.g. '- aspect_ratio: \"1:1\"' (weight: goes inside its value)",
        )
