"""A check that could not be measured is never a pass (issue 18): counted on the run line, in the summary,
the totals, the report, the diff, the JSON and the Parquet table; `--require-measured` (the default under
CI) fails the trial instead."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import write_run
from harness.api import run_suites
from harness.cli import main
from harness.diff import diff_runs
from harness.diff.export import diff_json
from harness.record import Score, StepRecord, TrialRecord
from harness.report.html import write_diff_html, write_run_html
from harness.runner.cli import summary
from harness.runner.progress import trial_line
from harness.scoring import decide_passed
from harness.store import Run

# `warmer` on a first step has no previous image: it cannot be measured, whatever the machine has.
SUITE = """\
suite: gaps
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}
cases:
  - id: only-unmeasured
    prompt: a red ball on a white table
    expect: [{warmer: true}]
  - id: half-measured
    prompt: a blue cup on a white table
    expect: [{aspect_ratio: "1:1"}, {warmer: true}]
"""


def _record(scores: list[Score]) -> TrialRecord:
    return TrialRecord(
        trial_id="s::c[default-r0]",
        suite="s",
        case="c",
        variant="default",
        repeat=0,
        model="m",
        prompt="p",
        outcome="ok",
        steps=[StepRecord(index=0, kind="generate", prompt="p", outcome="ok")],
        scores=scores,
        started_at="t",
        finished_at="t",
    )


def test_decide_passed_fails_an_unmeasured_check_only_when_measurement_is_required() -> None:
    measured = Score(name="aspect_ratio", value=1.0, passed=True, reason="1:1")
    gap = Score(name="text_in_image", value=None, passed=None, reason="tesseract is not installed")
    assert decide_passed(_record([measured, gap])) is True
    assert decide_passed(_record([gap])) is None
    assert decide_passed(_record([measured, gap]), require_measured=True) is False
    assert decide_passed(_record([measured]), require_measured=True) is True
    assert _record([measured, gap]).unmeasured == 1


def test_the_run_line_names_unmeasured_checks_and_never_reads_as_a_plain_pass() -> None:
    gap = Score(name="text_in_image", value=None, passed=None, reason="tesseract is not installed")
    record = _record([Score(name="aspect_ratio", value=1.0, passed=True, reason="ok"), gap])
    record.passed = True
    assert "(1 unmeasured: text_in_image)" in trial_line(record)


def test_every_surface_counts_the_unmeasured_checks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    suite = tmp_path / "gaps.yaml"
    suite.write_text(SUITE)
    run_dir = run_suites([suite], backend="emulator", out=tmp_path / "results", run_id="r")
    run = Run.load(run_dir)
    by_case = {r.case: r for r in run.trials}
    assert by_case["only-unmeasured"].passed is None and by_case["half-measured"].passed is True
    totals = run.manifest.totals
    assert (totals.unmeasured, totals.unmeasured_trials, totals.passed_with_unmeasured) == (2, 2, 1)
    text = summary(run)
    assert "passed 1 (1 with unmeasured checks)" in text
    assert "unmeasured 2 check(s) in 2 trial(s)" in text and "warmer x2: warmer: no previous image" in text
    # JSON: each trial carries its count
    first = json.loads((run_dir / "trials.jsonl").read_text().splitlines()[0])
    assert first["unmeasured"] == 1
    # Parquet: a verdict column that says unmeasured, and the trial's count
    table = pd.read_parquet(run_dir / "trials.parquet")
    warmer = table[table["scorer"] == "warmer"]
    assert set(warmer["verdict"]) == {"unmeasured"} and set(warmer["trial_unmeasured"]) == {1}
    assert set(table[table["scorer"] == "aspect_ratio"]["verdict"]) == {"pass"}
    # the report page: the scorer reads unmeasured, not "pass –"
    html = write_run_html(run_dir).read_text()
    assert "unmeasured 1/1" in html and "2 check(s) unmeasured in 2 trial(s)" in html
    assert "pass –" not in html


def test_require_measured_fails_the_trial_and_the_exit_code(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("CI", raising=False)
    suite = tmp_path / "gaps.yaml"
    suite.write_text(SUITE)
    results = tmp_path / "results"
    argv = ["run", str(suite), "--backend", "emulator", "--out", str(results), "--run-id"]
    assert main([*argv, "loose"]) == 0
    assert main([*argv, "strict", "--require-measured"]) == 1
    strict = Run.load(results / "strict")
    assert strict.manifest.require_measured is True and [r.passed for r in strict.trials] == [False, False]
    assert "each failed its trial (--require-measured)" in capsys.readouterr().out


def test_ci_makes_measurement_required_by_default(tmp_path: Path, monkeypatch) -> None:
    suite = tmp_path / "gaps.yaml"
    suite.write_text(SUITE)
    monkeypatch.setenv("CI", "true")
    run = Run.load(run_suites([suite], backend="emulator", out=tmp_path / "results", run_id="ci"))
    assert run.manifest.require_measured is True and all(r.passed is False for r in run.trials)
    monkeypatch.setenv("CI", "false")
    run = Run.load(run_suites([suite], backend="emulator", out=tmp_path / "results", run_id="local"))
    assert run.manifest.require_measured is False


def test_the_diff_counts_unmeasured_checks_per_arm(tmp_path: Path) -> None:
    a = [T(f"c{i}", scores={"aspect": (1.0, True)}) for i in range(3)]
    b = [T(f"c{i}", scores={"aspect": (1.0, True), "text_in_image": (None, None)}) for i in range(3)]
    result = diff_runs(write_run(tmp_path, "a", a), write_run(tmp_path, "b", b))
    arms = diff_json(result)["summary"]["arms"]
    assert [(arm["unmeasured"], arm["unmeasured_trials"]) for arm in arms] == [(0, 0), (3, 3)]
    html = write_diff_html(result, tmp_path / "d.html").read_text()
    assert "3 check(s) unmeasured" in html


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes"])
def test_ci_values_that_mean_set(value: str, monkeypatch) -> None:
    from harness.api.run import ci_default

    monkeypatch.setenv("CI", value)
    assert ci_default() is True
