"""Human labels of a run's trials: results/<run>/labels.jsonl, appended by `harness review import`.

A reviewer marks a trial pass or fail, a 1-5 score, the side they prefer when comparing two runs, and a
note; each label names who gave it and when. The review page saves a labels file (`LabelsFile`, JSON),
which import validates against the run and appends. When one reviewer labels a trial twice, the later
label stands (`latest`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError
from harness.record import Score, TrialRecord

FORMAT = "prompt-harness-labels/1"
LABELS_FILE = "labels.jsonl"
Side = Literal["a", "b", "tie"]


class Label(BaseModel):
    """One reviewer's judgement of one trial (`other_trial`: the trial of the run it was compared with)."""

    model_config = ConfigDict(extra="forbid")

    trial_id: str
    verdict: Literal["pass", "fail"] | None = None
    score: int | None = Field(None, ge=1, le=5)
    preferred: Side | None = None
    other_run: str | None = None
    other_trial: str | None = None
    note: str = ""
    reviewer: str
    labelled_at: str

    @property
    def passed(self) -> bool | None:
        return None if self.verdict is None else self.verdict == "pass"

    def empty(self) -> bool:
        return self.verdict is None and self.score is None and self.preferred is None and not self.note


class LabelsFile(BaseModel):
    """What the review page downloads: the run it was made from and the labels given."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["prompt-harness-labels/1"]
    run_id: str
    other_run: str | None = None
    reviewer: str
    saved_at: str
    labels: list[Label]


def read_labels_file(path: Path) -> LabelsFile:
    """A downloaded labels file; a file that is not one says what it is and what to do."""
    try:
        return LabelsFile.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        hint = "save one from the page `harness review RUN` writes"
        raise HarnessError("no labels file here", file=path, hint=hint) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise HarnessError(
            f"not a labels file: {where}: {first['msg']}",
            file=path,
            hint="save it again from the review page (Save labels)",
        ) from None


def labels_path(run_dir: Path) -> Path:
    return Path(run_dir) / LABELS_FILE


def read_labels(run_dir: Path) -> list[Label]:
    """Every label stored in the run, oldest first (a torn last line from a killed import is ignored)."""
    path = labels_path(run_dir)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Label.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            if number == len(lines) and not line.endswith("\n"):
                break
            raise HarnessError(f"{path}:{number}: not a label ({exc})") from None
    return out


def append_labels(run_dir: Path, labels: Iterable[Label]) -> int:
    """Append and fsync, like trials.jsonl: labels already stored are never rewritten."""
    lines = [label.model_dump_json() + "\n" for label in labels]
    with open(labels_path(run_dir), "a", encoding="utf-8") as fh:
        fh.writelines(lines)
        fh.flush()
        os.fsync(fh.fileno())
    return len(lines)


def latest(labels: Iterable[Label]) -> dict[str, list[Label]]:
    """Per trial, each reviewer's latest label (a later import of the same reviewer replaces theirs)."""
    by: dict[tuple[str, str], Label] = {}
    for label in labels:
        key = (label.trial_id, label.reviewer)
        if key not in by or label.labelled_at >= by[key].labelled_at:
            by[key] = label
    out: dict[str, list[Label]] = {}
    for (trial, _), label in sorted(by.items()):
        out.setdefault(trial, []).append(label)
    return out


def human_verdict(labels: list[Label]) -> bool | None:
    """The reviewers' pass/fail for a trial: the majority, None on a tie or when nobody said."""
    votes = [label.passed for label in labels if label.passed is not None]
    yes = sum(votes)
    if not votes or yes * 2 == len(votes):
        return None
    return yes * 2 > len(votes)


HUMAN_SCORE = "human"


def human_score(given: list[Label]) -> Score | None:
    """The `human` score (step None) that states the reviewers' verdict of one trial, or None when they
    gave none (see `human_verdict`); its value is their mean 1-5 score, when they gave any."""
    verdict = human_verdict(given)
    if verdict is None:
        return None
    scores = [label.score for label in given if label.score is not None]
    who = ", ".join(f"{label.reviewer} ({label.labelled_at})" for label in given)
    notes = "; ".join(label.note for label in given if label.note)
    return Score(
        name=HUMAN_SCORE,
        value=sum(scores) / len(scores) if scores else None,
        passed=verdict,
        reason=f"human verdict by {who}" + (f": {notes}" if notes else ""),
        step=None,
        kind="human",
    )


def apply_human_verdicts(records: list[TrialRecord], labels: list[Label]) -> list[str]:
    """Make each labelled trial's verdict the people's (`--prefer-human`), keeping the machine scores.

    A `human` score (step None) says whose verdict it is; the trial ids whose verdict changed are returned."""
    by_trial = latest(labels)
    changed = []
    for record in records:
        score = human_score(by_trial.get(record.trial_id, []))
        if score is None:
            continue
        record.scores = [s for s in record.scores if s.kind != "human"]
        record.scores.append(score)
        if record.passed != score.passed:
            changed.append(record.trial_id)
        record.passed = score.passed
    return changed
