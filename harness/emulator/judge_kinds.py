"""The emulated judge for the prompts that are not a single-image rubric: edits (before and after images,
two grades) and question-based alignment (decompose a prompt into yes/no questions; answer them).

Each kind is recognised by the opening words of the harness's prompt (harness/scoring/judge_edit.py and
alignment.py) and answered deterministically from the prompt and the images' harness-scene metadata, so
the scorers' accuracy can be measured against scenes whose content is known.
"""

from __future__ import annotations

import random
import re
from typing import Any

from harness.emulator.protocol import words
from harness.emulator.render import seen_scene
from harness.emulator.scene import Scene, apply_edit, noun_kind, parse_terms
from harness.emulator.vocab import WARM

EDIT_MARK = "You grade an image edit."
QUESTIONS_MARK = "You decompose an image-generation prompt into atomic yes/no questions"
ANSWER_MARK = "Answer each question about the attached image with yes or no"  # alignment.ANSWER_PROMPT
_LINE = {name: re.compile(rf"^{name}:[ \t]*(.*)$", re.MULTILINE) for name in ("Prompt", "Rubric")}
_INSTRUCTION = re.compile(r"^The edit instruction was:[ \t]*(.*)$", re.MULTILINE)
_NUMBERED = re.compile(r"^(\d+)\.[ \t]+(.+)$", re.MULTILINE)
_RELATION = re.compile(
    r"\b([a-z]+)\s+(?:is\s+)?(?:to the |on the )?(left of|right of|above|below)\s+(?:an?\s+|the\s+)?([a-z]+)"
)
_NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def special_answer(prompt: str, images: list[bytes]) -> dict[str, Any] | None:
    """The JSON answer for an edit-judge or alignment prompt, or None for any other prompt."""
    if prompt.startswith(EDIT_MARK) or f"\n{EDIT_MARK}" in prompt:
        return edit_verdict(prompt, images)
    if QUESTIONS_MARK in prompt:
        found = _LINE["Prompt"].search(prompt)
        return {"questions": decompose(found.group(1) if found else prompt)}
    if ANSWER_MARK in prompt:
        scene = _scene(images[-1]) if images else None
        return {
            "answers": [
                {"id": int(n), "answer": "yes" if scene is not None and answer(q, scene) else "no"}
                for n, q in _NUMBERED.findall(prompt)
            ]
        }
    return None


def _scene(image: bytes) -> Scene | None:
    meta = seen_scene(image)
    return Scene.from_dict(meta) if meta else None


# -- alignment: questions from a prompt, answers from a scene ------------------------------------------
def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith(("x", "ch", "sh")) else "s")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def decompose(prompt: str) -> list[dict[str, Any]]:
    """DSG-style questions for what the emulator can draw: entities, colours, counts, background, text,
    style, lighting, and left/right/above/below relations, with parents."""
    terms = parse_terms(prompt)
    out: list[dict[str, Any]] = []

    def add(kind: str, question: str, parents: list[int] | None = None) -> int:
        out.append({"id": len(out) + 1, "kind": kind, "question": question, "parents": parents or []})
        return len(out)

    entity: dict[str, int] = {}
    for m in terms.mentions:
        if m.kind in terms.removals or m.kind in entity:
            continue
        entity[m.kind] = add("entity", f"Is there {_article(m.kind)} {m.kind}?")
        if m.color:
            add("attribute", f"Is there {_article(m.color)} {m.color} {m.kind}?", [entity[m.kind]])
        if m.explicit and m.count > 1:
            number = _NUMBER_WORDS[m.count] if m.count < len(_NUMBER_WORDS) else str(m.count)
            add("count", f"Are there exactly {number} {_plural(m.kind)}?", [entity[m.kind]])
    for a, relation, b in _relations(prompt):
        if a in entity and b in entity:
            add("relation", f"Is the {a} {_relation_words(relation)} the {b}?", [entity[a], entity[b]])
    if terms.background:
        add("background", f"Is the background {terms.background}?")
    if terms.text:
        add("text", f'Does the image show the text "{terms.text}"?')
    if terms.style:
        add("style", f"Is the image in {terms.style} style?")
    if terms.warmth:
        add("attribute", "Is the light warm?" if terms.warmth > 0 else "Is the light cool?")
    return out


def _relation_words(relation: str) -> str:
    return f"to the {relation}" if relation in ("left of", "right of") else relation


def _relations(text: str) -> list[tuple[str, str, str]]:
    found = []
    for a, relation, b in _RELATION.findall(text.lower()):
        ka, kb = noun_kind(a)[0], noun_kind(b)[0]
        if ka and kb and ka != kb:
            found.append((ka, relation, kb))
    return found


def answer(question: str, scene: Scene) -> bool:
    """Yes when everything the question names holds in the scene; a question naming nothing is a no."""
    from harness.emulator.judge import rubric_checks

    relations = _relations(question)
    if relations:
        return all(_holds(a, relation, b, scene) for a, relation, b in relations)
    tokens = words(question)
    matched, missing = rubric_checks(question, scene)
    counts, terms = scene.counts(), parse_terms(question)
    if any(m.explicit and m.count == 1 and counts.get(m.kind) != 1 for m in terms.mentions):
        return False  # "exactly one cup": the rubric checks count only plurals
    for kind, color in terms.recolors.items():  # "Is the cup blue?" names the colour after the noun
        if not any(o.kind == kind and o.color == color for o in scene.objects):
            return False
    if "light" in tokens and any(t in WARM for t in tokens) and not matched and not missing:
        return False
    return bool(matched) and not missing


def _holds(a: str, relation: str, b: str, scene: Scene) -> bool:
    first = [o for o in scene.objects if o.kind == a]
    second = [o for o in scene.objects if o.kind == b]
    tests = {
        "left of": lambda p, q: p.x < q.x,
        "right of": lambda p, q: p.x > q.x,
        "above": lambda p, q: p.y < q.y,
        "below": lambda p, q: p.y > q.y,
    }
    return any(tests[relation](p, q) for p in first for q in second)


# -- the edit judge: what the instruction asked to change, and what it did not -------------------------
def _facts(scene: Scene) -> dict[str, Any]:
    out: dict[str, Any] = {"background": scene.background, "text": scene.text, "style": scene.style}
    for kind in sorted({o.kind for o in scene.objects}):
        colors = sorted(o.color for o in scene.objects if o.kind == kind)
        out[f"{kind} count"] = len(colors)
        out[f"{kind} colour"] = colors
    return out


def edit_verdict(prompt: str, images: list[bytes]) -> dict[str, Any]:
    """Grades from the scenes: the instruction applied to the before scene says what should change;
    instruction_followed checks those facts in the result, rest_preserved checks every other fact."""
    before = _scene(images[0]) if len(images) >= 2 else None
    after = _scene(images[-1]) if len(images) >= 2 else None
    if before is None or after is None:
        reason = "the before or after image carries no harness-scene metadata; neutral grade"
        return _edit_answer(3, reason, 3, reason)
    found = _INSTRUCTION.search(prompt)
    instruction = found.group(1) if found else ""
    expected = apply_edit(before, instruction, random.Random(0))
    want, was, got = _facts(expected), _facts(before), _facts(after)
    done: list[str] = []
    not_done: list[str] = []
    kept: list[str] = []
    changed: list[str] = []
    for key in sorted(want.keys() | was.keys() | got.keys()):
        if want.get(key) != was.get(key):
            (done if got.get(key) == want.get(key) else not_done).append(key)
        else:
            (kept if got.get(key) == was.get(key) else changed).append(key)
    for name, delta in (
        ("warmth", expected.warmth - before.warmth),
        ("brightness", expected.brightness - before.brightness),
    ):
        moved = getattr(after, name) - getattr(before, name)
        if delta:
            (done if moved * delta > 0 else not_done).append(name)
        else:
            (kept if abs(moved) < 0.05 else changed).append(name)
    rubric = _LINE["Rubric"].search(prompt)
    if rubric:
        from harness.emulator.judge import rubric_checks

        matched, missing = rubric_checks(rubric.group(1), after)
        done += matched
        not_done += missing
    followed = _grade(len(done), len(not_done))
    preserved = _grade(len(kept), len(changed))
    return _edit_answer(
        followed,
        f"done: {', '.join(done) or 'none'}; not done: {', '.join(not_done) or 'none'}",
        preserved,
        f"kept: {', '.join(kept) or 'none'}; changed without being asked: {', '.join(changed) or 'none'}",
    )


def _grade(good: int, bad: int) -> int:
    return 3 if good + bad == 0 else round(1 + 4 * good / (good + bad))


def _edit_answer(followed: int, why_followed: str, preserved: int, why_preserved: str) -> dict[str, Any]:
    return {
        "instruction_followed": followed,
        "instruction_reason": why_followed,
        "rest_preserved": preserved,
        "preserved_reason": why_preserved,
    }
