"""The run directory: results/<run-id>/{manifest.json, trials.jsonl, images/<sha256>.<ext>}.

trials.jsonl is appended and flushed as each trial ends, so a killed run keeps every finished trial.
Rewrites (re-scoring, group scores) go through a temp file and a rename, never in place.

An image whose bytes a cassette's blob store already holds (a replay) is a hard link to that blob, not
a copy: the same bytes, verified against their sha256 when the blob was read, neither written nor
synced again. Nothing in the harness writes an image or a blob in place (every write is a temp file and
a rename), so the two never drift apart; edit a copy of a run's image, not the file itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Protocol, Self, TypeVar

from PIL import Image
from pydantic import ValidationError

from harness.errors import HarnessError, UsageError
from harness.files import atomic_write, gc_paused, utc_now
from harness.record import OUTCOMES, ImageRef, Manifest, Totals, TrialRecord

FSYNC_INTERVAL_S = 0.5  # how stale the on-disk (power-cut-proof) copy of trials.jsonl may get
MIME_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def new_run_id() -> str:
    """Sortable by time, unique enough for two runs started in the same second."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def image_ref(data: bytes, mime: str | None = None) -> tuple[ImageRef, str]:
    """Describe image bytes (hash, true mime, size) without writing them; returns the ref and extension."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            fmt = (im.format or "").upper()
    except Exception as exc:  # undecodable bytes are still stored, so the failure can be inspected
        raise HarnessError(f"image data cannot be decoded ({exc}); declared mime {mime}") from exc
    true_mime = Image.MIME.get(fmt, mime or "application/octet-stream")
    ext = MIME_EXT.get(true_mime, "bin")
    sha = hashlib.sha256(data).hexdigest()
    return ImageRef(sha256=sha, path=f"images/{sha}.{ext}", mime=true_mime, width=width, height=height), ext


class ContentFiles(Protocol):
    """Files already on disk, named by content (a cassette's blob store, `BlobStore.verified_file`)."""

    def verified_file(self, data: bytes, sha256: str) -> Path | None:
        """A file known to hold exactly `data`, or None."""
        ...


class RunWriter:
    """Writes one run. Thread-safe: trials may finish on any worker."""

    def __init__(self, root: Path, manifest: Manifest, *, resume: bool = False) -> None:
        """`resume` continues a run already in `root/<run id>` (its torn last line set aside first)."""
        run_id = manifest.run_id
        if run_id in ("", ".", "..") or Path(run_id).name != run_id or "\\" in run_id:
            raise UsageError(
                f"run id {run_id!r} is not a plain folder name",
                hint="use letters, digits, '-', '_' or '.'; the folder goes under --out",
            )
        self.dir = Path(root) / run_id
        if resume:
            set_aside_torn_line(self.dir / "trials.jsonl")
        elif (self.dir / "trials.jsonl").exists():
            raise UsageError(
                f"run directory {self.dir} already holds a run",
                hint=f"continue it with --resume {run_id}, or choose another --run-id or --out",
            )
        (self.dir / "images").mkdir(parents=True, exist_ok=True)
        manifest.status = "running"
        manifest.finished_at = None
        manifest.pid, manifest.host = os.getpid(), socket.gethostname()
        self.manifest = manifest
        self._lock = threading.Lock()
        self.write_manifest()  # first: a run killed right after this can already be resumed
        self._trials = open(self.dir / "trials.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self._synced = 0.0  # monotonic time of the last fsync of trials.jsonl
        self._sources: list[ContentFiles] = []

    def link_from(self, source: ContentFiles) -> None:
        """Images whose bytes `source` holds are linked from it (see the module's docstring)."""
        self._sources.append(source)

    def write_manifest(self) -> None:
        atomic_write(self.dir / "manifest.json", self.manifest.model_dump_json(indent=2).encode())

    def save_image(self, data: bytes, mime: str | None = None) -> ImageRef:
        """On disk before its trial line exists: linked from a verified file holding these bytes (already
        durable), else written and synced at once, in the trial's worker thread."""
        ref, _ = image_ref(data, mime)
        target = self.dir / ref.path
        if target.exists():
            return ref
        for source in self._sources:
            found = source.verified_file(data, ref.sha256)
            if found is not None and _linked(found, target):
                return ref
        atomic_write(target, data)
        return ref

    def append(self, record: TrialRecord) -> None:
        """Each trial reaches the OS at once (a killed process loses nothing it finished); the fsync that
        survives a power cut is batched, at most one per FSYNC_INTERVAL_S, so that cut may cost the trials
        of the last interval. close() always syncs."""
        line = record.model_dump_json() + "\n"
        with self._lock:
            self._trials.write(line)
            self._trials.flush()
            now = time.monotonic()
            if now - self._synced >= FSYNC_INTERVAL_S:
                os.fsync(self._trials.fileno())
                self._synced = now

    def close(self, status: str = "finished", totals: Totals | None = None) -> None:
        with self._lock:
            self._trials.flush()
            os.fsync(self._trials.fileno())
            self._trials.close()
        self.manifest.status = status  # type: ignore[assignment]
        self.manifest.finished_at = utc_now()
        self.manifest.pid = None
        if totals is not None:
            self.manifest.totals = totals
        self.write_manifest()


def _linked(source: Path, target: Path) -> bool:
    """Hard-link `source` as `target`; False where links cannot be made (another file system, a file
    system without them), so the caller writes the bytes instead."""
    try:
        os.link(source, target)
    except FileExistsError:  # another trial stored the same image first: same name, same bytes
        return True
    except OSError:
        return False
    return True


class Run:
    """A stored run, read back. Tolerates a torn last line (a run killed mid-write)."""

    def __init__(
        self,
        directory: Path,
        manifest: Manifest,
        trials: list[TrialRecord],
        unparsed: list[UnparsedLine] | None = None,
    ) -> None:
        self.dir = directory
        self.manifest = manifest
        self.trials = trials
        self.unparsed = unparsed or []  # kept verbatim by rewrite_trials: a rewrite never loses a line

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        directory = Path(directory)
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            raise HarnessError(
                f"{directory} is not a run directory (no manifest.json)",
                hint="pass a folder under results/, e.g. results/<run-id>",
            )
        try:
            manifest = Manifest.model_validate_json(manifest_path.read_bytes())
        except ValidationError as exc:  # not JSON, or JSON that is not a manifest
            raise RunFileError(
                f"manifest.json is corrupt or not a harness manifest ({_first_problem(exc)})",
                file=manifest_path,
                hint="restore it from a copy, or re-run the suite into a new run",
            ) from None
        records, unparsed = read_trial_lines(directory / "trials.jsonl")
        trials = latest_records(records)
        return cls(directory, with_live_status(manifest, trials), trials, unparsed)

    @property
    def complete(self) -> bool:
        """Finished, with every planned trial on disk (a shard or a selection plans only its own)."""
        planned = self.manifest.totals.planned
        return self.manifest.status == "finished" and (planned is None or len(self.trials) >= planned)

    def image_path(self, ref: ImageRef) -> Path:
        return self.dir / ref.path

    def rewrite_trials(self, records: Iterable[TrialRecord]) -> None:
        self.trials = list(records)
        kept = "".join(u.text.rstrip("\n") + "\n" for u in self.unparsed)
        data = ("".join(r.model_dump_json() + "\n" for r in self.trials) + kept).encode()
        atomic_write(self.dir / "trials.jsonl", data)

    def rewrite_manifest(self) -> None:
        atomic_write(self.dir / "manifest.json", self.manifest.model_dump_json(indent=2).encode())


def process_alive(pid: int | None, host: str | None) -> bool:
    """Whether the process that wrote a running manifest still runs (another host's is assumed alive)."""
    if pid is None:
        return False
    if host is not None and host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def with_live_status(manifest: Manifest, trials: Sequence[TrialRecord]) -> Manifest:
    """A manifest never closed (status running) reads its totals from trials.jsonl, and says `killed`
    when no process is writing it any more."""
    if manifest.status != "running":
        return manifest
    manifest.totals = compute_totals(trials, manifest.totals.planned)
    if not process_alive(manifest.pid, manifest.host):
        manifest.status = "killed"
    return manifest


def read_manifest(directory: Path) -> Manifest:
    """The manifest with its live status (see `with_live_status`); reads trials.jsonl only when running."""
    manifest = Manifest.model_validate_json((directory / "manifest.json").read_text(encoding="utf-8"))
    if manifest.status != "running":
        return manifest
    return with_live_status(manifest, latest_records(read_trials(directory / "trials.jsonl")))


_Record = TypeVar("_Record")


def latest_records(
    records: Iterable[_Record], trial_id: Callable[[_Record], str] = attrgetter("trial_id")
) -> list[_Record]:
    """One record per trial id, the last one written (a retry appends its replacement), in first order.

    ``trial_id`` reads the id: a TrialRecord's attribute by default, ``itemgetter("trial_id")`` for the
    JSON dicts the fast frame reader parses."""
    by_id: dict[str, _Record] = {}
    for record in records:
        by_id[trial_id(record)] = record
    return list(by_id.values())


def set_aside_torn_line(path: Path) -> str | None:
    """Move a torn last line (a run killed mid-write) to trials.torn.jsonl so nothing is silently
    dropped, and cut trials.jsonl back to its last whole line; returns the torn text."""
    if not path.exists():
        return None
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return None
    cut = data.rfind(b"\n") + 1
    torn = data[cut:]
    with open(path.with_name("trials.torn.jsonl"), "ab") as fh:
        fh.write(torn + b"\n")
    with open(path, "r+b") as fh:
        fh.truncate(cut)
        fh.flush()
        os.fsync(fh.fileno())
    return torn.decode("utf-8", "replace")


class RunFileError(HarnessError):
    """A run's manifest.json or trials.jsonl that cannot be read: bad input, exit 2."""

    exit_code = 2


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


@dataclass(frozen=True)
class UnparsedLine:
    """A trials.jsonl line that is not a trial record (torn by a kill, or edited by hand)."""

    number: int
    text: str
    reason: str

    def where(self, path: Path) -> str:
        return f"{path}:{self.number}: {self.reason}"


def read_trial_lines(path: Path) -> tuple[list[TrialRecord], list[UnparsedLine]]:
    """Every record, and every line that is not one (set aside, never dropped)."""
    records: list[TrialRecord] = []
    unparsed: list[UnparsedLine] = []
    if not path.exists():
        return records, unparsed
    with open(path, encoding="utf-8", errors="replace") as fh, gc_paused():
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(TrialRecord.model_validate(json.loads(line)))
            except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError are ValueErrors
                torn = "" if line.endswith("\n") else " (torn: the run was killed mid-write)"
                why = _first_problem(exc) if isinstance(exc, ValidationError) else str(exc)
                unparsed.append(UnparsedLine(number, line, f"not a trial record{torn}: {why}"))
    return records, unparsed


def read_trials(path: Path) -> Iterable[TrialRecord]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield TrialRecord.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValueError) as exc:
            if number == len(lines) and not line.endswith("\n"):
                return  # a torn final line from a killed run: everything before it is intact
            raise HarnessError(f"{path}:{number}: not a trial record ({exc})") from exc


def has_trials(run_dir: Path) -> bool:
    """Whether a run folder holds at least one trial: a run that failed to start leaves a manifest and
    nothing else, and `latest` must not pick it."""
    path = run_dir / "trials.jsonl"
    if not path.is_file():
        return False
    with open(path, encoding="utf-8") as fh:
        return any(line.strip() for line in fh)


def resolve_run(ref: str | Path, root: Path = Path("results")) -> Path:
    """Accept a run directory, a run id under root, or 'latest'."""
    path = Path(ref)
    if path.is_dir():
        return path
    if str(ref) == "latest":
        runs = sorted(p for p in root.glob("*") if (p / "manifest.json").exists())
        for run in reversed(runs):
            if has_trials(run):
                return run
        empty = f" ({len(runs)} run folder(s) there hold no trials)" if runs else ""
        raise HarnessError(f"no runs under {root}{empty}", hint="run `harness run SUITE` first")
    if (root / str(ref)).is_dir():
        return root / str(ref)
    raise HarnessError(f"no run '{ref}'", hint=f"pass a run directory or an id under {root}/")


def merge_runs(parts: list[Path], target: Path, run_id: str) -> Path:
    """Fold several part runs (one per pytest-xdist worker or suite file) into one run directory.

    Images are content-addressed, so the union is a copy of whatever is not there yet.
    """
    runs = [Run.load(p) for p in parts if (p / "manifest.json").exists()]
    if not runs:
        raise HarnessError("no part runs to merge", hint="did any suite trial run?")
    first = runs[0].manifest
    manifest = first.model_copy(deep=True)
    manifest.run_id = run_id
    manifest.suites = []
    seen_suites: set[str] = set()
    for run in runs:
        for suite in run.manifest.suites:
            if suite.path not in seen_suites:
                seen_suites.add(suite.path)
                manifest.suites.append(suite)
    manifest.variants = sorted({v for r in runs for v in r.manifest.variants})
    manifest.procedural_images = any(r.manifest.procedural_images for r in runs)
    manifest.started_at = min(r.manifest.started_at for r in runs)
    finished = [r.manifest.finished_at for r in runs if r.manifest.finished_at]
    manifest.finished_at = max(finished) if finished else None
    statuses = {r.manifest.status for r in runs}
    manifest.status = "finished" if statuses == {"finished"} else "interrupted"
    target.mkdir(parents=True, exist_ok=True)
    (target / "images").mkdir(exist_ok=True)
    records: list[TrialRecord] = []
    for run in runs:
        records.extend(run.trials)
        for image in (run.dir / "images").iterdir():
            destination = target / "images" / image.name
            if not destination.exists():
                atomic_write(destination, image.read_bytes())
    manifest.totals = compute_totals(records)
    merged = Run(target, manifest, [])
    merged.rewrite_trials(sorted(records, key=lambda r: r.trial_id))
    merged.rewrite_manifest()
    return target


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: an observed value, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def compute_totals(records: Sequence[TrialRecord], planned: int | None = None) -> Totals:
    """Counts a person reads first: trials per outcome, pass/fail, images, cost, latency."""
    outcomes = Counter(r.outcome for r in records)
    latencies = [r.latency_s for r in records]
    return Totals(
        planned=planned,
        trials=len(records),
        outcomes={name: outcomes.get(name, 0) for name in OUTCOMES},
        passed=sum(r.passed is True for r in records),
        failed=sum(r.passed is False for r in records),
        skipped=sum(r.passed is None for r in records),
        unmeasured=sum(r.unmeasured for r in records),
        unmeasured_trials=sum(r.unmeasured > 0 for r in records),
        passed_with_unmeasured=sum(r.passed is True and r.unmeasured > 0 for r in records),
        images=sum(len(r.images()) for r in records),
        cost_usd=round(sum(r.cost_usd for r in records), 6),
        judge_cost_usd=round(sum(r.judge_cost_usd for r in records), 6),
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
    )
