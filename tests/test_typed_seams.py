"""Typed records between the stages (issue 17): the manifest's totals, judge and tolerance are models,
a score says which scorer and which kind gave it and keeps structured values in `detail`, a trial plan has
no untyped `extra`, and step and group scorers are separate types. Old run folders still load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _scoring_helpers import RunBuilder, fake_client, product

import harness
from harness.api.run import _is_group_score
from harness.cli import main
from harness.diff.verdict import read_limits, read_tolerance
from harness.plan import TrialPlan
from harness.record import JudgeInfo, Manifest, Score, Tolerance, Totals, TrialRecord
from harness.scoring import GroupScorer, StepScorer, score_groups, score_trial
from harness.scoring.judge import stored_judgements
from harness.scoring.registry import SCORERS, Params, scorer
from harness.store import Run

OLD_RUN = Path(__file__).parent / "hostile" / "_assets" / "run"  # written before these models existed


def test_an_old_run_folder_loads_into_the_typed_manifest(tmp_path: Path) -> None:
    run_dir = tmp_path / "results" / "run"
    shutil.copytree(OLD_RUN, run_dir)
    stored = json.loads((run_dir / "manifest.json").read_text())
    assert "unmeasured" not in stored["totals"] and "prompt_versions" not in stored["judge"]
    manifest = Run.load(run_dir).manifest
    assert isinstance(manifest.totals, Totals) and isinstance(manifest.judge, JudgeInfo)
    assert (manifest.totals.trials, manifest.totals.planned, manifest.totals.passed) == (1, 1, 1)
    assert manifest.totals.unmeasured == 0 and manifest.totals.effective_rpm is None
    assert manifest.judge.model == "gemini-2.5-flash" and manifest.judge.prompt_versions == {}
    assert manifest.tolerance is None and manifest.regression_tolerance() is None
    assert main(["runs", "list", "--out", str(tmp_path / "results")]) == 0


def _manifest(**stored: object) -> Manifest:
    base = {"run_id": "r", "harness_version": "0", "sdk_version": "0", "api_version": "v1beta"}
    return Manifest.model_validate({**base, "backend": "emulator", "started_at": "t", **stored})


def test_the_older_tolerance_forms_read_as_one_model() -> None:
    assert _manifest(tolerance=0.1).tolerance == Tolerance(pass_rate_drop=0.1)
    assert _manifest(tolerance={"pass_rate": 0.03}).tolerance == Tolerance(pass_rate_drop=0.03)
    assert _manifest(tolerance=True).tolerance == Tolerance()  # not a number: tolerates nothing
    assert _manifest(judge={}).judge is None
    suites = [
        {"name": n, "path": f"{n}.yaml", "sha256": "0", "tolerance": t}
        for n, t in (("a", {"pass_rate_drop": 0.2, "cost_increase": 0.5}), ("b", 0.1))
    ]
    old = _manifest(suites=suites)  # before the run kept the tightest at the top, the diff read the suites
    assert old.regression_tolerance() == Tolerance(pass_rate_drop=0.1, cost_increase=0.5)
    assert read_tolerance(old) == 0.1 and read_limits(old) == {"cost_increase": 0.5}
    # the model round-trips: what a run writes today reads back the same
    again = Manifest.model_validate_json(old.model_dump_json())
    assert again.regression_tolerance() == old.regression_tolerance()


def test_totals_are_typed_and_say_when_a_run_is_short() -> None:
    assert Totals(planned=8, trials=3).short and not Totals(planned=3, trials=3).short
    assert not Totals(trials=3).short  # nothing planned is known: never called short


def _old_score(**fields: object) -> Score:
    """A score as trials.jsonl held it before `scorer`, `kind` and `detail`."""
    return Score.model_validate({"value": 1.0, "passed": True, "reason": "r", **fields})


def test_an_old_score_names_its_scorer_from_its_name() -> None:
    assert _old_score(name="preserved.phash").scorer == "preserved"
    assert _old_score(name="human").kind == "human"
    old = _old_score(name="consistent")
    assert old.kind is None and old.detail == {}
    # a record written before the field: its scorer's registered kind decides
    assert _is_group_score(old, {"consistent"}) and not _is_group_score(
        _old_score(name="ssim"), {"consistent"}
    )
    # a score that carries its kind is believed, whatever its name
    assert not _is_group_score(Score(name="consistent", value=1, passed=True, reason="r", kind="step"), set())


def _judged_step(b: RunBuilder, reason: str, grade: int, detail: dict | None) -> TrialRecord:
    spec = {"judge": {"rubric": "a red square", "min": 4}}
    record = b.trial([b.step([product()], [spec])])
    record.scores = [
        Score(
            name="judge",
            value=float(grade),
            passed=grade >= 4,
            reason=reason,
            threshold=4,
            step=0,
            **({"detail": detail} if detail is not None else {}),
        )
    ]
    return record


def test_a_stored_grade_and_its_reason_come_from_detail_never_from_the_reason_text(tmp_path: Path) -> None:
    b = RunBuilder(tmp_path)
    detail = {"grade": 2, "reason": "the square is pink", "model": "my judge", "prompt_version": "judge-v1"}
    # the text around the judge's own words changed shape (a model name with a space; a number that reads
    # like a grade): the regex over it once missed the stored grade, or cut the reason short
    misleading = "judge my judge: 5/5 (min 4): graded 5/5 last week, 2/5 now: the square is pink"
    record = _judged_step(b, misleading, 2, detail)
    (verdict,) = stored_judgements([record], "gemini-2.5-flash", 0.0).values()
    assert (verdict.score, verdict.reason) == (2, "the square is pink")


def test_a_judge_score_without_detail_is_not_taken_as_a_stored_grade(tmp_path: Path) -> None:
    """Records written before `detail`: the judge is asked again (or, without a client, the score is
    unmeasured), rather than a grade being read back out of prose."""
    b = RunBuilder(tmp_path)
    record = _judged_step(b, "judge gemini-2.5-flash: 5/5 (min 4): a red square", 5, None)
    assert stored_judgements([record], "gemini-2.5-flash", 0.0) == {}


def test_scores_carry_their_scorer_kind_and_the_judge_s_grade(tmp_path: Path) -> None:
    b = RunBuilder(tmp_path)
    expect = [{"judge": {"rubric": "a red square", "min": 4}}, {"consistent": {"max_distance": 64}}]
    records = [b.trial([b.step([product()], expect)], repeat=r) for r in (0, 1)]
    env = b.env(client=fake_client('{"score": 3, "reason": "mostly 5 parts red"}'))
    (judged,) = score_trial(records[0], env)
    assert (judged.scorer, judged.kind) == ("judge", "step")
    assert judged.detail == {
        "grade": 3,
        "reason": "mostly 5 parts red",
        "model": "gemini-2.5-flash",
        "prompt_version": "judge-v1",
    }
    grouped = score_groups(records, env)
    assert {(s.scorer, s.kind) for scores in grouped.values() for s in scores} == {("consistent", "group")}
    stored = TrialRecord.model_validate_json(
        records[0].model_copy(update={"scores": [judged]}).model_dump_json()
    )
    assert stored.scores[0].detail["grade"] == 3  # what trials.jsonl keeps


def test_step_and_group_scorers_are_separate_types() -> None:
    assert isinstance(SCORERS["judge"], StepScorer) and SCORERS["judge"].kind == "step"
    assert isinstance(SCORERS["consistent"], GroupScorer) and SCORERS["consistent"].kind == "group"

    class NoParams(Params):
        pass

    try:

        @scorer("_typed_seams_group", NoParams, kind="group")
        def every_member_passes(group, params):  # type: ignore[no-untyped-def]
            return {m.record.trial_id: [m.score(1.0, True, "ok")] for m in group.members}

        assert isinstance(SCORERS["_typed_seams_group"], GroupScorer)
    finally:
        SCORERS.pop("_typed_seams_group", None)


def test_a_trial_plan_has_typed_fields_and_no_extra_dict() -> None:
    fields = TrialPlan.__dataclass_fields__
    assert "extra" not in fields and {"output", "xfail", "description"} <= set(fields)


SUITE = """\
suite: gaps
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}
cases:
  - id: half-measured
    prompt: a blue cup on a white table
    expect: [{aspect_ratio: "1:1"}, {warmer: true}]
"""


def test_harness_score_takes_require_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    suite = tmp_path / "gaps.yaml"
    suite.write_text(SUITE)
    run = harness.run(suite, backend="emulator", out=tmp_path / "results", run_id="r")
    (trial,) = run.trials
    assert trial.unmeasured == 1 and trial.passed is True and not run.manifest.require_measured
    strict = harness.score(run, require_measured=True)
    assert strict.trials[0].passed is False and strict.manifest.require_measured
    assert strict.manifest.totals.failed == 1
    kept = harness.score(strict)  # None keeps the run's own setting
    assert kept.trials[0].passed is False
    lenient = harness.score(run, require_measured=False)
    assert lenient.trials[0].passed is True and not lenient.manifest.require_measured
    assert main(["score", str(run.dir), "--require-measured"]) == 0
    assert Run.load(run.dir).trials[0].passed is False
