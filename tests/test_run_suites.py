"""End to end through the in-process emulator: `run_suites` and `harness run`, outcomes, store, exit codes,
Ctrl-C and SIGKILL mid-run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from _runner_helpers import KEY, plan, step, writer
from google.genai import types
from PIL import Image

from harness.api import run_suites
from harness.cli import main
from harness.emulator import Emulator
from harness.record import OUTCOMES
from harness.runner import RetryPolicy, execute_trials
from harness.runner.client import build_client
from harness.store import Run

ROOT = Path(__file__).resolve().parents[1]

MIXED = """\
suite: mixed
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}
cases:
  - id: fine
    prompt: a red apple on a white table
  - id: refused
    prompt: an nsfw poster
  - id: unsafe-output
    prompt: a gory battle scene
  - id: empty
    prompt: a NOIMG picture of a lake
  - id: broken
    prompt: a BOOM picture of a tree
  - id: refine
    chain:
      - prompt: a blue cup on a white table
      - edit: make the light warmer
"""

FAULTS = "word:NOIMG=no_image,word:BOOM=400"


def write_suite(tmp_path: Path, text: str = MIXED, name: str = "mixed.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_outcome_class_through_the_emulator(tmp_path):
    suite = write_suite(tmp_path)
    run_dir = run_suites([suite], backend="emulator", faults=FAULTS, out=tmp_path / "results", run_id="r1")
    run = Run.load(run_dir)
    by_case = {r.case: r for r in run.trials}
    assert [r.case for r in run.trials] == ["fine", "refused", "unsafe-output", "empty", "broken", "refine"]
    assert by_case["fine"].outcome == "ok"
    assert (by_case["refused"].outcome, by_case["refused"].finish_reason) == (
        "blocked_prompt",
        "PROHIBITED_CONTENT",
    )
    assert (by_case["unsafe-output"].outcome, by_case["unsafe-output"].finish_reason) == (
        "blocked_output",
        "IMAGE_SAFETY",
    )
    assert (by_case["empty"].outcome, by_case["empty"].finish_reason) == ("no_image", "NO_IMAGE")
    broken = by_case["broken"]
    assert broken.outcome == "error" and broken.error.code == 400 and broken.steps[0].attempts == 1
    refine = by_case["refine"]
    assert refine.outcome == "ok" and len(refine.steps) == 2 and all(s.images for s in refine.steps)

    for record in run.trials:
        for ref in record.images():
            with Image.open(run.image_path(ref)) as im:
                im.load()
                assert im.size == (ref.width, ref.height)
            assert ref.path == f"images/{ref.sha256}.{ref.path.rsplit('.', 1)[1]}"
    fine = by_case["fine"].steps[0]
    assert fine.usage.image_tokens > 0 and fine.cost_usd > 0 and by_case["fine"].model_version

    m = run.manifest
    assert m.status == "finished" and m.backend == "emulator" and m.procedural_images is True
    assert m.api_version == "v1beta" and m.mode == "live" and m.suites[0].name == "mixed"
    assert len(m.suites[0].sha256) == 64 and m.finished_at
    assert m.totals.trials == 6 and sum(m.totals.outcomes.values()) == 6
    assert m.totals.outcomes["error"] == 1 and m.totals.images >= 3
    assert set(m.totals.outcomes) == set(OUTCOMES)


def test_scores_and_pass_decisions_are_stored(tmp_path):
    suite = write_suite(
        tmp_path,
        """\
suite: scored
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "16:9", image_size: 1K}
cases:
  - id: wide
    prompt: a wide mountain landscape
    expect:
      - aspect_ratio: "16:9"
  - id: refused
    prompt: an nsfw poster
    expect:
      - outcome: blocked_prompt
""",
        "scored.yaml",
    )
    run = Run.load(run_suites([suite], backend="emulator", out=tmp_path / "results"))
    assert all(r.scores for r in run.trials)
    assert [r.passed for r in run.trials] == [True, True]
    assert run.manifest.totals.passed == 2
    assert (run.dir / "trials.parquet").exists()


def test_cli_exit_codes_and_summary(tmp_path, capsys):
    ok = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a green pear\n", "ok.yaml")
    out = tmp_path / "results"
    assert main(["run", str(ok), "--backend", "emulator", "--out", str(out), "--run-id", "good"]) == 0
    text = capsys.readouterr().out
    assert "good" in text and "1 ok" in text and "procedural" in text
    bad = write_suite(tmp_path)
    assert main(["run", str(bad), "--backend", "emulator", "--faults", FAULTS, "--out", str(out)]) == 1
    assert "failing:" in capsys.readouterr().out
    invalid = write_suite(tmp_path, "suite: x\ncases:\n  - id: a\n    promt: typo\n", "bad.yaml")
    assert main(["run", str(invalid), "--backend", "emulator", "--out", str(out), "--run-id", "never"]) == 2
    assert not (out / "never").exists()


def test_faults_need_the_emulator(tmp_path, capsys):
    ok = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n", "ok.yaml")
    assert main(["run", str(ok), "--backend", "gemini", "--mode", "replay", "--faults", "500"]) == 2
    assert "--faults" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("faults", "attempts"),
    [("503:first=2", 3), ("truncate:first=1", 2), ("drop:first=1", 2), ("429:first=1:retry_after=0", 2)],
)
def test_retries_recover_from_transient_failures(tmp_path, faults, attempts):
    ok = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n", "ok.yaml")
    run_dir = run_suites(
        [ok], backend="emulator", faults=faults, out=tmp_path / "r", policy=RetryPolicy(base_s=0.05)
    )
    (record,) = Run.load(run_dir).trials
    assert record.outcome == "ok" and record.steps[0].attempts == attempts


@pytest.mark.parametrize(
    ("faults", "hint_s"),
    [
        ("429:first=1:retry_after=0.6:retry_info=0", 0.6),
        ("429:first=1:retry_info=0.6s", 0.6),
        ("503:first=1:retry_info=0.6s", 0.6),
        ("503:first=1:retry_after=0.6", 0.6),
    ],
)
def test_a_server_retry_hint_is_waited_out_end_to_end(tmp_path, faults, hint_s):
    """Retry-After header or RetryInfo body, as the emulator sends them: the trial takes at least the hint,
    though the policy's own backoff would be at most 0.05 s."""
    ok = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n", "ok.yaml")
    run_dir = run_suites(
        [ok], backend="emulator", faults=faults, out=tmp_path / "r", policy=RetryPolicy(base_s=0.05)
    )
    (record,) = Run.load(run_dir).trials
    waited = datetime.fromisoformat(record.finished_at) - datetime.fromisoformat(record.started_at)
    assert record.outcome == "ok" and record.steps[0].attempts == 2
    assert hint_s <= waited.total_seconds() < hint_s + 5


def test_run_id_must_be_a_folder_name_and_must_not_clash(tmp_path, capsys):
    ok = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n", "ok.yaml")
    out = tmp_path / "results"
    args = ["run", str(ok), "--backend", "emulator", "--out", str(out)]
    assert main([*args, "--run-id", "../outside"]) == 2
    assert "not a plain folder name" in capsys.readouterr().err and not (tmp_path / "outside").exists()
    assert main([*args, "--run-id", "once"]) == 0
    assert main([*args, "--run-id", "once"]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_run_prints_the_validation_warnings(tmp_path, capsys):
    typo = "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n    model: gemini-2.5-flash-imag\n"
    suite = write_suite(tmp_path, typo, "typo.yaml")
    out = str(tmp_path / "r")
    assert main(["run", str(suite), "--backend", "emulator", "--out", out]) == 2  # an unknown model: an error
    assert "did you mean 'gemini-2.5-flash-image'?" in capsys.readouterr().err
    assert main(["run", str(suite), "--backend", "emulator", "--out", out, "--allow-unknown-model"]) == 1
    assert "did you mean 'gemini-2.5-flash-image'?" in capsys.readouterr().err  # now a warning


def test_run_takes_a_folder_of_suites_like_validate(tmp_path, capsys):
    folder = tmp_path / "suites"
    folder.mkdir()
    write_suite(folder, "suite: one\ncases:\n  - id: a\n    prompt: a pear\n", "one.yaml")
    write_suite(folder, "suite: two\ncases:\n  - id: b\n    prompt: a plum\n", "two.yaml")
    write_suite(folder, "colours: [red, green]\n", "not-a-suite.yaml")
    out = tmp_path / "r"
    assert main(["run", str(folder), "--backend", "emulator", "--out", str(out), "--run-id", "dir"]) == 0
    run = Run.load(out / "dir")
    assert sorted(r.trial_id for r in run.trials) == ["one::a[default-r0]", "two::b[default-r0]"]
    assert main(["run", str(tmp_path / "r"), "--backend", "emulator", "--out", str(out)]) == 2
    assert "no suite files" in capsys.readouterr().err


def test_the_manifest_names_each_suites_judge_when_they_differ(tmp_path):
    one = write_suite(tmp_path, "suite: one\ncases:\n  - id: a\n    prompt: a pear\n", "one.yaml")
    two = (
        "suite: two\njudge: {model: gemini-2.5-pro, temperature: 0.3}\ncases:\n  - id: b\n    prompt: plum\n"
    )
    out = tmp_path / "r"
    args = ["--backend", "emulator", "--out", str(out)]
    assert main(["run", str(one), *args, "--run-id", "same"]) == 0
    same = Run.load(out / "same").manifest.judge
    assert same is not None and same.suites is None  # one suite: one judge
    assert (
        main(["run", str(one), str(write_suite(tmp_path, two, "two.yaml")), *args, "--run-id", "mixed"]) == 0
    )
    judge = Run.load(out / "mixed").manifest.judge
    assert judge is not None and judge.model == "gemini-2.5-flash" and judge.prompt
    assert judge.model_dump()["suites"] == {
        "one": {"model": "gemini-2.5-flash", "temperature": 0.0},
        "two": {"model": "gemini-2.5-pro", "temperature": 0.3},
    }


def _start(tmp_path: Path, faults: str) -> subprocess.Popen:
    lines = "".join(f"  - id: c{i}\n    prompt: picture number {i} of a quiet harbour\n" for i in range(6))
    suite = write_suite(tmp_path, f"suite: slow\ncases:\n{lines}", "slow.yaml")
    env = {
        k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "HARNESS_MODE")
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "run",
            str(suite),
            "--backend",
            "emulator",
            "--faults",
            faults,
            "--concurrency",
            "1",
            "--out",
            str(tmp_path / "results"),
            "--run-id",
            "slow",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    """A shell starts background jobs with SIGINT ignored, and Python then never turns it into
    KeyboardInterrupt; the child gets the default back so the Ctrl-C test means the same everywhere."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _first_trial_line(proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("[1/6]"):
            return line
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"no trial line; stderr: {proc.stderr.read()}")


def test_a_killed_run_keeps_its_finished_trials(tmp_path):
    proc = _start(tmp_path, "slow=0.6")
    try:
        _first_trial_line(proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.stdout.close()
        proc.stderr.close()
    run = Run.load(tmp_path / "results" / "slow")
    assert run.manifest.status == "killed"  # nobody closed it, and its process is gone
    assert 1 <= len(run.trials) < 6
    assert run.manifest.totals.trials == len(run.trials)  # read from trials.jsonl
    for record in run.trials:
        assert record.outcome == "ok" and all(run.image_path(ref).exists() for ref in record.images())


def test_ctrl_c_closes_the_run_as_interrupted(tmp_path):
    proc = _start(tmp_path, "slow=0.6")
    try:
        _first_trial_line(proc)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        err = proc.stderr.read()
        out = proc.stdout.read()
    finally:
        proc.stdout.close()
        proc.stderr.close()
    assert code == 130, err
    assert "Traceback" not in err
    run = Run.load(tmp_path / "results" / "slow")
    assert run.manifest.status == "interrupted" and run.manifest.finished_at
    assert (run.dir / "trials.parquet").exists()  # Ctrl-C writes the analysis table too
    assert f"continue with harness run --resume {run.manifest.run_id}" in out
    assert 1 <= len(run.trials) < 6 and run.manifest.totals.trials == len(run.trials)
    assert json.loads((run.dir / "manifest.json").read_text())["totals"]["planned"] == 6


def test_a_chain_sends_the_signatures_back_to_the_emulator(tmp_path):
    pro = "gemini-3-pro-image-preview"
    chain = plan(
        tmp_path, "chain", steps=(step(0, "a red cup", model=pro), step(1, "make it blue", model=pro))
    )
    single = plan(tmp_path, "single", steps=(step(0, "a red cup", model=pro),))
    with Emulator() as emu:
        client = build_client(KEY, types.HttpOptions(base_url=emu.url, api_version="v1beta"))
        w = writer(tmp_path)
        (one,) = asyncio.run(execute_trials([single], client, w, None))
        assert one.outcome == "ok" and emu.received_signatures == set()
        (two,) = asyncio.run(execute_trials([chain], client, writer(tmp_path, "run-2"), None))
        assert two.outcome == "ok" and len(two.steps) == 2
        assert len(emu.received_signatures) >= 1  # turn 2 carried turn 1's signatures back


def test_record_then_replay_without_key_or_emulator(tmp_path):
    suite = write_suite(tmp_path)
    cassettes = tmp_path / "cassettes"
    recorded = Run.load(
        run_suites(
            [suite],
            backend="emulator",
            faults=FAULTS,
            mode="record",
            cassettes=cassettes,
            out=tmp_path / "results",
            run_id="rec",
        )
    )
    assert (cassettes / "mixed.cassette.yaml").exists()
    replayed = Run.load(
        run_suites(
            [suite],
            backend="gemini",
            mode="replay",
            cassettes=cassettes,
            out=tmp_path / "results",
            run_id="rep",
        )
    )
    assert replayed.manifest.mode == "replay" and replayed.manifest.procedural_images is True
    assert recorded.manifest.backend == "emulator" and replayed.manifest.backend == "replay:emulator"
    assert [(r.case, r.outcome) for r in replayed.trials] == [(r.case, r.outcome) for r in recorded.trials]
    assert [[i.sha256 for i in r.images()] for r in replayed.trials] == [
        [i.sha256 for i in r.images()] for r in recorded.trials
    ]


def test_replay_with_the_emulator_backend_does_not_start_it(tmp_path, monkeypatch, capsys):
    suite = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n", "ok.yaml")
    run_suites([suite], backend="emulator", mode="record", out=tmp_path / "r", run_id="rec")

    def no_emulator(*args, **kwargs):
        raise AssertionError("a replay started the emulator")

    monkeypatch.setattr("harness.emulator.Emulator", no_emulator)
    args = ["run", str(suite), "--backend", "emulator", "--mode", "replay", "--out", str(tmp_path / "r")]
    assert main([*args, "--run-id", "rep"]) == 0
    assert Run.load(tmp_path / "r" / "rep").manifest.backend == "replay:emulator"
    assert main([*args, "--run-id", "rep-faults", "--faults", "503"]) == 0
    assert "--faults has no effect" in capsys.readouterr().err


def test_replay_miss_is_a_trial_error_naming_the_cassette(tmp_path):
    suite = write_suite(tmp_path, "suite: ok\ncases:\n  - id: a\n    prompt: a pear\n", "ok.yaml")
    cassettes = tmp_path / "cassettes"
    run_suites(
        [suite], backend="emulator", mode="record", cassettes=cassettes, out=tmp_path / "r", run_id="a"
    )
    suite.write_text("suite: ok\ncases:\n  - id: a\n    prompt: a different pear\n")
    run = Run.load(run_suites([suite], mode="replay", cassettes=cassettes, out=tmp_path / "r", run_id="b"))
    (record,) = run.trials
    assert record.outcome == "error" and record.steps[0].attempts == 1
    assert "ok.cassette.yaml" in record.error.message
