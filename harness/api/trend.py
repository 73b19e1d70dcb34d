"""`harness trend`: stored runs in time order, with pass rate, per-scorer means, cost and drift per run,
and the runs where the suite file or the model changed marked, so a slow decline is seen and explained.

Drift is the median perceptual distance (pHash bits of 64, as in the diff) between each image of a run
and the image of the same trial and step in the previous run of the trend; None for the first run or
when no image is shared. Runs without a trial (an aborted start) are left out and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from harness.analysis.frame import read_frame
from harness.analysis.trend import Trend, TrendPoint, changes
from harness.diff.drift import drift_distances
from harness.errors import HarnessError, UsageError
from harness.record import Manifest
from harness.store import resolve_run

TRIAL_KEYS = ["suite", "case", "variant", "repeat", "step"]


def _manifests(refs: Sequence[str | Path], root: Path) -> list[tuple[Path, Manifest]]:
    if refs:
        dirs = [resolve_run(ref, root) for ref in refs]
    else:
        dirs = sorted(p.parent for p in Path(root).glob("*/manifest.json"))
    found = []
    for directory in dirs:
        try:
            manifest = Manifest.model_validate_json((directory / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            if refs:  # a run the user named must be readable
                raise UsageError(
                    f"{directory}: not a readable run ({exc})", hint="is this a harness run?"
                ) from exc
            continue
        found.append((directory, manifest))
    return found


def _point(directory: Path, manifest: Manifest, frame: pd.DataFrame) -> TrendPoint:
    trials = frame.drop_duplicates("trial_id")
    verdicts = trials["trial_passed"].dropna()
    scored = frame.dropna(subset=["value"])
    return TrendPoint(
        run_id=manifest.run_id,
        run_dir=directory,
        started_at=manifest.started_at,
        status=manifest.status,
        backend=manifest.backend,
        procedural=manifest.procedural_images or manifest.backend == "emulator",
        suites={s.name: s.sha256 for s in manifest.suites if s.name in set(frame["suite"])},
        models=sorted(frame["model"].dropna().unique().tolist()),
        trials=len(trials),
        passed=int(verdicts.astype(bool).sum()),
        pass_rate=float(verdicts.astype(bool).mean()) if len(verdicts) else None,
        scorer_means={str(k): float(v) for k, v in scored.groupby("scorer")["value"].mean().items()},
        cost_usd=float(trials["trial_cost_usd"].sum()),
    )


def _images(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [*TRIAL_KEYS, "image_sha256", "image_path"]
    return frame.dropna(subset=["image_sha256"]).drop_duplicates(TRIAL_KEYS)[cols]


def _drift(prev: tuple[Path, pd.DataFrame], cur: tuple[Path, pd.DataFrame]) -> float | None:
    a, b = _images(prev[1]), _images(cur[1])
    pairs = a.merge(b, on=TRIAL_KEYS, suffixes=("_a", "_b"))
    if pairs.empty:
        return None
    distances = drift_distances(pairs, prev[0], cur[0]).dropna()
    return float(distances.median()) if len(distances) else None


def trend(
    runs: Sequence[str | Path] = (),
    *,
    suite: str | None = None,
    root: Path = Path("results"),
    drift: bool = True,
) -> Trend:
    """The runs given (or every run under `root`), of `suite` when named, oldest first."""
    chosen = []
    skipped = []
    for directory, manifest in _manifests(runs, root):
        if suite is not None and suite not in {s.name for s in manifest.suites}:
            continue
        try:
            frame = read_frame(directory)
        except HarnessError:
            skipped.append(manifest.run_id)
            continue
        if suite is not None:
            frame = frame[frame["suite"] == suite]
        if frame.empty:
            skipped.append(manifest.run_id)
            continue
        chosen.append((directory, manifest, frame))
    if not chosen:
        where = f"of suite '{suite}' " if suite else ""
        raise UsageError(
            f"no run {where}with trials under {root}/" if not runs else f"no run {where}with trials given",
            hint="harness runs list shows the stored runs; --suite NAME picks one suite's",
        )
    chosen.sort(key=lambda item: item[1].started_at)
    points: list[TrendPoint] = []
    for n, (directory, manifest, frame) in enumerate(chosen):
        point = _point(directory, manifest, frame)
        if n:
            prev_dir, _, prev_frame = chosen[n - 1]
            point.changes = changes(points[-1], point)
            point.drift = _drift((prev_dir, prev_frame), (directory, frame)) if drift else None
        points.append(point)
    return Trend(suite, points, skipped)
