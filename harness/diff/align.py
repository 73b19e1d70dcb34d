"""Two arms side by side: two runs, or two variants of one run, aligned by (suite, case, step).

Repeats are summarised per case on each side before alignment (harness.analysis), so arms with a
different number of repeats still compare. When both arms hold a single variant (the usual A/B of a
model or a prompt across two runs, or ``--variants A B`` within a run) the variant name is not part of
the key; when two runs hold the same several variants, each variant is aligned with its namesake.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from harness.analysis.aggregate import CASE_KEYS, STEP_KEYS, case_pass_rates, scorer_stats, step_summary
from harness.analysis.frame import read_frame, with_human_verdicts
from harness.errors import HarnessError, UsageError
from harness.labels import human_score, latest, read_labels
from harness.record import Manifest
from harness.store import Run, resolve_run

PAIR_COLS = ["image_sha256", "image_path", "outcome"]


@dataclass
class Arm:
    label: str  # "A" or "B"
    name: str  # run id, or "run-id:variant"
    dir: Path
    manifest: Manifest
    frame: pd.DataFrame

    @property
    def variants(self) -> list[str]:
        return sorted(self.frame["variant"].dropna().unique().tolist())

    @cached_property
    def run(self) -> Run:
        """The validated records, loaded only when a page needs them (the diff itself reads the frame)."""
        return Run.load(self.dir)


@dataclass
class Alignment:
    a: Arm
    b: Arm
    cases: pd.DataFrame  # per case: presence, n/passes/pass_rate/cost/latency _a and _b
    steps: pd.DataFrame  # per case and step: outcomes, step pass rates, cost, latency _a and _b
    scorers: pd.DataFrame  # per case, step and scorer: mean, pass_rate, reason _a and _b
    pairs: pd.DataFrame  # per case, step and repeat present in both: the two images and outcomes


def _open(ref: str | Path, root: Path) -> tuple[Path, Manifest]:
    """A run that cannot be found or read is a usage error (exit 2), never confused with a regression (1)."""
    try:
        directory = resolve_run(ref, root)
        path = directory / "manifest.json"
        if not path.exists():
            raise HarnessError(
                f"{directory} is not a run directory (no manifest.json)",
                hint="pass a folder under results/, e.g. results/<run-id>",
            )
        return directory, Manifest.model_validate_json(path.read_bytes())
    except UsageError:
        raise
    except HarnessError as exc:
        raise UsageError(exc.message, file=exc.file, line=exc.line, hint=exc.hint) from exc
    except ValueError as exc:
        raise UsageError(f"{ref}: unreadable manifest.json ({exc})", hint="is this a harness run?") from exc


def _frame(directory: Path) -> pd.DataFrame:
    try:
        return read_frame(directory)
    except HarnessError as exc:
        raise UsageError(exc.message, file=exc.file, line=exc.line, hint=exc.hint) from exc


def load_arms(
    run_a: str | Path,
    run_b: str | Path | None = None,
    variants: list[str] | None = None,
    root: Path = Path("results"),
) -> tuple[Arm, Arm]:
    """Two runs, or (run_b None) two variants of run_a."""
    if run_b is None:
        if not variants or len(variants) != 2:
            raise UsageError(
                "comparing inside one run needs two variants",
                hint="harness diff RUN --variants A B, or harness diff RUN_A RUN_B",
            )
        directory, manifest = _open(run_a, root)
        frame = _frame(directory)
        found = sorted(frame["variant"].unique().tolist())
        arms = []
        for label, variant in zip("AB", variants, strict=True):
            if variant not in found:
                raise UsageError(
                    f"run {manifest.run_id} has no variant '{variant}'",
                    hint=f"variants in this run: {', '.join(found) or 'none'}",
                )
            arms.append(
                Arm(
                    label,
                    f"{manifest.run_id}:{variant}",
                    directory,
                    manifest,
                    frame[frame["variant"] == variant].reset_index(drop=True),
                )
            )
        return arms[0], arms[1]
    if variants:
        raise UsageError("--variants compares two arms of ONE run", hint="harness diff RUN --variants A B")
    opened = [_open(ref, root) for ref in (run_a, run_b)]
    a, b = (
        Arm(label, manifest.run_id, directory, manifest, _frame(directory))
        for label, (directory, manifest) in zip("AB", opened, strict=True)
    )
    return a, b


def human_arm(arm: Arm) -> Arm:
    """The arm judged by its run's human labels where they give a verdict (see `with_human_verdicts`)."""
    given = latest(read_labels(arm.dir))
    scores = {trial: score for trial, labels in given.items() if (score := human_score(labels)) is not None}
    arm.frame = with_human_verdicts(arm.frame, scores)
    return arm


def load_variant_arms(ref: str | Path, root: Path = Path("results")) -> list[Arm]:
    """`RUN:VARIANT` as one arm, or `RUN` as one arm per variant it holds (for `harness compare`)."""
    text = str(ref)
    run_ref, _, variant = text.rpartition(":")
    if not run_ref or Path(text).exists() or "/" in variant:
        run_ref, variant = text, ""
    directory, manifest = _open(run_ref, root)
    frame = _frame(directory)
    found = sorted(frame["variant"].unique().tolist())
    if variant and variant not in found:
        raise UsageError(
            f"run {manifest.run_id} has no variant '{variant}'",
            hint=f"variants in this run: {', '.join(found) or 'none'}",
        )
    chosen = [variant] if variant else found
    return [
        Arm(
            "",
            f"{manifest.run_id}:{v}" if len(found) > 1 or variant else manifest.run_id,
            directory,
            manifest,
            frame[frame["variant"] == v].reset_index(drop=True),
        )
        for v in chosen
    ]


def _keyed(arm: Arm, keep_variant: bool) -> pd.DataFrame:
    frame = arm.frame
    if not keep_variant:
        frame = frame.assign(variant="")
    return frame


def _suffix(frame: pd.DataFrame, keys: list[str], side: str) -> pd.DataFrame:
    return frame.rename(columns={c: f"{c}_{side}" for c in frame.columns if c not in keys})


def align(a: Arm, b: Arm) -> Alignment:
    va, vb = a.variants, b.variants
    keep_variant = len(va) > 1 or len(vb) > 1
    if keep_variant and va != vb:
        raise UsageError(
            f"the runs hold different variant sets ({', '.join(va)} vs {', '.join(vb)})",
            hint="compare one arm of each: harness diff RUN --variants A B, or re-run one variant",
        )
    fa, fb = _keyed(a, keep_variant), _keyed(b, keep_variant)

    ca, cb = case_pass_rates(fa), case_pass_rates(fb)
    cases = _suffix(ca, CASE_KEYS, "a").merge(
        _suffix(cb, CASE_KEYS, "b"), on=CASE_KEYS, how="outer", indicator="presence"
    )
    cases["presence"] = cases["presence"].map({"both": "both", "left_only": "missing", "right_only": "new"})

    step_cols = [*STEP_KEYS, "step_pass_rate", "outcome", "outcomes", "cost_usd", "latency_s"]
    sa, sb = step_summary(fa)[step_cols], step_summary(fb)[step_cols]
    steps = _suffix(sa, STEP_KEYS, "a").merge(_suffix(sb, STEP_KEYS, "b"), on=STEP_KEYS, how="outer")

    score_cols = [*STEP_KEYS, "scorer", "mean", "pass_rate", "reason"]
    ka = scorer_stats(fa)[score_cols] if not fa.empty else pd.DataFrame(columns=score_cols)
    kb = scorer_stats(fb)[score_cols] if not fb.empty else pd.DataFrame(columns=score_cols)
    skeys = [*STEP_KEYS, "scorer"]
    scorers = _suffix(ka, skeys, "a").merge(_suffix(kb, skeys, "b"), on=skeys, how="outer")

    pkeys = [*STEP_KEYS, "repeat"]
    pa = fa.drop_duplicates(["trial_id", "step"])[[*pkeys, *PAIR_COLS]]
    pb = fb.drop_duplicates(["trial_id", "step"])[[*pkeys, *PAIR_COLS]]
    pairs = _suffix(pa, pkeys, "a").merge(_suffix(pb, pkeys, "b"), on=pkeys, how="inner")
    return Alignment(a, b, cases, steps, scorers, pairs)
