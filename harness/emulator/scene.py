"""Prompt words -> a scene description (background, objects, counts, lighting, text, style), and edits.

The scene is what the emulator "means" by an image: it is drawn by render.py and embedded in the image
as JSON, so the emulated judge can check a rubric against it and edits can change one thing at a time.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import asdict, dataclass, field

from harness.emulator.negation import HARD, SOFT, negated
from harness.emulator.protocol import words
from harness.emulator.vocab import (
    BACK_REFERENCES,
    BG_WORDS,
    BRIGHT,
    COLOR_ALIASES,
    COLORS,
    CREATURES,
    DETERMINERS,
    FEATURES,
    GARMENTS,
    NOUN_ALIASES,
    NUMBERS,
    OBJECTS,
    PICTURE_GENRES,
    PLURAL_NOUNS,
    ROLE_WORDS,
    STOP_WORDS,
    STYLE_WORDS,
    STYLES,
    WARM,
    WEAR_PREPOSITIONS,
    WEAR_VERBS,
)

MAX_OBJECTS = 12
GOLDEN_RE = re.compile(r"golden[\s-]+hour", re.IGNORECASE)
QUOTE_RE = re.compile(r"\"([^\"]{1,40})\"|“([^”]{1,40})”")
CLAUSE_RE = re.compile(r"([.,;:!?\n]+)")


def color_name(word: str) -> str | None:
    word = COLOR_ALIASES.get(word, word)
    return word if word in COLORS else None


def noun_kind(word: str) -> tuple[str | None, bool]:
    """(object kind, plural?) for a word such as 'watches' or 'puppies'."""
    if word.endswith("'s"):
        return None, False  # a possessive describes another noun: "a children's book" is a book
    plurals = [(word[:-3] + "y", True)] if word.endswith("ies") else []  # puppies -> puppy, not books -> boy
    plurals += [(word[:-2], True)] if word.endswith("es") else []
    for cand, plural in ((word, False), *plurals, (word[:-1], True)):
        cand = NOUN_ALIASES.get(cand, cand)
        if cand in OBJECTS and (not plural or word.endswith("s")):
            return cand, plural or word in PLURAL_NOUNS
    return None, False


@dataclass
class Mention:
    """An object named in a text: kind, its colour if given, its count, whether the count was explicit."""

    kind: str
    color: str | None
    count: int
    explicit: bool
    identity: str = ""  # a creature's description (its clause of the prompt): the same words, the same look
    wear: str | None = None  # the colour it wears ("wearing a red scarf")


@dataclass
class Terms:
    """What a prompt (or a rubric) asks for, word by word."""

    background: str | None = None
    free_colors: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    removes_text: bool = False  # "remove the text", "no text"
    recolors: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    warmth: float = 0.0
    brightness: float = 0.0
    tags: list[str] = field(default_factory=list)
    style: str | None = None


def parse_terms(text: str) -> Terms:
    """Read colours, objects (with counts), removals, lighting, style and quoted text from prose."""
    terms = Terms()
    quoted = QUOTE_RE.findall(text)
    if quoted:
        terms.text = next(a or b for a, b in quoted).strip()
    tokens, clause_of, breaks = _tokens(GOLDEN_RE.sub(" goldenhour ", QUOTE_RE.sub(" ", text)))
    negative = negated(tokens, breaks, lambda tok: noun_kind(tok)[0] is not None)
    terms.removes_text = any(tok == "text" and negative[i] for i, tok in enumerate(tokens))
    for word, tag in (("goldenhour", "golden hour"), ("neon", "neon"), ("studio", "studio")):
        if word in tokens:
            terms.tags.append(tag)
    if "goldenhour" in tokens:
        terms.warmth += 0.45
    used: set[int] = set()
    styled = style_nouns(tokens, clause_of)
    for i, tok in enumerate(tokens):
        kind, plural = noun_kind(tok) if i not in styled else (None, False)
        if kind:
            mention = _read_mention(terms, tokens, i, kind, plural, used, negative[i])
            if mention and kind in CREATURES:
                _read_identity(mention, tokens, i, clause_of, used)
    roles = [
        i
        for i, tok in enumerate(tokens)
        if tok in ROLE_WORDS and not negative[i] and _names_someone(tokens, i, clause_of)
    ]
    if roles and not any(m.kind == "figure" for m in terms.mentions):
        figure = Mention("figure", None, 1, False)
        _read_identity(figure, tokens, roles[0], clause_of, used)
        terms.mentions.append(figure)
    for i, tok in enumerate(tokens):
        color = color_name(tok)
        if color and i not in used and not negative[i]:  # "no red": not a colour the image shows
            _read_color(terms, tokens, i, color)
        terms.warmth += WARM.get(tok, 0.0)
        terms.brightness += BRIGHT.get(tok, 0.0)
        if tok in STYLES and not terms.style:
            terms.style = STYLES[tok]
    return terms


def _tokens(text: str) -> tuple[list[str], list[int], list[str | None]]:
    """The words of a text, the clause each is in, and the break before each: HARD after a full stop
    (or ; : ! ? a new line), SOFT after a comma, None inside a clause."""
    parts = CLAUSE_RE.split(text)
    tokens: list[str] = []
    clause_of: list[int] = []
    breaks: list[str | None] = []
    pending: str | None = None
    for n, part in enumerate(parts[::2]):
        clause = words(part)
        for k, tok in enumerate(clause):
            tokens.append(tok)
            clause_of.append(n)
            breaks.append(pending if k == 0 else None)
        if clause:
            pending = None
        if 2 * n + 1 < len(parts):
            mark = SOFT if set(parts[2 * n + 1]) <= {","} else HARD
            pending = HARD if HARD in (pending, mark) else mark
    return tokens, clause_of, breaks


def style_nouns(tokens: list[str], clause_of: list[int]) -> set[int]:
    """Where an object noun names a kind of picture, not a subject: the book of "a children's picture book
    illustration" or "in a comic book style" (a style word in its clause); "reading a picture book" is a
    book."""
    found = set()
    for i, tok in enumerate(tokens):
        if i and tokens[i - 1] in PICTURE_GENRES and noun_kind(tok)[0] == "book":
            near = [t for j, t in enumerate(tokens) if clause_of[j] == clause_of[i] and abs(j - i) <= 5]
            if any(t in STYLES or t in STYLE_WORDS for t in near):
                found.add(i)
    return found


def _names_someone(tokens: list[str], i: int, clause_of: list[int]) -> bool:
    """Whether a role word (character, mascot) brings a figure of its own: not "a cat mascot" (the cat is
    the mascot) nor "this character" (one named before)."""
    before = tokens[i - 1] if i and clause_of[i - 1] == clause_of[i] else ""
    if before in BACK_REFERENCES:
        return False
    return not (before and noun_kind(before)[0] in CREATURES)


def _read_mention(
    terms: Terms, tokens: list[str], i: int, kind: str, plural: bool, used: set[int], negative: bool
) -> Mention | None:
    """The mention of an object noun at tokens[i] (its count and colour from the words before it), or
    None when a negation covers it: then it is a removal ("remove the lamp", "without any people")."""
    count, explicit, color = (3 if plural else 1), False, None
    for j in range(i - 1, max(i - 4, -1), -1):
        tok = tokens[j]
        if color_name(tok) and any(t in BG_WORDS for t in tokens[max(j - 3, 0) : j]):
            break  # "the background to blue. Keep the watch": that blue belongs to the background
        if color is None and color_name(tok):
            color = color_name(tok)
            used.add(j)
        elif tok in NUMBERS or tok.isdigit():
            count, explicit = (
                min(int(tok) if tok.isdigit() else NUMBERS[tok], MAX_OBJECTS),
                tok not in ("a", "an"),
            )
            break
        elif tok in STOP_WORDS or tok in BG_WORDS or noun_kind(tok)[0]:
            break
    if negative:
        terms.removals.append(kind)
        return None
    after = tokens[i + 1 : i + 3]
    later = next((color_name(t) for t in after if color_name(t)), None)
    if later and not any(noun_kind(t)[0] for t in after):  # "make the car red"
        idx = i + 1 + next(k for k, t in enumerate(after) if color_name(t))
        used.add(idx)
        terms.recolors[kind] = later
    if color:
        terms.recolors.setdefault(kind, color)
    mention = Mention(kind, color, count, explicit)
    terms.mentions.append(mention)
    return mention


def _read_identity(m: Mention, tokens: list[str], i: int, clause_of: list[int], used: set[int]) -> None:
    """A creature's identity and the colour it wears. The identity is its own noun phrase: from its
    determiner ("a", "her", "two") through what it wears or looks like ("a girl in a red dress", "an old
    man with a white beard"), never a place ("in a green park") nor another subject ("and her dog"), so
    one character described alike in several scenes, alone or beside others, is drawn alike."""
    m.identity = " ".join(tokens[_phrase_start(tokens, i, clause_of) : _phrase_end(tokens, i, clause_of)])
    for j in range(i + 1, min(i + 7, len(tokens))):
        if tokens[j] in WEAR_VERBS or tokens[j] in WEAR_PREPOSITIONS:
            for k in range(j + 1, min(j + 5, len(tokens))):
                color = color_name(tokens[k])
                if color is None:
                    continue
                garment = any(t in GARMENTS for t in tokens[k + 1 : k + 3])
                if tokens[j] in WEAR_VERBS or garment:
                    m.wear = color
                    used.add(k)
                break
            if m.wear:
                break
    if m.kind == "figure" and m.wear and m.color is None:
        m.color = m.wear  # a figure's colour is its clothing


def _phrase_start(tokens: list[str], i: int, clause_of: list[int]) -> int:
    """The first word of the noun phrase of tokens[i]: its determiner, at most four words back in its
    clause, or the word after what ends the phrase before it (a preposition, "and", another noun)."""
    for j in range(i - 1, max(i - 5, -1), -1):
        tok = tokens[j]
        if clause_of[j] != clause_of[i] or tok in STOP_WORDS or tok in GARMENTS or noun_kind(tok)[0]:
            return j + 1
        if tok in DETERMINERS or tok in NUMBERS or tok.isdigit():
            return j
    return max(i - 4, 0)


def _phrase_end(tokens: list[str], i: int, clause_of: list[int]) -> int:
    """One past the last word of the noun phrase of tokens[i]: role words ("robot mascot") and attire or
    looks ("wearing a blue hoodie", "with red hair and a yellow hat") belong to it, nothing else."""
    end = i + 1
    while end < len(tokens) and clause_of[end] == clause_of[i]:
        tok = tokens[end]
        if tok in ROLE_WORDS:
            end += 1
            continue
        if tok not in WEAR_VERBS and tok not in WEAR_PREPOSITIONS and not (tok == "and" and end > i + 1):
            break
        ahead = tokens[end + 1 : end + 6]
        stop = next((k for k, t in enumerate(ahead) if t in GARMENTS or t in FEATURES), None)
        if stop is None or any(noun_kind(t)[0] or t in STOP_WORDS for t in ahead[:stop]):
            break
        end += stop + 2
    return end


def _read_color(terms: Terms, tokens: list[str], i: int, color: str) -> None:
    nearby_after = tokens[i + 1 : i + 3]
    nearby_before = tokens[max(i - 3, 0) : i]
    if any(t in BG_WORDS for t in nearby_after + nearby_before):
        terms.background = terms.background or color
    else:
        terms.free_colors.append(color)


@dataclass
class Obj:
    kind: str
    color: str
    x: float  # centre, fraction of width
    y: float  # centre, fraction of height
    size: float  # fraction of the shorter side
    identity: str = ""  # a creature's description; the renderer derives its face and hair from it
    wear: str | None = None  # the colour an animal wears (a figure's `color` is its clothing)


@dataclass
class Scene:
    """A drawable, JSON-serialisable description of one image."""

    background: str = "grey"
    objects: list[Obj] = field(default_factory=list)
    text: str | None = None
    warmth: float = 0.0
    brightness: float = 0.0
    tags: list[str] = field(default_factory=list)
    style: str | None = None
    palette: list[str] = field(default_factory=list)
    layout_seed: int = 0
    source: str = "generate"
    edits: list[str] = field(default_factory=list)
    prompt: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Scene:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["objects"] = [Obj(**o) for o in data.get("objects", [])]
        return cls(**known)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.objects:
            out[o.kind] = out.get(o.kind, 0) + 1
        return out

    def describe(self) -> str:
        """One sentence naming what is drawn (text answers and analysis read this)."""
        parts = [f"{_count_word(n)} {_plural(k, n)}" for k, n in self.counts().items()]
        what = ", ".join(parts) if parts else "an empty scene"
        extra = f' with the text "{self.text}"' if self.text else ""
        return f"{what} on a {self.background} background{extra}"


def _count_word(n: int) -> str:
    names = ["no", "a", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return names[n] if n < len(names) else str(n)


def _plural(kind: str, n: int) -> str:
    if n == 1:
        return kind
    return kind + ("es" if kind.endswith(("x", "ch", "sh")) else "s")


def new_scene(prompt: str, layout_seed: int, palette: list[str] | None = None) -> Scene:
    """Build a fresh scene from a prompt; objects without a colour take the palette's or their default."""
    terms = parse_terms(prompt)
    rng = random.Random(layout_seed)
    palette = palette or []
    free = [c for c in terms.free_colors]
    background = terms.background or (free.pop(0) if free and not terms.mentions else None)
    background = background or (palette[0] if palette else rng.choice(["beige", "cream", "grey", "white"]))
    items: list[tuple[str, str]] = []
    looks: list[tuple[str, str | None]] = []
    for n, m in enumerate(terms.mentions):
        default = palette[(n + 1) % len(palette)] if palette else default_color(m)
        items.extend([(m.kind, m.color or default)] * m.count)
        looks.extend([(m.identity, None if m.kind == "figure" else m.wear)] * m.count)
    scene = Scene(
        background=background,
        text=terms.text,
        warmth=_clamp(terms.warmth),
        tags=terms.tags,
        brightness=_clamp(terms.brightness),
        style=terms.style,
        palette=palette,
        layout_seed=layout_seed,
        prompt=prompt[:500],
    )
    scene.objects = layout(items[:MAX_OBJECTS], rng, bool(terms.text))
    for obj, (identity, wear) in zip(scene.objects, looks, strict=False):
        obj.identity, obj.wear = identity, wear
    return scene


CLOTHES = ["red", "blue", "green", "yellow", "orange", "purple", "teal", "pink", "navy", "brown"]


def default_color(m: Mention) -> str:
    """A figure described without a colour still dresses the same way every time it is described alike."""
    if m.kind == "figure" and m.identity:
        return CLOTHES[hashlib.sha256(m.identity.encode()).digest()[0] % len(CLOTHES)]
    return OBJECTS[m.kind]


def layout(items: list[tuple[str, str]], rng: random.Random, has_text: bool) -> list[Obj]:
    """Place objects on a jittered grid so they do not overlap; leave the bottom band for text."""
    if not items:
        return []
    cols = max(1, round(len(items) ** 0.5 + 0.49))
    rows = -(-len(items) // cols)
    top, bottom = 0.06, (0.74 if has_text else 0.94)
    cell_w, cell_h = 1.0 / cols, (bottom - top) / rows
    size = min(cell_w, cell_h) * 0.72
    out = []
    for n, (kind, color) in enumerate(items):
        r, c = divmod(n, cols)
        x = (c + 0.5) * cell_w + rng.uniform(-0.12, 0.12) * cell_w
        y = top + (r + 0.5) * cell_h + rng.uniform(-0.12, 0.12) * cell_h
        out.append(Obj(kind, color, round(x, 4), round(y, 4), round(size * rng.uniform(0.9, 1.05), 4)))
    return out


def apply_edit(scene: Scene, instruction: str, rng: random.Random) -> Scene:
    """A copy of `scene` changed only where the instruction says (colour grade, background, objects, text)."""
    terms = parse_terms(instruction)
    out = Scene.from_dict(scene.to_dict())
    out.source, out.prompt = "edit", instruction[:500]
    changes: list[str] = []
    if terms.warmth:
        out.warmth = _clamp(out.warmth + terms.warmth)
        changes.append("warmer" if terms.warmth > 0 else "cooler")
    if terms.brightness:
        out.brightness = _clamp(out.brightness + terms.brightness)
        changes.append("brighter" if terms.brightness > 0 else "darker")
    bg = terms.background or (terms.free_colors[0] if terms.free_colors and not terms.recolors else None)
    if bg and bg != out.background:
        out.background = bg
        changes.append(f"background {bg}")
    if terms.removals:
        out.objects = [o for o in out.objects if o.kind not in terms.removals]
        changes.append("remove " + " ".join(terms.removals))
    for kind, color in terms.recolors.items():
        for o in out.objects:
            if o.kind == kind and o.color != color:
                o.color = color
                changes.append(f"{kind} {color}")
    for m in terms.mentions:
        have = [o for o in out.objects if o.kind == m.kind]
        want = m.count if (m.explicit or not have) else len(have)
        for _ in range(max(0, want - len(have))):
            added = free_slot(out, m.kind, m.color or default_color(m), rng)
            added.identity, added.wear = m.identity, None if m.kind == "figure" else m.wear
            out.objects.append(added)
            changes.append(f"add {m.kind}")
    if terms.text is not None and terms.text != out.text:
        out.text = terms.text
        changes.append("text")
    elif terms.removes_text:
        out.text = None
        changes.append("remove text")
    if terms.style and terms.style != out.style:
        out.style = terms.style
        changes.append(f"style {terms.style}")
    out.tags = sorted(set(out.tags) | set(terms.tags))
    out.edits = [*scene.edits, *changes][-20:]
    return out


def free_slot(scene: Scene, kind: str, color: str, rng: random.Random) -> Obj:
    """A new object where it overlaps least with those already drawn."""
    size = min((o.size for o in scene.objects), default=0.3)
    bottom = 0.74 if scene.text else 0.92
    cands = [(0.15 + 0.7 * i / 4, 0.12 + (bottom - 0.12) * j / 3) for i in range(5) for j in range(4)]
    rng.shuffle(cands)

    def clearance(p: tuple[float, float]) -> float:
        return min((abs(p[0] - o.x) + abs(p[1] - o.y) for o in scene.objects), default=1.0)

    x, y = max(cands, key=clearance)
    return Obj(kind, color, round(x, 4), round(y, 4), round(min(size, 0.3), 4))


def _clamp(v: float) -> float:
    return round(max(-1.0, min(1.0, v)), 3)
