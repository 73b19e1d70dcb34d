"""What a run says about itself: the manifest's provenance fields and its closing totals."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from google import genai
from pydantic import BaseModel

from harness import __version__
from harness.files import utc_now
from harness.record import JudgeInfo, Manifest, SuiteRef, Tolerance
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


def tightest_tolerance(tolerances: Iterable[BaseModel | None]) -> Tolerance | None:
    """The suites' ``tolerance:`` blocks (None where unset) as one, each field at its smallest value.

    Kept in the manifest because `harness diff` gates on it long after the suite file may have changed.
    """
    kept = (None if t is None else Tolerance.model_validate(t.model_dump()) for t in tolerances)
    return Tolerance.tightest(kept)


def build_manifest(
    run_id: str,
    suites: Sequence[SuiteRef],
    *,
    backend: str,
    modes: Sequence[str],
    variants: Sequence[str],
    judge: JudgeInfo | None,
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
