"""Accuracy of the pairwise judge on emulator truth, through the real SDK over the harness transport.

    .venv/bin/python bench/pairwise_judge.py

Each labelled pair is two emulator images: one drawn from a full prompt ("a red cup on a white table"),
one from the prompt with its object dropped ("a red thing ..."), its colour swapped ("a blue cup ..."),
or the same prompt (truth: a tie). The pair is judged by harness.scoring.pairwise.judge_pair in both
orders (against the local emulator's scene-based judge), and the verdict is compared with the label.
It measures the harness's side (prompt, both orders, parsing, combining); the emulated judge itself is
deterministic, so this says nothing about a real Gemini judge, whose accuracy needs human labels.
The seconds per judged pair are printed next to one plain generateContent call (the floor).
"""

from __future__ import annotations

import time

from harness.context import RequestContext
from harness.emulator import Emulator
from harness.emulator.images import make_image
from harness.emulator.models import MODELS
from harness.emulator.protocol import parse_generate
from harness.emulator.vocab import OBJECTS
from harness.runner.client import build_client
from harness.scoring.pairwise import PairwiseSettings, Shown, judge_pair
from harness.transport import Mode, TransportSession

SWAP = {"red": "blue", "blue": "red", "green": "purple", "purple": "green", "orange": "black"}
COLOURS = ["red", "blue", "green", "purple", "orange"]
FLOOR_CALLS = 10


def draw(prompt: str) -> Shown:
    body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    req = parse_generate("gemini-2.5-flash-image", body)
    made = make_image(req, MODELS["gemini-2.5-flash-image"], 0)
    return Shown(made.data, made.mime)


def labelled_pairs() -> list[tuple[str, str, Shown, Shown, str]]:
    """(kind, full prompt, image from the full prompt, the other image, truth: "A" or "tie")."""
    out = []
    for n, thing in enumerate(OBJECTS):
        colour = COLOURS[n % len(COLOURS)]
        full = f"a {colour} {thing} on a white table"
        image = draw(full)
        out.append(("object dropped", full, image, draw(f"a {colour} thing on a white table"), "A"))
        out.append(("colour swapped", full, image, draw(f"a {SWAP[colour]} {thing} on a white table"), "A"))
        out.append(("same prompt", full, image, draw(full), "tie"))
    return out


def main() -> None:
    pairs = labelled_pairs()
    settings = PairwiseSettings(model="gemini-2.5-flash")
    with Emulator() as emu, TransportSession(Mode.LIVE, None, suite="bench") as session:
        client = build_client("bench-key", session.http_options(base_url=emu.url))
        client.models.generate_content(model="gemini-2.5-flash", contents="warm up")
        start = time.perf_counter()
        for n in range(FLOOR_CALLS):
            client.models.generate_content(model="gemini-2.5-flash", contents=f"hello {n}")
        floor = (time.perf_counter() - start) / FLOOR_CALLS
        results: dict[str, list[bool]] = {}
        wrong: dict[str, list[str]] = {}
        inconsistent = 0
        start = time.perf_counter()
        for n, (kind, prompt, a, b, truth) in enumerate(pairs):
            ctx = RequestContext("bench", f"pair-{n}", "a|b", 0, 0, "pairwise")
            j = judge_pair(client, a, b, prompt, settings, ctx)
            results.setdefault(kind, []).append(j.winner == truth)
            if j.winner != truth:
                wrong.setdefault(kind, []).append(f"{prompt!r}: {j.winner} ({j.reason[:90]})")
            inconsistent += j.consistent is False
        took = (time.perf_counter() - start) / len(pairs)
    total = [ok for oks in results.values() for ok in oks]
    print(f"{len(pairs)} labelled pairs (emulator images), each judged in both orders through the SDK")
    for kind, oks in results.items():
        print(f"  {kind:16s} accuracy {sum(oks) / len(oks) * 100:5.1f}%  n={len(oks)}")
        for line in wrong.get(kind, [])[:3]:
            print(f"      wrong: {line}")
    print(f"  {'all':16s} accuracy {sum(total) / len(total) * 100:5.1f}%  n={len(total)}")
    print(f"  order-inconsistent {inconsistent}/{len(pairs)}")
    print(f"  {took * 1000:.1f} ms per judged pair (2 requests); floor {floor * 1000:.1f} ms per request; "
          f"ratio {took / 2 / floor:.2f}x a request")  # fmt: skip


if __name__ == "__main__":
    main()
