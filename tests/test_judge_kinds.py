"""Each judge kind through the emulator, then replayed from the cassette: edit (before + after, two grades),
references (composition), alignment (questions file + answers); prompt versions in replay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.api import run_suites
from harness.store import Run

IMAGES = Path(__file__).parent.parent / "suites" / "images"
SUITE = """
suite: kinds
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", repeats: 1}
judge: {model: gemini-2.5-flash, temperature: 0}
cases:
  - id: bg-blue
    inputs: [images/watch.png]
    prompt: "Change the background to blue. Keep the watch exactly as it is."
    expect: [{judge: {rubric: "the same watch on a blue background", min: 4}}]
  - id: chain
    chain:
      - prompt: "a white cup on a grey background"
      - edit: "Add a small green tree beside the cup"
        expect: [{judge: {rubric: "a cup and a green tree", min: 4}}]
  - id: refs
    prompt: "A product shot of a cup, using the colours of these reference images"
    references: [images/ref-orange-sunset.png, images/ref-purple-neon.png]
    expect: [{judge: {rubric: "a cup", min: 3}}]
  - id: aligned
    prompt: "two red apples and a blue cup on a white background"
    expect: [{alignment: {min: 0.8}}]
"""


def make_suite(tmp_path: Path, text: str = SUITE) -> Path:
    (tmp_path / "images").mkdir(exist_ok=True)
    for name in ("watch.png", "ref-orange-sunset.png", "ref-purple-neon.png"):
        shutil.copy(IMAGES / name, tmp_path / "images" / name)
    path = tmp_path / "kinds.yaml"
    path.write_text(text)
    return path


def scores(run: Run) -> dict[str, list[tuple[str, float | None, bool | None]]]:
    return {r.case: [(s.name, s.value, s.passed) for s in r.scores] for r in run.trials}


def record_and_replay(tmp_path: Path, suite: Path) -> tuple[Run, Run]:
    kw = {"cassettes": tmp_path / "cassettes", "out": tmp_path / "results"}
    recorded = Run.load(run_suites([suite], backend="emulator", mode="record", run_id="rec", **kw))
    replayed = Run.load(run_suites([suite], backend="gemini", mode="replay", run_id="rep", **kw))
    return recorded, replayed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kinds")
    suite = make_suite(tmp)
    recorded, replayed = record_and_replay(tmp, suite)
    return tmp, suite, recorded, replayed


def test_edit_steps_get_two_grades_with_reasons(runs):
    _, _, recorded, _ = runs
    got = {r.case: r for r in recorded.trials}
    for case in ("bg-blue", "chain"):
        named = {s.name: s for s in got[case].scores}
        assert set(named) == {"judge.instruction", "judge.preserved"}, got[case].scores
        instruction, preserved = named["judge.instruction"], named["judge.preserved"]
        assert instruction.value == 5 and instruction.passed, instruction.reason
        assert preserved.value == 5 and preserved.passed, preserved.reason
        assert "instruction followed 5/5" in instruction.reason and "done: " in instruction.reason
        assert "rest preserved 5/5" in preserved.reason and "kept: " in preserved.reason
    assert "background" in got["bg-blue"].scores[0].reason  # the change the instruction asked for


def test_the_edit_judge_sees_before_and_after(runs):
    tmp = runs[0]
    doc = yaml.safe_load((tmp / "cassettes" / "kinds.cassette.yaml").read_text())
    edit = [
        i for i in doc["interactions"] if i["trial"]["purpose"] == "judge" and i["trial"]["case"] == "bg-blue"
    ]
    (one,) = edit
    parts = one["request"]["body"]["contents"][0]["parts"]
    assert [("inlineData" in p) for p in parts] == [True, True, False]
    assert parts[2]["text"].startswith("You grade an image edit.")
    assert one["trial"]["prompt_version"] == "edit-judge-v1"
    refs = next(
        i for i in doc["interactions"] if i["trial"]["case"] == "refs" and i["trial"]["purpose"] == "judge"
    )
    parts = refs["request"]["body"]["contents"][0]["parts"]
    assert sum("inlineData" in p for p in parts) == 3  # two references, then the output
    assert "the first 2 are the reference images" in parts[-1]["text"]


def test_replay_gives_the_same_grades_without_a_backend(runs):
    _, _, recorded, replayed = runs
    assert scores(replayed) == scores(recorded)
    assert all(s.value is not None for r in replayed.trials for s in r.scores)


def test_alignment_writes_its_questions_and_scores_with_dependencies(runs):
    tmp, _, recorded, _ = runs
    (aligned,) = [r for r in recorded.trials if r.case == "aligned"]
    (s,) = aligned.scores
    doc = yaml.safe_load((tmp / "questions" / "kinds.yaml").read_text())
    (entry,) = doc["prompts"].values()
    assert entry["prompt"] == "two red apples and a blue cup on a white background"
    asked = [q["question"] for q in entry["questions"]]
    assert "Is there a apple?" in asked or "Is there an apple?" in asked or any("apple" in q for q in asked)
    assert any(q["parents"] for q in entry["questions"]), "attributes and counts depend on their entity"
    assert s.value == 1.0 and s.passed is True, s.reason
    assert f"{len(asked)}/{len(asked)} questions yes" in s.reason


def test_a_version_change_is_a_replay_miss_naming_both_versions(runs, monkeypatch):
    tmp, suite, _, _ = runs
    import harness.scoring.judge_edit as judge_edit

    monkeypatch.setattr(judge_edit, "EDIT_PROMPT_VERSION", "edit-judge-v2")
    run = Run.load(
        run_suites(
            [suite],
            backend="gemini",
            mode="replay",
            cassettes=tmp / "cassettes",
            out=tmp / "results",
            run_id="v2",
        )
    )
    edit = next(r for r in run.trials if r.case == "bg-blue")
    assert all(s.passed is False and s.value is None for s in edit.scores)
    reason = edit.scores[0].reason
    assert (
        "the judge prompt is now version edit-judge-v2" in reason and "recorded with edit-judge-v1" in reason
    )
    other = next(r for r in run.trials if r.case == "aligned")
    assert other.scores[0].passed is True  # other kinds keep replaying


def test_the_single_image_judge_request_is_unchanged_and_carries_its_version(tmp_path):
    """Existing cassettes replay: the request body has no version; the recording names judge-v1."""
    suite = make_suite(
        tmp_path,
        """
suite: single
defaults: {model: gemini-2.5-flash-image, repeats: 1}
cases:
  - id: red
    prompt: "a red ball on a white background"
    expect: [{judge: {rubric: "a red ball", min: 3}}]
""",
    )
    recorded, replayed = record_and_replay(tmp_path, suite)
    doc = yaml.safe_load((tmp_path / "cassettes" / "single.cassette.yaml").read_text())
    (judged,) = [i for i in doc["interactions"] if i["trial"]["purpose"] == "judge"]
    assert judged["trial"]["prompt_version"] == "judge-v1"
    assert "judge-v1" not in str(judged["request"])
    generated = next(i for i in doc["interactions"] if i["trial"]["purpose"] == "generate")
    assert "prompt_version" not in generated["trial"]
    assert scores(replayed) == scores(recorded)


def test_questions_are_reused_edited_and_regenerated_only_for_a_changed_prompt(tmp_path):
    text = (
        SUITE.split("  - id: bg-blue")[0]
        + """  - id: one
    prompt: "a red ball on a white background"
    expect: [{alignment: true}]
  - id: two
    prompt: "two blue cups on a grey background"
    expect: [{alignment: true}]
"""
    )
    suite = make_suite(tmp_path, text)
    kw = {"cassettes": tmp_path / "cassettes", "out": tmp_path / "results", "backend": "emulator"}
    run_suites([suite], mode="record", run_id="first", **kw)
    path = tmp_path / "questions" / "kinds.yaml"
    doc = yaml.safe_load(path.read_text())
    assert len(doc["prompts"]) == 2
    key_two = next(k for k, e in doc["prompts"].items() if e["prompt"].startswith("two"))
    # A reviewer rewrites one question by hand: the file wins over asking the judge again.
    key_one = next(k for k in doc["prompts"] if k != key_two)
    doc["prompts"][key_one]["questions"] = [
        {"id": 1, "kind": "entity", "question": "Is there a dog?", "parents": []}
    ]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    suite.write_text(text.replace("a red ball on a white background", "a green ball on a white background"))
    run = Run.load(run_suites([suite], mode="auto", run_id="second", **kw))
    after = yaml.safe_load(path.read_text())["prompts"]
    assert after[key_two] == doc["prompts"][key_two]  # the unchanged prompt kept its questions
    assert after[key_one]["questions"][0]["question"] == "Is there a dog?"  # the stale edited entry stays
    new = [e for k, e in after.items() if k not in (key_one, key_two)]
    assert [e["prompt"] for e in new] == ["a green ball on a white background"]
    assert any("green" in q["question"] for q in new[0]["questions"])
    assert {r.case: r.scores[0].passed for r in run.trials} == {"one": True, "two": True}
    # The hand-edited question is asked when its prompt comes back (and answered no: there is no dog).
    suite.write_text(text)
    again = Run.load(run_suites([suite], mode="auto", run_id="third", **kw))
    one = next(r for r in again.trials if r.case == "one").scores[0]
    assert one.value == 0.0 and "no: Is there a dog?" in one.reason and one.passed is False


def test_a_parent_no_blocks_its_children():
    from harness.scoring.alignment import alignment_score
    from harness.scoring.questions import Question

    qs = [
        Question(id=1, question="Is there a cup?"),
        Question(id=2, kind="attribute", question="Is there a blue cup?", parents=[1]),
        Question(id=3, kind="count", question="Are there exactly two cups?", parents=[1]),
        Question(id=4, kind="background", question="Is the background white?"),
    ]
    share, failed = alignment_score(qs, {1: False, 2: True, 3: True, 4: True})
    assert share == 0.25
    assert failed == [
        "no: Is there a cup?",
        "yes, but a question it depends on is not: Is there a blue cup?",
        "yes, but a question it depends on is not: Are there exactly two cups?",
    ]
    share, failed = alignment_score(qs, {1: True, 2: True, 4: True})
    assert share == 0.75 and failed == ["not answered: Are there exactly two cups?"]
    looped = [Question(id=1, question="a", parents=[2]), Question(id=2, question="b", parents=[1])]
    assert alignment_score(looped, {1: True, 2: True})[0] == 0.0  # a cycle is never confirmed


def test_the_emulated_edit_judge_grades_what_changed():
    from harness.emulator.judge_kinds import edit_verdict
    from harness.emulator.render import encode, render
    from harness.emulator.scene import new_scene

    def render_scene(scene):
        return encode(render(scene, (64, 64), "flat"), "image/png", scene.to_dict())

    before = new_scene("a white cup on a grey background", 1)
    same = new_scene("a white cup on a grey background", 1)
    blue = new_scene("a white cup on a blue background", 1)
    red_cup_blue = new_scene("a red cup on a blue background", 1)
    prompt = "You grade an image edit.\nThe edit instruction was: Change the background to blue\n"

    def grade(after):
        return edit_verdict(prompt, [render_scene(before), render_scene(after)])

    assert (grade(blue)["instruction_followed"], grade(blue)["rest_preserved"]) == (5, 5)
    nothing = grade(same)
    assert nothing["instruction_followed"] < 3 and nothing["rest_preserved"] == 5
    assert "not done: background" in nothing["instruction_reason"]
    too_much = grade(red_cup_blue)
    assert too_much["instruction_followed"] == 5 and too_much["rest_preserved"] < 5
    assert "cup colour" in too_much["preserved_reason"]


def test_a_broken_questions_file_is_a_named_error_not_a_pass(tmp_path):
    from harness.errors import HarnessError
    from harness.scoring.questions import load

    path = tmp_path / "questions" / "s.yaml"
    path.parent.mkdir()
    path.write_text(
        "format: prompt-harness-questions/1\nprompts:\n  abc: {prompt: x, questions: [{id: one}]}\n"
    )
    with pytest.raises(HarnessError) as err:
        load(path)
    assert "questions entry abc" in str(err.value) and str(path) in str(err.value)
    path.write_text("prompts: [\n")
    with pytest.raises(HarnessError, match="not valid YAML"):
        load(path)
