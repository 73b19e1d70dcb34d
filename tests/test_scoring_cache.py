"""The score cache: a second scoring of the same images with the same parameters decodes nothing, and
anything that could change a score (the image, a parameter, the image compared with) is a miss."""

from __future__ import annotations

import pytest
from _scoring_helpers import RunBuilder, product

from harness.scoring import context, score_trial

EXPECT = [
    {"background": {"color": "white", "min_fraction": 0.5}},
    {"brightness": {"min": 10}},
    {"changed": True},
]


def _chain(tmp_path):
    b = RunBuilder(tmp_path)
    first, second = product(box=(0.3, 0.3, 0.7, 0.7)), product(box=(0.1, 0.1, 0.5, 0.5))
    record = b.trial([b.step([first], EXPECT[:2]), b.step([second], EXPECT, index=1, kind="edit")])
    b.close()
    return b, record


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path):
        raise AssertionError(f"decoded {path}")

    monkeypatch.setattr(context, "prepare", refuse)


def test_a_second_scoring_reads_every_score_from_the_cache(tmp_path, monkeypatch) -> None:
    b, record = _chain(tmp_path)
    first = score_trial(record, b.env())
    assert len(first) == 5 and all(s.passed is not None for s in first)
    _no_decoding(monkeypatch)
    env = b.env()  # a new env, as the next run or `harness score` builds: only the file is shared
    assert score_trial(record, env) == first
    assert (env.score_cache.hits, env.score_cache.misses) == (5, 0)


def test_a_changed_parameter_or_image_is_scored_again(tmp_path) -> None:
    b, record = _chain(tmp_path)
    score_trial(record, b.env())
    record.steps[0].expect = []
    record.steps[1].expect = [{"background": {"color": "white", "min_fraction": 0.9}}]
    env = b.env()
    (again,) = score_trial(record, env)
    assert env.score_cache.misses == 1 and again.threshold == 0.9
    record.steps[0].images = record.steps[1].images  # `changed` compares with a different previous image
    record.steps[1].expect = [{"changed": True}]
    env = b.env()
    (changed,) = score_trial(record, env)
    assert env.score_cache.misses == 1 and changed.passed is False


def test_a_torn_cache_line_is_a_miss_not_an_error(tmp_path) -> None:
    b, record = _chain(tmp_path)
    env = b.env()
    expected = score_trial(record, env)
    with open(env.score_cache.path, "a", encoding="utf-8") as fh:
        fh.write('{"key": "abc", "scor')
    assert score_trial(record, b.env()) == expected
