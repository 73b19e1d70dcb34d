"""The review page: every trial of a run (and, with another run, its counterpart beside it) with its
images, prompts and machine scores, and controls to label it. Self-contained HTML: no server; the page
keeps marks in the browser's localStorage and saves them as a labels file by download, which
`harness review import` stores in the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from harness.files import atomic_write
from harness.labels import FORMAT, Label, latest
from harness.record import TrialRecord
from harness.report.html import EMULATOR_BANNER, procedural
from harness.report.thumbs import link, thumbnail
from harness.store import Run

REVIEW_PX = 384


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=jinja2.select_autoescape(["j2", "html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _side(run: Run, record: TrialRecord, page: Path) -> dict[str, Any]:
    steps = []
    for step in record.steps:
        img = step.images[0] if step.images else None
        scores = [s for s in record.scores if s.step == step.index]
        steps.append(
            {
                "index": step.index,
                "kind": step.kind,
                "prompt": step.prompt,
                "outcome": step.outcome,
                "text": step.text or "",
                "thumb": thumbnail(run.dir, img.path, img.sha256, REVIEW_PX) if img else None,
                "href": link(run.dir, img.path, page) if img else None,
                "scores": scores,
            }
        )
    return {
        "trial_id": record.trial_id,
        "run_id": run.manifest.run_id,
        "variant": record.variant,
        "model": record.model,
        "passed": record.passed,
        "steps": steps,
        "trial_scores": [s for s in record.scores if s.step is None],
    }


def counterpart(record: TrialRecord, other: Run) -> TrialRecord | None:
    """The other run's trial of the same case and repeat: the same variant when it has one, else the
    only variant it ran."""
    key = (record.suite, record.case, record.repeat)
    same = [r for r in other.trials if (r.suite, r.case, r.repeat) == key]
    return next((r for r in same if r.variant == record.variant), same[0] if len(same) == 1 else None)


def write_review_html(
    run: Run, page: Path | None = None, other: Run | None = None, labels: list[Label] | None = None
) -> Path:
    """Write the review page (default <run>/review.html); `labels`: those already stored, shown per trial."""
    page = Path(page) if page is not None else run.dir / "review.html"
    stored = latest(labels or [])
    items = []
    twins = [counterpart(record, other) if other is not None else None for record in run.trials]
    for n, (record, twin) in enumerate(zip(run.trials, twins, strict=True)):
        items.append(
            {
                "n": n,
                "trial_id": record.trial_id,
                "title": f"{record.suite} / {record.case} [{record.variant}] repeat {record.repeat}",
                "a": _side(run, record, page),
                "b": _side(other, twin, page) if other is not None and twin is not None else None,
                "stored": stored.get(record.trial_id, []),
            }
        )
    manifests = [run.manifest] + ([other.manifest] if other is not None else [])
    trials = [
        {"trial_id": record.trial_id, "other_trial": twin.trial_id if twin is not None else None}
        for record, twin in zip(run.trials, twins, strict=True)
    ]
    meta = {
        "format": FORMAT,
        "run_id": run.manifest.run_id,
        "other_run": other.manifest.run_id if other is not None else None,
        "trials": trials,
    }
    html = (
        _env()
        .get_template("review.j2")
        .render(
            title=f"Review {run.manifest.run_id}"
            + (f" against {other.manifest.run_id}" if other is not None else ""),
            banner=EMULATOR_BANNER if procedural(*manifests) else "",
            items=items,
            pairwise=other is not None,
            meta=Markup(json.dumps(meta).replace("</", "<\\/")),
        )
    )
    atomic_write(page, html.encode("utf-8"))
    return page
