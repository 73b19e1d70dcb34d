"""`run --batch --batch-judge` against the emulator: the judge and analysis calls go as Batch API jobs and
give the scores the same calls sent one by one give, at half the judge cost; their jobs are in the
manifest, re-attached after kill -9, recorded and replayed offline."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.api import run_suites
from harness.emulator import Emulator
from harness.errors import UsageError
from harness.prices import BATCH_DISCOUNT
from harness.record import Manifest
from harness.runner.batch import BatchOptions, PollPolicy
from harness.runner.progress import PlainProgress
from harness.store import Run

ROOT = Path(__file__).resolve().parents[1]
SUITE = """\
suite: batch-judge
defaults: {model: gemini-2.5-flash-image}
variants:
  flash: {model: gemini-2.5-flash-image}
  pro: {model: gemini-3-pro-image-preview}
cases:
  - id: apple
    prompt: a red apple on a white table
    expect: [{judge: {rubric: "a red apple on a white table", min: 3}}]
  - id: cup
    prompt: a blue cup on a wooden table
    expect: [{judge: "a blue cup"}, {alignment: {min: 0.5}}]
  - id: refine
    chain:
      - prompt: a silver watch on white
        expect: [{judge: "a watch"}]
      - edit: make the light warmer
        expect: [{judge: "the same watch in warmer light"}]
"""
FAST = BatchOptions(PollPolicy(first=0.02, ceiling=0.2))


def quiet() -> PlainProgress:
    return PlainProgress(io.StringIO())


def write_suite(folder: Path, text: str = SUITE) -> Path:
    path = folder / "judge.yaml"
    path.write_text(text)
    return path


def judged(run: Run) -> dict[str, list[tuple]]:
    """Every judge and alignment score of every trial: what batching the judge must not change."""
    return {
        r.trial_id: [(s.name, s.step, s.value, s.passed, s.reason) for s in r.scores]
        for r in sorted(run.trials, key=lambda r: r.trial_id)
    }


def fresh_questions(suite: Path) -> None:
    """Alignment writes the prompt's questions beside the suite once; each run here asks for them again."""
    shutil.rmtree(suite.parent / "questions", ignore_errors=True)


def test_batch_judged_scores_equal_interactive_ones_at_half_the_judge_cost(tmp_path):
    suite = write_suite(tmp_path)
    common = dict(mode="live", out=tmp_path / "runs", batch=True, batch_options=FAST, progress=quiet())
    # each run on a fresh emulator: it numbers the attempts of each request, and so would differ
    one_by_one = Run.load(run_suites([suite], run_id="interactive-judge", backend="emulator", **common))
    fresh_questions(suite)
    with Emulator() as emu:
        batched = Run.load(
            run_suites(
                [suite],
                run_id="batch-judge",
                base_url=emu.url,
                backend="emulator",
                batch_judge=True,
                **common,
            )
        )
        created = emu.batch_creates

    assert judged(batched) == judged(one_by_one)
    assert any(s.name == "alignment" and s.value is not None for r in batched.trials for s in r.scores)
    assert batched.manifest.batch_judge and not one_by_one.manifest.batch_judge
    jobs = batched.manifest.batch_jobs
    judge_jobs = [j for j in jobs if j.kind == "judge"]
    # round 0: every judge request and the alignment questions; round 1: the alignment answers
    assert sorted((j.model, j.step) for j in judge_jobs) == [("gemini-2.5-flash", 0), ("gemini-2.5-flash", 1)]
    assert all(j.state == "JOB_STATE_SUCCEEDED" for j in jobs)
    assert created == len(jobs) == len({j.name for j in jobs})  # every job created once, all in the manifest
    assert not any(j.kind == "judge" for j in one_by_one.manifest.batch_jobs)

    full, half = one_by_one.manifest.totals.judge_cost_usd, batched.manifest.totals.judge_cost_usd
    assert full > 0
    assert half == pytest.approx(full * BATCH_DISCOUNT, abs=2e-6 * len(batched.trials))
    by_id = {r.trial_id: r for r in one_by_one.trials}
    for record in batched.trials:
        assert record.judge_cost_usd == pytest.approx(
            by_id[record.trial_id].judge_cost_usd * BATCH_DISCOUNT, abs=2e-6
        )
        assert record.cost_usd == by_id[record.trial_id].cost_usd  # generation at the batch tier in both


def test_a_judge_request_the_job_fails_is_unmeasured_as_when_sent_alone(tmp_path):
    suite = write_suite(tmp_path, SUITE.replace(", {alignment: {min: 0.5}}", ""))
    common = dict(backend="emulator", mode="live", out=tmp_path / "runs", batch=True, progress=quiet())
    common.update(faults="500:model=gemini-2.5-flash", batch_options=FAST)
    alone = Run.load(run_suites([suite], run_id="alone", **common))
    batched = Run.load(run_suites([suite], run_id="batched", batch_judge=True, **common))
    for run in (alone, batched):
        judge = [s for r in run.trials for s in r.scores if s.name.startswith("judge")]
        assert judge and all(s.value is None and s.passed is None for s in judge)
        assert all("500" in s.reason for s in judge), [s.reason for s in judge]
        assert run.manifest.totals.judge_cost_usd == 0.0
    assert {r.trial_id: r.unmeasured for r in batched.trials} == {
        r.trial_id: r.unmeasured for r in alone.trials
    }


def test_suite_key_batches_the_judge_and_the_run_replays_offline(tmp_path, monkeypatch):
    text = SUITE.replace("suite: batch-judge", "suite: bj-replay\nbatch: true\njudge: {batch: true}")
    suite = write_suite(tmp_path, text)
    cassettes = tmp_path / "cassettes"
    common = dict(out=tmp_path / "runs", cassettes=cassettes, progress=quiet(), batch_options=FAST)
    recorded = Run.load(run_suites([suite], run_id="rec", backend="emulator", mode="record", **common))
    assert recorded.manifest.batch_judge
    assert [j.kind for j in recorded.manifest.batch_jobs].count("judge") == 2
    assert (suite.parent / "questions" / "bj-replay.yaml").exists()  # committed beside the suite, as in CI
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    # The questions file now answers the alignment's first request, so the replay asks its requests in one
    # round where the recording took two: each is found by its key in the jobs the cassette recorded.
    replayed = Run.load(run_suites([suite], run_id="rep", mode="replay", **common))
    assert judged(replayed) == judged(recorded)
    assert 0 < replayed.manifest.totals.judge_cost_usd < recorded.manifest.totals.judge_cost_usd
    assert {j.name for j in replayed.manifest.batch_jobs} == {j.name for j in recorded.manifest.batch_jobs}
    one = "bj-replay::cup[pro-r0]"
    selected = Run.load(run_suites([suite], run_id="one", mode="replay", select=[one], **common))
    assert [r.trial_id for r in selected.trials] == [one]
    assert judged(selected)[one] == judged(recorded)[one]
    fresh_questions(suite)  # as the recording ran: questions asked, then answered
    again = Run.load(run_suites([suite], run_id="again", mode="replay", **common))
    assert judged(again) == judged(recorded)
    assert again.manifest.totals.judge_cost_usd == recorded.manifest.totals.judge_cost_usd


def test_batch_judge_without_a_batch_run_is_a_usage_error(tmp_path):
    suite = write_suite(tmp_path)
    with pytest.raises(UsageError, match="--batch-judge"):
        run_suites([suite], backend="emulator", out=tmp_path / "runs", batch_judge=True, progress=quiet())
    assert not (tmp_path / "runs").exists()  # refused before anything was created


def _judge_job_in(manifest_path: Path, timeout: float = 90.0) -> Manifest:
    """The manifest once it names a judge job (the run is then polling it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if manifest_path.exists():
            try:
                manifest = Manifest.model_validate_json(manifest_path.read_text())
            except ValueError:
                manifest = None
            if manifest is not None and any(j.kind == "judge" for j in manifest.batch_jobs):
                return manifest
        time.sleep(0.05)
    raise AssertionError("the batch-judged run never wrote a judge job into the manifest")


def test_kill_9_while_a_judge_job_polls_then_resume_creates_each_job_once(tmp_path):
    suite = write_suite(tmp_path)
    out = tmp_path / "results"
    env = {
        k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "HARNESS_MODE")
    }
    with Emulator(batch_duration_s=1.0) as emu:
        argv = [sys.executable, "-m", "harness.cli", "run", str(suite), "--batch", "--batch-judge"]
        # --backend emulator: the run polls its jobs as fast as it polls the emulator it starts itself
        argv += ["--backend", "emulator", "--base-url", emu.url, "--mode", "live"]
        argv += ["--out", str(out), "--run-id", "killed"]
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            seen = _judge_job_in(out / "killed" / "manifest.json")
            assert proc.poll() is None, "the run ended before it could be killed while polling"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            proc.stdout.close()
            proc.stderr.close()
        killed = Run.load(out / "killed")
        assert killed.manifest.status == "killed" and killed.trials == []
        assert emu.batch_creates == len(seen.batch_jobs)
        done = run_suites(
            [], base_url=emu.url, out=out, resume="killed", batch_options=FAST, progress=quiet()
        )
        run = Run.load(done)
        names = [j.name for j in run.manifest.batch_jobs]
        assert emu.batch_creates == len(names) == len(set(names))  # nothing created twice
    assert {j.name for j in seen.batch_jobs} <= set(names)  # the judge job polled again, not re-sent
    assert run.manifest.status == "finished" and run.manifest.batch_judge
    assert len(run.trials) == 6 and {r.outcome for r in run.trials} == {"ok"}
    scores = [s for r in run.trials for s in r.scores if s.name in ("judge", "alignment")]
    assert scores and all(s.value is not None for s in scores)
    assert run.manifest.totals.judge_cost_usd > 0


def test_validate_estimates_a_batched_judge_at_the_batch_tier(tmp_path):
    from harness.models import DEFAULT_JUDGE_MODEL
    from harness.prices import cost_usd
    from harness.suite import validate
    from harness.suite.validate import JUDGE_TOKENS

    one_by_one = tmp_path / "a" / "judge.yaml"
    batched = tmp_path / "b" / "judge.yaml"
    for path, extra in ((one_by_one, ""), (batched, "\njudge: {batch: true}")):
        path.parent.mkdir()
        head = f"suite: est-{path.parent.name}\nbatch: true{extra}"
        path.write_text(SUITE.replace("suite: batch-judge", head))
    a, b = (validate([p]) for p in (one_by_one, batched))
    calls = sum(r.judge_calls for r in a.suites[0].rows)
    judge_usd = calls * cost_usd(DEFAULT_JUDGE_MODEL, JUDGE_TOKENS)
    assert calls == 8 and judge_usd > 0
    assert b.est_usd == pytest.approx(a.est_usd - judge_usd * (1 - BATCH_DISCOUNT))
    assert "judge calls at standard" in a.price_note() and "judge calls at batch tier" in b.price_note()
    assert validate([one_by_one], batch_judge=True).est_usd == pytest.approx(b.est_usd)  # --batch-judge
