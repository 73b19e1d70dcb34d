"""The pairwise judge: both orders, disagreement as a tie, statistics, and real emulator runs where one arm
is made worse on purpose (its prompts drop the object), recorded under the suite's cassette and replayed."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from _pairwise_helpers import CASES, copy_arms, suite_text

from harness.cli import main
from harness.context import RequestContext
from harness.diff.preference import PairOutcome, preference_gate, summarize_preference
from harness.emulator.pairwise import compare_scenes
from harness.scoring.pairwise import (
    OrderAnswer,
    PairwiseSettings,
    Shown,
    combine,
    judge_pair,
    render_pairwise_prompt,
)
from harness.transport.cassette import Cassette

CTX = RequestContext("s", "c", "a|b", 0, 0, "pairwise")
SETTINGS = PairwiseSettings(model="gemini-2.5-flash")
RED, BLUE = Shown(b"red-image", "image/png"), Shown(b"blue-image", "image/png")


class FakeJudge:
    """A client whose answer depends on the two images shown: `pick(first, second)` -> first/second/tie."""

    def __init__(self, pick: Any) -> None:
        self.pick, self.seen = pick, []
        self.models = self

    def generate_content(self, model: str, contents: list[Any], config: Any) -> Any:
        first, second = (p.inline_data.data for p in contents[:2])
        self.seen.append((first, second, contents[2]))
        return SimpleNamespace(parsed=OrderAnswer(winner=self.pick(first, second), reason="because"))


def test_both_orders_are_asked_with_the_images_swapped() -> None:
    judge = FakeJudge(lambda first, second: "first" if first == RED.data else "second")
    j = judge_pair(judge, RED, BLUE, "a red ball", SETTINGS, CTX)
    assert [(f, s) for f, s, _ in judge.seen] == [(RED.data, BLUE.data), (BLUE.data, RED.data)]
    assert all("The request was: a red ball" in text for *_, text in judge.seen)
    assert (j.winner, j.consistent, j.a_first, j.b_first) == ("A", True, "A", "A")
    j = judge_pair(judge, BLUE, RED, "a red ball", SETTINGS, CTX)  # the order swap: same image wins
    assert (j.winner, j.consistent) == ("B", True)


def test_a_position_biased_judge_gives_ties_counted_as_order_inconsistent() -> None:
    always_first = FakeJudge(lambda first, second: "first")
    j = judge_pair(always_first, RED, BLUE, "a red ball", SETTINGS, CTX)
    assert (j.winner, j.consistent, j.a_first, j.b_first) == ("tie", False, "A", "B")
    assert j.reason.startswith("orders disagree")
    assert combine("A", "tie") == ("tie", False)
    assert combine("tie", "tie") == ("tie", True)


def test_a_failed_answer_leaves_the_pair_unjudged() -> None:
    class Broken(FakeJudge):
        def generate_content(self, model: str, contents: list[Any], config: Any) -> Any:
            return SimpleNamespace(parsed=None, text='{"winner": "left"}')

    j = judge_pair(Broken(None), RED, BLUE, "p", SETTINGS, CTX)
    assert j.winner is None and j.error and "ValidationError" in j.error


def _outcome(case: str, winner: str | None, repeat: int = 0, consistent: bool = True) -> PairOutcome:
    return PairOutcome("s", case, "", repeat, 0, winner, consistent, winner, winner, "r", "a", "b", "x", "y")


def test_win_rate_interval_sign_test_and_gate() -> None:
    worse = [_outcome(f"c{i}", "A") for i in range(10)] + [_outcome(f"t{i}", "tie") for i in range(2)]
    s = summarize_preference(worse)
    assert s.win_rate_b == pytest.approx(1 / 12)
    assert s.ci is not None and s.ci[1] < 0.5
    assert s.significance == "significant" and s.p_value is not None and s.p_value < 0.01
    assert preference_gate(s)[0] == 1
    even = [_outcome(f"c{i}", "tie", consistent=i % 2 == 0) for i in range(12)]
    s = summarize_preference(even)
    assert (s.win_rate_b, s.tie_share, s.inconsistent_share) == (0.5, 1.0, 0.5)
    assert s.significance == "no preference" and preference_gate(s)[0] == 0
    mixed = [_outcome("c", "B", 0), _outcome("c", "A", 1), _outcome("c", None, 2)]
    s = summarize_preference(mixed)
    assert s.per_case[0].score == 0.5 and s.judged == 2 and len(s.errors) == 1
    assert preference_gate(s)[0] == 1  # an unjudged pair fails the gate


def test_pairwise_prompt_names_the_rubric() -> None:
    text = render_pairwise_prompt("a cat", "orange fur")
    assert "The request was: a cat\nRubric: orange fur" in text


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, pairwise_arms: tuple[list[Path], Path]
) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("pairwise")
    good, worse, _ = copy_arms(pairwise_arms, root)
    return good, worse, root


def test_the_worse_arm_loses_with_an_interval_excluding_half(runs: tuple[Path, Path, Path]) -> None:
    good, worse, root = runs
    out = root / "pref.json"
    args = ["diff", str(good), str(worse), "--pairwise", "--json", str(out), "--fail-on", "preference"]
    code = main([*args, "--mode", "auto", "--backend", "emulator"])
    p = json.loads(out.read_text())["preference"]
    assert code == 1  # the judge prefers A beyond chance: the gate fails
    assert p["judged"] == p["pairs"] == 12 and p["errors"] == []
    assert p["win_rate_b"] < 0.2 and p["ci"][1] < 0.5 and p["significance"] == "significant"
    assert p["ties"] == 2 and p["inconsistent"] == 0  # the emulator judge has no position bias
    winners = {c["case"]: c["winner"] for c in p["per_case"]}
    assert winners["dog"] == winners["sun"] == "tie"
    assert all(winners[c[0]] == "A" for c in CASES[:10])
    assert p["settings"]["suites"]["pw"]["model"] == "gemini-2.5-flash"
    assert "judge prefers A" in p["verdict"]

    # recorded under the suite's cassette: two interactions per pair, the images swapped, tagged pairwise
    cassette = Cassette.load(root / "good" / "cassettes" / "pw.cassette.yaml")
    judged = [i for i in cassette.interactions if (i.trial or {}).get("purpose") == "pairwise"]
    assert len(judged) == 24
    apple = [i for i in judged if i.trial["case"] == "apple"]
    images = [[p["inlineData"]["data"] for p in i.request["body"]["contents"][0]["parts"][:2]] for i in apple]
    assert images[0] == images[1][::-1] and images[0][0] != images[0][1]

    # CI: replay (the default) answers from the cassette, offline, with the same numbers
    again = root / "again.json"
    assert main(["diff", str(good), str(worse), "--pairwise", "--json", str(again)]) == 0
    q = json.loads(again.read_text())["preference"]
    assert (q["win_rate_b"], q["ci"], q["per_case"]) == (p["win_rate_b"], p["ci"], p["per_case"])

    # the arms swapped: the judge reads A's (now the worse arm's) request, which both images fulfil
    swapped = root / "swapped.json"
    main(["diff", str(worse), str(good), "--pairwise", "--json", str(swapped), "--mode", "auto",
          "--backend", "emulator", "--rubric", "the object is shown"])  # fmt: skip
    s = json.loads(swapped.read_text())["preference"]
    assert s["settings"]["suites"]["pw"]["rubric"] == "the object is shown"
    assert s["win_rate_b"] >= 0.5 and s["a_wins"] == 0


def test_a_run_against_itself_is_even_with_ties(runs: tuple[Path, Path, Path]) -> None:
    good, _, root = runs
    out = root / "self.json"
    code = main(["diff", str(good), str(good), "--pairwise", "--json", str(out), "--mode", "auto",
                 "--backend", "emulator", "--fail-on", "preference"])  # fmt: skip
    p = json.loads(out.read_text())["preference"]
    assert code == 0
    assert p["win_rate_b"] == 0.5 and p["ties"] == p["judged"] == 12
    assert p["ci"][0] <= 0.5 <= p["ci"][1]


def test_a_missing_recording_is_reported_not_judged(runs: tuple[Path, Path, Path], capsys: Any) -> None:
    good, worse, _ = runs
    # the cassette exists (recorded here, so the test does not depend on another test having run first)
    main(["diff", str(worse), str(good), "--pairwise", "--mode", "auto", "--backend", "emulator"])
    capsys.readouterr()
    code = main(["diff", str(worse), str(good), "--pairwise", "--rubric", "never recorded",
                 "--fail-on", "preference"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 1
    assert "not judged" in text and "replay miss" in text and "--mode auto" in text


def test_emulator_scene_judge_on_truth() -> None:
    """On emulator truth (one image drawn from the full prompt, one from the prompt without its object),
    the scene-based judge picks the full one in every pair and calls identical scenes a tie."""
    from harness.emulator.images import make_image
    from harness.emulator.models import MODELS
    from harness.emulator.protocol import parse_generate

    def draw(prompt: str) -> bytes:
        body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
        req = parse_generate("gemini-2.5-flash-image", body)
        return make_image(req, MODELS["gemini-2.5-flash-image"], 0).data

    right = 0
    for _, full, dropped in CASES[:10]:
        a, b = draw(full), draw(dropped)
        right += compare_scenes(full, a, b)["winner"] == "first"
        right += compare_scenes(full, b, a)["winner"] == "second"
    assert right / 20 == 1.0
    same = draw(CASES[10][1])
    assert compare_scenes(CASES[10][1], same, same)["winner"] == "tie"


def test_the_suite_turns_pairwise_on(tmp_path: Path) -> None:
    """`judge: {pairwise: {rubric}}` in the suite: diffs of its runs judge pairs, unless --no-pairwise."""
    from harness.api import run_suites

    suite = tmp_path / "pw.yaml"
    text = suite_text([(c[0], c[1]) for c in CASES[:2]])
    judge = 'judge: {pairwise: {rubric: "the named object is shown"}}'
    suite.write_text(text.replace("cases:", f"{judge}\ncases:"))
    run = run_suites([suite], backend="emulator", out=tmp_path / "results", run_id="one")
    out = tmp_path / "d.json"
    assert main(["diff", str(run), str(run)]) == 2  # replay, and no answers recorded yet: a usage error
    main(["diff", str(run), str(run), "--json", str(out), "--mode", "auto", "--backend", "emulator"])
    p = json.loads(out.read_text())["preference"]
    assert p["judged"] == 2 and p["settings"]["suites"]["pw"]["rubric"] == "the named object is shown"
    main(["diff", str(run), str(run), "--json", str(out), "--no-pairwise"])
    assert json.loads(out.read_text())["preference"] is None
