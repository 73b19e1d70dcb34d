"""Whole runs through the runner: record a suite against the emulator, stop it, replay offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _transport_helpers import block_network

from harness.api import run_suites
from harness.cli import main
from harness.transport.cassette import Cassette

SUITE = """suite: tiny
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", repeats: 2}
cases:
  - id: cup
    prompt: "A red cup on a white table"
    expect:
      - aspect_ratio: "1:1"
  - id: hat
    prompt: "A green hat on a chair"
"""
TIMING = {"started_at", "finished_at", "latency_s"}


def strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def trials(run_dir: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]
    return {r["trial_id"]: strip(r) for r in rows}


def run(suite: Path, mode: str, run_id: str, backend: str | None = None) -> dict[str, Any]:
    out = suite.parent / "results"
    return trials(run_suites([suite], mode=mode, backend=backend, out=out, run_id=run_id, concurrency=2))


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    suite = tmp_path / "tiny.yaml"
    suite.write_text(SUITE)
    return suite, run(suite, "record", "rec", backend="emulator")  # the emulator stops when the run ends


def test_replay_offline_gives_identical_trials(
    recorded: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    suite, before = recorded
    attempts = block_network(monkeypatch)
    after = run(suite, "replay", "rep")
    assert after == before and len(after) == 4
    assert all(r["outcome"] == "ok" for r in after.values())
    assert attempts == []


def test_changed_prompt_fails_only_that_case_and_auto_records_just_it(
    recorded: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    suite, before = recorded
    suite.write_text(SUITE.replace("A green hat", "A blue hat"))
    cassette = suite.parent / "cassettes" / "tiny.cassette.yaml"
    block_network(monkeypatch)
    out = suite.parent / "results"
    assert main(["run", str(suite), "--mode", "replay", "--out", str(out), "--run-id", "rep"]) == 1
    after = trials(out / "rep")
    failed = {tid: r for tid, r in after.items() if r["outcome"] != "ok"}
    assert sorted(r["case"] for r in failed.values()) == ["hat", "hat"]
    assert {t: r for t, r in after.items() if t not in failed} == {
        t: r for t, r in before.items() if "cup" in t
    }
    diff = "'A green hat on a chair' -> 'A blue hat on a chair'"
    message = next(iter(failed.values()))["error"]["message"]
    assert diff in message and "case 'hat'" in message and "--mode auto" in message
    printed = capsys.readouterr().out  # the reason is in the run's output, not only in trials.jsonl
    assert printed.count(diff) == 2 and f"harness run {suite} --backend emulator --mode auto" in printed
    monkeypatch.undo()
    run(suite, "auto", "auto", backend="emulator")
    texts = [
        i.request["body"]["contents"][0]["parts"][0]["text"] for i in Cassette.load(cassette).interactions
    ]
    assert texts.count("A blue hat on a chair") == 2 and texts.count("A red cup on a white table") == 2


VARIANTS = """suite: two
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", repeats: 2}
variants:
  flash: {model: gemini-2.5-flash-image}
  pro: {model: gemini-3-pro-image-preview}
cases:
  - id: cup
    prompt: "A red cup on a white table"
"""


def test_recording_one_variant_keeps_the_other_variants_recordings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = tmp_path / "two.yaml"
    suite.write_text(VARIANTS)
    out = str(tmp_path / "results")
    record = ["run", str(suite), "--backend", "emulator", "--mode", "record", "--out", out]
    assert main([*record, "--run-id", "all"]) == 0
    assert main([*record, "--variant", "flash", "--repeats", "1", "--run-id", "flash"]) == 0
    kept = Cassette.load(tmp_path / "cassettes" / "two.cassette.yaml")
    recorded = sorted((i.trial["variant"], i.trial["repeat"]) for i in kept.interactions if i.trial)
    assert recorded == [("flash", 0), ("flash", 1), ("pro", 0), ("pro", 1)]
    assert kept.header["suite"] == "two" and kept.header["backend"] == "emulator"
    block_network(monkeypatch)
    assert main(["run", str(suite), "--mode", "replay", "--out", out, "--run-id", "rep"]) == 0
    replayed = trials(tmp_path / "results" / "rep")
    assert sorted(replayed) == [f"two::cup[{v}-r{r}]" for v in ("flash", "pro") for r in (0, 1)]
    assert all(r["outcome"] == "ok" for r in replayed.values())
