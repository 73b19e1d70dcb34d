"""Scoring in worker processes: the same scores as in-process scoring, in the same order, the score
cache still consulted first and filled from the workers' answers; a pool only for enough images."""

from __future__ import annotations

from pathlib import Path

import pytest
from _scoring_helpers import RunBuilder, product, scene

from harness.scoring import pool as pool_module
from harness.scoring.cache import ScoreCache
from harness.scoring.engine import score_trials
from harness.scoring.pool import MIN_IMAGES, ScoringPool, wanted

CHAIN = [
    {"background": {"color": "white", "min_fraction": 0.5}},
    {"brightness": {"min": 10}},
    {"palette": ["white", "red"]},
    {"contains": "watch"},  # a text scorer: stays in the calling process
    {"outcome": "ok"},
]
EDIT = [*CHAIN, {"changed": True}, {"preserved": True}, {"warmer": True}, {"similar": {"golden": "gold.png"}}]


def _run(tmp_path, trials: int = 6):
    b = RunBuilder(tmp_path)
    product().save(tmp_path / "gold.png")
    for n in range(trials):
        first = b.step([scene(seed=n)], CHAIN, text="a watch")
        second = b.step([product(box=(0.1 * (n % 4), 0.2, 0.6, 0.7))], EDIT, index=1, kind="edit", text="x")
        b.trial([first, second], case=f"c{n}")
    b.close()
    return b


@pytest.fixture(scope="module")
def pool():
    """One pool for the module: its start-up (a forkserver importing scipy) is the slow part."""
    with ScoringPool(2) as shared:
        yield shared


def _dump(scores):
    return [[s.model_dump() for s in trial] for trial in scores]


def test_workers_give_the_scores_threads_give_in_the_same_order(tmp_path, pool) -> None:
    b = _run(tmp_path)
    alone = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "a.jsonl")))
    before = pool.jobs
    env = b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "b.jsonl"), pool=pool)
    pooled = score_trials(b.records, env)
    assert pool.jobs - before == len(b.records)  # one job a trial: both steps' pixel scorers
    assert _dump(pooled) == _dump(alone)
    assert all(s.passed is not None for trial in pooled for s in trial)
    assert {s.name for s in pooled[0]} >= {"background", "contains", "changed", "similar.phash"}


def test_the_cache_is_asked_first_and_filled_from_the_workers(tmp_path, pool) -> None:
    b = _run(tmp_path, trials=2)
    cache = tmp_path / "cache.jsonl"
    before = pool.jobs
    first = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(cache), pool=pool))
    again_env = b.env(suite_dir=tmp_path, score_cache=ScoreCache(cache), pool=pool)
    again = score_trials(b.records, again_env)
    assert pool.jobs - before == 2  # the second scoring sent nothing to the workers
    assert _dump(again) == _dump(first)
    assert again_env.score_cache is not None and again_env.score_cache.misses == 0


def test_a_broken_image_fails_its_score_in_a_worker_as_in_process(tmp_path, pool) -> None:
    b = _run(tmp_path, trials=1)
    (b.dir / b.records[0].steps[0].images[0].path).write_bytes(b"not a png")
    alone = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "a.jsonl")))
    env = b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "b.jsonl"), pool=pool)
    pooled = score_trials(b.records, env)
    assert _dump(pooled) == _dump(alone)
    assert any((s.reason or "").startswith("could not score") for s in pooled[0])


def test_a_pool_only_for_enough_images_and_two_cores() -> None:
    pixel, text = [{"brightness": {"min": 1}}], [{"contains": "x"}]
    assert wanted([pixel] * (MIN_IMAGES - 1) + [text] * 100, workers=2) is None
    assert isinstance(wanted([pixel] * MIN_IMAGES, workers=2), ScoringPool)
    assert wanted([pixel] * 1000, workers=1) is None


def test_rescore_scores_in_the_pool_wanted_gives_it(tmp_path, monkeypatch: pytest.MonkeyPatch, pool) -> None:
    from harness.api.rescore import rescore_run

    b = _run(tmp_path, trials=3)
    env = b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "x"))
    expected = _dump(score_trials(b.records, env))
    asked: list[int] = []
    real = pool_module.wanted

    def spy(steps, workers=None):
        steps = list(steps)
        asked.append(len(steps))
        assert real(steps, workers=2) is None  # 6 steps: too few for a pool of its own
        return pool  # (the shared one, which rescore closes when done)

    monkeypatch.setattr("harness.api.rescore.wanted", spy)
    (tmp_path / "gold.png").rename(b.dir / "gold.png")  # no suite file: `golden` resolves in the run
    before = pool.jobs
    rescore_run(b.dir)
    assert asked == [6] and pool.jobs - before == 3
    from harness.store import Run

    assert _dump([r.scores for r in Run.load(b.dir).trials]) == expected


def test_a_replay_run_scores_in_the_pool_and_gets_the_scores_threads_get(
    tmp_path, monkeypatch: pytest.MonkeyPatch, pool
) -> None:
    import harness

    suite = Path(__file__).resolve().parent.parent / "suites" / "showcase.yaml"
    trials = {"showcase::watch-warmer-light[flash-r0]", "showcase::watch-background-blue[pro-r0]"}
    alone = harness.run(suite, mode="replay", out=tmp_path / "alone", select=trials)
    monkeypatch.setattr(pool_module, "wanted", lambda steps: pool)  # two trials: too few for a pool
    before = pool.jobs
    pooled = harness.run(suite, mode="replay", out=tmp_path / "pooled", select=trials)
    assert pool.jobs - before == 2
    assert _dump([t.scores for t in pooled.trials]) == _dump([t.scores for t in alone.trials])
    assert [t.passed for t in pooled.trials] == [t.passed for t in alone.trials]


def test_a_pool_whose_workers_cannot_run_scores_in_the_caller(tmp_path, monkeypatch) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def submit(self, *args, **kwargs) -> Future:
            future: Future = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future

        def shutdown(self, **kwargs) -> None:
            pass

    b = _run(tmp_path, trials=2)
    alone = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "a.jsonl")))
    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", Broken)
    with ScoringPool(2) as pool:
        env = b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "b.jsonl"), pool=pool)
        assert _dump(score_trials(b.records, env)) == _dump(alone)
        assert pool.broken and pool.jobs == 1  # asked once, then scored here


def test_while_no_worker_has_answered_one_caller_thread_scores_its_trial_itself(
    tmp_path, monkeypatch
) -> None:
    from concurrent.futures import Future

    from harness.scoring.engine import score_trial

    warm_up: list[Future] = []

    class Slow:
        """Workers that have not started: the warm-up call stays unanswered until the test answers it."""

        def __init__(self, *args, **kwargs) -> None:
            pass

        def submit(self, fn, *args) -> Future:
            future: Future = Future()
            if fn is int:
                warm_up.append(future)
            else:
                future.set_result(fn(*args))  # a job sent to a worker, run here
            return future

        def shutdown(self, **kwargs) -> None:
            pass

    b = _run(tmp_path, trials=2)
    alone = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "a.jsonl")))
    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", Slow)
    with ScoringPool(2) as pool:
        env = b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "b.jsonl"), pool=pool)
        first = score_trial(b.records[0], env)
        assert (pool.jobs, pool.in_caller, len(warm_up)) == (1, 1, 1)  # scored here, workers starting
        warm_up[0].set_result(0)  # a worker is up
        second = score_trial(b.records[1], env)
        assert (pool.jobs, pool.in_caller) == (2, 1)  # sent to the workers
    assert _dump([first, second]) == _dump(alone)


def test_trials_the_cache_answers_are_read_in_the_calling_thread(tmp_path, pool, monkeypatch) -> None:
    """Threads only help while the workers compute; a re-score the cache answers whole would just take
    turns at the GIL in them. The first trial the pool is given switches to threads for the rest."""
    from harness.scoring import engine

    b = _run(tmp_path)
    cache = tmp_path / "cache.jsonl"
    first = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(cache), pool=pool))
    opened: list[int] = []
    real = engine.ThreadPoolExecutor
    monkeypatch.setattr(engine, "ThreadPoolExecutor", lambda n: opened.append(n) or real(n))
    before = pool.jobs
    again = score_trials(b.records, b.env(suite_dir=tmp_path, score_cache=ScoreCache(cache), pool=pool))
    assert _dump(again) == _dump(first) and pool.jobs == before and opened == []
    half = b.records[len(b.records) // 2 :]
    fresh = score_trials(
        half, b.env(suite_dir=tmp_path, score_cache=ScoreCache(tmp_path / "new.jsonl"), pool=pool)
    )
    assert _dump(fresh) == _dump(first[len(b.records) // 2 :]) and opened == [2 * pool.workers]
    assert pool.jobs - before == len(half)
