"""Public prompt sets shipped with the harness, each beside its licence (see README.md in this folder).

A dataset row becomes a case with a stable id (its row number in the published file, so a filtered or
sampled suite keeps the ids of the full set and runs stay comparable), its prompt, tags and group.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.suite.rows import Row, Table, read_table

HERE = Path(__file__).resolve().parent


def slug(text: str) -> str:
    """'Food & Beverage' -> 'food-and-beverage' (a tag people can type)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and")).strip("-")


@dataclass(frozen=True)
class DatasetRow:
    id: str
    prompt: str
    tags: tuple[str, ...]
    group: str
    vars: dict[str, Any]
    row: Row


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    file: Path
    licence: Path
    filters: dict[str, str]  # filter key in the suite -> the column it reads
    to_case: Callable[[Row], DatasetRow]
    quoting: int = csv.QUOTE_MINIMAL

    @property
    def table(self) -> Table:
        return _table(self.file, self.quoting)

    def values(self, key: str) -> list[str]:
        """Every value the filter `key` can match, in the file's order."""
        column = self.filters[key]
        return list(dict.fromkeys(str(r.values[column]) for r in self.table.rows))


@cache
def _table(file: Path, quoting: int) -> Table:
    return read_table(file, quoting=quoting)


def _parti(row: Row) -> DatasetRow:
    v = row.values
    return DatasetRow(
        id=f"parti-{row.number:04d}",
        prompt=v["Prompt"],
        tags=(slug(v["Category"]), slug(v["Challenge"])),
        group=slug(v["Category"]),
        vars={
            "prompt": v["Prompt"],
            "category": v["Category"],
            "challenge": v["Challenge"],
            "note": v["Note"],
        },
        row=row,
    )


_PLURALS = {"person": "people", "mouse": "mice", "knife": "knives", "sheep": "sheep", "skis": "skis"}


def _plural(noun: str) -> str:
    last = noun.rsplit(" ", 1)[-1]
    if last in _PLURALS:
        return noun[: len(noun) - len(last)] + _PLURALS[last]
    if last.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _objects(include: list[dict[str, Any]]) -> str:
    """GenEval's `include` list as words: 'one red bench and two cows'."""
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    parts = []
    for item in include:
        count = int(item.get("count", 1))
        number = words[count] if count < len(words) else str(count)
        color = f"{item['color']} " if item.get("color") else ""
        noun = item["class"] if count == 1 else _plural(item["class"])
        parts.append(f"{number} {color}{noun}")
    return " and ".join(parts)


def _geneval(row: Row) -> DatasetRow:
    v = row.values
    return DatasetRow(
        id=f"geneval-{row.number:03d}",
        prompt=v["prompt"],
        tags=(v["tag"],),
        group=v["tag"],
        vars={"prompt": v["prompt"], "tag": v["tag"], "objects": _objects(v.get("include") or [])},
        row=row,
    )


DATASETS = {
    "partiprompts": DatasetInfo(
        "partiprompts",
        HERE / "partiprompts.tsv",
        HERE / "partiprompts.LICENSE",
        {"category": "Category", "challenge": "Challenge"},
        _parti,
        csv.QUOTE_NONE,  # one prompt starts with a literal '"'
    ),
    "geneval": DatasetInfo(
        "geneval", HERE / "geneval.jsonl", HERE / "geneval.LICENSE", {"tag": "tag"}, _geneval
    ),
}
