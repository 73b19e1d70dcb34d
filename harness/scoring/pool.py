"""First-time scoring on every core: a trial's pixel scorers run in worker processes.

Decoding an image and measuring its pixels is CPU work that holds the GIL, so scoring threads only ever
used one core. A ScoringPool sends a trial's cacheable expectations (the deterministic scorers that read
only image bytes and their parameters, `Scorer.cached`) to one of its worker processes, one trial per job
so a chain's previous image is decoded once, while the calling thread waits. Everything else stays in the
calling process: the score cache (looked up before a job is sent, filled from its answer), the judge
and its client, custom scorers, text and outcome scorers, and `similar: {baseline: true}` (its baseline
run lives in the caller). The workers run the same functions on the same bytes and the answers come
back in order, so the scores are identical to in-process scoring.

Start method: forkserver. The run has threads (its scoring threads, the SDK's connection pools) whose
locks a plain fork would copy while held; spawn would import numpy, pydantic and scipy once per
worker. The forkserver imports them once (PRELOAD: the modules themselves, not the packages, which
scipy and imagehash load lazily) and every worker forks from it warm. Those imports take about half a
second on one core, so while no worker has answered yet, one calling thread at a time scores its
trial itself on the other core, the way a broken pool does.

Worth it only with enough images (`wanted`): starting the forkserver and its workers costs most of a
second of CPU and, on a loaded 2-core machine, seconds of waiting (2.9 s measured at load 15), while a
1024-px image costs 20-40 ms to score; below MIN_IMAGES images the run scores in its own threads. The
pool starts on the first image the cache does not already know, so an unchanged re-score never starts
it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.record import Score, TrialRecord
from harness.scoring.context import ScoreContext, ScoringEnv
from harness.scoring.engine import compute
from harness.scoring.registry import Expectation, Params, lookup, parse_expect

MIN_IMAGES = 64
PRELOAD = [
    "harness.scoring",
    "imagehash",
    "scipy.fftpack",
    "scipy.ndimage",
]


def cores() -> int:
    """The cores this process may use (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class _Job:
    run_dir: Path
    suite_dir: Path | None
    record: TrialRecord
    items: tuple[tuple[int, str, Params], ...]  # (step index, scorer name, its validated parameters)


class ScoringPool:
    """Worker processes for the pixel scorers; thread-safe, started on first use, closed by `close`."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or cores()
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()  # a worker has answered (or the pool broke): send every trial
        self._caller = threading.Lock()  # held by the one thread scoring in the caller while workers start
        self.jobs = 0  # trials given to the pool
        self.in_caller = 0  # of those, scored in the calling process while the workers started
        self.broken = False  # the workers could not run: score in the caller

    def takes(self, exp: Expectation, env: ScoringEnv) -> bool:
        """Whether a worker can compute this expectation exactly as the calling process would."""
        cached = exp.scorer.cached
        return cached in ("image", "previous") or (cached == "reference" and env.baseline is None)

    def score(
        self, record: TrialRecord, env: ScoringEnv, items: Sequence[tuple[int, Expectation]]
    ) -> list[list[Score]]:
        """Each item's scores, in order; `items` are (step index, expectation) of `record`. A pool that
        cannot run (its workers died, or cannot start: say, a `__main__` read from stdin, which a worker
        cannot import) scores here instead, the same way, and is not asked again."""
        job = _Job(
            env.run_dir,
            env.suite_dir,
            record,
            tuple((step, exp.scorer.name, exp.params) for step, exp in items),
        )
        executor = self._start()
        if executor is not None and not self._ready.is_set() and self._caller.acquire(blocking=False):
            try:
                with self._lock:
                    self.in_caller += 1
                return _score_job(job, env)
            finally:
                self._caller.release()
        if executor is not None:
            try:
                answers: list[list[Score]] = executor.submit(_score_job, job).result()
                return answers
            except (BrokenProcessPool, OSError, RuntimeError):
                with self._lock:
                    self.broken = True
        return _score_job(job, env)

    def _start(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self.broken:
                return None
            self.jobs += 1
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
                self._executor.submit(int).add_done_callback(lambda _: self._ready.set())  # starts one
            return self._executor

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wanted(steps: Iterable[Sequence[Any]], workers: int | None = None) -> ScoringPool | None:
    """A pool when both cores are there and at least MIN_IMAGES steps (given as their `expect:` lists)
    have a pixel scorer the pool would take, else None (score in threads)."""
    workers = workers or cores()
    if workers < 2:
        return None
    images = 0
    for expect in steps:
        if any(_pixel(spec) for spec in expect):
            images += 1
            if images >= MIN_IMAGES:
                return ScoringPool(workers)
    return None


def _pixel(spec: Any) -> bool:
    try:
        return parse_expect(spec).scorer.cached is not None
    except ValueError:
        return False


_ENVS: dict[tuple[Path, Path | None], ScoringEnv] = {}  # in a worker: one env per run, as a run keeps one


def _score_job(job: _Job, env: ScoringEnv | None = None) -> list[list[Score]]:
    """In a worker: each item's scores, computed as `engine.compute` computes them in the caller (who
    passes its own `env` when the pool is broken)."""
    env = env or _ENVS.get((job.run_dir, job.suite_dir))
    if env is None:
        env = _ENVS.setdefault((job.run_dir, job.suite_dir), ScoringEnv(job.run_dir, job.suite_dir))
    return [
        compute(lookup(name), params, ScoreContext(job.record, step, env, scorer=name))
        for step, name, params in job.items
    ]
