"""Self-contained HTML pages for a run and for a diff (Jinja2, inline CSS/JS/SVG, data-URI images)."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from harness.analysis.aggregate import case_pass_rates, scorer_stats
from harness.analysis.frame import trials_frame
from harness.analysis.numbers import significant
from harness.diff import DiffResult
from harness.diff.compare import STATUS_ORDER
from harness.diff.preference import preference_verdict
from harness.diff.stats import arm_stats
from harness.files import atomic_write
from harness.labels import Label, latest, read_labels
from harness.record import Manifest, TrialRecord
from harness.report.charts import arm_names, diff_charts, run_charts
from harness.report.thumbs import link, thumbnail
from harness.store import Run

EMULATOR_BANNER = "Images from the local emulator are procedural drawings, not model output"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=jinja2.select_autoescape(["j2", "html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    return env


def _num(value: Any, spec: str = ".2f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if spec.endswith("g"):  # significant digits, never 1.02e+03
        return significant(float(value), int(spec.strip(".g") or 3))
    text = format(value, spec)
    return format(0.0, spec) if text.startswith("-") and not text.strip("-0.%") else text  # no "-0.00"


def _sortable(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def procedural(*manifests: Manifest) -> bool:
    return any(m.procedural_images or m.backend == "emulator" for m in manifests)


COMPLETE = "finished"


def status_banner(manifest: Manifest, arm: str | None = None) -> str | None:
    """A run that did not complete (interrupted, killed, over budget, still running, or with fewer trials
    than planned) says so as plainly as the emulator banner: its numbers cover only what finished."""
    done, planned = manifest.totals.trials, manifest.totals.planned
    short = manifest.totals.short
    if manifest.status == COMPLETE and not short:
        return None
    count = f"{done} of {planned} planned trials" if short else f"{done} trial(s)"
    who = f"{arm}: run {manifest.run_id}" if arm else f"Run {manifest.run_id}"
    state = manifest.status.replace("_", " ")
    return f"{who} is {state} and partial: {count} finished; every figure covers only those"


def _score_items(stats: Any) -> list[dict[str, Any]]:
    """A case's scorers for its row: mean, pass rate, and how many scores could not be measured."""
    return [
        {
            "name": s.scorer + (f"@{s.step}" if s.step else ""),
            "mean": s.mean,
            "rate": None if s.pass_rate != s.pass_rate else s.pass_rate,
            "unmeasured": int(s.unmeasured),
            "n": int(s.n),
            "reason": s.reason,
        }
        for s in stats.itertuples()
    ]


def _strip(run: Run, record: TrialRecord | None, page: Path) -> list[dict[str, Any]]:
    """A chain as a filmstrip: one frame per step (its first image, or the outcome when there is none)."""
    if record is None:
        return []
    frames = []
    for step in record.steps:
        frame: dict[str, Any] = {
            "index": step.index,
            "kind": step.kind,
            "prompt": step.prompt,
            "outcome": step.outcome,
            "text": step.text or "",
            "thumb": None,
            "href": None,
            "size": "",
        }
        if step.images:
            img = step.images[0]
            frame["thumb"] = thumbnail(run.dir, img.path, img.sha256)
            frame["href"] = link(run.dir, img.path, page)
            frame["size"] = f"{img.width}x{img.height}"
        frames.append(frame)
    return frames


def _repeat_details(run: Run, records: list[TrialRecord], page: Path) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        by_step: dict[int | None, list] = defaultdict(list)
        for s in rec.scores:
            by_step[s.step].append(s)
        steps = []
        for frame, step in zip(_strip(run, rec, page), rec.steps, strict=True):
            steps.append(
                {
                    **frame,
                    "scores": by_step.get(step.index, []),
                    "cost": step.cost_usd,
                    "latency": step.latency_s,
                    "error": step.error.message if step.error else None,
                }
            )
        out.append(
            {
                "trial_id": rec.trial_id,
                "outcome": rec.outcome,
                "passed": rec.passed,
                "unmeasured": rec.unmeasured,
                "steps": steps,
                "trial_scores": by_step.get(None, []),
                "cost": rec.cost_usd,
                "latency": rec.latency_s,
                "error": rec.error.message if rec.error else None,
            }
        )
    return out


def _index(records: list[TrialRecord], keep_variant: bool = True) -> dict[tuple, list[TrialRecord]]:
    out: dict[tuple, list[TrialRecord]] = defaultdict(list)
    for rec in sorted(records, key=lambda r: r.repeat):
        out[(rec.suite, rec.case, rec.variant if keep_variant else "")].append(rec)
    return out


RUN_STATUS_ORDER = {"fail": 0, "mixed": 1, "unjudged": 2, "pass": 3}


def _status(rate: float) -> str:
    if rate != rate:
        return "unjudged"
    return "pass" if rate >= 1 else "fail" if rate <= 0 else "mixed"


def _filters(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {
        "scorers": sorted({s for r in rows for s in r["scorer_names"]}),
        "styles": sorted({r["style"] for r in rows if r["style"]}),
        "outcomes": sorted({o for r in rows for o in r["outcome_list"]}),
    }


def human_summary(labels: list[Label]) -> str:
    """People's labels of a case, beside the machine scores: "human pass 2/3 · 4.5/5"."""
    verdicts = [label.passed for label in labels if label.passed is not None]
    scores = [label.score for label in labels if label.score is not None]
    parts = [f"pass {sum(verdicts)}/{len(verdicts)}"] if verdicts else []
    if scores:
        parts.append(f"{sum(scores) / len(scores):.3g}/5")
    return ("human " + " · ".join(parts)) if parts else ""


def _labelled(details: list[dict[str, Any]], labels: dict[str, list[Label]]) -> list[dict[str, Any]]:
    """Each repeat's details with its people's labels (shown under its scores, on run and diff pages)."""
    for d in details:
        d["labels"] = labels.get(d["trial_id"], [])
    return details


def render_run(run: Run, page: Path) -> str:
    """The page for one run: per case its images, scores with reasons, filmstrips, outcomes, cost, latency."""
    frame = trials_frame(run.trials)
    cases = case_pass_rates(frame)
    stats = scorer_stats(frame)
    stats_by = (
        {k: g for k, g in stats.groupby(["suite", "case", "variant"], sort=False)} if len(stats) else {}
    )
    records = _index(run.trials)
    labels = latest(read_labels(run.dir))
    several = cases["suite"].nunique() > 1
    rows = []
    for c in cases.itertuples(index=False):
        key = (c.suite, c.case, c.variant)
        recs = records.get(key, [])
        details = _labelled(_repeat_details(run, recs, page), labels)
        scorers = _score_items(stats_by[key]) if key in stats_by else []
        outcome_list = sorted({step.outcome for r in recs for step in r.steps} | {r.outcome for r in recs})
        status = _status(c.pass_rate)
        label = (f"{c.suite}::" if several else "") + c.case
        rows.append(
            {
                "id": f"{c.suite}::{c.case}[{c.variant}]",
                "label": label,
                "variant": c.variant,
                "model": c.model,
                "style": _text(c.style),
                "status": status,
                "status_rank": RUN_STATUS_ORDER[status],
                "bad": status in ("fail", "mixed"),
                "pass_text": f"{int(c.passes)}/{int(c.n)}",
                "unmeasured": sum(r.unmeasured for r in recs),
                "pass_rate": _sortable(c.pass_rate),
                "scorers": scorers,
                "scorer_names": sorted({s.scorer for s in stats_by[key].itertuples()})
                if key in stats_by
                else [],
                "outcome_list": outcome_list,
                "outcomes": ", ".join(
                    f"{o}:{sum(r.outcome == o for r in recs)}"
                    for o in outcome_list
                    if any(r.outcome == o for r in recs)
                ),
                "cost": c.cost_usd,
                "latency": c.latency_s,
                "strip": _strip(run, recs[0] if recs else None, page),
                "details": details,
                "human": human_summary([label for d in details for label in d["labels"]]),
                "search": " ".join(
                    [c.suite, c.case, c.variant, _text(c.style), *(r.prompt for r in recs[:1])]
                ).lower(),
            }
        )
    arms = sorted(cases["variant"].unique())
    charts = run_charts(cases, stats)
    summary = [arm_stats(v, frame[frame["variant"] == v]) for v in arms]
    m = run.manifest
    partial = status_banner(m)
    return (
        _env()
        .get_template("run.j2")
        .render(
            title=f"Run {m.run_id}",
            manifest=m,
            banner=EMULATOR_BANNER if procedural(m) else None,
            status_banners=[partial] if partial else [],
            rows=rows,
            filters=_filters(rows),
            charts=[Markup(c) for c in charts if c],
            arms=summary,
            bad_label="failures only",
        )
    )


def _flip_list(flips: str) -> list[dict[str, str]]:
    """``"judge pass->fail; aspect fail->pass; ssim 100%->67%"`` as items with an arrow and a colour
    class (a pass rate that fell is bad)."""
    items = []
    for item in filter(None, flips.split("; ")):
        change = item.rpartition(" ")[2]
        before, _, after = change.partition("->")
        if change in ("pass->fail", "fail->pass"):
            bad = change == "pass->fail"
        else:
            bad = float(after.rstrip("%")) < float(before.rstrip("%"))
        items.append({"text": item.replace("->", "→"), "cls": "flip-bad" if bad else "flip-good"})
    return items


def write_run_html(run_dir: str | Path, out: Path | None = None) -> Path:
    run = Run.load(run_dir)
    page = out or run.dir / "report.html"
    atomic_write(page, render_run(run, page).encode("utf-8"))
    return page


def render_diff(result: DiffResult, page: Path) -> str:
    """The diff page: per case A | B images side by side, deltas, flips, drift; regressions first."""
    comp = result.comparison
    a, b = comp.alignment.a, comp.alignment.b
    keep_variant = bool((comp.cases["variant"] != "").any())
    ids = {a.label: set(a.frame["trial_id"]), b.label: set(b.frame["trial_id"])}
    rec_a = _index([r for r in a.run.trials if r.trial_id in ids["A"]], keep_variant)
    rec_b = _index([r for r in b.run.trials if r.trial_id in ids["B"]], keep_variant)
    scorer_rows = {k: g for k, g in comp.scorers.groupby(["suite", "case", "variant"], sort=False)}
    several = comp.cases["suite"].nunique() > 1
    pref = result.preference
    judged = {(c.suite, c.case, c.variant): c for c in pref.per_case} if pref else {}
    labels_a, labels_b = latest(read_labels(a.dir)), latest(read_labels(b.dir))
    rows = []
    for c in comp.cases.itertuples(index=False):
        key = (c.suite, c.case, c.variant)
        ra, rb = rec_a.get(key, []), rec_b.get(key, [])
        sc = scorer_rows.get(key)
        scorers = (
            []
            if sc is None
            else [
                {
                    "name": s.scorer + (f"@{s.step}" if s.step else ""),
                    "mean_a": s.mean_a,
                    "mean_b": s.mean_b,
                    "delta": s.delta,
                    "flip": s.flip,
                    "reason_a": s.reason_a if isinstance(s.reason_a, str) else "",
                    "reason_b": s.reason_b if isinstance(s.reason_b, str) else "",
                }
                for s in sc.itertuples()
            ]
        )
        outcome_list = sorted({st.outcome for r in ra + rb for st in r.steps} | {r.outcome for r in ra + rb})
        label = (f"{c.suite}::" if several else "") + c.case + (f" [{c.variant}]" if keep_variant else "")
        details_a = _labelled(_repeat_details(a.run, ra, page), labels_a)
        details_b = _labelled(_repeat_details(b.run, rb, page), labels_b)
        rows.append(
            {
                "id": f"{c.suite}::{c.case}[{c.variant}]",
                "label": label,
                "status": c.status,
                "status_rank": STATUS_ORDER.get(c.status, len(STATUS_ORDER)),
                "bad": c.status == "regressed",
                "style": (
                    c.style_b
                    if isinstance(c.style_b, str)
                    else c.style_a
                    if isinstance(c.style_a, str)
                    else ""
                ),
                "pass_a": "–" if c.n_a != c.n_a else f"{int(c.passes_a)}/{int(c.n_a)}",
                "pass_b": "–" if c.n_b != c.n_b else f"{int(c.passes_b)}/{int(c.n_b)}",
                "pass_sort": _sortable(c.pass_rate_b),
                "delta": c.delta,
                "delta_sort": _sortable(c.delta),
                "flips": c.flips,
                "flip_list": _flip_list(c.flips),
                "outcome_changes": c.outcome_changes.replace("->", "→"),
                "drift": c.drift,
                "drift_sort": _sortable(c.drift),
                "cost_delta": c.cost_delta,
                "cost_sort": _sortable(c.cost_delta),
                "latency_delta": c.latency_delta,
                "latency_sort": _sortable(c.latency_delta),
                "scorers": scorers,
                "scorer_names": sorted({s["name"].split("@")[0] for s in scorers}),
                "outcome_list": outcome_list,
                "judged": judged.get(key),
                "strip_a": _strip(a.run, ra[0] if ra else None, page),
                "strip_b": _strip(b.run, rb[0] if rb else None, page),
                "details_a": details_a,
                "details_b": details_b,
                "human_a": human_summary([label for d in details_a for label in d["labels"]]),
                "human_b": human_summary([label for d in details_b for label in d["labels"]]),
                "search": " ".join(
                    [
                        c.suite,
                        c.case,
                        c.variant,
                        c.flips,
                        c.outcome_changes,
                        *(r.prompt for r in (ra or rb)[:1]),
                    ]
                ).lower(),
            }
        )
    short = arm_names(a.name, b.name)
    la, lb = (f"{arm.label}: {name}" for arm, name in zip((a, b), short, strict=True))
    same_run = a.dir.resolve() == b.dir.resolve()
    charts = diff_charts(comp.cases, comp.scorers, la, lb)
    s = result.summary
    return (
        _env()
        .get_template("diff.j2")
        .render(
            title=f"Diff {short[0]} → {short[1]}" + (f" in run {a.manifest.run_id}" if same_run else ""),
            a=a,
            b=b,
            arm_labels=(la, lb),
            result=result,
            summary=s,
            pref=pref,
            pref_verdict=preference_verdict(pref) if pref else "",
            banner=EMULATOR_BANNER if procedural(a.manifest, b.manifest) else None,
            status_banners=[
                text
                for text in (
                    [status_banner(a.manifest)]
                    if a.manifest.run_id == b.manifest.run_id
                    else [status_banner(a.manifest, "A"), status_banner(b.manifest, "B")]
                )
                if text
            ],
            rows=rows,
            filters=_filters(rows),
            charts=[Markup(c) for c in charts if c],
            bad_label="regressions only",
        )
    )


def write_diff_html(result: DiffResult, out: Path) -> Path:
    atomic_write(out, render_diff(result, out).encode("utf-8"))
    return out
