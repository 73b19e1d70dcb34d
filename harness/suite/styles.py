"""Style presets: named, versioned looks under templates/styles/*.yaml, which may extend one another."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.context import input_policy
from harness.errors import SuiteError, ValidationFailed
from harness.files import outside
from harness.suite.load import did_you_mean, parse_model
from harness.suite.schema import CONFIG_KEYS, StylePreset
from harness.suite.templates import search_dirs
from harness.suite.yaml_lines import LocatedYaml, load_yaml


@dataclass(frozen=True)
class Promise:
    """An expectation a style makes, with where it was written."""

    spec: dict[str, Any]
    file: Path
    line: int | None


@dataclass
class ResolvedStyle:
    """A preset with its `extends:` chain folded in (child wins; lists add up)."""

    name: str
    version: str
    description: str | None
    file: Path
    inherits: list[str]  # parents, nearest first
    prefix: str | None = None
    suffix: str | None = None
    negative: list[str] = field(default_factory=list)
    image: dict[str, Any] = field(default_factory=dict)
    image_lines: dict[str, tuple[Path, int | None]] = field(default_factory=dict)
    references: list[Path] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    promises: list[Promise] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def negative_phrase(self) -> str:
        return fold_negative(self.negative)

    def template_vars(self) -> dict[str, Any]:
        """What templates see as `style`."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "negative": self.negative_phrase,
            "vars": self.vars,
            "tags": self.tags,
        }

    def wrap(self, body: str) -> str:
        """prefix, body and suffix as sentences; the negative hints fold into the last sentence when it
        ends plainly (`..., without text.`), and follow as a sentence of their own after `!`, `?` or a
        quotation that ends a sentence (`reads "Open." Without text.`)."""
        text = join_sentences(self.prefix, body, self.suffix)
        if not self.negative:
            return text
        if not ends_sentence(text):
            return f"{text}, {self.negative_phrase}."
        if text.endswith(".") and not ends_sentence(text[:-1]):
            return f"{text[:-1].rstrip()}, {self.negative_phrase}."
        return join_sentences(text, self.negative_phrase + ".")


def ends_sentence(text: str) -> bool:
    """Whether `text` ends a sentence: `.`, `!` or `?`, also inside closing quotes (`reads "Sale!"`);
    a bare closing quote (`reads "Sale"`) does not."""
    return text.rstrip("\"'”’").endswith((".", "!", "?")) if text else False


def join_sentences(*parts: str | None) -> str:
    """Join prompt fragments as sentences: each ends with punctuation, each starts with a capital."""
    return join_spaced([spaced(part) for part in parts])


def spaced(part: str | None) -> str:
    """A fragment with its runs of whitespace folded to one space ('' for none)."""
    return " ".join(part.split()) if part else ""


def join_spaced(parts: list[str]) -> str:
    """`join_sentences` of fragments `spaced` already folded: expansion folds a case's prompt and a
    variant's prefix and suffix once, not once per trial."""
    out: list[str] = []
    for text in parts:
        if not text:
            continue
        if out:
            text = text[0].upper() + text[1:]
            if not ends_sentence(out[-1]):
                out[-1] += "."
        out.append(text)
    return " ".join(out)


def fold_negative(hints: list[str]) -> str:
    """['no text', 'watermark', 'no blur'] -> 'without text, watermark or blur': image models follow
    positive phrasing better than a list of 'no X' commands."""
    words: list[str] = []
    for hint in hints:
        for piece in hint.split(","):
            word = piece.strip().removeprefix("no ").removeprefix("without ").strip()
            if word and word not in words:
                words.append(word)
    if not words:
        return ""
    body = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"without {body}"


class StyleLibrary:
    """Every preset visible from one place; nearer folders shadow the project's presets of the same name."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs
        self.files: dict[str, Path] = {}
        for folder in dirs:
            for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
                self.files.setdefault(path.stem, path)
        self._raw: dict[str, tuple[StylePreset, LocatedYaml]] = {}
        self._resolved: dict[str, ResolvedStyle] = {}

    @classmethod
    def for_suite(cls, suite_path: Path | None) -> StyleLibrary:
        return cls(search_dirs(suite_path, "styles"))

    def names(self) -> list[str]:
        return sorted(self.files)

    def resolve(self, name: str) -> ResolvedStyle:
        """The merged preset; raises SuiteError/ValidationFailed naming the preset file and line."""
        if name not in self._resolved:
            self._resolved[name] = self._resolve(name, ())
        return self._resolved[name]

    def _raw_preset(self, name: str) -> tuple[StylePreset, LocatedYaml]:
        if name not in self._raw:
            path = self.files[name]
            resolved = outside(path, (*self.dirs, *input_policy.get().allow_outside))
            if resolved is not None:
                raise SuiteError(
                    f"style preset {path} resolves to {resolved}, outside its folders",
                    file=path,
                    hint="move the preset into the project, or allow it: --allow-outside DIR",
                )
            doc = load_yaml(path)
            preset, errors = parse_model(StylePreset, doc, "style preset")
            errors = [*doc.duplicates, *errors]
            if preset is not None and preset.name not in (None, name):
                errors.append(
                    SuiteError(
                        f"the preset is named '{preset.name}' but its file is '{path.name}'",
                        file=path,
                        line=doc.line(("name",)),
                        key="name",
                        hint=f"rename the file to {preset.name}.yaml or set name: {name}",
                    )
                )
            if errors:
                raise ValidationFailed(errors) if len(errors) > 1 else errors[0]
            assert preset is not None
            self._raw[name] = (preset, doc)
        return self._raw[name]

    def _resolve(self, name: str, seen: tuple[str, ...]) -> ResolvedStyle:
        preset, doc = self._raw_preset(name)
        path = self.files[name]
        base: ResolvedStyle | None = None
        if preset.extends is not None:
            parent = preset.extends
            line = doc.line(("extends",))
            if parent in (*seen, name):
                cycle = " -> ".join((*seen, name, parent))
                raise SuiteError(
                    f"style 'extends:' cycle: {cycle}",
                    file=path,
                    line=line,
                    key="extends",
                    hint="a preset may not extend itself, directly or through others",
                )
            if parent not in self.files:
                raise SuiteError(
                    f"style '{name}' extends unknown style '{parent}'.{did_you_mean(parent, self.files)}",
                    file=path,
                    line=line,
                    key="extends",
                    hint=f"available: {', '.join(self.names())}",
                )
            base = self._resolve(parent, (*seen, name))
        return _merge(base, preset, doc, name, path)


def _merge(
    base: ResolvedStyle | None, preset: StylePreset, doc: LocatedYaml, name: str, path: Path
) -> ResolvedStyle:
    own_image = preset.image.overrides()
    style = ResolvedStyle(
        name=name,
        version=preset.version,
        description=preset.description,
        file=path,
        inherits=[base.name, *base.inherits] if base else [],
        prefix=preset.prefix if preset.prefix is not None else (base.prefix if base else None),
        suffix=preset.suffix if preset.suffix is not None else (base.suffix if base else None),
        negative=[*(base.negative if base else [])],
        image={**(base.image if base else {}), **own_image},
        image_lines={
            **(base.image_lines if base else {}),
            **{k: (path, doc.line(("image", k))) for k in own_image if k in CONFIG_KEYS},
        },
        references=[*(base.references if base else []), *(path.parent / r for r in preset.references)],
        vars={**(base.vars if base else {}), **preset.vars},
        tags=[*(base.tags if base else []), *(t for t in preset.tags if not base or t not in base.tags)],
    )
    own_negative = preset.negative if isinstance(preset.negative, list) else [preset.negative]
    style.negative += [n for n in own_negative if n not in style.negative]
    own = [Promise(spec, path, doc.line(("expect", i))) for i, spec in enumerate(preset.expect)]
    own_keys = {next(iter(p.spec), None) for p in own}
    inherited = [p for p in (base.promises if base else []) if next(iter(p.spec), None) not in own_keys]
    style.promises = inherited + own
    return style
