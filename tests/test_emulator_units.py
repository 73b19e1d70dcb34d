"""Emulator parts without HTTP: fault grammar and decisions, prompt parsing, edits, judge, model tables."""

from __future__ import annotations

import argparse
import base64
import io
import json
import random

import pytest

from harness.emulator import Emulator
from harness.emulator.cli import register
from harness.emulator.faults import FaultSpecError, decide, parse_spec
from harness.emulator.generate import generate
from harness.emulator.judge import answer_text, fill_schema, rubric_checks, rubric_of
from harness.emulator.models import get_model
from harness.emulator.protocol import ApiError, b64decode, normalize, parse_generate
from harness.emulator.render import decode, encode, render, seen_scene
from harness.emulator.scene import Scene, apply_edit, new_scene, parse_terms
from harness.errors import UsageError
from harness.scoring.judge import render_prompt


def test_fault_spec_parses_every_form():
    plan = parse_spec(
        "429@0.2:retry_after=2:retry_info=1.5s,seed=7,slow=2.5@0.1,drop@0.1,truncate,"
        "block_prompt:reason=OTHER,block_output,no_image,503:first=2:model=gemini-2.5-flash-image,"
        "word:BLOCKME=block_output"
    )
    assert plan.seed == 7 and [r.action for r in plan.rules] == [
        "429",
        "slow",
        "drop",
        "truncate",
        "block_prompt",
        "block_output",
        "no_image",
        "503",
    ]
    assert plan.rules[0].opts == {"retry_after": "2", "retry_info": "1.5s"} and plan.rules[0].prob == 0.2
    assert plan.rules[1].seconds == 2.5 and plan.words["blockme"].action == "block_output"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("bogus", "unknown action"),
        ("429@2", "between 0 and 1"),
        ("302", "4xx or 5xx"),
        ("429:colour=red", "bad option"),
        ("slow", "needs one"),
        ("word:=503", "word:WORD=ACTION"),
        ("seed=x", "integer"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(spec, needle):
    with pytest.raises(FaultSpecError, match=needle):
        parse_spec(spec)


def test_rate_decisions_are_seeded_and_reproducible():
    plan = parse_spec("429@0.2,seed=7")

    def run(p):
        return [
            decide(p, key=f"k{i}", occurrence=0, model="m", prompt_words=set()).action for i in range(2000)
        ]

    first = run(plan)
    assert first == run(parse_spec("429@0.2,seed=7")) != run(parse_spec("429@0.2,seed=8"))
    assert 0.16 < first.count("429") / 2000 < 0.24


def test_decision_order_and_slow_adds_up():
    plan = parse_spec("slow=1,slow=0.5,500,word:oops=503")
    d = decide(plan, key="k", occurrence=0, model="m", prompt_words={"oops"}, header="429")
    assert (d.action, d.delay, d.source) == ("429", 1.5, "header0")
    assert decide(plan, key="k", occurrence=0, model="m", prompt_words={"oops"}).action == "503"
    assert decide(plan, key="k", occurrence=0, model="m", prompt_words={"gore"}).action == "block_output"
    assert decide(plan, key="k", occurrence=0, model="m", prompt_words={"nude"}).action == "block_prompt"
    only = parse_spec("503:model=a:first=1")
    assert decide(only, key="k", occurrence=0, model="b", prompt_words=set()).action is None
    assert decide(only, key="k", occurrence=1, model="a", prompt_words=set()).action is None


def test_prompt_words_to_terms():
    t = parse_terms(
        'Three red apples and a silver watch on a white background, golden hour, "SALE", watercolor'
    )
    assert t.background == "white" and t.text == "SALE" and t.style == "watercolor"
    assert [(m.kind, m.color, m.count) for m in t.mentions] == [("apple", "red", 3), ("watch", "silver", 1)]
    assert t.warmth > 0 and "golden hour" in t.tags
    assert parse_terms("a red background with two puppies").mentions[0].color is None
    assert parse_terms("remove the cat").removals == ["cat"]


def test_edit_changes_only_what_is_asked():
    scene = new_scene("two cats and a lamp on a grey background", 11)
    edited = apply_edit(scene, "make the background blue and remove the lamp", random.Random(1))
    assert edited.background == "blue" and edited.counts() == {"cat": 2}
    assert [(o.x, o.y) for o in edited.objects] == [(o.x, o.y) for o in scene.objects if o.kind == "cat"]
    added = apply_edit(scene, "add a dog, cooler", random.Random(1))
    assert added.counts() == {"cat": 2, "lamp": 1, "dog": 1} and added.warmth < 0


def test_a_background_colour_is_not_also_read_as_the_next_objects_colour():
    scene = new_scene("a silver watch on a white background", 1)
    edited = apply_edit(
        scene, "Change the background to blue. Keep the watch exactly as it is.", random.Random(2)
    )
    assert edited.background == "blue"
    assert [o.color for o in edited.objects] == [o.color for o in scene.objects]


def test_rubric_checks_counts_and_colours():
    scene = new_scene("three red apples on a blue background", 3)
    matched, missing = rubric_checks("exactly two red apples on a blue background", scene)
    assert "blue background" in matched and "red apple" in matched and "2 apple" in missing


@pytest.mark.parametrize("with_prompt", [True, False])
def test_the_judge_grades_only_the_rubric_of_the_harness_judge_prompt(with_prompt):
    scene = new_scene("a silver watch on a white background", 1)
    png = encode(render(scene, (64, 64), "photo"), "image/png", scene.to_dict())
    rubric = "A single silver watch\non a pure white background"
    prompt = render_prompt(rubric, 'a red cup, the text "SALE"' if with_prompt else None, "A blue watch.")
    assert rubric_of(prompt) == rubric
    image = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}}
    body = {
        "contents": [{"parts": [image, {"text": prompt}]}],
        "generationConfig": {"responseMimeType": "application/json"},
    }
    verdict = json.loads(answer_text(parse_generate("gemini-2.5-flash", body), get_model("gemini-2.5-flash")))
    assert verdict == {"score": 5, "reason": "matched: white background, watch, silver watch; missing: none"}


def test_a_scene_seen_again_is_what_decoding_reads_and_bad_bytes_fail_each_time():
    scene = new_scene("two red apples on a blue background", 5)
    png = encode(render(scene, (64, 64), "flat"), "image/png", scene.to_dict())
    buf = io.BytesIO()
    render(scene, (64, 64), "flat").save(buf, format="PNG")  # no scene metadata: not an emulator image
    plain = buf.getvalue()
    for data in (png, plain):
        first, again = seen_scene(data), seen_scene(data)
        assert first == again == decode(data)[1] and (first is None or first is not again)
    assert seen_scene(png)["background"] == "blue" and seen_scene(plain) is None
    for _ in range(2):
        with pytest.raises(ApiError):
            seen_scene(png[: len(png) // 2])


def test_a_prompt_without_a_rubric_marker_is_graded_whole():
    assert (
        rubric_of('Grade this: a red cup with the text "SALE".')
        == 'Grade this: a red cup with the text "SALE".'
    )
    assert rubric_of("Please grade.\n  rubric:  a red cup\nScore 1-5.") == "a red cup\nScore 1-5."


def test_fill_schema_follows_pydantic_style_schemas():
    schema = {
        "$defs": {
            "Verdict": {
                "type": "object",
                "properties": {
                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                    "reason": {"type": "string"},
                    "passed": {"type": "boolean"},
                    "missing": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
        "$ref": "#/$defs/Verdict",
    }
    out = fill_schema(schema, {"score": 4, "reason": "ok", "missing": ["cat"]}, schema)
    assert out == {"score": 4, "reason": "ok", "passed": True, "missing": ["cat"]}
    gemini = {
        "type": "OBJECT",
        "properties": {"rating": {"type": "INTEGER"}, "label": {"type": "STRING", "enum": ["good", "bad"]}},
    }
    assert fill_schema(gemini, {"score": 2, "reason": "r"}, gemini) == {"rating": 2, "label": "good"}


def test_model_tables():
    pro, flash31 = get_model("models/gemini-3-pro-image-preview"), get_model("gemini-3.1-flash-image-preview")
    assert pro.pixel_size("16:9", "4K") == (5504, 3072) and pro.pixel_size(None, None) == (1408, 768)
    assert pro.tokens_for("4K") == 2000 and pro.tokens_for("2K") == 1120
    assert flash31.pixel_size("21:9", "512") == (792, 336)
    assert get_model("gemini-2.5-flash-image").pixel_size("5:4", "2K") == (1152, 896)  # 2.5 is 1K only
    with pytest.raises(ValueError, match="aspectRatio '7:3'"):
        pro.pixel_size("7:3", None)
    assert get_model("gemini-9") is None


def test_protocol_accepts_snake_case_and_both_base64_alphabets():
    body = normalize(
        {
            "generation_config": {
                "image_config": {"aspect_ratio": "1:1"},
                "response_json_schema": {"properties": {"my_field": {}}},
            }
        }
    )
    assert body["generationConfig"]["imageConfig"] == {"aspectRatio": "1:1"}
    assert "my_field" in body["generationConfig"]["responseJsonSchema"]["properties"]
    assert b64decode("-_-_SEVMTE8=") == b64decode("+/+/SEVMTE8") == b"\xfb\xff\xbfHELLO"


def test_emulator_refuses_non_loopback_and_cli_reports_bad_specs():
    with pytest.raises(ValueError, match="loopback"):
        Emulator(host="0.0.0.0")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["emulator", "serve", "--port", "0", "--faults", "429@7"])
    with pytest.raises(UsageError, match="between 0 and 1"):
        args.func(args)


def test_url_requires_start():
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.url


@pytest.mark.parametrize(
    ("prompt", "image"),
    [
        ("Tell me a story about an axolotl, no image please.", False),
        ("Explain it without an image", False),
        ("a poster, no images of people", True),
        ("a logo with text only", True),
    ],
)
def test_a_prompt_declining_an_image_gets_text_only_with_default_modalities(prompt, image):
    profile = get_model("gemini-2.5-flash-image")
    body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    parts = generate(parse_generate(profile.name, body), profile, 0)["candidates"][0]["content"]["parts"]
    assert any("inlineData" in p for p in parts) == image and parts[0]["text"]
    asked = {**body, "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}
    parts = generate(parse_generate(profile.name, asked), profile, 0)["candidates"][0]["content"]["parts"]
    assert any("inlineData" in p for p in parts)  # explicit modalities win over the wording


CHARACTER = "A friendly robot mascot wearing a blue hoodie, waving. The scene is {place}. Keep the same face."


def _figure_pixels(image, background):
    """The pixels that are not the background colour (the figure), as a set of (x, y, rgb)."""
    import numpy as np

    arr = np.asarray(image, dtype=np.int16)
    mask = np.abs(arr - np.array(background, dtype=np.int16)).sum(axis=2) > 30
    return mask, arr


def test_a_character_prompt_draws_a_figure_dressed_as_the_prompt_says():
    """Issue 18: a mascot prompt rendered as a plain square; now a figure with a head, face and clothes."""
    scene = new_scene(CHARACTER.format(place="a green park"), 3)
    (figure,) = scene.objects
    assert figure.kind == "figure" and figure.color == "blue" and scene.background == "green"
    assert "robot mascot wearing a blue hoodie" in figure.identity
    image = render(scene, (256, 256), "flat")
    mask, arr = _figure_pixels(image, image.getpixel((2, 2)))
    assert 0.05 < mask.mean() < 0.6  # a figure, not an empty frame nor a filled square
    colours = {tuple(int(c) // 32 for c in px) for px in arr[mask][::7]}
    assert len(colours) >= 4  # clothes, head, eyes, trim: more than one flat colour
    girl = new_scene("A girl with red hair in a yellow dress, running. The scene is a grey street.", 1)
    assert [(o.kind, o.color) for o in girl.objects] == [("figure", "yellow")]


def test_a_character_keeps_its_look_from_its_description_across_scenes():
    """The look comes from the description, not the seed: the same figure on the same spot is the same
    picture; another description is another figure."""
    scenes = [new_scene(CHARACTER.format(place=p), seed) for p, seed in (("a park", 1), ("a beach", 2))]
    assert scenes[0].objects[0].identity == scenes[1].objects[0].identity
    for s in scenes:
        s.background, s.objects[0].x, s.objects[0].y, s.objects[0].size = "grey", 0.5, 0.5, 0.6
    a, b = (render(s, (128, 128), "flat") for s in scenes)
    assert a.tobytes() == b.tobytes()
    other = new_scene("An old wizard wearing a blue robe, waving. The scene is a park.", 1)
    other.background, other.objects[0].x, other.objects[0].y, other.objects[0].size = "grey", 0.5, 0.5, 0.6
    assert other.objects[0].color == "blue" and render(other, (128, 128), "flat").tobytes() != a.tobytes()


def test_role_words_alone_add_no_figure_beside_an_animal():
    cat = new_scene(
        "A black cat wearing a red scarf. Keep the same face in every picture of this character.", 1
    )
    assert [(o.kind, o.color, o.wear) for o in cat.objects] == [("cat", "black", "red")]
    mascot = new_scene("Our company mascot, waving, on a blue background.", 1)
    assert [o.kind for o in mascot.objects] == ["figure"] and mascot.background == "blue"
    matched, missing = rubric_checks("A black cat wearing a red scarf", cat)
    assert "cat wearing red" in matched and not missing


def test_plural_nouns_strip_only_their_own_ending():
    """'books' is books, not a boy (the -ies rule applies to -ies words only)."""
    assert [(m.kind, m.count) for m in parse_terms("two blue books and three puppies").mentions] == [
        ("book", 2),
        ("dog", 3),
    ]


def test_a_picture_book_style_is_not_a_book():
    """The watercolor-storybook preset says "from a children's picture book": that is the kind of picture;
    a book someone reads is still a book."""
    preset = "A gentle watercolor illustration from a children's picture book. An orange cat, looking up."
    assert [o.kind for o in new_scene(preset, 1).objects] == ["cat"]
    assert [m.kind for m in parse_terms("a fox, in a comic book style").mentions] == []
    assert [m.kind for m in parse_terms("a child reading a picture book").mentions] == ["figure", "book"]
    assert [(m.kind, m.count) for m in parse_terms("picture book art: two books").mentions] == [("book", 2)]


def test_a_character_keeps_its_look_beside_other_subjects():
    """A character's identity is its own noun phrase: beside a dog, or doing something else, the girl in
    the red dress is the same girl (her look once took in the dog and what she did)."""
    alone = new_scene("A girl in a red dress, smiling. The scene is a park.", 1).objects[0]
    walking = new_scene("A girl in a red dress walks her dog in a green park", 2)
    reading = new_scene("A girl in a red dress reads a book on a bench", 3)
    girls = [o for s in (walking, reading) for o in s.objects if o.kind == "figure"]
    assert [g.identity for g in girls] == [alone.identity] * 2 == ["a girl in a red dress"] * 2
    (dog,) = [o for o in walking.objects if o.kind == "dog"]
    assert dog.identity == "her dog"
    for o in (alone, *girls):
        o.x, o.y, o.size = 0.5, 0.5, 0.6
    drawn = {render(replace_objects(walking, o), (96, 96), "flat").tobytes() for o in (alone, *girls)}
    assert len(drawn) == 1
    hair = parse_terms("A girl with red hair in a yellow dress and a green hat, running.").mentions[0]
    assert hair.identity == "a girl with red hair in a yellow dress and a green hat"


def replace_objects(scene, obj):
    out = Scene.from_dict({**scene.to_dict(), "objects": [], "background": "grey"})
    out.objects = [obj]
    return out


def test_a_role_word_brings_its_own_figure_beside_an_animal():
    """ "Our mascot ... next to a dog" is two subjects (the mascot was dropped beside any animal); "a cat
    mascot" and "this character" still name no one new."""
    both = new_scene("Our mascot, wearing a blue hoodie, waves next to a dog.", 1)
    assert sorted((o.kind, o.color) for o in both.objects) == [("dog", "brown"), ("figure", "blue")]
    assert [o.kind for o in new_scene("a cat mascot on a white background", 1).objects] == ["cat"]


def _reference(prompt: str, seed: int) -> str:
    scene = new_scene(prompt, seed)
    data = encode(render(scene, (128, 128), "flat"), "image/png", scene.to_dict())
    return base64.b64encode(data).decode()


def test_a_composition_keeps_the_look_of_the_characters_it_is_given():
    """Two references composed: the figure keeps its description and clothes (they were dropped, so
    the character came out as someone else), whether the prompt names it bare or not at all."""
    profile = get_model("gemini-2.5-flash-image")
    girl = new_scene("A girl with red hair in a yellow dress, running.", 4).objects[0]
    refs = [_reference("A girl with red hair in a yellow dress, running.", 4), _reference("a brown dog", 5)]

    def composed(text: str) -> list:
        parts = [{"inlineData": {"mimeType": "image/png", "data": r}} for r in refs] + [{"text": text}]
        body = {"contents": [{"role": "user", "parts": parts}]}
        out = generate(parse_generate(profile.name, body), profile, 0)["candidates"][0]["content"]["parts"]
        data = next(p["inlineData"]["data"] for p in out if "inlineData" in p)
        from harness.emulator.render import read_scene

        return Scene.from_dict(read_scene(b64decode(data))).objects

    for text in ("Put them together on a beach.", "The girl walks the dog on a beach."):
        (figure,) = [o for o in composed(text) if o.kind == "figure"]
        assert (figure.identity, figure.color) == (girl.identity, "yellow"), text
    (redressed,) = [o for o in composed("The girl in a green coat walks the dog.") if o.kind == "figure"]
    assert redressed.color == "green"


STUDIO_WHITE_TAIL = (
    "Pure white seamless background, soft diffused studio light, a soft shadow directly under the object, "
    "the object centred and filling about half of the frame, without text, watermark, logo, props or "
    "reflections of people."
)


@pytest.mark.parametrize(
    "prompt",
    [
        f"A silver watch. {STUDIO_WHITE_TAIL}",
        "A silver watch on a studio white background, without any people",
        "A silver watch on a white background, without any people in the frame at all",
        "A silver watch with no people around it",
        "A silver watch. No people, no dogs, no cats or birds.",
        "A silver watch. Do not show people or animals like a dog.",
        "A silver watch, none of the people from the street",
        "A silver watch in a room free of people and cats",
        "A silver watch, never any children, kids or a bird",
        "A silver watch, zero people",
    ],
)
def test_a_negated_thing_is_not_drawn_however_far_its_negator_is(prompt):
    """Issue: "without text, watermark, logo, props or reflections of people" drew three people (the
    negator was more than four words back); a negation reaches to the end of its clause or list."""
    scene = new_scene(prompt, 1)
    assert scene.counts() == {"watch": 1}
    assert parse_terms(prompt).mentions[0].kind == "watch"


@pytest.mark.parametrize(
    "prompt, counts",
    [
        ("A watch, no people, but a dog", {"watch": 1, "dog": 1}),
        ("A watch without people, and two cats on the left", {"watch": 1, "cat": 2}),
        ("No people and a red ball", {"ball": 1}),
        ("A park without people. Three people sit on a bench.", {"figure": 3}),
        ("No cats except a black cat", {"cat": 1}),
        ("No more than two cats", {"cat": 2}),
        ("Not only a dog, with a cup beside it", {"dog": 1, "cup": 1}),
        ("It's not a dog, it's a cat", {"cat": 1}),
        ("Three cats without collars and a dog", {"cat": 3, "dog": 1}),
        ("A free ball and a lamp", {"ball": 1, "lamp": 1}),
    ],
)
def test_a_positive_mention_after_a_negation_still_counts(prompt, counts):
    assert new_scene(prompt, 1).counts() == counts


def test_negated_role_words_and_colours_add_nothing():
    assert new_scene("A cup, no characters or mascots", 1).counts() == {"cup": 1}
    terms = parse_terms("A cup with no red, on a white background")
    assert terms.background == "white" and "red" not in terms.free_colors
    assert [(m.kind, m.color) for m in terms.mentions] == [("cup", None)]


def test_a_negation_does_not_overwrite_the_look_of_a_creature_named_before():
    girl = parse_terms("A girl in a red dress, smiling, with no other people around").mentions
    assert [(m.kind, m.count, m.identity) for m in girl] == [("figure", 1, "a girl in a red dress")]


def test_an_edit_removes_what_its_verb_lists_and_adds_what_follows():
    scene = new_scene("two cats, a dog and a lamp on a grey background", 11)
    both = apply_edit(scene, "remove the cats and the dog", random.Random(1))
    assert both.counts() == {"lamp": 1}
    swap = apply_edit(scene, "remove the lamp and add a ball", random.Random(1))
    assert swap.counts() == {"cat": 2, "dog": 1, "ball": 1}
    keep = apply_edit(scene, "remove the lamp, keep the dog", random.Random(1))
    assert keep.counts() == {"cat": 2, "dog": 1}
    texted = new_scene('a cup with the text "SALE"', 2)
    assert apply_edit(texted, "keep the text, make it warmer", random.Random(1)).text == "SALE"
    assert apply_edit(texted, "remove the text", random.Random(1)).text is None


def test_the_judge_checks_a_negated_thing_is_absent():
    empty = new_scene("a silver watch on a white background", 1)
    crowded = new_scene("a silver watch and three people on a white background", 1)
    rubric = "A silver watch on a white background, without any people in the frame"
    assert "no figure" in rubric_checks(rubric, empty)[0]
    assert "no figure" in rubric_checks(rubric, crowded)[1]
