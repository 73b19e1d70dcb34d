"""The words the emulator understands: colours, object nouns, counts, lighting, styles."""

from __future__ import annotations

COLORS: dict[str, tuple[int, int, int]] = {
    "white": (250, 250, 250),
    "black": (18, 18, 20),
    "red": (210, 38, 38),
    "blue": (40, 90, 205),
    "green": (46, 160, 72),
    "yellow": (246, 212, 44),
    "orange": (242, 140, 28),
    "purple": (128, 58, 172),
    "pink": (242, 150, 192),
    "grey": (128, 128, 128),
    "beige": (226, 211, 178),
    "brown": (128, 82, 44),
    "navy": (24, 38, 100),
    "teal": (0, 128, 128),
    "silver": (192, 194, 198),
    "gold": (212, 175, 55),
    "cyan": (0, 200, 222),
    "magenta": (218, 0, 160),
    "cream": (250, 242, 216),
}
COLOR_ALIASES = {"gray": "grey", "violet": "purple", "golden": "gold", "turquoise": "teal"}
# kind -> default colour; the renderer has one shape per kind.
OBJECTS: dict[str, str] = {
    "watch": "silver",
    "cup": "white",
    "bottle": "green",
    "ball": "orange",
    "box": "brown",
    "tree": "green",
    "house": "red",
    "cat": "orange",
    "dog": "brown",
    "sun": "yellow",
    "star": "gold",
    "car": "blue",
    "shoe": "red",
    "phone": "black",
    "apple": "red",
    "flower": "pink",
    "bird": "blue",
    "book": "purple",
    "lamp": "yellow",
    "heart": "red",
    "moon": "cream",
    "chair": "brown",
    "figure": "blue",  # a person, robot or mascot: head, body, face; its colour is its clothing
}
# Nouns drawn as a figure. "character" and "mascot" are ROLE_WORDS: they name the figure only when the
# prompt names no other creature ("a cat mascot" is a cat; "keep this character the same" adds no one).
FIGURE_WORDS = {
    "person", "man", "woman", "girl", "boy", "child", "kid", "toddler", "robot", "astronaut", "knight",
    "wizard", "witch", "princess", "prince", "king", "queen", "pirate", "chef", "doctor", "nurse",
    "student", "explorer", "detective", "superhero", "alien", "ninja", "farmer", "teacher", "elf",
    "fairy", "runner", "athlete", "dancer", "musician", "baker", "firefighter", "scientist",
    "adventurer", "warrior", "sailor", "cowboy", "clown", "monster", "grandmother", "grandfather",
    "lady", "gentleman", "people", "men", "women", "children", "kids",
}  # fmt: skip
ROLE_WORDS = {"character", "mascot"}
CREATURES = {"figure", "cat", "dog", "bird"}  # kinds that can wear clothes and keep an identity
PLURAL_NOUNS = {"puppies", "people", "men", "women", "children", "kids"}
WEAR_VERBS = {"wearing", "wears", "dressed", "clad"}  # "wearing red", "dressed in a blue coat"
WEAR_PREPOSITIONS = {"in", "with"}  # need a garment after the colour: "in a red dress", not "in a green park"
GARMENTS = {
    "dress", "shirt", "t-shirt", "hoodie", "jacket", "coat", "scarf", "hat", "sweater", "jumper", "suit",
    "uniform", "cape", "cloak", "robe", "overalls", "vest", "raincoat", "apron", "armor", "armour",
    "spacesuit", "kimono", "tunic", "skirt", "jeans", "top", "cap", "helmet", "boots", "gown", "pyjamas",
    "bandana", "bow", "tie", "collar", "outfit", "clothes", "sweatshirt", "cardigan", "trousers", "shorts",
}  # fmt: skip
# What a creature looks like, besides its clothes: "with red hair", "with a long white beard".
FEATURES = {
    "hair", "beard", "moustache", "mustache", "glasses", "eyes", "freckles", "ears", "tail", "fur", "spots",
    "stripes", "wings", "whiskers", "curls", "braids", "ponytail", "smile", "backpack", "umbrella",
}  # fmt: skip
DETERMINERS = {
    "a", "an", "the", "this", "that", "these", "those", "her", "his", "their", "our", "my", "your", "its",
}  # fmt: skip
BACK_REFERENCES = {"this", "that", "these", "those", "the", "same"}  # "keep this character": one named before
# "a picture book illustration", "in a comic book style": the book names a kind of picture, not a subject.
PICTURE_GENRES = {"picture", "comic", "story", "colouring", "coloring", "children's"}
STYLE_WORDS = {
    "style", "illustration", "illustrations", "illustrated", "art", "artwork", "aesthetic", "drawing",
}  # fmt: skip
NOUN_ALIASES = {
    "mug": "cup",
    "sneaker": "shoe",
    "smartphone": "phone",
    "kitten": "cat",
    "puppy": "dog",
    "automobile": "car",
    "wristwatch": "watch",
    "vase": "bottle",
    "tulip": "flower",
    "rose": "flower",
    "puppies": "dog",
    **{word: "figure" for word in FIGURE_WORDS},
}
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "pair": 2,
    "couple": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "several": 3,
    "few": 3,
    "dozen": 12,
}
BG_WORDS = {"background", "backdrop", "wall", "surface", "sky", "backgrounds", "seamless", "scene", "it"}
STYLES = {
    "watercolor": "watercolor",
    "watercolour": "watercolor",
    "painting": "watercolor",
    "flat": "flat",
    "vector": "flat",
    "minimal": "flat",
    "minimalist": "flat",
    "illustration": "flat",
    "photo": "photo",
    "photograph": "photo",
    "photorealistic": "photo",
    "realistic": "photo",
    "photography": "photo",
}
WARM = {
    "warm": 0.3,
    "warmer": 0.35,
    "cozy": 0.2,
    "sunset": 0.4,
    "cool": -0.3,
    "cooler": -0.35,
    "cold": -0.3,
    "colder": -0.35,
    "icy": -0.4,
}
BRIGHT = {
    "bright": 0.25,
    "brighter": 0.3,
    "sunny": 0.2,
    "lighter": 0.3,
    "brighten": 0.3,
    "dark": -0.35,
    "darker": -0.3,
    "night": -0.4,
    "moody": -0.25,
    "dim": -0.3,
    "dimmer": -0.3,
    "darken": -0.3,
}
REMOVE_VERBS = {"remove", "delete", "erase", "drop"}  # an edit's removal: "remove the lamp and the cat"
# Words that negate what follows them to the end of their clause (negation.py): "without any people",
# "with no text", "do not show a dog", "none of the cats", "free of people" ("free" only before of/from).
NEGATORS = {
    "without", "no", "not", "never", "none", "nor", "neither", "zero", "free", "don't", "doesn't",
    "didn't", "won't", "mustn't", "shouldn't", "cannot", "can't", "avoid", "avoiding", "exclude",
    "excluding", "omit", "omitting",
}  # fmt: skip
NOT_NEGATING_AFTER = {"more", "less", "fewer", "longer", "matter", "doubt", "only", "just", "merely"}
NEGATION_ENDS = {"but", "except", "instead", "only", "yet", "although", "though", "while", "whereas"}
PRONOUNS = {"it", "it's", "they", "there", "there's", "he", "she", "we", "i", "you"}
STOP_WORDS = {
    "with",
    "on",
    "in",
    "and",
    "of",
    "next",
    "beside",
    "behind",
    "to",
    "at",
    "under",
    "over",
    "near",
    "by",
    "from",
    "is",
    "are",
    "against",
}
