"""A batch job's done/failed/pending counts while it is polled, and how its polls are shown.

The SDK drops `metadata.batchStats`; the transport under it reads the counts from each poll's body. A
recording without them shows the counts as unknown, never 0. The polls render through the progress
display: one row updated in place on a terminal, one plain line per poll otherwise."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx2
import yaml
from google import genai
from google.genai import types
from rich.console import Console

from harness.api import run_suites
from harness.runner.batch import BatchOptions, BatchStatus, PollPolicy
from harness.runner.progress import BarProgress, PlainProgress, QuietProgress, batch_line
from harness.transport.batch_wire import BatchStats, polled_job, stats_of

REAL = Path(__file__).resolve().parent / "data" / "real-wire-batch"  # see SOURCES.md there
FAST = BatchOptions(PollPolicy(first=0.01, ceiling=0.05))
SUITE = """\
suite: batch-counts
defaults: {model: gemini-2.5-flash-image}
cases:
  - id: apple
    prompt: a red apple
  - id: cup
    prompt: a blue cup
  - id: broken
    prompt: a BOOM picture of a tree
"""


def test_the_counts_of_the_real_recordings():
    read = {
        n: stats_of((REAL / f"{n}.json").read_bytes())
        for n in ("create-pending", "get-running", "get-succeeded")
    }
    assert read["create-pending"] == read["get-running"] == BatchStats(2, 0, 0, 2)
    assert read["get-succeeded"] == BatchStats(2, 2, 0, 0)  # zero counts are left out on the wire
    body = json.loads((REAL / "get-running.json").read_text())
    del body["metadata"]["batchStats"]
    assert stats_of(json.dumps(body).encode()) is None  # unknown, not zero
    assert stats_of(b"not json") is None and stats_of(b"[]") is None


def test_the_sdk_still_drops_batch_stats():
    """The SDK maps `completionStats` for Vertex only; a Gemini API job's batchStats reach no field of
    its BatchJob (should that change, the poller can read them from the BatchJob instead)."""
    body = (REAL / "get-running.json").read_bytes()
    mock = httpx2.MockTransport(lambda request: httpx2.Response(200, content=body))
    client = genai.Client(
        api_key="k", http_options=types.HttpOptions(api_version="v1beta", client_args={"transport": mock})
    )
    job = client.batches.get(name=json.loads(body)["name"])
    assert job.completion_stats is None and getattr(job, "sdk_http_response", None) is None
    assert set(job.model_dump(exclude_none=True)) == {
        "name", "display_name", "state", "create_time", "update_time", "model"
    }  # fmt: skip


def test_only_a_batches_get_is_watched():
    base = "https://generativelanguage.googleapis.com"
    assert polled_job("GET", f"{base}/v1beta/batches/abc123") == "batches/abc123"
    assert polled_job("GET", "http://127.0.0.1:5/v1beta/batches/abc?alt=json") == "batches/abc"
    assert polled_job("POST", f"{base}/v1beta/batches/abc:cancel") is None
    assert polled_job("GET", f"{base}/v1beta/batches") is None
    assert polled_job("GET", f"{base}/v1beta/files/abc") is None


def _run(tmp_path: Path, **options: Any) -> list[BatchStatus]:
    suite = tmp_path / "counts.yaml"
    suite.write_text(SUITE)
    seen: list[BatchStatus] = []
    run_suites(
        [suite],
        out=tmp_path / "runs",
        batch=True,
        batch_options=FAST,
        on_batch_status=seen.append,
        progress=QuietProgress(),
        **options,
    )
    return seen


def test_polls_carry_the_counts_each_poll_reported(tmp_path):
    seen = _run(tmp_path, backend="emulator", mode="live", faults="word:BOOM=400,batch_polls=2")
    polls = [s for s in seen if s.polls]
    assert [s.state for s in polls] == ["JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"]
    assert [(s.requests, s.done, s.failed, s.pending) for s in polls] == [
        (3, 0, 0, 3),
        (3, 0, 0, 3),
        (3, 2, 1, 0),
    ]
    assert "2 done, 1 failed, 0 pending of 3 requests" in batch_line(polls[-1])


def _strip_stats(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_stats(v) for k, v in value.items() if k != "batchStats"}
    if isinstance(value, list):
        return [_strip_stats(v) for v in value]
    return value


def test_a_recording_without_batch_stats_shows_the_counts_as_unknown(tmp_path):
    cassettes = tmp_path / "cassettes"
    recorded = _run(tmp_path, backend="emulator", mode="record", cassettes=cassettes, run_id="rec")
    assert all(s.done is not None for s in recorded)
    path = cassettes / "batch-counts.cassette.yaml"
    doc = yaml.safe_load(path.read_text())
    assert "batchStats" in path.read_text()
    path.write_text(yaml.safe_dump(_strip_stats(doc), sort_keys=False))  # as an older recording has it
    replayed = _run(tmp_path, mode="replay", cassettes=cassettes, run_id="rep")
    polls = [s for s in replayed if s.polls]
    assert polls and all((s.done, s.failed, s.pending) == (None, None, None) for s in polls)
    assert "3 requests, counts unknown" in batch_line(polls[0])
    assert "0 done" not in batch_line(polls[0])
    after = [s for s in replayed if not s.polls]  # the results were read: those counts are known
    assert [(s.done, s.failed) for s in after] == [(3, 0)]


def _status(state: str, polls: int, done: int | None = 0, failed: int | None = 0) -> BatchStatus:
    pending = None if done is None else 4 - done - (failed or 0)
    return BatchStatus("batches/job1", state, polls, 1.0, 4, done, failed, pending)


def test_on_a_terminal_polls_update_one_row_under_the_bar():
    console = Console(file=io.StringIO(), force_terminal=True, width=160)
    progress = BarProgress(console)
    progress.start(4)
    progress.batch(_status("JOB_STATE_RUNNING", 1))
    progress.batch(_status("JOB_STATE_RUNNING", 2, done=None, failed=None))
    progress.batch(_status("JOB_STATE_SUCCEEDED", 3, done=3, failed=1))
    tasks = progress.bar.tasks
    progress.stop()
    assert len(tasks) == 2  # the trials bar and ONE batch row
    row = tasks[1]
    assert row.fields["label"] == "batch" and row.fields["count"] == "4/4"
    assert "SUCCEEDED" in row.description and "3 done, 1 failed" in row.description
    assert row.completed == 4 and row.total == 4
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "batch batches/job1:" not in shown  # no poll printed as a line above the bar
    assert "3 done, 1 failed" in shown  # the row's last rendering


def test_unknown_counts_leave_the_row_without_a_share():
    progress = BarProgress(Console(file=io.StringIO(), force_terminal=True, width=120))
    progress.start(4)
    progress.batch(_status("JOB_STATE_RUNNING", 1, done=None, failed=None))
    row = progress.bar.tasks[1]
    progress.stop()
    assert row.total is None and row.fields["count"] == "?/4" and "counts unknown" in row.description


def test_off_a_terminal_each_poll_is_one_plain_line(tmp_path):
    stream = io.StringIO()
    suite = tmp_path / "counts.yaml"
    suite.write_text(SUITE)
    run_suites(
        [suite],
        out=tmp_path / "runs",
        backend="emulator",
        mode="live",
        faults="batch_polls=2",
        batch=True,
        batch_options=FAST,
        progress=PlainProgress(stream),
    )
    lines = stream.getvalue().splitlines()
    polls = [line for line in lines if line.startswith("batch batches/")]
    assert len(polls) == 4  # two RUNNING, SUCCEEDED, then the results read
    assert "RUNNING, 0 done, 0 failed, 3 pending of 3 requests (poll 1" in polls[0]
    trials = [line for line in lines if line.startswith("[")]
    assert len(trials) == 3 and len(lines) == len(polls) + len(trials)
