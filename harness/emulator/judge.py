"""Text answers: the judge protocol (image + rubric -> JSON score), image analysis, plain replies.

The judge "sees" an image through its harness-scene metadata and checks the rubric's colours, objects,
counts and quoted text against it: score = round(1 + 4 * satisfied / checked), deterministic. Only the
rubric is graded, not the instructions around it (the harness's prompt quotes `"score"` in a JSON example).
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.emulator.judge_kinds import special_answer
from harness.emulator.models import ModelProfile
from harness.emulator.protocol import GenerateRequest
from harness.emulator.render import decode, nearest_color, seen_scene
from harness.emulator.scene import Scene, parse_terms


def wants_json(req: GenerateRequest) -> bool:
    return (req.response_mime or "").lower() == "application/json" or req.response_schema is not None


_RUBRIC = re.compile(r"^[ \t]*rubric:[ \t]*", re.IGNORECASE | re.MULTILINE)
# The sections harness.scoring.judge.JUDGE_PROMPT puts after its "Rubric:" line.
_AFTER_RUBRIC = (
    "\nThe prompt was: ",
    "\nThe model also answered with this text: ",
    "\nLook at the attached image",
)


def rubric_of(prompt: str) -> str:
    """The rubric of a judge prompt: from its "Rubric:" line to the next section of the harness's prompt.

    Without that marker (another client's wording) the whole prompt is the rubric."""
    marker = _RUBRIC.search(prompt)
    if marker is None:
        return prompt
    rest = prompt[marker.end() :]
    ends = [i for i in (rest.find(section) for section in _AFTER_RUBRIC) if i >= 0]
    return rest[: min(ends)] if ends else rest


def rubric_checks(rubric: str, scene: Scene) -> tuple[list[str], list[str]]:
    """(matched, missing) rubric terms for a scene."""
    terms = parse_terms(rubric)
    counts = scene.counts()
    colors = {scene.background} | {o.color for o in scene.objects} | {o.wear for o in scene.objects if o.wear}
    checks: list[tuple[str, bool]] = []
    if terms.background:
        checks.append((f"{terms.background} background", scene.background == terms.background))
    for m in terms.mentions:
        if m.kind in terms.removals:
            continue
        checks.append((m.kind, m.kind in counts))
        if m.explicit and m.count > 1:
            checks.append((f"{m.count} {m.kind}", counts.get(m.kind, 0) == m.count))
        if m.color:
            checks.append(
                (f"{m.color} {m.kind}", any(o.kind == m.kind and o.color == m.color for o in scene.objects))
            )
    for m in terms.mentions:
        if m.wear and m.kind != "figure":  # a figure's clothing is its colour, checked above
            checks.append(
                (
                    f"{m.kind} wearing {m.wear}",
                    any(o.kind == m.kind and o.wear == m.wear for o in scene.objects),
                )
            )
    for kind in terms.removals:
        checks.append((f"no {kind}", kind not in counts))
    for color in dict.fromkeys(terms.free_colors):
        checks.append((color, color in colors))
    if terms.text:
        checks.append((f'text "{terms.text}"', (scene.text or "").lower() == terms.text.lower()))
    if terms.warmth:
        checks.append(("warm" if terms.warmth > 0 else "cool", scene.warmth * terms.warmth > 0))
    if terms.brightness:
        checks.append(("bright" if terms.brightness > 0 else "dark", scene.brightness * terms.brightness > 0))
    if terms.style:
        checks.append((f"{terms.style} style", scene.style == terms.style))
    return [n for n, ok in checks if ok], [n for n, ok in checks if not ok]


def judge(rubric: str, image: bytes | None) -> dict:
    """{"score": 1..5, "reason": str} for one image against a rubric."""
    if image is None:
        return {"score": 3, "reason": "no image was provided to judge; neutral score"}
    meta = seen_scene(image)
    if not meta:
        return {
            "score": 3,
            "reason": "the image carries no harness-scene metadata, so the emulated judge "
            "cannot see it; neutral score",
        }
    matched, missing = rubric_checks(rubric, Scene.from_dict(meta))
    if not matched and not missing:
        return {"score": 3, "reason": "the rubric names nothing the emulated judge can check; neutral score"}
    score = round(1 + 4 * len(matched) / (len(matched) + len(missing)))
    reason = f"matched: {', '.join(matched) or 'none'}; missing: {', '.join(missing) or 'none'}"
    return {"score": score, "reason": reason, "matched": matched, "missing": missing}


def answer_text(req: GenerateRequest, profile: ModelProfile) -> str:
    """The text of a text-only answer: judge JSON, schema-shaped JSON, image analysis or a plain reply."""
    image = req.latest_image()
    prompt = " ".join(filter(None, [req.system, req.current.text]))
    if wants_json(req):
        special = special_answer(prompt, req.current.images)
        if special is not None:
            return json.dumps(special)
        verdict = judge(rubric_of(prompt), image)
        if req.response_schema:
            return json.dumps(fill_schema(req.response_schema, verdict, req.response_schema))
        return json.dumps({"score": verdict["score"], "reason": verdict["reason"]})
    if image is not None:
        return describe_image(image)
    return f"(emulated {profile.name}) A short answer to: {prompt[:200]}"


def describe_image(data: bytes) -> str:
    """An analysis answer ("What product is shown?") from the scene, or from the pixels when there is none."""
    img, meta = decode(data)
    if meta:
        return f"The image shows {Scene.from_dict(meta).describe()}."
    small = img.resize((8, 8)).getdata()
    mean = tuple(sum(px[i] for px in small) / 64 for i in range(3))
    return f"A {img.width}x{img.height} image, mostly {nearest_color(mean)}; no objects can be identified."


def fill_schema(schema: dict, verdict: dict, root: dict, depth: int = 0) -> Any:
    """A value valid against a JSON schema (or Gemini's OpenAPI subset), filled from the verdict."""
    schema = _resolve(schema, root)
    kind = str(schema.get("type", "object" if "properties" in schema else "string")).lower()
    if isinstance(schema.get("type"), list):
        kind = next((str(t).lower() for t in schema["type"] if str(t).lower() != "null"), "string")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" and depth < 6:
        out = {}
        for name, sub in (schema.get("properties") or {}).items():
            out[name] = _named(name, _resolve(sub, root), verdict) or fill_schema(
                sub, verdict, root, depth + 1
            )
        return out
    if kind in ("integer", "number"):
        lo, hi = schema.get("minimum", 1), schema.get("maximum", 5)
        return max(lo, min(hi, verdict["score"]))
    if kind == "boolean":
        return verdict["score"] >= 3
    if kind == "array":
        return []
    return verdict["reason"]


def _named(name: str, schema: dict, verdict: dict) -> Any:
    key = name.lower()
    kind = str(schema.get("type", "")).lower()
    if key in ("matched", "missing") and kind == "array":
        return verdict.get(key, [])
    if key in ("reason", "reasoning", "rationale", "explanation", "justification") and kind in ("string", ""):
        return verdict["reason"]
    return None


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for piece in ref[2:].split("/"):
            node = node.get(piece, {}) if isinstance(node, dict) else {}
        return _resolve(node, root)
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [o for o in schema[key] if str(o.get("type", "")).lower() != "null"]
            return _resolve(options[0] if options else schema[key][0], root)
    return schema
