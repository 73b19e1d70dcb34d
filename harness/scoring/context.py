"""What a scorer sees: the trial, the step being scored, its images (and the previous step's), the env."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.models import DEFAULT_JUDGE_MODEL
from harness.record import Detail, Score, StepRecord, TrialRecord
from harness.scoring.cache import CACHE_FILE, ScoreCache
from harness.scoring.imaging import Prepared, prepare
from harness.store import Run

if TYPE_CHECKING:
    from harness.scoring.pool import ScoringPool


@dataclass
class ScoringEnv:
    """Everything scoring needs beyond the record. One per run; safe to share across worker threads.

    client: a sync google.genai.Client built over the run's transport, for the judge; None skips judge scores.
    baseline: a stored run whose images `similar: {baseline: true}` compares against.
    stored_judgements: grades a stored run already has (judge.stored_judgements), used by re-scoring when
    the judge cannot be asked again.
    pool: a ScoringPool (scoring.pool.wanted) the pixel scorers run in, on every core; its owner closes it.
    """

    run_dir: Path
    suite_dir: Path | None = None
    client: Any = None
    baseline: Run | None = None
    judge_model: str = DEFAULT_JUDGE_MODEL
    judge_temperature: float = 0.0
    require_measured: bool = False  # an unmeasured score fails its trial (decide_passed)
    stored_judgements: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    score_cache: ScoreCache | None = None  # default: the one shared by the runs beside run_dir
    pool: ScoringPool | None = None  # worker processes for the pixel scorers (scoring.pool); None: threads
    cache_size: int = 16  # decoded working copies kept; a chain's previous step is usually still here
    _cache: OrderedDict[Path, Prepared] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _digests: dict[tuple[Path, int, int], str] = field(default_factory=dict, repr=False)
    # parsed `expect:` entries by their JSON (engine._expectation): (Expectation, its cache-key parameters)
    expectations: dict[str, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.suite_dir = Path(self.suite_dir) if self.suite_dir is not None else None
        if self.score_cache is None:
            self.score_cache = ScoreCache(self.run_dir.parent / CACHE_FILE)

    def prepared(self, path: Path) -> Prepared:
        """Decode once per image and keep the working copy (LRU), since several scorers read it. Keyed by
        the path as given (not resolved: that is a system call per directory, for each scorer's look-up)."""
        key = Path(path)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        image = prepare(key)
        with self._lock:
            self._cache[key] = image
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return image

    def file_digest(self, path: Path) -> str:
        """The sha256 of a file an expectation compares with (a golden image, an edit's input), for the
        score cache; read and hashed once while its (size, mtime) stays the same."""
        stat = path.stat()
        key = (Path(path).resolve(), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._digests.get(key)
        if known is None:
            known = hashlib.sha256(path.read_bytes()).hexdigest()
            with self._lock:
                self._digests[key] = known
        return known

    def resolve(self, name: str) -> Path | None:
        """A file named in a record or an expectation: run-relative, suite-relative, or absolute."""
        candidates = [self.run_dir / name]
        if self.suite_dir is not None:
            candidates.append(self.suite_dir / name)
        candidates.append(Path(name))
        return next((p for p in candidates if p.is_file()), None)

    def baseline_record(self, trial_id: str) -> TrialRecord | None:
        if self.baseline is None:
            return None
        return next((r for r in self.baseline.trials if r.trial_id == trial_id), None)


@dataclass
class ScoreContext:
    """One step of one trial, as a scorer sees it. Images load lazily, on first use."""

    record: TrialRecord
    step_index: int
    env: ScoringEnv
    scorer: str = ""

    @property
    def step(self) -> StepRecord:
        return self.record.steps[self.step_index]

    @property
    def text(self) -> str | None:
        return self.step.text

    @property
    def has_image(self) -> bool:
        return self.step.outcome == "ok" and bool(self.step.images)

    def image_path(self, n: int = 0) -> Path:
        return self.env.run_dir / self.step.images[n].path

    @property
    def image(self) -> Prepared:
        """The step's first output image (a scorer only runs on it when `has_image`)."""
        return self.env.prepared(self.image_path())

    @property
    def previous_image(self) -> Prepared | None:
        """The image this step started from: the previous chain step's output, or the edit's first input."""
        if self.step_index > 0:
            prev = self.record.steps[self.step_index - 1]
            if prev.images:
                return self.env.prepared(self.env.run_dir / prev.images[0].path)
            return None
        for name in self.step.inputs:
            path = self.env.resolve(name)
            if path is not None:
                return self.env.prepared(path)
        return None

    def previous_digest(self) -> str:
        """What `previous_image` is, without decoding it: the previous step's image hash, or the hash of
        the edit's first input file ("none" when there is none)."""
        if self.step_index > 0:
            prev = self.record.steps[self.step_index - 1]
            return prev.images[0].sha256 if prev.images else "none"
        for name in self.step.inputs:
            path = self.env.resolve(name)
            if path is not None:
                return self.env.file_digest(path)
        return "none"

    def score(
        self,
        value: float | None,
        passed: bool | None,
        reason: str,
        threshold: float | str | None = None,
        suffix: str | None = None,
        detail: Detail | None = None,
    ) -> Score:
        """A Score named after the scorer (plus `.suffix` when one scorer gives several values); `detail`
        holds what a later stage reads back (the judge's grade and reason), never parsed from `reason`.
        The engine stamps its kind (step or group)."""
        name = f"{self.scorer}.{suffix}" if suffix else self.scorer
        return Score(
            name=name,
            value=value,
            passed=passed,
            threshold=threshold,
            reason=reason,
            step=self.step_index,
            scorer=self.scorer,
            detail=detail or {},
        )

    def skip(self, reason: str, suffix: str | None = None) -> Score:
        """Could not measure: counted neither as a pass nor as a fail."""
        return self.score(None, None, reason, suffix=suffix)
