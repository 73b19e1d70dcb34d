"""`run --batch` end to end against the emulator: the same trials as an interactive run at half the cost,
per-request errors and job faults classified like interactive failures, record then replay offline."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from harness.api import run_suites
from harness.prices import BATCH_DISCOUNT
from harness.runner.batch import BatchOptions, PollPolicy
from harness.runner.progress import PlainProgress
from harness.store import Run

SINGLE = [
    "a red apple on a white table",
    "a blue ceramic cup on a wooden table",
    "a green bottle on a navy cloth",
    "a yellow lemon in morning light",
    "an orange watch on white",
    "a gory battle scene",  # the emulator blocks the output
    "an nsfw poster",  # the emulator blocks the prompt
]


def big_suite(tmp_path: Path, cases: int = 18) -> Path:
    """cases x 2 variants single-step trials, plus 2 chains x 2 variants: 40 trials by default (each prompt
    of SINGLE at least twice a model; bench/batch_overhead.py sends 1000 in one job); the second model
    answers at its smallest size (512), which halves what the emulator draws."""
    lines = [
        "suite: batch-big",
        'defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}',
        "variants:",
        "  flash: {model: gemini-2.5-flash-image}",
        '  f31: {model: gemini-3.1-flash-image, image_size: "512"}',
        "cases:",
    ]
    for n in range(cases):
        lines += [
            f"  - id: c{n:03d}",
            f'    prompt: "{SINGLE[n % len(SINGLE)]}, number {n}"',
            '    expect: [{aspect_ratio: "1:1"}]',
        ]
    for n in range(2):
        lines += [
            f"  - id: chain{n}",
            "    chain:",
            f"      - prompt: a silver watch on white, take {n}",
            "      - edit: make the light warmer",
            "        expect: [{preserved: {max_phash: 30}}]",
        ]
    path = tmp_path / "batch-big.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fingerprint(run: Run) -> dict[str, tuple]:
    """What must agree between a batch and an interactive run of one suite, per trial."""
    return {
        r.trial_id: (
            r.outcome,
            r.finish_reason,
            tuple(tuple(i.sha256 for i in s.images) for s in r.steps),
            tuple(s.outcome for s in r.steps),
            tuple((sc.name, sc.step, sc.value, sc.passed) for sc in r.scores),
            r.passed,
        )
        for r in run.trials
    }


def quiet() -> PlainProgress:
    return PlainProgress(io.StringIO())


def test_batch_run_matches_interactive_at_half_the_cost(tmp_path):
    suite = big_suite(tmp_path)
    common = dict(backend="emulator", mode="live", out=tmp_path / "runs", concurrency=8)
    interactive = Run.load(run_suites([suite], run_id="interactive", progress=quiet(), **common))
    batch = Run.load(run_suites([suite], run_id="batch", batch=True, progress=quiet(), **common))

    assert len(batch.trials) == 40 and batch.manifest.status == "finished"
    assert fingerprint(batch) == fingerprint(interactive)
    outcomes = {r.outcome for r in batch.trials}
    assert {"ok", "blocked_output", "blocked_prompt"} <= outcomes
    assert batch.manifest.batch and not interactive.manifest.batch
    # one job per (model, step): two models, two rounds (the chains' second step)
    assert sorted((j.model, j.step, len(j.trials)) for j in batch.manifest.batch_jobs) == [
        ("gemini-2.5-flash-image", 0, 20),
        ("gemini-2.5-flash-image", 1, 2),
        ("gemini-3.1-flash-image", 0, 20),
        ("gemini-3.1-flash-image", 1, 2),
    ]
    assert all(j.state == "JOB_STATE_SUCCEEDED" for j in batch.manifest.batch_jobs)
    full, half = interactive.manifest.totals.cost_usd, batch.manifest.totals.cost_usd
    assert full > 0
    assert half == pytest.approx(full * BATCH_DISCOUNT, rel=1e-4)
    by_id = {r.trial_id: r for r in interactive.trials}
    for record in batch.trials:
        assert record.cost_usd == pytest.approx(by_id[record.trial_id].cost_usd * BATCH_DISCOUNT, abs=2e-6)


ERRORS = """\
suite: batch-errors
defaults: {model: gemini-2.5-flash-image}
cases:
  - id: fine
    prompt: a red apple
  - id: broken
    prompt: a BOOM picture of a tree
  - id: empty
    prompt: a NOIMG picture of a lake
  - id: refine
    chain:
      - prompt: a BOOM cup
      - edit: make it warmer
"""


def test_per_request_errors_and_no_image_classify_as_interactive(tmp_path):
    suite = tmp_path / "errors.yaml"
    suite.write_text(ERRORS)
    faults = "word:BOOM=400,word:NOIMG=no_image"
    common = dict(backend="emulator", mode="live", out=tmp_path / "runs", faults=faults, progress=quiet())
    batch = {r.case: r for r in Run.load(run_suites([suite], run_id="b", batch=True, **common)).trials}
    inter = {r.case: r for r in Run.load(run_suites([suite], run_id="i", **common)).trials}
    for case in ("fine", "broken", "empty", "refine"):
        assert batch[case].outcome == inter[case].outcome, case
    assert batch["broken"].outcome == "error"
    assert (batch["broken"].error.code, batch["broken"].error.status) == (400, "INVALID_ARGUMENT")
    assert batch["empty"].outcome == "no_image"
    assert [s.error.status for s in batch["refine"].steps] == ["INVALID_ARGUMENT", "NOT_RUN"]


@pytest.mark.parametrize(
    "fault,state", [("batch=failed", "JOB_STATE_FAILED"), ("batch=expired", "JOB_STATE_EXPIRED")]
)
def test_a_failed_job_errs_every_trial_with_its_reason(tmp_path, fault, state):
    suite = tmp_path / "errors.yaml"
    suite.write_text(ERRORS)
    run = Run.load(
        run_suites(
            [suite], backend="emulator", mode="live", out=tmp_path, batch=True, faults=fault, progress=quiet()
        )
    )
    assert {r.outcome for r in run.trials} == {"error"}
    assert {r.error.status for r in run.trials if r.case != "refine"} == {state}
    assert [j.state for j in run.manifest.batch_jobs] == [state]


def test_suite_batch_true_records_and_replays_offline(tmp_path):
    suite = tmp_path / "small.yaml"
    suite.write_text(ERRORS.replace("suite: batch-errors", "suite: batch-small\nbatch: true"))
    cassettes = tmp_path / "cassettes"
    common = dict(out=tmp_path / "runs", cassettes=cassettes, progress=quiet())
    recorded = Run.load(run_suites([suite], run_id="rec", backend="emulator", mode="record", **common))
    assert recorded.manifest.batch and recorded.manifest.batch_jobs
    replayed = Run.load(run_suites([suite], run_id="rep", mode="replay", **common))
    assert replayed.manifest.batch
    assert fingerprint(replayed) == fingerprint(recorded)
    assert [j.name for j in replayed.manifest.batch_jobs] == [j.name for j in recorded.manifest.batch_jobs]


def test_requests_over_the_inline_limit_go_as_an_uploaded_jsonl_file(tmp_path):
    suite = tmp_path / "errors.yaml"
    suite.write_text(ERRORS)
    common = dict(backend="emulator", mode="live", faults="word:BOOM=400", progress=quiet())
    as_file = BatchOptions(PollPolicy(first=0.01), inline_limit=0)
    filed = Run.load(run_suites([suite], out=tmp_path / "f", batch=True, batch_options=as_file, **common))
    inline = Run.load(run_suites([suite], out=tmp_path / "i", batch=True, **common))
    assert [j.source for j in filed.manifest.batch_jobs] == ["file"]
    assert filed.manifest.batch_jobs[0].input_file.startswith("files/")
    assert [j.source for j in inline.manifest.batch_jobs] == ["inline"]
    assert fingerprint(filed) == fingerprint(inline)


def test_a_file_batch_records_upload_and_download_then_replays_offline(tmp_path):
    suite = tmp_path / "errors.yaml"
    suite.write_text(ERRORS.replace("suite: batch-errors", "suite: batch-file"))
    as_file = BatchOptions(PollPolicy(first=0.01), inline_limit=0)
    common = dict(out=tmp_path / "runs", cassettes=tmp_path / "cassettes", batch=True, batch_options=as_file)
    recorded = Run.load(
        run_suites([suite], run_id="rec", backend="emulator", mode="record", progress=quiet(), **common)
    )
    replayed = Run.load(run_suites([suite], run_id="rep", mode="replay", progress=quiet(), **common))
    assert [j.source for j in replayed.manifest.batch_jobs] == ["file", "file"]
    assert fingerprint(replayed) == fingerprint(recorded)
    assert {r.outcome for r in replayed.trials} == {"ok"}  # NOIMG and BOOM only fault under --faults
    cassette = (tmp_path / "cassettes" / "batch-file.cassette.yaml").read_text()
    assert "/upload/v1beta/files" in cassette and ":download" in cassette
    assert "upload_id={REDACTED}" in cassette


def test_replay_never_sleeps_between_polls(tmp_path, monkeypatch):
    suite = tmp_path / "small.yaml"
    suite.write_text(ERRORS.replace("suite: batch-errors", "suite: batch-polls"))
    common = dict(out=tmp_path / "runs", cassettes=tmp_path / "cassettes", batch=True, progress=quiet())
    run_suites([suite], run_id="rec", backend="emulator", mode="record", faults="batch_polls=3", **common)
    cassette = (tmp_path / "cassettes" / "batch-polls.cassette.yaml").read_text()
    assert cassette.count("BATCH_STATE_RUNNING") >= 3  # the polls are recorded
    slept: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:  # other threads' short sleeps still happen
        slept.append(seconds)
        if seconds < 1:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    slow = BatchOptions(PollPolicy(first=30.0))  # a replay that slept through its polls would take minutes
    replayed = Run.load(run_suites([suite], run_id="rep", mode="replay", batch_options=slow, **common))
    assert [s for s in slept if s >= 30] == [] and {r.outcome for r in replayed.trials} == {"ok"}


def test_batch_with_selection_and_a_cost_cap_stops_then_resumes(tmp_path):
    """A batch job is sent whole, so --max-cost picks its trials up front; --resume sends the rest."""
    from harness.selection import Selection

    suite = tmp_path / "cap.yaml"
    suite.write_text(
        "suite: batch-cap\ndefaults: {model: gemini-2.5-flash-image}\ncases:\n"
        + "".join(f"  - id: c{n}\n    prompt: a red apple number {n}\n" for n in range(4))
    )
    common = dict(backend="emulator", mode="live", out=tmp_path / "runs", progress=quiet(), batch=True)
    stopped = Run.load(
        run_suites([suite], run_id="cap", selection=Selection(limit=3), max_cost=0.03, yes=True, **common)
    )
    assert stopped.manifest.status == "budget_exhausted" and len(stopped.trials) == 1
    assert stopped.manifest.totals.planned == 3
    done = Run.load(run_suites([], resume="cap", max_cost=1.0, **common))
    assert done.manifest.status == "finished" and len(done.trials) == 3
    assert {r.case for r in done.trials} == {"c0", "c1", "c2"} and {r.outcome for r in done.trials} == {"ok"}
