"""Run control against the in-process emulator: resume, killed status, retry, selection, shards, the
spending cap, absurd sizes, pacing. (kill -9 and the record journal: test_run_journal.py.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from google.genai import errors as genai_errors

from harness.api import run_suites
from harness.api.resume import continuation
from harness.cli import main
from harness.errors import UsageError
from harness.runner import RetryPolicy
from harness.runner.pacing import Budget, Pacer
from harness.selection import Selection, Shard, check_size, parse_shard, select_plans, shard_of
from harness.store import Run, read_manifest
from harness.suite import expand, load_suite

SUITE = """\
suite: ctl
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K, repeats: 2}
cases:
  - id: apple
    tags: [fruit]
    prompt: a red apple on a white table
  - id: pear
    tags: [fruit]
    prompt: a green pear on a white table
  - id: cup
    prompt: a blue cup on a white table
  - id: lamp
    prompt: a brass lamp on a white table
"""
IDS = sorted(f"ctl::{c}[default-r{r}]" for c in ("apple", "pear", "cup", "lamp") for r in (0, 1))


def suite_file(tmp_path: Path, text: str = SUITE) -> Path:
    path = tmp_path / "ctl.yaml"
    path.write_text(text)
    return path


def run(tmp_path: Path, suite: Path, run_id: str, **kw) -> Run:
    kw.setdefault("backend", "emulator")
    kw.setdefault("mode", "live")
    return Run.load(run_suites([suite], out=tmp_path / "results", run_id=run_id, **kw))


def kill_after(run_dir: Path, keep: int, torn: str = "") -> None:
    """Make a finished run look like one killed after `keep` trials (a dead pid, status running)."""
    lines = (run_dir / "trials.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "trials.jsonl").write_text("".join(lines[:keep]) + torn)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest.update(status="running", pid=2**22 + 12345, finished_at=None)
    (run_dir / "manifest.json").write_text(json.dumps(manifest))


def test_a_killed_run_reads_as_killed_with_totals_from_its_trials(tmp_path, capsys):
    suite = suite_file(tmp_path)
    first = run(tmp_path, suite, "k")
    kill_after(first.dir, 3)
    capsys.readouterr()
    manifest = read_manifest(first.dir)
    assert manifest.status == "killed" and manifest.totals.trials == 3 and manifest.totals.planned == 8
    assert main(["runs", "list", "--out", str(tmp_path / "results"), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["status"] == "killed" and listed["totals"]["trials"] == 3


def test_resume_runs_only_the_missing_trials_and_sets_a_torn_line_aside(tmp_path):
    suite = suite_file(tmp_path)
    first = run(tmp_path, suite, "r")
    originals = {r.trial_id: r.finished_at for r in first.trials}
    kill_after(first.dir, 3, torn='{"trial_id": "ctl::cup[default-r0]", "sui')
    resumed = Run.load(run_suites([], resume="r", out=tmp_path / "results"))
    ids = [r.trial_id for r in resumed.trials]
    assert sorted(ids) == IDS and len(ids) == len(set(ids))
    assert resumed.manifest.status == "finished" and resumed.manifest.totals.trials == 8
    kept = [r.trial_id for r in first.trials[:3]]
    assert all(originals[i] == next(r.finished_at for r in resumed.trials if r.trial_id == i) for i in kept)
    assert (first.dir / "trials.torn.jsonl").read_text().startswith('{"trial_id": "ctl::cup[default-r0]"')
    lines = (first.dir / "trials.jsonl").read_text().splitlines()
    assert len(lines) == 8  # rewritten once at the end, one line per trial


def test_resume_refuses_a_changed_suite_with_a_diff(tmp_path):
    suite = suite_file(tmp_path)
    first = run(tmp_path, suite, "c")
    kill_after(first.dir, 2)
    suite.write_text(SUITE.replace("a brass lamp", "a silver lamp"))
    with pytest.raises(UsageError) as caught:
        continuation("c", tmp_path / "results")
    assert (
        "-    prompt: a brass lamp" in caught.value.message
        and "+    prompt: a silver lamp" in caught.value.message
    )


def test_resume_refuses_a_run_that_is_still_running(tmp_path):
    suite = suite_file(tmp_path)
    first = run(tmp_path, suite, "live")
    kill_after(first.dir, 2)
    manifest = json.loads((first.dir / "manifest.json").read_text())
    import os

    manifest["pid"] = os.getpid()
    (first.dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UsageError, match="still running"):
        continuation("live", tmp_path / "results")


def test_retry_errors_replaces_transient_errors_and_keeps_their_attempts(tmp_path):
    suite = suite_file(tmp_path, SUITE.replace("a blue cup", "a FLAKY blue cup"))
    policy = RetryPolicy(max_attempts=2, base_s=0.01)
    first = run(tmp_path, suite, "e", faults="word:FLAKY=503", policy=policy)
    errored = sorted(r.trial_id for r in first.trials if r.outcome == "error")
    assert errored == ["ctl::cup[default-r0]", "ctl::cup[default-r1]"]
    again = Run.load(run_suites([], retry_errors="e", out=tmp_path / "results", backend="emulator"))
    assert sorted(r.trial_id for r in again.trials) == IDS
    for record in again.trials:
        assert record.outcome == "ok"
        assert record.previous_attempts == (2 if record.trial_id in errored else 0)


def test_selection_case_tag_limit_sample_and_shard():
    plans = expand(load_suite_text(SUITE))
    ids = lambda sel: [p.trial_id for p in select_plans(plans, sel)]  # noqa: E731
    assert ids(Selection(cases=("ap*",))) == ["ctl::apple[default-r0]", "ctl::apple[default-r1]"]
    assert ids(Selection(cases=("ctl::cup[default-r1]",))) == ["ctl::cup[default-r1]"]
    assert {i.split("::")[1].split("[")[0] for i in ids(Selection(tags=("fruit",)))} == {"apple", "pear"}
    assert len(ids(Selection(limit=3))) == 3
    assert (
        ids(Selection(sample=3, seed=5))
        == ids(Selection(sample=3, seed=5))
        != ids(Selection(sample=3, seed=6))
    )
    shards = [ids(Selection(shard=Shard(i, 3))) for i in (1, 2, 3)]
    assert sorted(i for shard in shards for i in shard) == IDS  # every trial in exactly one shard
    for plan in plans:  # both repeats of a case in the same shard
        assert shard_of(plan, 3) == next(shard_of(p, 3) for p in plans if p.case == plan.case)
    with pytest.raises(UsageError):
        parse_shard("5/4")


def load_suite_text(text: str):
    import tempfile

    folder = Path(tempfile.mkdtemp())
    path = folder / "ctl.yaml"
    path.write_text(text)
    return load_suite(path)


GROUPED = """\
suite: grp
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K, repeats: 3}
cases:
  - id: mascot
    prompt: a friendly orange fox mascot waving
    expect:
      - consistent: {max_distance: 64}
"""


def test_a_partly_selected_group_is_not_measured(tmp_path):
    suite = suite_file(tmp_path, GROUPED)
    whole = run(tmp_path, suite, "whole")
    only = Selection(cases=("grp::mascot[default-r1]",))
    part = run(tmp_path, suite, "part", selection=only, require_measured=False)
    (one,) = part.trials
    group = [s for s in one.scores if s.name.startswith("consistent")]
    assert group and all(s.passed is None and "not measured" in s.reason for s in group)
    assert one.passed is None
    full = [s for r in whole.trials for s in r.scores if s.name.startswith("consistent")]
    assert full and all(s.passed is not None for s in full)
    strict = run(tmp_path, suite, "strict", selection=only, require_measured=True)  # the CI default
    assert strict.trials[0].passed is False  # an unmeasured check fails when measurement is required


def test_max_cost_refuses_before_sending_then_stops_at_the_cap_and_resume_finishes(tmp_path, capsys):
    suite = suite_file(tmp_path)
    out = tmp_path / "results"
    base = ["run", str(suite), "--backend", "emulator", "--mode", "live", "--out", str(out)]
    assert main([*base, "--run-id", "no", "--max-cost", "0.1"]) == 2
    assert "over --max-cost $0.10; nothing was sent" in capsys.readouterr().err
    assert not (out / "no").exists()
    assert main([*base, "--run-id", "cap", "--max-cost", "0.1", "--yes", "--concurrency", "2"]) == 1
    capped = Run.load(out / "cap")
    one_trial = max(r.cost_usd for r in capped.trials)
    assert capped.manifest.status == "budget_exhausted" and 0 < len(capped.trials) < 8
    assert capped.manifest.totals.cost_usd <= 0.1 + one_trial
    assert "continue with harness run --resume cap" in capsys.readouterr().out
    assert main(["run", "--resume", "cap", "--out", str(out), "--max-cost", "1"]) == 0
    done = Run.load(out / "cap")
    assert done.manifest.status == "finished" and sorted(r.trial_id for r in done.trials) == IDS


def test_absurd_sizes_need_yes(tmp_path, capsys):
    suite = suite_file(tmp_path)
    assert main(["run", str(suite), "--backend", "emulator", "--repeats", "1000000000"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["validate", str(suite), "--repeats", "1000000000"]) == 2
    assert "--yes" in capsys.readouterr().err
    with pytest.raises(UsageError, match="52,000 trials"):
        check_size(None, 52_000, yes=False)
    check_size(5000, 52_000, yes=True)


def test_budget_counts_what_is_in_flight():
    budget = Budget(1.0, spent_usd=0.2)
    assert budget.try_start(0.5) and not budget.try_start(0.5)  # 0.2 + 0.5 in flight + 0.5 > 1
    budget.finish(0.5, 0.4)
    assert budget.try_start(0.4) and budget.exhausted


def test_pacer_spaces_requests_and_halves_on_429_then_grows_back():
    clock = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    async def scenario() -> Pacer:
        pacer = Pacer(4, rpm=120, grow_after=2, clock=lambda: clock[0], sleep=sleep)

        async def ok() -> str:
            return "ok"

        async def limited() -> str:
            raise genai_errors.APIError(429, {"error": {"code": 429, "message": "slow down"}})

        for _ in range(3):
            await pacer.call(ok)
        with pytest.raises(genai_errors.APIError):
            await pacer.call(limited)
        assert pacer.limit == 2
        for _ in range(2):
            await pacer.call(ok)
        assert pacer.limit == 3
        return pacer

    pacer = asyncio.run(scenario())
    assert slept == [0.5] * 5  # 120 rpm: one request each half second after the first
    assert pacer.stats.rate_limited == 1 and pacer.stats.lowest_limit == 2
    assert pacer.stats.effective_rpm == pytest.approx(6 * 60 / 2.5)


def comparable(run: Run) -> dict[str, dict]:
    """A run's content without what differs between machines (timestamps, latencies)."""
    drop = {"started_at", "finished_at", "latency_s"}
    out = {}
    for record in run.trials:
        data = record.model_dump(exclude=drop)
        data["steps"] = [{k: v for k, v in s.items() if k != "latency_s"} for s in data["steps"]]
        out[record.trial_id] = data
    return out


def test_four_shards_merged_equal_one_run(tmp_path):
    suite = suite_file(tmp_path, SUITE + GROUPED.split("cases:\n", 1)[1])
    # one at a time: the emulator numbers identical requests (the repeats) in the order they arrive
    single = run(tmp_path, suite, "single", concurrency=1)
    shards = [
        run(tmp_path, suite, f"s{i}", selection=Selection(shard=Shard(i, 4)), concurrency=1)
        for i in (1, 2, 3, 4)
    ]
    assert sum(len(s.trials) for s in shards) == len(single.trials) == 10
    out = tmp_path / "results" / "merged"
    assert main(["merge", *(str(s.dir) for s in shards), "--out", str(out)]) == 0
    merged = Run.load(out)
    assert comparable(merged) == comparable(single)
    drop = {"latency_p50_s", "latency_p95_s", "effective_rpm", "rate_limited", "lowest_concurrency"}
    assert merged.manifest.totals.model_dump(exclude=drop) == single.manifest.totals.model_dump(exclude=drop)
    assert merged.manifest.status == "finished"
    with pytest.raises(UsageError, match="more than one run"):
        from harness.api.merge import merge_shards

        merge_shards([shards[0].dir, shards[0].dir], tmp_path / "twice")


def test_diff_refuses_a_partial_side_unless_allowed(tmp_path, capsys):
    suite = suite_file(tmp_path)
    whole = run(tmp_path, suite, "whole")
    part = run(tmp_path, suite, "part")
    kill_after(part.dir, 2)
    base = ["diff", str(whole.dir), str(part.dir), "--fail-on", "never"]
    assert main(base) == 1
    assert "is killed with 2 of 8 trials" in capsys.readouterr().err
    assert main([*base, "--allow-partial"]) == 0


def test_a_suites_max_cost_is_checked_by_validate_and_run(tmp_path, capsys):
    suite = suite_file(tmp_path, SUITE.replace("suite: ctl\n", "suite: ctl\nmax_cost: 0.1\n"))
    assert main(["validate", str(suite)]) == 2
    assert "over the suite's max_cost: $0.10" in capsys.readouterr().err
    out = tmp_path / "results"
    assert main(["run", str(suite), "--backend", "emulator", "--mode", "live", "--out", str(out)]) == 2
    assert "nothing was sent" in capsys.readouterr().err
    assert (
        main(
            ["run", str(suite), "--backend", "emulator", "--mode", "live", "--out", str(out), "--limit", "2"]
        )
        == 0
    )


def test_retry_errors_rescores_groups_once_and_a_finished_run_does_not_resume(tmp_path):
    suite = suite_file(tmp_path, GROUPED.replace("waving", "waving FLAKY"))
    policy = RetryPolicy(max_attempts=1)
    first = run(tmp_path, suite, "g", faults="word:FLAKY=503@0.5,seed=3", policy=policy)
    assert any(r.outcome == "error" for r in first.trials) and any(r.outcome == "ok" for r in first.trials)
    with pytest.raises(UsageError, match="nothing to resume"):
        continuation("g", tmp_path / "results")
    again = Run.load(run_suites([], retry_errors="g", out=tmp_path / "results", backend="emulator"))
    assert all(r.outcome == "ok" for r in again.trials)
    for record in again.trials:
        names = [s.name for s in record.scores if s.name.startswith("consistent")]
        assert len(names) == len(set(names)) == 1  # the group scored once, over the whole group


def test_max_cost_counts_the_judge_calls_before_and_during_the_run(tmp_path, capsys):
    """The cap is on what the run spends in all: a cap the generations alone fit under but not with
    their judge calls is refused up front, and a capped run's generation and judge spend stay within it."""
    from harness.suite.validate import judge_call_usd, trial_cost

    judged = SUITE.replace("repeats: 2}", "repeats: 2}\njudge: {model: gemini-2.5-flash}").replace(
        "on a white table\n", 'on a white table\n    expect: [{judge: "the object on a table"}]\n'
    )
    suite = suite_file(tmp_path, judged)
    plans = expand(load_suite(suite))
    generation = sum(trial_cost(p) for p in plans)
    judging = len(plans) * judge_call_usd("gemini-2.5-flash")
    cap = round(generation + judging / 2, 6)
    out = tmp_path / "results"
    base = ["run", str(suite), "--backend", "emulator", "--mode", "live", "--out", str(out)]
    assert main([*base, "--run-id", "no", "--max-cost", str(cap)]) == 2
    assert "nothing was sent" in capsys.readouterr().err and not (out / "no").exists()
    assert main([*base, "--run-id", "cap", "--max-cost", str(cap), "--yes", "--concurrency", "1"]) == 1
    capped = Run.load(out / "cap")
    totals = capped.manifest.totals
    assert capped.manifest.status == "budget_exhausted" and len(capped.trials) == len(plans) - 1
    assert totals.judge_cost_usd > 0 and totals.cost_usd + totals.judge_cost_usd <= cap
