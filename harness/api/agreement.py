"""`harness agreement RUN`: the run's human labels against a machine scorer (or the trial verdicts)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.agreement import Agreement, LabelledTrial, Preference, Side, agreement
from harness.api.pairwise import JudgeOptions
from harness.errors import HarnessError, UsageError
from harness.labels import Label, human_verdict, latest, read_labels
from harness.record import TrialRecord
from harness.store import Run, resolve_run


def machine_view(record: TrialRecord, scorer: str | None) -> tuple[bool | None, float | None, str]:
    """(verdict, score, reason) of one scorer on a trial (every score it gave, all steps), or of the
    trial's own verdict when `scorer` is None. A scorer that skipped anything gives no verdict."""
    if scorer is None:
        return record.passed, None, ""
    mine = [s for s in record.scores if s.scorer == scorer]
    if not mine:
        return None, None, ""
    passed = None if any(s.passed is None for s in mine) else all(s.passed for s in mine)
    values = [s.value for s in mine if s.value is not None]
    return passed, (sum(values) / len(values) if values else None), "; ".join(s.reason for s in mine)


def _side(mine: float | None, theirs: float | None) -> Side | None:
    if mine is None or theirs is None:
        return None
    return "tie" if mine == theirs else ("a" if mine > theirs else "b")


def _rank_value(record: TrialRecord, scorer: str | None) -> float | None:
    passed, score, _ = machine_view(record, scorer)
    if score is not None:
        return score
    return None if passed is None else float(passed)


def _preferences(labels: list[Label], run: Run, scorer: str | None, root: Path) -> list[Preference]:
    paired = [label for label in labels if label.preferred and label.other_run and label.other_trial]
    if not paired:
        return []
    records = {r.trial_id: r for r in run.trials}
    others: dict[str, dict[str, TrialRecord]] = {}
    out = []
    for label in paired:
        assert label.other_run is not None and label.preferred is not None
        if label.other_run not in others:
            found = _other_dir(label.other_run, run, root)
            other = Run.load(found) if (found / "manifest.json").exists() else None
            others[label.other_run] = {r.trial_id: r for r in other.trials} if other else {}
        twin = others[label.other_run].get(label.other_trial or "")
        mine = records.get(label.trial_id)
        machine = None
        if twin is not None and mine is not None:
            machine = _side(_rank_value(mine, scorer), _rank_value(twin, scorer))
        out.append(Preference(label.trial_id, label.other_trial or "", label.preferred, machine))
    return out


JUDGE_SIDES: dict[str, Side] = {"A": "a", "B": "b", "tie": "tie"}


def _judged_preferences(labels: list[Label], run: Run, root: Path, options: JudgeOptions) -> list[Preference]:
    """The pairwise judge's side for each labelled pair (issue #14's judge, replayed from the suite's
    cassette unless `options` say otherwise): A is this run, B the run the reviewer compared it with."""
    from harness.api.pairwise import judge_pairs, judge_sessions, select_pairs
    from harness.diff.align import load_arms

    paired = [label for label in labels if label.preferred and label.other_run and label.other_trial]
    records = {r.trial_id: r for r in run.trials}
    out = []
    for other in sorted({label.other_run for label in paired if label.other_run}):
        a, b = load_arms(run.dir, _other_dir(other, run, root), None, root)
        mine = [label for label in paired if label.other_run == other and label.trial_id in records]
        wanted = {
            (records[x.trial_id].suite, records[x.trial_id].case, records[x.trial_id].repeat) for x in mine
        }
        pairs = [pair for pair in select_pairs(a, b) if (pair.suite, pair.case, pair.repeat) in wanted]
        with judge_sessions(options, a, b) as sessions:
            outcomes = judge_pairs(sessions, pairs)
        winner = {(o.suite, o.case, o.repeat): o.winner for o in outcomes}
        for label in mine:
            r = records[label.trial_id]
            side = JUDGE_SIDES.get(winner.get((r.suite, r.case, r.repeat)) or "")
            assert label.preferred is not None
            out.append(Preference(label.trial_id, label.other_trial or "", label.preferred, side))
    return out


def _other_dir(other: str, run: Run, root: Path) -> Path:
    try:
        return resolve_run(other, root)
    except HarnessError:  # not under --results: look beside the run itself
        return run.dir.parent / other


def run_agreement(
    run: str | Path,
    scorer: str | None = None,
    root: Path = Path("results"),
    pairwise: JudgeOptions | None = None,
) -> Agreement:
    """Judge-human (or verdict-human) agreement over the labelled trials of RUN; with `pairwise`, the
    preferred sides are compared with the pairwise judge's, otherwise with the machine scores'."""
    loaded = Run.load(resolve_run(run, root))
    labels = read_labels(loaded.dir)
    if not labels:
        raise UsageError(
            f"run {loaded.manifest.run_id} has no human labels",
            hint=f"label it: harness review {loaded.dir}, then harness review import LABELS {loaded.dir}",
        )
    if scorer is not None and not any(s.scorer == scorer for r in loaded.trials for s in r.scores):
        names = sorted({s.scorer for r in loaded.trials for s in r.scores})
        raise UsageError(
            f"no '{scorer}' scores in this run", hint=f"scorers in it: {', '.join(names) or 'none'}"
        )
    by_trial = latest(labels)
    trials = []
    for record in loaded.trials:
        given = by_trial.get(record.trial_id)
        if not given:
            continue
        passed, score, reason = machine_view(record, scorer)
        human_scores = [label.score for label in given if label.score is not None]
        trials.append(
            LabelledTrial(
                trial_id=record.trial_id,
                human_passed=human_verdict(given),
                machine_passed=passed,
                human_score=sum(human_scores) / len(human_scores) if human_scores else None,
                machine_score=score,
                machine_reason=reason,
                note="; ".join(label.note for label in given if label.note),
            )
        )
    latest_labels = [label for given in by_trial.values() for label in given]
    if pairwise is not None:
        preferences = _judged_preferences(latest_labels, loaded, root, pairwise)
    else:
        preferences = _preferences(latest_labels, loaded, scorer, root)
    return agreement(scorer or "verdict", trials, preferences)
