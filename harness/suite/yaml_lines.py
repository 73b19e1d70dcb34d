"""Load YAML and remember the line of every mapping key and list item, so any error can say file:line.

PyYAML's composed node tree carries start marks; we build the data from it ourselves, which also lets us
refuse duplicate keys (PyYAML silently keeps the last) and keep `16:9` as text (YAML 1.1 would read an
unquoted 16:9 as the base-60 number 969). The tree is composed by libyaml (the C parser PyYAML wheels
carry; ten times faster than the pure-Python one) and aliases are counted before anything is built, so a
"billion laughs" file is refused at once instead of growing to gigabytes.
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
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


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
        node = loader.get_single_node()
        result = LocatedYaml(data=None, file=path)
        if node is not None:
            _check_size(loader, node, path)
            result.lines[()] = node.start_mark.line + 1
            result.data = _build(loader, node, (), result)
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


def _check_size(loader: Any, root: yaml.Node, path: Path) -> None:
    """Count the values building `root` would make (aliases counted each time they are used, `<<:` merges
    resolved on the way) without building them; refuse a file whose aliases multiply it."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    written = 0
    worst: tuple[int, yaml.Node] = (0, root)

    def size(node: yaml.Node) -> int:
        nonlocal written, worst
        key = id(node)
        if key in sizes:
            if sizes[key] > worst[0]:
                worst = (sizes[key], node)
            return sizes[key]
        if key in open_nodes:
            raise _refuse(path, node, "a YAML alias refers to the value it is part of (an endless value)")
        open_nodes.add(key)
        written += 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
                for _, value in node.value:
                    size(value)  # merge sources first, so flattening below copies only counted pairs
                loader.flatten_mapping(node)
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        open_nodes.discard(key)
        sizes[key] = total
        if total > MAX_VALUES and total > ALIAS_GROWTH * written:
            raise _refuse(path, worst[1], f"YAML aliases expand this file to more than {total:,} values")
        return total

    size(root)


def _refuse(path: Path, node: yaml.Node, problem: str) -> SuiteError:
    return SuiteError(
        f"{problem}; refused (a file of {ALIAS_GROWTH}x repeated aliases, 'billion laughs', would use "
        "gigabytes of memory)",
        file=path,
        line=node.start_mark.line + 1,
        hint="write the values out, or use fewer nested aliases (&name / *name)",
    )


def _build(loader: Any, node: yaml.Node, loc: Loc, out: LocatedYaml) -> Any:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        if node.tag in _NUMBER and not node.style and _SEXAGESIMAL.match(node.value):
            return node.value
        return loader.construct_object(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR else loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            line = key_node.start_mark.line + 1
            if key in mapping:
                out.duplicates.append(
                    SuiteError(
                        f"duplicate key '{key}' (first at line {out.lines.get((*loc, key))})",
                        file=out.file,
                        line=line,
                        key=str(key),
                        hint="keep one of the two; YAML would silently drop one",
                    )
                )
            out.lines.setdefault((*loc, key), line)
            mapping[key] = _build(loader, value_node, (*loc, key), out)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            out.lines[(*loc, index)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*loc, index), out))
        return items
    return loader.construct_object(node, deep=True)
