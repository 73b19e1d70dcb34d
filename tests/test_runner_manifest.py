"""Manifest provenance, closing totals and `harness runs list`."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from _runner_helpers import trial_record

from harness.api.run import choose_backend
from harness.cli import main
from harness.errors import UsageError
from harness.files import atomic_write
from harness.record import Manifest, TrialRecord
from harness.runner.manifest import build_manifest, git_commit, suite_ref
from harness.store import compute_totals, percentile


def record(case: str, outcome: str, passed: bool | None, latency: float, cost: float = 0.01) -> TrialRecord:
    return trial_record(case, outcome, passed, latency, cost)


def test_totals_count_outcomes_verdicts_and_latency_percentiles():
    records = [
        record("a", "ok", True, 1.0),
        record("b", "ok", False, 2.0),
        record("c", "error", None, 3.0),
        record("d", "blocked_prompt", True, 10.0),
    ]
    totals = compute_totals(records, planned=6)
    assert totals.planned == 6 and totals.trials == 4
    assert totals.outcomes == {
        "ok": 2,
        "blocked_prompt": 1,
        "blocked_output": 0,
        "no_image": 0,
        "error": 1,
    }
    assert (totals.passed, totals.failed, totals.skipped) == (2, 1, 1)
    assert totals.cost_usd == pytest.approx(0.04)
    assert totals.latency_p50_s == 2.0 and totals.latency_p95_s == 10.0


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0


def test_suite_ref_hashes_the_file_bytes(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("suite: s\n")
    ref = suite_ref("s", path)
    assert ref.sha256 == hashlib.sha256(b"suite: s\n").hexdigest() and ref.path == str(path)
    path.write_text("suite: s  \n")
    assert suite_ref("s", path).sha256 != ref.sha256


def test_git_commit_inside_and_outside_a_repository(tmp_path):
    assert git_commit(tmp_path) is None
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(tmp_path),
            "-c",
            "user.email=t@t",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    commit = git_commit(tmp_path)
    assert commit is not None and len(commit) == 40


def test_manifest_records_versions_and_backend(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("suite: s\n")
    m = build_manifest(
        "r1",
        [suite_ref("s", path)],
        backend="emulator",
        modes=["replay", "replay"],
        variants=["a", "b", "a"],
        judge=None,
        argv=["harness", "run"],
    )
    assert m.api_version == "v1beta" and m.mode == "replay" and m.variants == ["a", "b"]
    assert m.sdk_version.count(".") >= 2 and m.harness_version and m.status == "running"


def test_backend_choice():
    assert choose_backend(None, None) == "gemini"
    assert choose_backend("emulator", None) == "emulator"
    assert choose_backend(None, "https://gw.example.com/gemini") == "base_url:gw.example.com"
    assert choose_backend("emulator", "http://127.0.0.1:8080") == "emulator"  # an emulator already running
    with pytest.raises(UsageError):
        choose_backend("vertex", None)


def _manifest(out, run_id, started, **totals):
    m = Manifest(
        run_id=run_id,
        harness_version="0",
        sdk_version="0",
        api_version="v1beta",
        backend="emulator",
        started_at=started,
        status="finished",
        totals=totals,
    )
    atomic_write(out / run_id / "manifest.json", m.model_dump_json().encode())


def test_runs_list_newest_first(tmp_path, capsys):
    out = tmp_path / "results"
    _manifest(out, "zzz-custom-name", "2026-01-01T00:00:00.000Z", trials=2, passed=1, cost_usd=0.5)
    _manifest(out, "20260301-000000-abcd", "2026-03-01T00:00:00.000Z", trials=3, passed=3, cost_usd=0.1)
    (out / "junk").mkdir()
    (out / "junk" / "manifest.json").write_text("{not json")
    assert main(["runs", "list", "--out", str(out), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["run_id"] for m in listed] == ["20260301-000000-abcd", "zzz-custom-name"]
    assert main(["runs", "list", "--out", str(out), "-n", "1"]) == 0
    table = capsys.readouterr().out
    assert "20260301-000000-abcd" in table and "zzz-custom-name" not in table and "3/3" in table


def test_runs_table_is_as_wide_as_the_shared_piped_width(tmp_path, capsys, monkeypatch):
    """Piped, the table takes harness.console.PIPED_WIDTH columns (the one width every command uses)."""
    import harness.console

    monkeypatch.delenv("COLUMNS", raising=False)
    out = tmp_path / "results"
    _manifest(out, "r" * 200, "2026-03-01T00:00:00.000Z", trials=3, passed=3, cost_usd=0.1)
    for width in (harness.console.PIPED_WIDTH, 100):
        monkeypatch.setattr(harness.console, "PIPED_WIDTH", width)
        assert main(["runs", "list", "--out", str(out)]) == 0
        assert max(len(line) for line in capsys.readouterr().out.splitlines()) == width
