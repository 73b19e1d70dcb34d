"""The image an emulated model answers: a new scene, an edit of the latest image, or a composition.

Seeds: with `generationConfig.seed` the image depends only on (request, seed); without one it depends on
how many times this exact request was seen, so repeats differ the way real samples do.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from harness.emulator.models import ModelProfile
from harness.emulator.protocol import ApiError, GenerateRequest
from harness.emulator.render import decode, draw_text, encode, grade, nearest_color, render, rgb
from harness.emulator.scene import (
    OBJECTS,
    Obj,
    Scene,
    Terms,
    apply_edit,
    free_slot,
    layout,
    new_scene,
    parse_terms,
)
from harness.emulator.shapes import DRAW, Pen
from harness.emulator.vocab import CREATURES


@dataclass
class MadeImage:
    data: bytes
    mime: str
    scene: Scene
    size: tuple[int, int]


def derive_seed(req: GenerateRequest, occurrence: int) -> int:
    """A 31-bit seed from the request content (not the model) and its seed or repeat count."""
    salt = f"seed:{req.seed}" if req.seed is not None else f"repeat:{occurrence}"
    text = "\n".join(t.text for t in req.turns) + "|" + req.system
    digest = hashlib.sha256(f"{text}|{salt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def make_image(req: GenerateRequest, profile: ModelProfile, occurrence: int) -> MadeImage:
    """Draw the answer to `req`: edit when the conversation carries an image, compose when given several."""
    seed = derive_seed(req, occurrence)
    rng = random.Random(seed)
    instruction = req.current.text
    if req.system:
        instruction = f"{req.system} {instruction}"
    refs = req.current.images
    latest = req.latest_image()
    if len(refs) >= 2:
        return _compose(req, profile, refs, instruction, seed)
    if latest is not None:
        return _edit(req, profile, latest, instruction, seed, rng)
    size = _size(req, profile)
    scene = new_scene(instruction, seed)
    return _finish(scene, size, profile)


def _size(
    req: GenerateRequest, profile: ModelProfile, like: tuple[int, int] | None = None
) -> tuple[int, int]:
    ratio = req.aspect_ratio
    if ratio is None and like is not None:
        ratio = profile.ratio_for(like[0], like[1], req.image_size)
    try:
        return profile.pixel_size(ratio, req.image_size)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc


def _finish(scene: Scene, size: tuple[int, int], profile: ModelProfile) -> MadeImage:
    img = render(scene, size, profile.style, grain=profile.mime != "image/png")
    meta = {**scene.to_dict(), "model": profile.name, "size": list(size)}
    return MadeImage(encode(img, profile.mime, meta), profile.mime, scene, size)


def _edit(
    req: GenerateRequest, profile: ModelProfile, data: bytes, instruction: str, seed: int, rng: random.Random
) -> MadeImage:
    base, meta = decode(data)
    size = _size(req, profile, like=base.size)
    if meta:
        scene = apply_edit(Scene.from_dict(meta), instruction, rng)
        return _finish(scene, size, profile)
    return _edit_external(base, instruction, size, seed, profile)


def _edit_external(
    base: Image.Image, instruction: str, size: tuple[int, int], seed: int, profile: ModelProfile
) -> MadeImage:
    """An image without scene metadata: change its pixels (recolour the background, grade, draw objects)."""
    img = base.resize(size, Image.Resampling.BILINEAR) if base.size != size else base.copy()
    arr = np.asarray(img, dtype=np.float32)
    border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    border_rgb = border.mean(axis=0)
    terms = parse_terms(instruction)
    scene = Scene(
        background=nearest_color(tuple(border_rgb)),
        source="external-edit",
        layout_seed=seed,
        prompt=instruction[:500],
        warmth=terms.warmth,
        brightness=terms.brightness,
        tags=terms.tags,
    )
    if terms.background:
        mask = np.abs(arr - border_rgb).sum(axis=2) < 60
        arr[mask] = rgb(terms.background)
        scene.background = terms.background
        img = Image.fromarray(arr.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed)
    for m in terms.mentions:
        for _ in range(m.count):
            obj = free_slot(scene, m.kind, m.color or OBJECTS[m.kind], rng)
            scene.objects.append(obj)
            DRAW[obj.kind](
                Pen(
                    draw,
                    obj.x * size[0],
                    obj.y * size[1],
                    obj.size * min(size),
                    rgb(obj.color),
                    None,
                    rgb(scene.background),
                )
            )
    if terms.text:
        scene.text = terms.text
        draw_text(img, terms.text)
    out = Image.fromarray(
        grade(np.asarray(img, dtype=np.float32), scene, "none", profile.mime != "image/png")
    )
    meta = {**scene.to_dict(), "model": profile.name, "size": list(size)}
    return MadeImage(encode(out, profile.mime, meta), profile.mime, scene, size)


def _compose(
    req: GenerateRequest, profile: ModelProfile, refs: list[bytes], instruction: str, seed: int
) -> MadeImage:
    """Several reference images: their colours become the palette, their objects the default subject, and
    a creature they show keeps its look (description, clothes) where the prompt names it without one."""
    palette: list[str] = []
    shown: list[Obj] = []
    for data in refs:
        img, meta = decode(data)
        if meta:
            palette.append(meta.get("background", "grey"))
            shown += Scene.from_dict({"objects": meta.get("objects", [])}).objects
        else:
            small = np.asarray(img.resize((16, 16)), dtype=np.float32).reshape(-1, 3)
            palette.append(nearest_color(tuple(small.mean(axis=0))))
    scene = new_scene(instruction, seed, palette=list(dict.fromkeys(palette)))
    if not scene.objects and shown:
        placed = layout([(o.kind, o.color) for o in shown[:12]], random.Random(seed), bool(scene.text))
        for obj, ref in zip(placed, shown, strict=False):
            obj.identity, obj.wear = ref.identity, ref.wear
        scene.objects = placed
    else:
        keep_looks(scene, shown, parse_terms(instruction))
    scene.source = "compose"
    return _finish(scene, _size(req, profile), profile)


def keep_looks(scene: Scene, shown: list[Obj], terms: Terms) -> None:
    """A creature the prompt names bare ("the girl", "the dog") is the one a reference shows: it takes
    that one's description, colour and clothes; one the prompt describes (a colour, clothes) is redrawn."""
    bare = {m.kind for m in terms.mentions if m.kind in CREATURES and m.color is None and m.wear is None}
    pool = [o for o in shown if o.kind in bare]
    for obj in scene.objects:
        ref = next((o for o in pool if o.kind == obj.kind), None)
        if obj.kind in bare and ref is not None:
            pool.remove(ref)
            obj.identity, obj.wear, obj.color = ref.identity, ref.wear, ref.color
