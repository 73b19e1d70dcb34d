"""Load YAML and remember the line of every mapping key and list item, so any error can say file:line.

libyaml (the C parser PyYAML wheels carry) turns the text into events with start marks; we build the data
from those events ourselves, in one loop with no node tree (composing PyYAML's node tree and walking it in
Python cost ten times the parse). Building it ourselves also lets us refuse duplicate keys (PyYAML silently
keeps the last) and keep `16:9` as text (YAML 1.1 would read an unquoted 16:9 as the base-60 number 969).
An alias reuses the value its anchor built, and what aliases add is counted as they are met, so a
"billion laughs" file is refused at once instead of growing to gigabytes downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import SuiteError

Loc = tuple[str | int, ...]

_SEXAGESIMAL = re.compile(r"^[0-9]+(:[0-9]+)+$")
_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_STR = "tag:yaml.org,2002:str"
_NUMBER = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# Aliases may repeat a value, not multiply the file: refuse when they would build more than this many
# values and more than ALIAS_GROWTH times the values the file itself writes.
MAX_VALUES = 200_000
ALIAS_GROWTH = 10


@dataclass
class LocatedYaml:
    """Parsed data plus `lines[path] -> 1-based line` for every key and list item in the file."""

    data: Any
    file: Path
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicates: list[SuiteError] = field(default_factory=list)

    def line(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor that appears in the file."""
        lines, loc = self.lines, tuple(loc)
        while loc:
            line = lines.get(loc)
            if line is not None:
                return line
            loc = loc[:-1]
        return lines.get((), 1)


def load_yaml(path: str | Path, text: str | None = None) -> LocatedYaml:
    """Parse one YAML document; a syntax error becomes a SuiteError at the parser's line."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SuiteError(
                f"cannot read the file: {getattr(exc, 'strerror', None) or exc}",
                file=path,
                hint="check the path; suite paths are relative to the current directory",
            ) from exc
    loader = _LOADER(text)
    try:
        result = LocatedYaml(data=None, file=path)
        result.data = _Builder(loader, result).document()
        return result
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        start = exc.context_mark.line + 1 if exc.context_mark and exc.problem_mark else None
        if start is not None and start != line:
            what = re.sub(r"^while \w+ ", "", exc.context or "") or "it"
            problem += f" ({what} started at line {start})"
        raise SuiteError(
            f"YAML syntax error: {problem}",
            file=path,
            line=line,
            hint="fix the YAML at that line (indentation, a missing ':' or an unclosed quote)",
        ) from exc
    except yaml.YAMLError as exc:
        raise SuiteError(f"YAML error: {exc}", file=path, hint="fix the YAML syntax") from exc
    finally:
        loader.dispose()


_MISSING = object()
_MERGE = object()  # the key `<<`: merge the mapping(s) its value names
_MERGE_TAG = "tag:yaml.org,2002:merge"
_KINDS: dict[type, str] = {dict: "mapping", list: "sequence"}


class _Open:
    """A mapping or list being built: its container, place, anchor and the values it holds so far."""

    __slots__ = ("anchor", "container", "is_map", "key", "key_line", "loc", "mark", "merges", "size")

    def __init__(self, container: Any, loc: Loc, anchor: str | None, mark: Any) -> None:
        self.container = container
        self.is_map = type(container) is dict
        self.loc = loc
        self.anchor = anchor
        self.mark = mark
        self.size = 1
        self.key: Any = _MISSING  # a mapping's key waiting for its value
        self.key_line = 0
        self.merges: list[tuple[Any, int, Any]] | None = None  # `<<:` values, their lines and marks

    def merge(self, value: Any) -> None:
        if self.merges is None:
            self.merges = []
        self.merges.append((value, self.key_line, self.mark))
        self.key = _MISSING


class _Builder:
    """Builds the data straight from libyaml's events (no node tree walked in Python), recording the line
    of every key and list item, and counting what aliases would add before any alias is used."""

    def __init__(self, loader: Any, out: LocatedYaml) -> None:
        self.loader = loader
        self.out = out
        self.lines = out.lines
        self.anchors: dict[str, tuple[Any, int, Any]] = {}  # anchor -> value, its size, its mark
        self.open_anchors: dict[str, Any] = {}  # anchors of values still being built -> their mark
        self.tags: dict[str, str] = {}  # plain scalar text -> its resolved tag
        self.first_chars = {c for c in loader.yaml_implicit_resolvers if c}
        self.scalars: dict[tuple[str, str], Any] = {}  # (tag, text) -> constructed value
        self.added = 0  # values that aliases repeat
        self.anchored_at: dict[int, tuple[Any, Loc]] = {}  # id of an anchored mapping -> it, its place

    def document(self) -> Any:
        get = self.loader.get_event
        get()  # stream start
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        start = event.start_mark
        data = self.node(get)
        get()  # document end
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                start,
                "but found another document",
                event.start_mark,
            )
        return data

    def node(self, get: Any) -> Any:
        """Build one value (the document's root) from the events, in one loop without recursion. This loop
        is most of the load time of a big suite, so a plain key or text value takes the short way."""
        lines, first = self.lines, self.first_chars
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        stack: list[_Open] = []
        top: _Open | None = None
        written = 0
        event = get()
        lines[()] = event.start_mark.line + 1
        while True:
            cls = type(event)
            if top is not None and top.is_map and top.key is _MISSING and cls is not map_end:
                written += 1
                key: Any = event.value if cls is scalar_event else None
                if (
                    cls is not scalar_event
                    or event.tag is not None
                    or event.anchor is not None
                    or (event.implicit[0] and (not key or key[0] in first) and self.tag_of(key) != _STR)
                ):
                    key = self.key_of(event, written)
                line = event.start_mark.line + 1
                top.key, top.key_line = key, line
                top.size += 1
                if key is not _MERGE:
                    lines.setdefault((*top.loc, key), line)
                event = get()
                continue
            if top is not None and not top.is_map and cls is not seq_end:
                lines[(*top.loc, len(top.container))] = event.start_mark.line + 1
            if cls is scalar_event:
                written += 1
                size = 1
                value = event.value
                if (
                    event.tag is not None
                    or (event.implicit[0] and (not value or value[0] in first) and self.tag_of(value) != _STR)
                    or event.anchor is not None
                ):
                    value = self.scalar(event)
                    if event.anchor is not None:
                        self.anchor(event.anchor, value, 1, event.start_mark)
            elif cls is map_end or cls is seq_end:
                item = stack.pop()
                value, size = self.close(item)
            elif cls is map_start or cls is seq_start:
                written += 1
                if top is None:
                    loc: Loc = ()
                elif top.is_map:
                    loc = (*top.loc, top.key)
                else:
                    loc = (*top.loc, len(top.container))
                if event.anchor is not None:
                    self.check_new_anchor(event.anchor, event.start_mark)
                    self.open_anchors[event.anchor] = event.start_mark
                top = _Open({} if cls is map_start else [], loc, event.anchor, event.start_mark)
                stack.append(top)
                event = get()
                continue
            elif cls is alias_event:
                value, size = self.alias(event, written)
            else:
                raise yaml.composer.ComposerError(None, None, "unexpected YAML event", event.start_mark)
            if not stack:
                return value
            top = stack[-1]
            top.size += size
            if not top.is_map:
                top.container.append(value)
            elif top.key is _MERGE:
                top.merge(value)
            else:
                if top.key in top.container:
                    self.duplicate(top)
                top.container[top.key] = value
                top.key = _MISSING
            event = get()

    def close(self, item: _Open) -> tuple[Any, int]:
        value = item.container
        if item.merges:
            value = self.merged(item)
        if item.anchor is not None:
            del self.open_anchors[item.anchor]
            self.anchors[item.anchor] = (value, item.size, item.mark)
            self.anchored_at[id(value)] = (value, item.loc)
        return value, item.size

    def duplicate(self, top: _Open) -> None:
        self.out.duplicates.append(
            SuiteError(
                f"duplicate key '{top.key}' (first at line {self.lines.get((*top.loc, top.key))})",
                file=self.out.file,
                line=top.key_line,
                key=str(top.key),
                hint="keep one of the two; YAML would silently drop one",
            )
        )

    def key_of(self, event: Any, written: int) -> Any:
        """A mapping key that is not plain text: `<<` (a merge), a number or other scalar, an alias."""
        cls = type(event)
        if cls is yaml.ScalarEvent:
            if event.tag is None and event.implicit[0] and self.tag_of(event.value) == _MERGE_TAG:
                return _MERGE
            key = self.scalar(event)
            if event.anchor is not None:
                self.anchor(event.anchor, key, 1, event.start_mark)
        elif cls is yaml.AliasEvent:
            key, _ = self.alias(event, written)
        else:
            key = None
        if cls not in (yaml.ScalarEvent, yaml.AliasEvent) or (
            not isinstance(key, str | int | float | bool) and key is not None
        ):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", event.start_mark
            )
        return key

    def merged(self, item: _Open) -> dict[Any, Any]:
        """`<<: *base` (or a list of them): the sources' keys first, the mapping's own keys over them, as
        PyYAML merges (an earlier source in a list wins over a later one)."""
        result: dict[Any, Any] = {}
        assert item.merges is not None
        for value, line, mark in item.merges:
            sources = value if isinstance(value, list) else [value]
            wrong = [s for s in sources if not isinstance(s, dict)]
            if wrong:
                what = "a mapping" if isinstance(value, list) else "a mapping or list of mappings"
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    mark,
                    f"expected {what} for merging, but found {_KINDS.get(type(wrong[0]), 'scalar')}",
                    mark,
                )
            for source in reversed(sources):
                at = self.anchored_at.get(id(source))
                written = at[1] if at is not None and at[0] is source else None
                for key, sub in source.items():
                    result[key] = sub  # a key merged in is placed at its anchor's line, else at `<<:`
                    own = self.lines.get((*written, key)) if written is not None else None
                    self.lines.setdefault((*item.loc, key), own or line)
        result.update(item.container)
        return result

    def tag_of(self, value: str) -> str:
        if value and value[0] not in self.first_chars:
            return _STR  # no implicit type (number, bool, null, date) starts with this character
        tag = self.tags.get(value)
        if tag is None:
            tag = self.tags[value] = self.loader.resolve(yaml.ScalarNode, value, (True, False))
        return tag

    def scalar(self, event: Any) -> Any:
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value
            tag = self.tag_of(value)
        if tag == _STR:
            return value
        if tag in _NUMBER and not event.style and _SEXAGESIMAL.match(value):
            return value
        key = (tag, value)
        made = self.scalars.get(key, _MISSING)
        if made is _MISSING:
            node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            made = self.scalars[key] = self.loader.construct_object(node, deep=True)
        return made

    def anchor(self, name: str, value: Any, size: int, mark: Any) -> None:
        self.check_new_anchor(name, mark)
        self.anchors[name] = (value, size, mark)

    def check_new_anchor(self, name: str, mark: Any) -> None:
        first = self.anchors.get(name) or (None, 0, self.open_anchors.get(name))
        if first[2] is not None:
            raise yaml.composer.ComposerError(
                "found duplicate anchor; first occurrence", first[2], "second occurrence", mark
            )

    def alias(self, event: Any, written: int) -> tuple[Any, int]:
        """The anchored value again (the same object); refused when what aliases add would outgrow the
        file: more than MAX_VALUES values and ALIAS_GROWTH times those written so far."""
        name = event.anchor
        if name in self.open_anchors:
            problem = "a YAML alias refers to the value it is part of (an endless value)"
            raise _refuse_at(self.out.file, event.start_mark, problem)
        if name not in self.anchors:
            raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
        value, size, _ = self.anchors[name]
        self.added += size
        total = written + self.added
        if total > MAX_VALUES and total > ALIAS_GROWTH * written:
            problem = f"YAML aliases expand this file to more than {total:,} values"
            raise _refuse_at(self.out.file, event.start_mark, problem)
        return value, size


def _refuse_at(path: Path, mark: Any, problem: str) -> SuiteError:
    return SuiteError(
        f"{problem}; refused (a file of {ALIAS_GROWTH}x repeated aliases, 'billion laughs', would use "
        "gigabytes of memory)",
        file=path,
        line=mark.line + 1,
        hint="write the values out, or use fewer nested aliases (&name / *name)",
    )
