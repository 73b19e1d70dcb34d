"""What a run says about itself: the manifest's provenance fields and its closing totals."""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google import genai

from harness import __version__
from harness.record import OUTCOMES, Manifest, SuiteRef, TrialRecord
from harness.runner.client import API_VERSION
from harness.store import utc_now


def suite_ref(name: str, path: Path) -> SuiteRef:
    """The suite as it was when the run started: its path and the sha256 of its bytes."""
    data = Path(path).read_bytes()
    return SuiteRef(name=name, path=str(path), sha256=hashlib.sha256(data).hexdigest())


def git_commit(where: Path) -> str | None:
    """HEAD of the repository holding the suite, or None outside git (or without git installed)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def build_manifest(
    run_id: str,
    suites: Sequence[SuiteRef],
    *,
    backend: str,
    modes: Sequence[str],
    variants: Sequence[str],
    judge: dict[str, Any] | None,
    argv: Sequence[str] | None = None,
) -> Manifest:
    first = Path(suites[0].path).resolve().parent if suites else Path.cwd()
    distinct_modes = sorted(set(modes)) or ["live"]
    return Manifest(
        run_id=run_id,
        suites=list(suites),
        git_commit=git_commit(first),
        harness_version=__version__,
        sdk_version=genai.__version__,
        api_version=API_VERSION,
        backend=backend,
        mode=",".join(distinct_modes),
        variants=list(dict.fromkeys(variants)),
        judge=judge,
        started_at=utc_now(),
        argv=list(sys.argv if argv is None else argv),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: an observed value, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def compute_totals(records: Sequence[TrialRecord], planned: int) -> dict[str, Any]:
    outcomes = Counter(r.outcome for r in records)
    latencies = [r.latency_s for r in records]
    return {
        "planned": planned,
        "trials": len(records),
        "outcomes": {name: outcomes.get(name, 0) for name in OUTCOMES},
        "passed": sum(r.passed is True for r in records),
        "failed": sum(r.passed is False for r in records),
        "skipped": sum(r.passed is None for r in records),
        "images": sum(len(r.images()) for r in records),
        "cost_usd": round(sum(r.cost_usd for r in records), 6),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
    }
