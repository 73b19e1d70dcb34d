"""Continuing a run in its own directory: `harness run --resume RUN` and `--retry-errors RUN`.

The manifest says what was asked for (`Manifest.request`, a RunRequest: suite paths, variants, repeats,
selection, shard, cap, mode, backend, cassettes, timeout, concurrency, rpm) and trials.jsonl what is done.
A continuation re-expands the same suites with the same request and runs only the trials whose ids are
not done, appending to the same trials.jsonl, so no trial runs twice. The suite files must be what they
were: each run keeps a copy of its suites (`suites-at-start/<name>.yaml.orig` in the run directory) to
show the diff when one changed. Batch runs (issue 12) re-attach on top of `continuation()`.

Manifest fields used: request (RunRequest), status (running/killed/interrupted/budget_exhausted/finished),
pid and host (a running manifest whose process is gone reads as killed), suites[].sha256.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UsageError
from harness.files import atomic_write
from harness.record import Manifest, RunRequest, TrialRecord
from harness.selection import Selection, parse_shard
from harness.store import Run, resolve_run

SNAPSHOTS = "suites-at-start"  # <name>.yaml.orig: not a suite file to folder scans
# error classes worth another try: rate limits, server errors, timeouts, dropped connections
TRANSIENT_STATUSES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"})
TRANSIENT_WORDS = ("timeout", "timed out", "readerror", "remoteprotocolerror", "disconnected", "connection")


@dataclass
class Continuation:
    """An existing run to add trials to: what to skip, what to replace, what was already spent."""

    run_dir: Path
    manifest: Manifest
    request: RunRequest
    records: list[TrialRecord]  # what trials.jsonl holds now, one per trial id
    done: frozenset[str]  # trial ids not to run again
    retry: frozenset[str] = field(default_factory=frozenset)  # ids re-run to replace their record

    @property
    def spent_usd(self) -> float:
        return sum(r.spent_usd for r in self.records)


def selection_of(request: RunRequest) -> Selection:
    return Selection(
        cases=tuple(request.cases),
        tags=tuple(request.tags),
        limit=request.limit,
        sample=request.sample,
        seed=request.seed,
        shard=parse_shard(request.shard) if request.shard else None,
    )


def keep_suite_copies(run_dir: Path, suites: Iterable[tuple[str, Path]]) -> None:
    """The suites as they were when the run started, for the diff a refused resume shows."""
    for name, path in suites:
        atomic_write(run_dir / SNAPSHOTS / f"{name}.yaml.orig", Path(path).read_bytes())


def changed_suites(run_dir: Path, manifest: Manifest) -> list[str]:
    """A readable diff per suite whose bytes changed since the run started (empty when none did)."""
    problems = []
    for ref in manifest.suites:
        path = Path(ref.path)
        if not path.exists():
            problems.append(f"{ref.path}: the suite file is gone")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == ref.sha256:
            continue
        copy = run_dir / SNAPSHOTS / f"{ref.name}.yaml.orig"
        before = copy.read_text(encoding="utf-8").splitlines() if copy.exists() else []
        diff = difflib.unified_diff(
            before,
            data.decode("utf-8", "replace").splitlines(),
            f"{ref.name} (run start)",
            ref.path,
            lineterm="",
        )
        problems.append(f"{ref.path} changed since the run started:\n" + "\n".join(list(diff)[:60]))
    return problems


def is_transient(record: TrialRecord) -> bool:
    """An error outcome another try may fix (429, 5xx, timeout, dropped connection); not a bad request."""
    if record.outcome != "error" or record.error is None:
        return False
    error = record.error
    if error.code is not None:
        return error.code == 429 or error.code >= 500
    if error.status in TRANSIENT_STATUSES:
        return True
    text = f"{error.status or ''} {error.message}".lower()
    return any(word in text for word in TRANSIENT_WORDS)


def continuation(ref: str | Path, out: Path, *, retry: bool = False) -> Continuation:
    """The run to continue (`resume`) or whose transient errors to re-run (`retry`), or a UsageError
    saying why it cannot be."""
    run = Run.load(resolve_run(ref, out))
    manifest, flag = run.manifest, "--retry-errors" if retry else "--resume"
    if manifest.status == "running":
        raise UsageError(
            f"run {manifest.run_id} is still running (pid {manifest.pid} on {manifest.host})",
            hint=f"wait for it, or stop it, then {flag} {manifest.run_id}",
        )
    if manifest.request is None:
        raise UsageError(
            f"run {manifest.run_id} does not say what it was asked to run (made by an older harness)",
            hint="start it again as a new run",
        )
    problems = changed_suites(run.dir, manifest)
    if problems:
        raise UsageError(
            f"cannot {flag.lstrip('-')} run {manifest.run_id}: its suite changed\n" + "\n".join(problems),
            hint="restore the suite as it was, or start a new run",
        )
    ids = frozenset(r.trial_id for r in run.trials)
    if not retry and run.complete:
        raise UsageError(
            f"run {manifest.run_id} is finished: nothing to resume",
            hint=f"re-run its errors with --retry-errors {manifest.run_id}, or start a new run",
        )
    if retry:
        again = frozenset(r.trial_id for r in run.trials if is_transient(r))
        return Continuation(run.dir, manifest, manifest.request, run.trials, ids - again, again)
    return Continuation(run.dir, manifest, manifest.request, run.trials, ids)


def with_earlier_attempts(record: TrialRecord, earlier: TrialRecord | None) -> TrialRecord:
    """A retried trial's record keeps the requests its earlier tries spent."""
    if earlier is not None:
        record.previous_attempts = earlier.previous_attempts + sum(s.attempts for s in earlier.steps)
    return record
