"""Which words of a prompt are negated: "without any people", "no cats or dogs", "remove the lamp".

A negation reaches to the end of its clause, not a fixed number of words, so "without text, watermark,
logo, props or reflections of people" draws no one. A list goes on across commas and "and" while its
items are bare ("text, watermark, logo"); an item with its own article or number ("no people, and a dog
on the left") starts a positive phrase, and "but", "except" or a full stop end the negation outright.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.emulator.vocab import (
    COLOR_ALIASES,
    COLORS,
    DETERMINERS,
    NEGATION_ENDS,
    NEGATORS,
    NOT_NEGATING_AFTER,
    NUMBERS,
    PRONOUNS,
    REMOVE_VERBS,
)

HARD, SOFT = "hard", "soft"  # the break before a word: a full stop (;:!? too) or a comma
ALTERNATIVES = {"or", "nor"}  # "no cats or dogs", "neither a cat nor a dog": still negated
LIST_JOINS = {"and", *ALTERNATIVES}
# What opens a positive phrase after a comma or "and": "no people, a dog", "and two cats", ", with a hat".
POSITIVE_OPENERS = (DETERMINERS | set(NUMBERS) | PRONOUNS | {"with", "plus", "also"}) - {"no"}
# What opens one more object of a removal verb: "remove the cat and the dog" (not "... and add a dog").
OBJECT_OPENERS = DETERMINERS | set(NUMBERS) | {"any", "all", "both", "every", "each", "other"}
IsNoun = Callable[[str], bool]


def negated(tokens: list[str], breaks: list[str | None], is_noun: IsNoun) -> list[bool]:
    """For each token, whether a negator or a removal verb before it in its clause covers it.

    `breaks[i]` is the punctuation between tokens i-1 and i (HARD, SOFT or None); `is_noun(word)` says
    whether a word names something the emulator draws (a removal verb's list may go on with it)."""
    out = [False] * len(tokens)
    for k, tok in enumerate(tokens):
        if _negates(tokens, k):
            for j in _scope(tokens, breaks, k, tok in REMOVE_VERBS, is_noun):
                out[j] = True
    return out


def _negates(tokens: list[str], k: int) -> bool:
    tok, after = tokens[k], tokens[k + 1] if k + 1 < len(tokens) else ""
    if tok == "free":  # "free of people", "free from clutter"; not "a free gift"
        return after in ("of", "from")
    return (tok in NEGATORS or tok in REMOVE_VERBS) and after not in NOT_NEGATING_AFTER


def _scope(tokens: list[str], breaks: list[str | None], k: int, verb: bool, is_noun: IsNoun) -> range:
    """The tokens a negator at k covers: up to the end of its clause or of its list."""
    j = k + 1
    while j < len(tokens) and breaks[j] != HARD and tokens[j] not in NEGATION_ENDS:
        if breaks[j] != SOFT and tokens[j] not in LIST_JOINS:
            j += 1
            continue
        join, start = (tokens[j], j + 1) if tokens[j] in LIST_JOINS else (",", j)  # ", and" is "and"
        if start >= len(tokens) or breaks[start] == HARD or tokens[start] in NEGATION_ENDS:
            break
        if join not in ALTERNATIVES and not _list_goes_on(tokens, breaks, start, verb, is_noun):
            break
        j = start + 1
    return range(k + 1, j)


def _list_goes_on(
    tokens: list[str], breaks: list[str | None], start: int, verb: bool, is_noun: IsNoun
) -> bool:
    """Whether the item at `start` is one more negated thing. After a removal verb an item opens with an
    article, a number, a colour or a noun ("and the dog"); after a negator it is bare ("watermark,
    logo"): its own article or number makes it a positive phrase ("and a dog")."""
    first = tokens[start]
    if verb:
        return first in OBJECT_OPENERS or COLOR_ALIASES.get(first, first) in COLORS or is_noun(first)
    end = start
    while end < len(tokens) and (end == start or breaks[end] is None):
        if tokens[end] in LIST_JOINS or tokens[end] in NEGATION_ENDS:
            break
        end += 1
    return not any(t in POSITIVE_OPENERS for t in tokens[start:end])
