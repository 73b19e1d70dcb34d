"""The alignment scorer's questions file: `<suite dir>/questions/<suite>.yaml`, one entry per prompt hash.

A person reviews and edits it like any source file; CI reads it instead of asking the judge again. An
entry is found by the hash of the prompt text, so a changed prompt gets new questions and every other
prompt keeps its (possibly hand-edited) ones.

    format: prompt-harness-questions/1
    questions_of: showcase           # the suite (not `suite:`, so no tool mistakes this file for one)
    prompts:
      3f2a...:                      # sha256 of the prompt, first 16 hex digits
        prompt: A blue cup on a white table
        generated_by: {model: gemini-2.5-flash, prompt_version: dsg-questions-v1}
        questions:
        - {id: 1, kind: entity, question: Is there a cup?, parents: []}
        - {id: 2, kind: attribute, question: Is the cup blue?, parents: [1]}
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError
from harness.files import atomic_write

FORMAT = "prompt-harness-questions/1"
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class Question(BaseModel):
    """One atomic yes/no question; `parents` are the ids it depends on (an attribute on its entity)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    kind: str = "entity"
    question: str
    parents: list[int] = Field(default_factory=list)


class QuestionSet(BaseModel):
    """The questions of one prompt (also the response_schema of the decomposition request)."""

    questions: list[Question]


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    generated_by: dict[str, str] = Field(default_factory=dict)
    questions: list[Question]


class _Flow(dict):
    """A question, written on one line: `- {id: 2, kind: attribute, question: ..., parents: [1]}`."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.strip().encode()).hexdigest()[:16]


def questions_path(suite_dir: Path, suite: str) -> Path:
    return Path(suite_dir) / "questions" / f"{suite}.yaml"


def lock_for(path: Path) -> threading.Lock:
    """One lock per file, so scoring threads never generate the same prompt's questions twice."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(Path(path).resolve(), threading.Lock())


def load(path: Path) -> dict[str, Entry]:
    """The entries of a questions file (none when it does not exist); a broken file is a clear error."""
    if not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise HarnessError(
            f"questions file is not valid YAML: {getattr(exc, 'problem', exc)}",
            file=path,
            line=mark.line + 1 if mark else None,
            hint="fix it, or delete the entry so the judge writes it again",
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HarnessError(f"not a questions file (expected format: {FORMAT})", file=path)
    out = {}
    for key, raw in (doc.get("prompts") or {}).items():
        try:
            out[str(key)] = Entry.model_validate(raw)
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise HarnessError(
                f"questions entry {key}: {problem}",
                file=path,
                hint="each question needs id and question; parents lists ids",
            ) from None
    return out


def save(path: Path, suite: str, entries: dict[str, Entry]) -> None:
    """Written sorted by prompt so a new prompt is a small diff in review."""
    doc: dict[str, Any] = {"format": FORMAT, "questions_of": suite, "prompts": {}}
    for key in sorted(entries, key=lambda k: (entries[k].prompt, k)):
        entry = entries[key].model_dump()
        entry["generated_by"] = _Flow(entry["generated_by"])
        entry["questions"] = [
            _Flow(id=q.id, kind=q.kind, question=q.question, parents=q.parents)
            for q in entries[key].questions
        ]
        doc["prompts"][key] = entry
    head = (
        "# Questions the `alignment:` scorer asks of each image, keyed by the prompt's hash.\n"
        "# Review and edit them; a changed prompt gets new questions, the others are kept.\n"
    )
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    atomic_write(path, (head + text).encode("utf-8"))
