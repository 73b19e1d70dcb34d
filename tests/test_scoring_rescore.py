"""`harness score RUN --suite`: re-scoring a stored run after a threshold changes, offline."""

from __future__ import annotations

from _scoring_helpers import RunBuilder, product

from harness.scoring.cli import handle
from harness.scoring.rescore import rescore_run
from harness.store import Run

SUITE = """suite: s
cases:
  - id: shot
    prompt: a red square on white
    expect:
      - background: {{color: white, min_fraction: {fraction}}}
"""


def _run(tmp_path):
    b = RunBuilder(tmp_path)
    # white border with a red band across the top: white covers about 80% of the border
    img = product(box=(0.0, 0.0, 1.0, 0.08))
    b.trial([b.step([img], [{"background": {"color": "white", "min_fraction": 0.5}}])], case="shot")
    return b.close()


def test_rescore_after_changing_a_threshold(tmp_path, capsys):
    run_dir = _run(tmp_path)
    suite = tmp_path / "s.yaml"
    suite.write_text(SUITE.format(fraction=0.5))
    first = rescore_run(run_dir, suite)
    assert first.passed == 1 and Run.load(run_dir).trials[0].passed is True
    suite.write_text(SUITE.format(fraction=0.95))
    import argparse

    code = handle(argparse.Namespace(run=str(run_dir), suite=suite, results=tmp_path, list=False))
    assert code == 0
    (trial,) = Run.load(run_dir).trials
    assert trial.passed is False
    assert trial.steps[0].expect == [{"background": {"color": "white", "min_fraction": 0.95}}]
    assert trial.scores[0].threshold == 0.95 and "(min 95%)" in trial.scores[0].reason
    assert "True -> False" in capsys.readouterr().out


def test_rescore_without_suite_uses_stored_expectations(tmp_path):
    run_dir = _run(tmp_path)
    result = rescore_run(run_dir)
    assert result.suite is None and result.passed == 1
    assert Run.load(run_dir).trials[0].scores[0].name == "background"


def test_score_list_prints_every_scorer(capsys):
    import argparse

    assert handle(argparse.Namespace(list=True)) == 0
    out = capsys.readouterr().out
    assert "background" in out and "min_fraction=0.6" in out and "judge" in out


JUDGE_SUITE = """suite: s
cases:
  - id: shot
    prompt: a red square on white
    expect:
      - judge: {rubric: "a red square on a white background", min: 3}
"""


def test_rescore_replays_the_judge_from_the_cassette(tmp_path):
    emulator = __import__("pytest").importorskip("harness.emulator")
    from google import genai

    from harness.scoring import score_trial
    from harness.transport import Mode, TransportSession, cassette_path

    b = RunBuilder(tmp_path)
    rec = b.trial(
        [b.step([product()], [{"judge": {"rubric": "a red square on a white background", "min": 3}}])],
        case="shot",
    )
    run_dir = b.close()
    suite = tmp_path / "s.yaml"
    suite.write_text(JUDGE_SUITE)
    cassette = cassette_path(suite, "s")
    with emulator.Emulator() as emu, TransportSession(Mode.RECORD, cassette, suite="s") as session:
        client = genai.Client(
            api_key="test-key-not-real", http_options=session.http_options(base_url=emu.url)
        )
        (live,) = score_trial(rec, b.env(client=client))
    assert live.value is not None and cassette.exists()
    result = rescore_run(run_dir, suite)  # the emulator is gone: only the cassette can answer
    (replayed,) = Run.load(run_dir).trials[0].scores
    assert result.trials == 1
    assert replayed.value == live.value and replayed.reason == live.reason
