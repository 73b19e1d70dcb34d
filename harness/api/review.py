"""Human review of a run: write the review page, import the labels file it saves, and let people's
verdicts stand where they gave one (`--prefer-human` in score and diff)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.diff import DiffResult, diff_runs
from harness.errors import UsageError
from harness.labels import (
    append_labels,
    apply_human_verdicts,
    human_verdict,
    latest,
    read_labels,
    read_labels_file,
)
from harness.report.review import write_review_html
from harness.store import Run, compute_totals, resolve_run


def write_review(
    run: str | Path, other: str | Path | None = None, page: Path | None = None, root: Path = Path("results")
) -> Path:
    """The review page of RUN (beside OTHER when given, for a preferred side); default <run>/review.html."""
    loaded = Run.load(resolve_run(run, root))
    against = Run.load(resolve_run(other, root)) if other is not None else None
    return write_review_html(loaded, page, against, read_labels(loaded.dir))


@dataclass
class ImportResult:
    run_dir: Path
    reviewer: str
    added: int
    already: int  # labels identical to ones the run already holds
    empty: int
    trials: list[str] = field(default_factory=list)


def import_labels(labels_file: Path, run: str | Path, root: Path = Path("results")) -> ImportResult:
    """Check a saved labels file against RUN and append its labels to RUN/labels.jsonl."""
    saved = read_labels_file(labels_file)
    target = Run.load(resolve_run(run, root))
    if saved.run_id != target.manifest.run_id:
        raise UsageError(
            f"{labels_file} holds labels for run {saved.run_id}, not {target.manifest.run_id}",
            hint=f"import it into its own run: harness review import {labels_file} {saved.run_id}",
        )
    if not saved.reviewer.strip():
        hint = "enter your name on the review page and save again"
        raise UsageError(f"{labels_file} names no reviewer", hint=hint)
    known = {r.trial_id for r in target.trials}
    for label in saved.labels:
        if label.trial_id not in known:
            raise UsageError(
                f"{labels_file}: trial {label.trial_id} is not in run {target.manifest.run_id}",
                hint="was the page written from another run with the same id?",
            )
    stored = {label.model_dump_json() for label in read_labels(target.dir)}
    fresh = [label for label in saved.labels if not label.empty() and label.model_dump_json() not in stored]
    empty = sum(label.empty() for label in saved.labels)
    added = append_labels(target.dir, fresh) if fresh else 0
    return ImportResult(
        target.dir,
        saved.reviewer,
        added,
        len(saved.labels) - empty - added,
        empty,
        sorted({label.trial_id for label in fresh}),
    )


@dataclass
class HumanVerdicts:
    labelled: int  # trials with a human pass/fail
    changed: list[str]  # trials whose stored verdict the people's replaced


def prefer_human(run_dir: Path) -> HumanVerdicts:
    """Rewrite a stored run's verdicts with the people's where they gave one (after `harness score`)."""
    from harness.analysis import write_parquet

    run = Run.load(run_dir)
    labels = read_labels(run.dir)
    changed = apply_human_verdicts(run.trials, labels)
    run.rewrite_trials(run.trials)
    run.manifest.totals = compute_totals(run.trials, run.manifest.totals.planned)
    run.rewrite_manifest()
    write_parquet(run.dir)
    labelled = sum(human_verdict(given) is not None for given in latest(labels).values())
    return HumanVerdicts(labelled, changed)


def diff_preferring_human(run_a: str | Path, run_b: str | Path | None = None, **kwargs: Any) -> DiffResult:
    """`harness diff --prefer-human`: each labelled trial passes or fails as its reviewers said."""
    return diff_runs(run_a, run_b, prefer_human=True, **kwargs)
