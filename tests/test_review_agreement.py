"""Human labels: importing a saved labels file, agreement figures against a hand-computed example,
human verdicts in reports, score and diff (--prefer-human)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _analysis_helpers import report_runs

from harness.analysis.agreement import LabelledTrial, Preference, agreement, cohen_kappa, spearman
from harness.api.agreement import run_agreement
from harness.api.review import diff_preferring_human, import_labels, write_review
from harness.cli import main
from harness.errors import UsageError
from harness.labels import FORMAT, read_labels
from harness.store import Run

# Eight trials: human and machine pass/fail, and five 1-5 scores without ties.
HUMAN = [True, True, False, False, True, False, True, True]
MACHINE = [True, False, False, False, True, True, True, True]


def test_kappa_against_the_hand_computed_value():
    # confusion: human pass -> machine pass 4, fail 1; human fail -> machine pass 1, fail 2
    # p_o = 6/8 = 0.75; p_e = (5/8)(5/8) + (3/8)(3/8) = 34/64; kappa = (0.75 - 34/64) / (1 - 34/64) = 7/15
    kappa, note = cohen_kappa(HUMAN, MACHINE)
    assert kappa == pytest.approx(7 / 15) and note == ""
    assert cohen_kappa([True, True], [True, True]) == (
        None,
        "undefined: every verdict on both sides is the same class",
    )
    assert cohen_kappa([], [])[0] is None
    assert cohen_kappa([True, False], [False, True])[0] == pytest.approx(-1.0)


def test_spearman_against_the_hand_computed_value():
    # ranks differ by d = (-1, 1, -1, 1, 0): rho = 1 - 6 * 4 / (5 * (25 - 1)) = 0.8
    rho, p, note = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert rho == pytest.approx(0.8) and 0 < p < 1 and note == ""
    assert spearman([1, 2], [1, 2])[0] is None
    assert spearman([3, 3, 3], [1, 2, 3])[2].startswith("undefined")


def test_agreement_confusion_disagreements_and_preferences():
    trials = [
        LabelledTrial(f"t{i}", h, m, human_score=hs, machine_score=ms, machine_reason=f"r{i}")
        for i, (h, m, hs, ms) in enumerate(
            zip(HUMAN, MACHINE, [5, 2, 1, 1, 4, 2, 5, 5], [5, 4, 1, 2, 4, 5, 4, 5], strict=True)
        )
    ]
    prefs = [
        Preference("t0", "u0", "a", "a"),
        Preference("t1", "u1", "b", "a"),
        Preference("t2", "u2", "tie", None),
    ]
    result = agreement("judge", trials, prefs)
    assert result.confusion == {"pass": {"pass": 4, "fail": 1}, "fail": {"pass": 1, "fail": 2}}
    assert result.kappa == pytest.approx(7 / 15) and result.observed == 0.75
    assert result.verdicts == 8 and result.scores == 8
    # the two flipped verdicts come first, the larger score gap first: t5 (2 vs 5), then t1 (2 vs 4)
    assert [d.trial_id for d in result.disagreements][:2] == ["t5", "t1"]
    assert result.disagreements[0].human == "fail 2/5" and result.disagreements[0].machine == "pass 5"
    assert result.preferences == 2 and result.preference_agreement == 0.5  # the unrankable pair is left out


def labels_file(tmp_path: Path, run_id: str, labels: list[dict], reviewer: str = "ana") -> Path:
    path = tmp_path / f"labels-{run_id}-{reviewer}.json"
    for label in labels:
        label.setdefault("reviewer", reviewer)
        label.setdefault("labelled_at", "2026-12-02T04:00:00.000Z")
    doc = {
        "format": FORMAT,
        "run_id": run_id,
        "reviewer": reviewer,
        "saved_at": "2026-12-02T04:01:00Z",
        "labels": labels,
    }
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def runs(tmp_path):
    return report_runs(tmp_path)


def test_import_stores_who_and_when_and_is_idempotent(tmp_path, runs):
    a, _ = runs
    path = labels_file(
        tmp_path,
        "run-a",
        [
            {
                "trial_id": "synthetic::case-0[default-r0]",
                "verdict": "fail",
                "score": 2,
                "note": "strap is wrong",
            },
            {"trial_id": "synthetic::case-1[default-r0]"},  # opened, not labelled
        ],
    )
    result = import_labels(path, a)
    assert (result.added, result.empty, result.reviewer) == (1, 1, "ana")
    (label,) = read_labels(a)
    assert (label.reviewer, label.labelled_at, label.note) == (
        "ana",
        "2026-12-02T04:00:00.000Z",
        "strap is wrong",
    )
    again = import_labels(path, a)
    assert (again.added, again.already) == (0, 1) and len(read_labels(a)) == 1


@pytest.mark.parametrize(
    ("run_id", "trial", "reviewer", "words"),
    [
        ("run-b", "synthetic::case-0[default-r0]", "ana", "holds labels for run run-b, not run-a"),
        (
            "run-a",
            "synthetic::nope[default-r0]",
            "ana",
            "trial synthetic::nope[default-r0] is not in run run-a",
        ),
        ("run-a", "synthetic::case-0[default-r0]", " ", "names no reviewer"),
    ],
)
def test_import_refuses_labels_that_do_not_fit_the_run(tmp_path, runs, run_id, trial, reviewer, words):
    a, _ = runs
    path = labels_file(tmp_path, run_id, [{"trial_id": trial, "verdict": "pass"}], reviewer=reviewer)
    with pytest.raises(UsageError, match=words.replace("[", r"\[").replace("]", r"\]")):
        import_labels(path, a)
    assert read_labels(a) == []


def test_cli_import_agreement_json_html_and_reports(tmp_path, runs, capsys):
    a, b = runs
    ids = [r.trial_id for r in Run.load(a).trials]
    verdicts = ["pass", "fail", "fail", "pass", "pass", "fail", "pass", "pass", "pass"]
    labels = [
        {"trial_id": t, "verdict": v, "score": 5 if v == "pass" else 2}
        for t, v in zip(ids, verdicts, strict=True)
    ]
    path = labels_file(tmp_path, "run-a", labels)
    assert main(["review", "import", str(path), str(a)]) == 0
    assert "imported 9 label(s) by ana" in capsys.readouterr().out
    out_json, out_html = tmp_path / "agreement.json", tmp_path / "agreement.html"
    assert (
        main(["agreement", str(a), "--scorer", "judge", "--json", str(out_json), "--html", str(out_html)])
        == 0
    )
    printed = capsys.readouterr().out
    figures = json.loads(out_json.read_text())
    assert "Cohen's kappa" in printed and "most disagreeing" in printed
    direct = run_agreement(a, "judge")
    assert figures["kappa"] == pytest.approx(direct.kappa) and figures["confusion"] == direct.confusion
    assert "synthetic::case-1[default-r0]" in printed  # judge passed it, the reviewer failed it
    assert "Cohen&#39;s kappa" in out_html.read_text() or "Cohen's kappa" in out_html.read_text()
    assert main(["report", str(a)]) == 0
    page = (a / "report.html").read_text()
    assert "human label by ana" in page and "human pass 0/1" in page
    # --prefer-human: the people's verdict stands in score and diff
    assert main(["score", str(a), "--prefer-human"]) == 0
    assert "differ from the machine's" in capsys.readouterr().out
    stored = {r.trial_id: r for r in Run.load(a).trials}
    assert stored["synthetic::case-1[default-r0]"].passed is False
    assert any(s.name == "human" for s in stored["synthetic::case-1[default-r0]"].scores)
    machine = diff_preferring_human(a, b)
    assert machine.summary is not None


def test_prefer_human_in_diff_changes_pass_rates_and_the_gate(tmp_path, runs):
    """The reviewer passes case-0 in B: its pass rate holds, and the judge's pass->fail there, which the
    reviewer overrode, is no flip (nor a regression); its values are still compared."""
    from harness.diff import diff_runs

    a, b = runs
    plain = diff_runs(a, b)
    path = labels_file(tmp_path, "run-b", [{"trial_id": "synthetic::case-0[default-r0]", "verdict": "pass"}])
    import_labels(path, b)
    human = diff_preferring_human(a, b)
    case = {c.case: c for c in human.comparison.cases.itertuples()}["case-0"]
    was = {c.case: c for c in plain.comparison.cases.itertuples()}["case-0"]
    assert (was.pass_rate_b, was.delta, was.status) == (0.0, -1.0, "regressed") and "judge" in was.flips
    assert (case.pass_rate_b, case.delta) == (1.0, 0.0)
    assert "judge" not in case.flips and case.pass_to_fail == 0 and case.status == "unchanged"
    scorers = human.comparison.scorers
    judge = scorers[(scorers["case"] == "case-0") & (scorers["scorer"] == "judge")].iloc[0]
    assert (judge.mean_a, judge.mean_b, judge.flip) == (4.0, 2.0, "")  # the values, without a verdict
    assert human.summary.pass_rate_b == pytest.approx(plain.summary.pass_rate_b + 1 / 9)
    assert human.summary.arms[1].unmeasured == plain.summary.arms[1].unmeasured  # overridden is measured
    # labelled in A too, as a fail: the people's verdicts flipped, and that is what the diff lists
    path = labels_file(tmp_path, "run-a", [{"trial_id": "synthetic::case-0[default-r0]", "verdict": "fail"}])
    import_labels(path, a)
    both = {c.case: c for c in diff_preferring_human(a, b).comparison.cases.itertuples()}["case-0"]
    assert both.flips == "human fail->pass" and both.status == "improved"


def test_pairwise_labels_against_the_other_run(tmp_path, runs):
    a, b = runs
    labels = [
        {
            "trial_id": "synthetic::case-2[default-r0]",  # judge 1 in A, 5 in B
            "preferred": "b",
            "other_run": "run-b",
            "other_trial": "synthetic::case-2[default-r0]",
        },
        {
            "trial_id": "synthetic::case-0[default-r0]",  # judge 4 in A, 2 in B
            "preferred": "b",
            "other_run": "run-b",
            "other_trial": "synthetic::case-0[default-r0]",
        },
    ]
    import_labels(labels_file(tmp_path, "run-a", labels), a)
    result = run_agreement(a, "judge", root=a.parent)
    assert result.preferences == 2 and result.preference_agreement == 0.5
    page = write_review(a, b, root=a.parent)
    assert 'value="b"' in page.read_text() and "stored label by ana" in page.read_text()


PAIR_SUITE = """
suite: pairs
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", repeats: 1}
judge: {model: gemini-2.5-flash, temperature: 0, pairwise: {rubric: "a red ball on a white background"}}
cases:
  - id: ball
    prompt: "PROMPT"
  - id: other
    prompt: "PROMPT"
"""


def test_preferences_against_the_pairwise_judge_recorded_then_replayed(tmp_path):
    """Run "right" draws what the rubric asks, run "wrong" does not; the reviewer agrees with the judge
    on one pair and not the other. The judge's answers are recorded from the emulator, then replayed."""
    from harness.api import run_suites
    from harness.api.pairwise import JudgeOptions

    kw = {"backend": "emulator", "out": tmp_path / "results"}
    runs = {}
    for name, prompt in (
        ("right", "a red ball on a white background"),
        ("wrong", "a blue cup on a black background"),
    ):
        (tmp_path / name).mkdir()
        suite = tmp_path / name / "pairs.yaml"
        suite.write_text(PAIR_SUITE.replace("PROMPT", prompt))
        runs[name] = run_suites([suite], run_id=name, **kw)
    trials = {r.case: r.trial_id for r in Run.load(runs["right"]).trials}
    others = {r.case: r.trial_id for r in Run.load(runs["wrong"]).trials}
    labels = [
        {"trial_id": trials[c], "preferred": side, "other_run": "wrong", "other_trial": others[c]}
        for c, side in (("ball", "a"), ("other", "b"))
    ]
    import_labels(labels_file(tmp_path, "right", labels), runs["right"])
    auto = JudgeOptions(mode="auto", backend="emulator")
    recorded = run_agreement(runs["right"], root=tmp_path / "results", pairwise=auto)
    assert recorded.preferences == 2 and recorded.preference_agreement == 0.5
    assert (tmp_path / "right" / "cassettes" / "pairs.cassette.yaml").exists()
    replayed = run_agreement(runs["right"], root=tmp_path / "results", pairwise=JudgeOptions())
    assert replayed.preference_agreement == 0.5


def test_the_diff_page_shows_human_labels_like_the_run_page(tmp_path, runs):
    """Labels of either run stand beside the machine scores of the diff page, and under each repeat."""
    a, b = runs
    path = labels_file(
        tmp_path, "run-b", [{"trial_id": "synthetic::case-0[default-r0]", "verdict": "pass", "note": "fine"}]
    )
    import_labels(path, b)
    page = tmp_path / "diff.html"
    assert main(["diff", str(a), str(b), "--prefer-human", "--html", str(page)]) in (0, 1)
    html = page.read_text()
    assert "A: no human label · B: human pass 1/1" in html
    assert "human label by ana (2026-12-02T04:00:00.000Z): pass · fine" in html
    assert "human fail" not in html and html.count("human label by") == 1
