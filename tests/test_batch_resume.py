"""kill -9 while a batch run polls, then continue it: every job is polled again, none created twice
(the emulator counts creates)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.api import run_suites
from harness.api.batch import reattachable
from harness.emulator import Emulator
from harness.record import Manifest
from harness.runner.batch import BatchOptions, PollPolicy
from harness.runner.progress import PlainProgress
from harness.store import Run

ROOT = Path(__file__).resolve().parents[1]
SUITE = """\
suite: batch-kill
defaults: {model: gemini-2.5-flash-image}
variants:
  flash: {model: gemini-2.5-flash-image}
  pro: {model: gemini-3-pro-image-preview}
cases:
  - id: apple
    prompt: a red apple on a white table
  - id: cup
    prompt: a blue cup on a wooden table
  - id: refine
    chain:
      - prompt: a silver watch on white
      - edit: make the light warmer
"""


def _jobs_in(manifest_path: Path, timeout: float = 60.0) -> Manifest:
    """The manifest once it names the first round's jobs (the run is then polling)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if manifest_path.exists():
            try:
                manifest = Manifest.model_validate_json(manifest_path.read_text())
            except ValueError:
                manifest = None
            if manifest is not None and len(manifest.batch_jobs) >= 2:
                return manifest
        time.sleep(0.05)
    raise AssertionError("the batch run never wrote its job names into the manifest")


def _kill_while_polling(suite: Path, out: Path, emu: Emulator) -> Manifest:
    """`harness run --batch` in a subprocess, killed -9 once its manifest names the first round's jobs;
    the manifest as it was then (the run is at run id `killed`). The child polls at the default 2 s, so
    for 2 s after it creates its jobs they are pending and it is alive, however soon they finish."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "HARNESS_MODE")
    }
    argv = [sys.executable, "-m", "harness.cli", "run", str(suite), "--batch", "--base-url", emu.url]
    argv += ["--mode", "live", "--out", str(out), "--run-id", "killed"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        manifest = _jobs_in(out / "killed" / "manifest.json")
        assert proc.poll() is None, "the run ended before it could be killed while polling"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.stdout.close()
        proc.stderr.close()
    return manifest


def test_kill_9_while_polling_then_continue_creates_each_job_once(tmp_path):
    suite = tmp_path / "kill.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "results"
    with Emulator(batch_duration_s=0.5) as emu:
        manifest = _kill_while_polling(suite, out, emu)
        assert manifest.status == "running" and emu.batch_creates == 2
        assert {j.state for j in manifest.batch_jobs} == {"JOB_STATE_PENDING"}
        fast = BatchOptions(PollPolicy(first=0.05, ceiling=0.5))
        done = run_suites(
            [suite],
            base_url=emu.url,
            mode="live",
            out=out,
            run_id="continued",
            batch=True,
            attach=reattachable(manifest),
            batch_options=fast,
            progress=PlainProgress(io.StringIO()),
        )
        run = Run.load(done)
        # step 0 of both models re-attached; the chain's step 1 (never created before the kill) made once
        assert emu.batch_creates == 4
    assert run.manifest.status == "finished"
    assert len(run.trials) == 6 and {r.outcome for r in run.trials} == {"ok"}
    names = [j.name for j in run.manifest.batch_jobs]
    assert len(names) == len(set(names)) == 4
    assert {j.name for j in manifest.batch_jobs} <= set(names)


def test_find_job_matches_a_job_holding_every_wanted_request():
    from harness.api.batch import find_job
    from harness.record import BatchJobRef

    ref = BatchJobRef(
        name="batches/a", suite="s", model="m", step=0, trials=["t1", "t2", "t3"], created_at="x"
    )
    assert find_job([ref], "s", "m", 0, ["t3", "t1"]) is ref  # t2 was stored before the crash
    assert find_job([ref], "s", "m", 0, ["t1", "t4"]) is None  # t4 was never sent: a new job
    assert find_job([ref], "s", "m", 1, ["t1"]) is None and find_job([ref], "s", "other", 0, ["t1"]) is None


def test_resume_of_a_killed_batch_run_reattaches_its_jobs(tmp_path):
    """`harness run --resume RUN` of a batch run polls the jobs its manifest names (run_suites(resume=))."""
    suite = tmp_path / "kill.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "results"
    with Emulator(batch_duration_s=0.5) as emu:
        _kill_while_polling(suite, out, emu)
        assert Run.load(out / "killed").manifest.status == "killed" and emu.batch_creates == 2
        done = run_suites(
            [],
            base_url=emu.url,
            out=out,
            resume="killed",
            batch_options=BatchOptions(PollPolicy(first=0.05, ceiling=0.5)),
            progress=PlainProgress(io.StringIO()),
        )
        assert emu.batch_creates == 4  # step 0 of both models re-attached, the chain's step 1 made once
    run = Run.load(done)
    assert done == out / "killed" and run.manifest.status == "finished" and run.manifest.batch
    assert len(run.trials) == 6 and {r.outcome for r in run.trials} == {"ok"}
    names = [j.name for j in run.manifest.batch_jobs]
    assert len(names) == len(set(names)) == 4
