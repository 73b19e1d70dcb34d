"""`harness score RUN --suite`: re-scoring a stored run after a threshold changes, offline."""

from __future__ import annotations

import socket

from _scoring_helpers import RunBuilder, fake_client, product

from harness.api.rescore import rescore_run
from harness.scoring.cli import handle
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


def _recorded_judge_run(tmp_path):
    """A stored run whose judgement was recorded into the suite's cassette (by the emulator)."""
    from google import genai

    from harness import emulator
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
    return run_dir, suite, live


def test_rescore_replays_the_judge_from_the_cassette_without_a_connection(tmp_path, monkeypatch):
    run_dir, suite, live = _recorded_judge_run(tmp_path)
    attempts = []

    def refuse(sock, address, *args):
        attempts.append(address)
        raise OSError(f"re-scoring tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    result = rescore_run(run_dir, suite)  # the emulator is gone, sockets refuse: only the cassette answers
    assert attempts == []
    (replayed,) = Run.load(run_dir).trials[0].scores
    assert result.trials == 1
    assert replayed.value == live.value and replayed.reason == live.reason


def test_rescore_fails_a_judgement_the_cassette_does_not_hold(tmp_path):
    run_dir, suite, _ = _recorded_judge_run(tmp_path)
    suite.write_text(JUDGE_SUITE.replace("a red square", "a blue circle"))
    result = rescore_run(run_dir, suite)
    (trial,) = Run.load(run_dir).trials
    (s,) = trial.scores
    assert (s.passed, s.value, s.threshold, trial.passed) == (False, None, 3, False)
    assert result.failed == 1 and not result.skipped
    assert "replay miss for suite 's', case 'shot'" in s.reason and "Rubric: a blue circle" in s.reason
    assert f"harness run {suite} --backend emulator --mode auto" in s.reason


LIVE_JUDGE_SUITE = """suite: s
cases:
  - id: shot
    prompt: a red square on white
    expect:
      - judge: {{rubric: "{rubric}", min: {min}}}
"""


def _live_judged_run(tmp_path):
    """A run as a live run leaves it: judge grades stored in trials.jsonl and no cassette anywhere."""
    from harness.scoring import score_trial

    b = RunBuilder(tmp_path)
    b.trial([b.step([product()], [{"judge": {"rubric": "a red square on white", "min": 3}}])], case="shot")
    run_dir = b.close()
    run = Run.load(run_dir)
    client = fake_client('{"score": 4, "reason": "a red square, centred"}')
    run.trials[0].scores = score_trial(run.trials[0], b.env(client=client))
    run.rewrite_trials(run.trials)
    assert run.trials[0].scores[0].value == 4.0 and len(client.models.calls) == 1
    return run_dir


def test_rescore_keeps_stored_judge_grades_when_only_the_threshold_changed(tmp_path, capsys):
    run_dir = _live_judged_run(tmp_path)
    suite = tmp_path / "s.yaml"
    suite.write_text(LIVE_JUDGE_SUITE.format(rubric="a red square on white", min=5))
    result = rescore_run(run_dir, suite)
    (s,) = Run.load(run_dir).trials[0].scores
    assert (s.value, s.passed, s.threshold) == (4.0, False, 5)
    assert "stored grade" in s.reason and s.reason.endswith("a red square, centred")
    assert result.failed == 1 and not result.skipped
    suite.write_text(LIVE_JUDGE_SUITE.format(rubric="a red square on white", min=4))
    rescore_run(run_dir, suite)  # a stored grade survives any number of re-scorings
    (s,) = Run.load(run_dir).trials[0].scores
    assert (s.value, s.passed) == (4.0, True) and s.reason.count("stored grade") == 1


def test_rescore_skips_a_judgement_whose_rubric_changed(tmp_path, capsys):
    import argparse

    run_dir = _live_judged_run(tmp_path)
    suite = tmp_path / "s.yaml"
    suite.write_text(LIVE_JUDGE_SUITE.format(rubric="a blue circle on black", min=3))
    assert handle(argparse.Namespace(run=str(run_dir), suite=suite, results=tmp_path, list=False)) == 0
    (trial,) = Run.load(run_dir).trials
    assert trial.scores[0].passed is None and trial.passed is None
    assert "1 score(s) skipped (not counted as passes)" in capsys.readouterr().out


def test_rescore_rewrites_the_parquet_and_the_manifest_totals(tmp_path):
    import pandas as pd

    from harness.analysis import write_parquet
    from harness.store import compute_totals

    b = RunBuilder(tmp_path)
    img = product(box=(0.0, 0.0, 1.0, 0.08))
    expect = [{"background": {"color": "white", "min_fraction": 0.5}}]
    b.trial([b.step([img], expect)], case="shot", passed=True)
    b.writer.close(totals=compute_totals(b.records, planned=1))  # as the runner closes a run
    write_parquet(b.dir)
    suite = tmp_path / "s.yaml"
    suite.write_text(SUITE.format(fraction=0.95))
    rescore_run(b.dir, suite)
    totals = Run.load(b.dir).manifest.totals  # what `harness runs list` shows
    assert (totals.passed, totals.failed, totals.trials, totals.planned) == (0, 1, 1, 1)
    frame = pd.read_parquet(b.dir / "trials.parquet")
    assert frame["trial_passed"].tolist() == [False] and frame["threshold"].tolist() == ["0.95"]


def test_score_keeps_a_line_it_cannot_parse_and_reports_it(tmp_path, capsys):
    """A hand-edited or torn trials.jsonl line survives the rewrite, verbatim, and is named (exit 2)."""
    import argparse

    run_dir = _run(tmp_path)
    trials = run_dir / "trials.jsonl"
    trials.write_text(trials.read_text() + "someone typed this\n" + '{"trial_id": "torn', encoding="utf-8")
    suite = tmp_path / "s.yaml"
    suite.write_text(SUITE.format(fraction=0.95))
    code = handle(
        argparse.Namespace(run=str(run_dir), suite=suite, results=tmp_path, list=False, markdown=False)
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"{trials}:2: not a trial record" in err and f"{trials}:3: not a trial record (torn" in err
    lines = trials.read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["someone typed this", '{"trial_id": "torn']
    run = Run.load(run_dir)
    assert run.trials[0].passed is False and len(run.unparsed) == 2


def test_rescore_takes_each_suite_of_a_multi_suite_run_from_its_own_file(tmp_path):
    """Two suites in one run: editing the second suite's expectation flips its trial, and only its."""
    from harness.api import run_suites

    text = (
        'suite: {name}\ncases:\n  - {{id: c, prompt: a red apple, expect: [{{aspect_ratio: "{ratio}"}}]}}\n'
    )
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    first.write_text(text.format(name="one", ratio="1:1"))
    second.write_text(text.format(name="two", ratio="1:1"))
    run_dir = run_suites([first, second], backend="emulator", mode="live", out=tmp_path / "r", run_id="x")
    assert [t.passed for t in Run.load(run_dir).trials] == [True, True]
    second.write_text(text.format(name="two", ratio="16:9"))
    result = rescore_run(run_dir)
    assert result.suites == [first, second]
    assert result.flipped == [("two::c[default-r0]", True, False)]
