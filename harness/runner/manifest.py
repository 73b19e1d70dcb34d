"""What a run says about itself: the manifest's provenance fields and its closing totals."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from google import genai

from harness import __version__
from harness.files import utc_now
from harness.record import Manifest, SuiteRef
from harness.runner.client import API_VERSION


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


def tightest_tolerance(tolerances: Iterable[Any]) -> dict[str, float] | None:
    """The suites' ``tolerance:`` blocks (None where unset) as one, each field at its smallest value.

    Kept in the manifest because `harness diff` gates on it long after the suite file may have changed.
    """
    found = [t.model_dump(exclude_none=True) for t in tolerances if t is not None]
    keys = dict.fromkeys(k for t in found for k in t)
    return {k: min(t[k] for t in found if k in t) for k in keys} or None


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
