"""Pairwise answers: of two attached images, the one whose scene holds more of what the request asks for.

The request's (and rubric's) colours, objects, counts and quoted text are checked against each image's
harness-scene metadata (the same checks as the 1-5 judge); more matched checks wins, equal is a tie. It
is deterministic and has no position bias, so it is a ground truth the harness's pairwise judge can be
measured against.
"""

from __future__ import annotations

import json
import re

from harness.emulator.judge import rubric_checks
from harness.emulator.protocol import GenerateRequest
from harness.emulator.render import seen_scene
from harness.emulator.scene import Scene

# The wording of harness.scoring.pairwise.PAIRWISE_PROMPT the emulator recognises.
MARKER = "and say which better fulfils it"
_REQUEST = re.compile(r"^The request was: (.*)$", re.MULTILINE)
_RUBRIC = re.compile(r"^Rubric: (.*)$", re.MULTILINE)


def is_pairwise(req: GenerateRequest) -> bool:
    return MARKER in req.current.text and len(req.current.images) >= 2


def asked_for(prompt: str) -> str:
    """The request and rubric lines of a pairwise prompt: what both images are checked against."""
    found = [m.group(1) for pattern in (_REQUEST, _RUBRIC) if (m := pattern.search(prompt))]
    return " ".join(found) if found else prompt


def compare_scenes(asked: str, first: bytes, second: bytes) -> dict:
    """{"winner": "first" | "second" | "tie", "reason": ...} from the two images' scenes."""
    seen = []
    for data in (first, second):
        meta = seen_scene(data)
        seen.append(rubric_checks(asked, Scene.from_dict(meta))[0] if meta else None)
    one, two = seen
    if one is None or two is None:
        return {"winner": "tie", "reason": "an image carries no harness-scene metadata; cannot compare"}
    winner = "tie" if len(one) == len(two) else "first" if len(one) > len(two) else "second"
    reason = f"first matched {len(one)} ({', '.join(one) or 'none'}); second matched {len(two)} "
    reason += f"({', '.join(two) or 'none'})"
    return {"winner": winner, "reason": reason}


def answer_pairwise(req: GenerateRequest) -> str:
    first, second = req.current.images[:2]
    return json.dumps(compare_scenes(asked_for(req.current.text), first, second))
