"""`validate --batch` estimates at the batch tier; `harness batches list|status|cancel RUN`."""

from __future__ import annotations

import io
import json

from google import genai
from google.genai import types

from harness.api import run_suites
from harness.cli import main
from harness.emulator import Emulator
from harness.prices import BATCH_DISCOUNT
from harness.record import BatchJobRef
from harness.runner.progress import PlainProgress
from harness.store import Run
from harness.suite import validate

SUITE = """\
suite: tiny
defaults: {model: gemini-2.5-flash-image}
cases:
  - id: apple
    prompt: a red apple
  - id: cup
    prompt: a blue cup
"""


def test_validate_batch_estimates_half_the_standard_price(tmp_path, capsys):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(SUITE)
    standard, batch = validate([suite]).est_usd, validate([suite], batch=True).est_usd
    assert standard > 0 and batch == standard * BATCH_DISCOUNT
    suite.write_text(SUITE.replace("suite: tiny", "suite: tiny\nbatch: true"))
    assert validate([suite]).est_usd == batch  # the suite's own `batch: true`
    assert validate([suite], batch=False).est_usd == standard
    assert main(["validate", str(suite)]) == 0
    out = capsys.readouterr().out
    assert "[Batch API: trials at 50%]" in out and "batch-mode" in out


def test_batches_list_status_and_cancel(tmp_path, capsys):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "results"
    with Emulator(faults="batch_polls=0") as emu:
        run_dir = run_suites(
            [suite], base_url=emu.url, mode="live", out=out, run_id="r", batch=True,
            progress=PlainProgress(io.StringIO()),
        )  # fmt: skip
        assert main(["batches", "list", "r", "--out", str(out), "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(j["requests"], j["state"], j["source"]) for j in listed] == [(2, "SUCCEEDED", "inline")]
        # a job still running, added to the run as a crashed run would have left it
        sdk = genai.Client(
            api_key="k", http_options=types.HttpOptions(base_url=emu.url, api_version="v1beta")
        )
        emu.api.plan.batch_polls = 100
        pending = sdk.batches.create(model="gemini-2.5-flash-image", src=[{"contents": "a pear"}])
        run = Run.load(run_dir)
        run.manifest.batch_jobs.append(
            BatchJobRef(name=pending.name, suite="tiny", model="gemini-2.5-flash-image", step=0, trials=["x"],
                        created_at="2026-01-01T00:00:00Z")
        )  # fmt: skip
        run.rewrite_manifest()
        args = ["--out", str(out), "--base-url", emu.url, "--json"]
        assert main(["batches", "status", "r", *args]) == 0
        states = [j["state"] for j in json.loads(capsys.readouterr().out)]
        assert states == ["SUCCEEDED", "PENDING"] or states == ["SUCCEEDED", "RUNNING"]
        assert main(["batches", "cancel", "r", *args]) == 0
        assert [j["state"] for j in json.loads(capsys.readouterr().out)] == ["SUCCEEDED", "CANCELLED"]
    assert main(["batches", "status", "r", *args]) == 1  # the emulator is gone: each job says why
    assert all(j["error"] for j in json.loads(capsys.readouterr().out))


def test_run_batch_prints_each_poll_and_the_summary_names_the_batch_price(tmp_path, capsys):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(SUITE.replace("prompt: a blue cup", "prompt: a BOOM cup"))
    argv = ["run", str(suite), "--batch", "--backend", "emulator", "--faults", "word:BOOM=500,batch_polls=2"]
    assert main([*argv, "--out", str(tmp_path / "results")]) == 1  # the BOOM trial errs inside the job
    captured = capsys.readouterr()
    # off a terminal the polls are plain lines of the progress output, among the trials' lines
    polls = [line for line in captured.out.splitlines() if line.startswith("batch batches/")]
    assert [line.split(": ", 1)[1].split(",")[0] for line in polls[:3]] == [
        "RUNNING",
        "RUNNING",
        "SUCCEEDED",
    ]
    assert "RUNNING, 0 done, 0 failed, 2 pending of 2 requests (poll 1" in polls[0]
    assert "SUCCEEDED, 1 done, 1 failed of 2 requests (results read" in polls[-1]
    assert not [line for line in captured.err.splitlines() if line.startswith("batch ")]
    assert "cost at the batch tier" in captured.out and "batch-mode" in captured.out
