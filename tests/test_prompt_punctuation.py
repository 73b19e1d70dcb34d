"""Every shipped template x style preset x set of optional vars reads as sentences: a space after each
full stop, no doubled punctuation, a capital after each sentence end (issue 18: `track.Keep`)."""

from __future__ import annotations

import itertools
import re

import pytest

from harness.errors import SuiteError
from harness.suite.styles import StyleLibrary, join_sentences
from harness.suite.templates import PROJECT_TEMPLATES, available, render, template_variables

DIRS = (PROJECT_TEMPLATES / "prompts",)
STYLES = StyleLibrary([PROJECT_TEMPLATES / "styles"])
VALUES: dict[str, list[object]] = {
    "character": ["an orange cat"],
    "outfit": ["a red scarf"],
    "action": ["running"],
    "place": ["a running track"],
    "title": ["Nimbus", "Nimbus. Out now."],
    "subject": ["a cloud"],
    "color": ["blue"],
    "tagline": ["Out now.", "Out now", "Out now!"],
    "product": ["watch"],
    "surface": ["a desk"],
    "features": ["dial and strap texture"],
    "lighting": ["soft window light"],
    "time_of_day": ["dusk"],
    "mood": ["calm"],
    "objects": [["a bench", "a lamp"]],
}
PROBLEMS = {
    "no space after a sentence end": re.compile(r"[.!?][\"']?[A-Za-z]"),
    "doubled punctuation": re.compile(r"[.!?,;:][\"']?[.,;:]"),
    "space before punctuation": re.compile(r" [.,;:!?]"),
    "double space": re.compile(r"  "),
    "lower case after a sentence end": re.compile(r"[.!?] [\"']?[a-z]"),  # not after a quote: `"Go." in red`
}


def problems(text: str) -> list[str]:
    return [name for name, pattern in PROBLEMS.items() if pattern.search(text)]


def renders(name: str) -> list[str]:
    """The template rendered with every subset of the vars it reads (and every value of each)."""
    names = sorted((template_variables(name, DIRS) or frozenset()) & VALUES.keys())
    out: list[str] = []
    for size in range(len(names) + 1):
        for subset in itertools.combinations(names, size):
            for values in itertools.product(*(VALUES[n] for n in subset)):
                try:
                    out.append(render(name, dict(zip(subset, values, strict=True)), DIRS))
                except SuiteError:
                    continue  # a required variable left out
    return out


@pytest.mark.parametrize("template", available(DIRS))
@pytest.mark.parametrize("style", [None, *STYLES.names()])
def test_every_template_and_preset_reads_as_sentences(template: str, style: str | None) -> None:
    texts = renders(template)
    assert texts, f"{template} rendered with no combination of vars"
    wrap = STYLES.resolve(style).wrap if style else (lambda body: body)
    bad = [(problems(wrap(t)), wrap(t)) for t in texts if problems(wrap(t))]
    assert not bad, bad[:3]


def test_the_issue_examples() -> None:
    character = render("character", {"character": "a runner", "place": "a running track"}, DIRS)
    assert "a running track. Keep the same face" in character
    poster = render("poster", {"title": "Nimbus", "subject": "a cloud", "tagline": "Nimbus. Out now."}, DIRS)
    assert 'reads "Nimbus. Out now." Balanced layout' in poster


def test_join_sentences_treats_a_bare_closing_quote_as_unfinished() -> None:
    assert join_sentences('The title reads "Sale"', "bold") == 'The title reads "Sale". Bold'
    assert join_sentences('It reads "Sale!"', "bold") == 'It reads "Sale!" Bold'


def test_negative_hints_after_a_quoted_sentence_start_a_sentence() -> None:
    style = STYLES.resolve("photo-base")
    assert style.wrap('A sign reading "Open."').endswith('"Open." Without text, watermark or logo.')
    assert style.wrap("A red car.").endswith("A red car, without text, watermark or logo.")
