"""A labelled validity set for the `alignment:` scorer: emulator images whose content is known, and
yes/no questions whose true answer is computed from that content, not from the judge's words.

Each image is drawn by the emulator from a seeded prompt; the scene it embeds (what was really drawn:
objects, colours, positions, background, text) is the truth. Questions are built from structured atoms
(an entity, its colour, a count, a relation, the background, a text), about things the prompt named and
things it did not, so both labels occur. Every question is answered through the scorer's own request
(ANSWER_PROMPT, AnswerSet) by whatever client is given (the emulator in bench/ and tests). The
decomposition step is measured too: how many of a prompt's atoms the judge's questions cover.

Used by bench/alignment_validity.py (prints the figures) and tests/test_alignment_validity.py (>= 95%).
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from typing import Any

from PIL import Image
from pydantic import BaseModel

from harness.scoring.alignment import AnswerSet, render_answer_prompt, render_questions_prompt
from harness.scoring.questions import Question, QuestionSet

SCENE_KEY = "harness-scene"  # where emulator images carry the scene they show (PNG text chunk)
# Not "book": the emulator reads a book in a prompt as a storybook figure and draws one.
KINDS = ("cup", "apple", "tree", "car", "ball", "shoe", "star", "dog")
COLORS = ("red", "blue", "green", "yellow", "purple", "white", "black", "orange")
BACKGROUNDS = ("white", "grey", "blue", "beige", "black", "pink")
TEXTS = ("SALE", "OPEN", "HELLO")
NUMBER = {1: "a", 2: "two", 3: "three", 4: "four"}


@dataclass(frozen=True)
class Atom:
    """One checkable fact: kind in entity|color|count|background|text|relation."""

    kind: str
    obj: str = ""
    value: str = ""
    other: str = ""

    def question(self, wording: int = 0) -> str:
        """The question in one of two wordings (0: the emulated judge's own, 1: another way to ask)."""
        if self.kind == "entity":
            return (
                f"Is there {_a(self.obj)} {self.obj}?"
                if not wording
                else f"Does the image contain a {self.obj}?"
            )
        if self.kind == "color":
            return (
                f"Is there {_a(self.value)} {self.value} {self.obj}?"
                if not wording
                else f"Is the {self.obj} {self.value}?"
            )
        if self.kind == "count" and self.value == "1":
            return f"Is there exactly one {self.obj}?"
        if self.kind == "count":
            return f"Are there exactly {NUMBER[int(self.value)]} {_plural(self.obj)}?"
        if self.kind == "background":
            return f"Is the background {self.value}?"
        if self.kind == "text":
            return f'Does the image show the text "{self.value}"?'
        side = "to the left of" if self.value == "left of" else "to the right of"
        return f"Is the {self.obj} {side} the {self.other}?"

    def truth(self, scene: dict[str, Any]) -> bool:
        objects = scene.get("objects", [])
        mine = [o for o in objects if o["kind"] == self.obj]
        if self.kind == "entity":
            return bool(mine)
        if self.kind == "color":
            return any(o["color"] == self.value for o in mine)
        if self.kind == "count":
            return len(mine) == int(self.value)
        if self.kind == "background":
            return scene.get("background") == self.value
        if self.kind == "text":
            return (scene.get("text") or "").lower() == self.value.lower()
        theirs = [o for o in objects if o["kind"] == self.other]
        if self.value == "left of":
            return any(p["x"] < q["x"] for p in mine for q in theirs)
        return any(p["x"] > q["x"] for p in mine for q in theirs)


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith(("x", "ch", "sh")) else "s")


@dataclass
class Case:
    prompt: str
    atoms: list[Atom]  # what the prompt asks for
    probes: list[Atom]  # facts it does not ask for (mostly false in the image)


def make_case(index: int) -> Case:
    """Prompt `index`: one or two objects (colour, count), a background, sometimes a text or a relation."""
    rng = random.Random(7000 + index)
    kinds = rng.sample(KINDS, 2 if rng.random() < 0.6 else 1)
    atoms: list[Atom] = []
    phrases = []
    for kind in kinds:
        count = rng.choice((1, 1, 2, 3))
        color = rng.choice(COLORS) if rng.random() < 0.7 else ""
        noun = kind if count == 1 else _plural(kind)
        phrases.append(" ".join(p for p in (NUMBER[count], color, noun) if p))
        atoms.append(Atom("entity", kind))
        if color:
            atoms.append(Atom("color", kind, color))
        if count > 1:
            atoms.append(Atom("count", kind, str(count)))
    background = rng.choice(BACKGROUNDS)
    prompt = " and ".join(phrases) + f" on a {background} background"
    atoms.append(Atom("background", value=background))
    if rng.random() < 0.3:
        text = rng.choice(TEXTS)
        prompt += f' with the text "{text}"'
        atoms.append(Atom("text", value=text))
    probes = [
        Atom("entity", rng.choice([k for k in KINDS if k not in kinds])),
        Atom("color", kinds[0], rng.choice(COLORS)),
        Atom("count", kinds[0], str(rng.choice((1, 2, 3, 4)))),
        Atom("background", value=rng.choice([b for b in BACKGROUNDS if b != background])),
        Atom("text", value=rng.choice(TEXTS)),
    ]
    if len(kinds) == 2:
        probes.append(Atom("relation", kinds[0], rng.choice(("left of", "right of")), kinds[1]))
    return Case(prompt, atoms, probes)


@dataclass
class Decision:
    name: str  # the atom kind
    expected: bool
    got: bool
    detail: str


@dataclass
class Coverage:
    atoms: int
    covered: int
    questions: int


def scene_of(image: bytes) -> dict[str, Any] | None:
    with Image.open(io.BytesIO(image)) as im:
        raw = im.info.get(SCENE_KEY)
    return json.loads(raw) if raw else None


def _generate(client: Any, prompt: str, seed: int) -> bytes:
    from google.genai import types

    response = client.models.generate_content(
        model="gemini-2.5-flash-image",
        contents=prompt,
        config=types.GenerateContentConfig(response_modalities=["IMAGE"], seed=seed),
    )
    return next(p.inline_data.data for p in response.candidates[0].content.parts if p.inline_data)


def _json(client: Any, model: str, contents: list[Any], schema: type[BaseModel]) -> Any:
    from google.genai import types

    config = types.GenerateContentConfig(
        temperature=0, response_mime_type="application/json", response_schema=schema
    )
    response = client.models.generate_content(model=model, contents=contents, config=config)
    return schema.model_validate_json(response.text)


def run_decisions(
    client: Any, n_cases: int = 30, model: str = "gemini-2.5-flash"
) -> tuple[list[Decision], Coverage]:
    """Every labelled yes/no decision, and how well the judge's questions cover each prompt's atoms."""
    from google.genai import types

    decisions: list[Decision] = []
    coverage = Coverage(0, 0, 0)
    for i in range(n_cases):
        case = make_case(i)
        image = _generate(client, case.prompt, seed=i)
        scene = scene_of(image)
        if scene is None:
            raise ValueError("the validity set needs emulator images (they carry their scene)")
        made = _json(client, model, [render_questions_prompt(case.prompt)], QuestionSet)
        asked = {q.question.lower() for q in made.questions}
        coverage.atoms += len(case.atoms)
        coverage.covered += sum(a.question().lower() in asked for a in case.atoms)
        coverage.questions += len(made.questions)
        atoms = case.atoms + case.probes
        questions = [
            Question(id=n + 1, question=a.question(wording=(i + n) % 2)) for n, a in enumerate(atoms)
        ]
        part = types.Part.from_bytes(data=image, mime_type="image/png")
        answered = _json(client, model, [part, render_answer_prompt(questions)], AnswerSet)
        got = {a.id: a.answer == "yes" for a in answered.answers}
        for q, atom in zip(questions, atoms, strict=True):
            decisions.append(
                Decision(atom.kind, atom.truth(scene), got.get(q.id, False), f"case{i} {q.question}")
            )
    return decisions, coverage


def accuracy(decisions: list[Decision]) -> dict[str, tuple[float, int, list[Decision]]]:
    """Per atom kind, and "all": (accuracy, count, the wrong ones)."""
    out = {}
    for name in [*sorted({d.name for d in decisions}), "all"]:
        ds = [d for d in decisions if name in ("all", d.name)]
        wrong = [d for d in ds if d.expected != d.got]
        out[name] = (1 - len(wrong) / len(ds), len(ds), wrong)
    return out
