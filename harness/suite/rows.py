"""Rows of a data file (CSV, TSV, JSONL or a YAML list), each with the line it starts on, so a bad cell is
reported as file:line, row and column."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import SuiteError
from harness.suite.yaml_lines import load_yaml

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
}


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, the header not counted
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Table:
    file: Path
    columns: list[str]
    rows: list[Row]


def read_table(path: Path, *, quoting: int = csv.QUOTE_MINIMAL) -> Table:
    """Every row of `path`; a file that cannot be read or parsed is a SuiteError at its line."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise SuiteError(
            f"cannot tell the format of data file {path.name}",
            file=path,
            hint=f"name it with one of: {', '.join(FORMATS)}",
        )
    if kind == "yaml":
        return _yaml_table(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(
            f"cannot read data file: {getattr(exc, 'strerror', None) or exc}",
            file=path,
            hint="check the path (relative to the suite file) and that the file is UTF-8 text",
        ) from exc
    if kind == "jsonl":
        return _jsonl_table(path, text)
    return _csv_table(path, text, "\t" if kind == "tsv" else ",", quoting)


def _csv_table(path: Path, text: str, delimiter: str, quoting: int) -> Table:
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, quoting=quoting, strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise SuiteError("the data file is empty", file=path, line=1, hint="add a header row of columns")
        columns = [c.strip() for c in header]
        _check_header(path, columns)
        rows: list[Row] = []
        start = reader.line_num + 1
        for cells in reader:
            if not any(c.strip() for c in cells):
                start = reader.line_num + 1
                continue
            if len(cells) != len(columns):
                raise SuiteError(
                    f"row {len(rows) + 1} has {len(cells)} cells; the header has {len(columns)}",
                    file=path,
                    line=start,
                    hint="quote cells that contain the delimiter, or add the missing cells",
                )
            rows.append(Row(len(rows) + 1, start, dict(zip(columns, cells, strict=True))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SuiteError(
            f"CSV syntax error: {exc}", file=path, line=reader.line_num, hint="fix the quoting on that line"
        ) from exc
    return Table(path, columns, rows)


def _check_header(path: Path, columns: list[str]) -> None:
    for i, name in enumerate(columns):
        if not name:
            raise SuiteError(f"column {i + 1} of the header has no name", file=path, line=1, hint="name it")
        if name in columns[:i]:
            raise SuiteError(
                f"column '{name}' appears twice in the header", file=path, line=1, hint="rename one"
            )


def _jsonl_table(path: Path, text: str) -> Table:
    rows: list[Row] = []
    columns: dict[str, None] = {}
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteError(
                f"JSON error at column {exc.colno}: {exc.msg}",
                file=path,
                line=line_no,
                hint="each line of a .jsonl file is one JSON object",
            ) from exc
        if not isinstance(value, dict):
            raise SuiteError(
                f"row {len(rows) + 1} is a JSON {type(value).__name__}, not an object",
                file=path,
                line=line_no,
                hint='write one {"column": value, ...} object per line',
            )
        columns.update(dict.fromkeys(map(str, value)))
        rows.append(Row(len(rows) + 1, line_no, {str(k): v for k, v in value.items()}))
    return Table(path, list(columns), rows)


def _yaml_table(path: Path) -> Table:
    doc = load_yaml(path)
    if doc.duplicates:
        raise doc.duplicates[0]
    if not isinstance(doc.data, list) or not all(isinstance(item, dict) for item in doc.data):
        raise SuiteError(
            "a YAML data file must be a list of mappings (one '- column: value' block per row)",
            file=path,
            line=doc.line(()),
            hint="start each row with '- '",
        )
    columns: dict[str, None] = {}
    rows = []
    for i, item in enumerate(doc.data):
        columns.update(dict.fromkeys(map(str, item)))
        rows.append(Row(i + 1, doc.line((i,)) or 1, {str(k): v for k, v in item.items()}))
    return Table(path, list(columns), rows)
