"""One simple, recognisable shape per object kind, drawn with Pillow at any size."""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable

from PIL import ImageDraw

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]


def shade(rgb: RGB, factor: float) -> RGB:
    """Darker (<1) or lighter (>1) version of a colour."""
    if factor <= 1:
        return (int(rgb[0] * factor), int(rgb[1] * factor), int(rgb[2] * factor))
    f = factor - 1
    return (
        int(rgb[0] + (255 - rgb[0]) * f),
        int(rgb[1] + (255 - rgb[1]) * f),
        int(rgb[2] + (255 - rgb[2]) * f),
    )


class Pen:
    """Draws a shape centred at (cx, cy) with size s, in one fill colour with an optional outline."""

    def __init__(
        self,
        draw: ImageDraw.ImageDraw,
        cx: float,
        cy: float,
        s: float,
        fill: RGB,
        outline: RGB | None,
        bg: RGB,
        identity: str = "",
        wear: RGB | None = None,
    ):
        self.d, self.cx, self.cy, self.s, self.fill, self.bg = draw, cx, cy, s, fill, bg
        self.outline = outline
        self.identity, self.wear = identity, wear
        self.w = max(1, int(s / 40)) if outline else 0

    def box(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        s, cx, cy = self.s, self.cx, self.cy
        return (cx + x0 * s, cy + y0 * s, cx + x1 * s, cy + y1 * s)

    def pts(self, *xy: float) -> list[tuple[float, float]]:
        return [(self.cx + xy[i] * self.s, self.cy + xy[i + 1] * self.s) for i in range(0, len(xy), 2)]

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: RGB | None = None) -> None:
        self.d.ellipse(self.box(x0, y0, x1, y1), fill=fill or self.fill, outline=self.outline, width=self.w)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB | None = None, r: float = 0) -> None:
        self.d.rounded_rectangle(
            self.box(x0, y0, x1, y1),
            radius=r * self.s,
            fill=fill or self.fill,
            outline=self.outline,
            width=self.w,
        )

    def poly(self, *xy: float, fill: RGB | None = None) -> None:
        self.d.polygon(self.pts(*xy), fill=fill or self.fill, outline=self.outline, width=self.w)

    def line(self, *xy: float, fill: RGB, width: float) -> None:
        self.d.line(self.pts(*xy), fill=fill, width=max(1, int(width * self.s)))


def _ball(p: Pen) -> None:
    p.ellipse(-0.45, -0.45, 0.45, 0.45)
    p.ellipse(-0.25, -0.3, -0.08, -0.13, fill=shade(p.fill, 1.5))


def _apple(p: Pen) -> None:
    p.line(0, -0.3, 0.05, -0.48, fill=(110, 70, 30), width=0.06)
    p.ellipse(0.05, -0.5, 0.3, -0.36, fill=(60, 150, 60))
    p.ellipse(-0.45, -0.35, 0.45, 0.45)


def _sun(p: Pen) -> None:
    for k in range(12):
        a = k * math.pi / 6
        c, s = math.cos(a), math.sin(a)
        p.line(0.3 * c, 0.3 * s, 0.5 * c, 0.5 * s, fill=p.fill, width=0.05)
    p.ellipse(-0.3, -0.3, 0.3, 0.3)


def _star(p: Pen) -> None:
    xy: list[float] = []
    for k in range(10):
        r = 0.5 if k % 2 == 0 else 0.2
        a = -math.pi / 2 + k * math.pi / 5
        xy += [r * math.cos(a), r * math.sin(a)]
    p.poly(*xy)


def _heart(p: Pen) -> None:
    p.d.ellipse(p.box(-0.45, -0.4, 0.02, 0.08), fill=p.fill)
    p.d.ellipse(p.box(-0.02, -0.4, 0.45, 0.08), fill=p.fill)
    p.d.polygon(p.pts(-0.43, -0.05, 0.43, -0.05, 0, 0.45), fill=p.fill)


def _moon(p: Pen) -> None:
    p.ellipse(-0.42, -0.42, 0.42, 0.42)
    p.d.ellipse(p.box(-0.2, -0.5, 0.55, 0.3), fill=p.bg)


def _watch(p: Pen) -> None:
    strap = shade(p.fill, 0.45)
    p.rect(-0.16, -0.5, 0.16, 0.5, fill=strap, r=0.04)
    p.ellipse(-0.32, -0.32, 0.32, 0.32)
    p.ellipse(-0.25, -0.25, 0.25, 0.25, fill=(245, 245, 240))
    p.line(0, 0, 0, -0.18, fill=(20, 20, 20), width=0.035)
    p.line(0, 0, 0.13, 0.04, fill=(20, 20, 20), width=0.035)


def _cup(p: Pen) -> None:
    p.d.ellipse(p.box(0.18, -0.2, 0.48, 0.15), outline=shade(p.fill, 0.6), width=max(2, int(p.s * 0.06)))
    p.poly(-0.35, -0.3, 0.3, -0.3, 0.22, 0.4, -0.27, 0.4)
    p.ellipse(-0.35, -0.38, 0.3, -0.22, fill=shade(p.fill, 0.8))


def _bottle(p: Pen) -> None:
    p.rect(-0.2, -0.15, 0.2, 0.5, r=0.06)
    p.rect(-0.08, -0.42, 0.08, -0.12)
    p.rect(-0.1, -0.5, 0.1, -0.4, fill=shade(p.fill, 0.5))
    p.rect(-0.2, 0.05, 0.2, 0.25, fill=(240, 236, 220))


def _box(p: Pen) -> None:
    p.poly(-0.4, -0.2, 0.2, -0.2, 0.4, -0.4, -0.2, -0.4, fill=shade(p.fill, 1.3))
    p.poly(0.2, -0.2, 0.4, -0.4, 0.4, 0.25, 0.2, 0.45, fill=shade(p.fill, 0.7))
    p.rect(-0.4, -0.2, 0.2, 0.45)


def _tree(p: Pen) -> None:
    p.rect(-0.07, 0.15, 0.07, 0.5, fill=(110, 70, 35))
    p.poly(-0.4, 0.2, 0.4, 0.2, 0, -0.5)


def _house(p: Pen) -> None:
    p.rect(-0.38, -0.05, 0.38, 0.45)
    p.poly(-0.48, -0.03, 0.48, -0.03, 0, -0.48, fill=shade(p.fill, 0.6))
    p.rect(-0.09, 0.18, 0.09, 0.45, fill=(90, 60, 35))


def _cat(p: Pen) -> None:
    p.poly(-0.38, -0.1, -0.3, -0.5, -0.05, -0.3)
    p.poly(0.38, -0.1, 0.3, -0.5, 0.05, -0.3)
    p.ellipse(-0.4, -0.35, 0.4, 0.4)
    eye = (30, 30, 30) if sum(p.fill) > 200 else (236, 200, 70)  # a black cat's eyes still show
    p.ellipse(-0.2, -0.05, -0.08, 0.07, fill=eye)
    p.ellipse(0.08, -0.05, 0.2, 0.07, fill=eye)
    if p.wear:
        _scarf(p, 0.26)


def _scarf(p: Pen, y: float) -> None:
    """What an animal wears ("a cat wearing a red scarf"), as a scarf under its head."""
    assert p.wear is not None
    p.rect(-0.3, y, 0.3, y + 0.1, fill=p.wear, r=0.04)
    p.rect(0.08, y + 0.05, 0.2, y + 0.24, fill=shade(p.wear, 0.85), r=0.03)


def _dog(p: Pen) -> None:
    p.ellipse(-0.35, -0.4, 0.35, 0.42)
    p.ellipse(-0.5, -0.35, -0.25, 0.15, fill=shade(p.fill, 0.6))
    p.ellipse(0.25, -0.35, 0.5, 0.15, fill=shade(p.fill, 0.6))
    p.ellipse(-0.08, 0.12, 0.08, 0.24, fill=(25, 25, 25))
    if p.wear:
        _scarf(p, 0.3)


def _car(p: Pen) -> None:
    p.poly(-0.25, -0.05, -0.15, -0.3, 0.2, -0.3, 0.3, -0.05, fill=shade(p.fill, 1.25))
    p.rect(-0.5, -0.07, 0.5, 0.2, r=0.06)
    p.ellipse(-0.37, 0.08, -0.17, 0.28, fill=(25, 25, 25))
    p.ellipse(0.17, 0.08, 0.37, 0.28, fill=(25, 25, 25))


def _shoe(p: Pen) -> None:
    p.poly(-0.45, 0.2, -0.4, -0.25, -0.15, -0.25, 0.05, 0.0, 0.45, 0.08, 0.48, 0.2)
    p.rect(-0.47, 0.18, 0.5, 0.28, fill=(245, 245, 245))


def _phone(p: Pen) -> None:
    p.rect(-0.25, -0.48, 0.25, 0.48, r=0.06)
    p.rect(-0.2, -0.4, 0.2, 0.38, fill=(70, 120, 200), r=0.02)


def _flower(p: Pen) -> None:
    p.line(0, 0.1, 0, 0.5, fill=(60, 140, 60), width=0.05)
    for k in range(6):
        a = k * math.pi / 3
        x, y = 0.2 * math.cos(a), -0.12 + 0.2 * math.sin(a)
        p.ellipse(x - 0.14, y - 0.14, x + 0.14, y + 0.14)
    p.ellipse(-0.1, -0.22, 0.1, -0.02, fill=(250, 210, 40))


def _bird(p: Pen) -> None:
    p.ellipse(-0.4, -0.2, 0.3, 0.3)
    p.ellipse(0.1, -0.35, 0.42, -0.03)
    p.poly(0.4, -0.22, 0.55, -0.16, 0.4, -0.1, fill=(245, 160, 30))
    p.poly(-0.2, 0.0, 0.1, -0.05, -0.1, 0.2, fill=shade(p.fill, 0.7))


def _book(p: Pen) -> None:
    p.rect(-0.35, -0.45, 0.35, 0.45, r=0.02)
    p.rect(-0.35, -0.45, -0.22, 0.45, fill=shade(p.fill, 0.6))
    p.rect(-0.1, -0.3, 0.25, -0.18, fill=(240, 236, 220))


def _lamp(p: Pen) -> None:
    p.line(0, -0.1, 0, 0.4, fill=(80, 80, 80), width=0.05)
    p.rect(-0.25, 0.38, 0.25, 0.48, fill=(80, 80, 80))
    p.poly(-0.15, -0.45, 0.15, -0.45, 0.35, -0.05, -0.35, -0.05)


def _chair(p: Pen) -> None:
    p.rect(-0.3, -0.5, 0.3, -0.38)
    for x in (-0.3, 0.22):
        p.rect(x, -0.5, x + 0.08, 0.5, fill=shade(p.fill, 0.7))
    p.rect(-0.35, 0.0, 0.35, 0.12)


SKIN = [(255, 220, 185), (236, 188, 150), (198, 140, 100), (150, 100, 66), (98, 64, 42)]
HAIR = [(30, 24, 20), (96, 60, 30), (200, 160, 80), (170, 70, 30), (120, 120, 124), (245, 240, 230)]
HAIR_WORDS = {"blonde": 2, "blond": 2, "brunette": 1, "ginger": 3, "redhead": 3}
HAIR_COLORS = {"black": 0, "brown": 1, "yellow": 2, "gold": 2, "red": 3, "orange": 3, "grey": 4, "white": 5}


def _look(identity: str) -> dict[str, int]:
    """Face and hair from the description: a hash picks what the words leave open (same words, same look)."""
    h = hashlib.sha256(identity.encode()).digest()
    words = identity.split()
    hair = next((HAIR_WORDS[w] for w in words if w in HAIR_WORDS), None)
    for a, b in itertools.pairwise(words):
        if b == "hair" and a in HAIR_COLORS:
            hair = HAIR_COLORS[a]
    return {
        "skin": h[0] % len(SKIN),
        "hair": hair if hair is not None else h[1] % len(HAIR),
        "style": h[2] % 4,  # short, long, bun, none
        "head": h[3] % 3,  # round, oval, square
        "glasses": int("glasses" in words or h[4] % 5 == 0),
        "hat": int("hat" in words or "cap" in words),
        "robot": int("robot" in words or "android" in words),
    }


def _figure(p: Pen) -> None:
    """A person, robot or mascot: legs, body and arms in its clothing colour, a head with hair and a face."""
    look = _look(p.identity)
    clothes, dark = p.fill, shade(p.fill, 0.55)
    skin = (196, 200, 206) if look["robot"] else SKIN[look["skin"]]
    hair = HAIR[look["hair"]]
    p.rect(-0.15, 0.26, -0.03, 0.5, fill=dark, r=0.02)
    p.rect(0.03, 0.26, 0.15, 0.5, fill=dark, r=0.02)
    p.rect(-0.3, -0.06, -0.19, 0.24, fill=clothes, r=0.05)
    p.rect(0.19, -0.06, 0.3, 0.24, fill=clothes, r=0.05)
    p.ellipse(-0.3, 0.2, -0.19, 0.3, fill=skin)
    p.ellipse(0.19, 0.2, 0.3, 0.3, fill=skin)
    p.rect(-0.21, -0.1, 0.21, 0.32, fill=clothes, r=0.07)
    if look["robot"]:
        p.line(0, -0.42, 0, -0.5, fill=(90, 90, 96), width=0.02)
        p.ellipse(-0.03, -0.52, 0.03, -0.46, fill=(230, 60, 60))
        p.rect(-0.16, -0.43, 0.16, -0.1, fill=skin, r=0.04)
        p.rect(-0.11, -0.33, -0.03, -0.25, fill=(0, 200, 222))
        p.rect(0.03, -0.33, 0.11, -0.25, fill=(0, 200, 222))
        p.rect(-0.07, -0.19, 0.07, -0.16, fill=(90, 90, 96))
        return
    if look["style"] == 1:  # long hair falls behind the head
        p.rect(-0.18, -0.4, 0.18, -0.04, fill=hair, r=0.06)
    p.rect(-0.05, -0.14, 0.05, -0.07, fill=skin)
    top = -0.44 if look["head"] == 1 else -0.42
    if look["head"] == 2:
        p.rect(-0.15, top, 0.15, -0.12, fill=skin, r=0.05)
    else:
        p.ellipse(-0.15, top, 0.15, -0.12, fill=skin)
    if look["style"] != 3:
        p.d.chord(p.box(-0.16, top - 0.03, 0.16, top + 0.22), 180, 360, fill=hair)
    if look["style"] == 2:
        p.ellipse(-0.07, top - 0.1, 0.07, top + 0.02, fill=hair)
    eye = (30, 30, 36)
    p.ellipse(-0.08, -0.3, -0.04, -0.26, fill=eye)
    p.ellipse(0.04, -0.3, 0.08, -0.26, fill=eye)
    if look["glasses"]:
        for x0 in (-0.11, 0.01):
            p.d.ellipse(p.box(x0, -0.33, x0 + 0.1, -0.23), outline=eye, width=max(1, int(p.s * 0.012)))
    p.d.arc(p.box(-0.06, -0.24, 0.06, -0.17), 20, 160, fill=(150, 50, 50), width=max(1, int(p.s * 0.015)))
    if look["hat"]:
        p.rect(-0.2, top + 0.02, 0.2, top + 0.06, fill=dark, r=0.02)
        p.rect(-0.12, top - 0.08, 0.12, top + 0.04, fill=dark, r=0.02)


DRAW: dict[str, Callable[[Pen], None]] = {
    "ball": _ball,
    "apple": _apple,
    "sun": _sun,
    "star": _star,
    "heart": _heart,
    "moon": _moon,
    "watch": _watch,
    "cup": _cup,
    "bottle": _bottle,
    "box": _box,
    "tree": _tree,
    "house": _house,
    "cat": _cat,
    "dog": _dog,
    "car": _car,
    "shoe": _shoe,
    "phone": _phone,
    "flower": _flower,
    "bird": _bird,
    "book": _book,
    "lamp": _lamp,
    "chair": _chair,
    "figure": _figure,
}
