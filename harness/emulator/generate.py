"""generateContent answers, shaped field for field like recorded real responses."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from harness.emulator.faults import Rule
from harness.emulator.images import MadeImage, make_image
from harness.emulator.judge import answer_text
from harness.emulator.models import ModelProfile
from harness.emulator.pairwise import answer_pairwise, is_pairwise
from harness.emulator.protocol import ApiError, GenerateRequest, b64encode

# "..., no image please": with the default modalities a real image model then answers in text only.
DECLINE_IMAGE_RE = re.compile(
    r"\b(?:no|without(?: an?)?) (?:image|picture|illustration)s?(?: please)?\s*(?:[.,!;]|$)", re.I
)
OUTPUT_BLOCK_MESSAGE = (
    "Unable to show the generated image. The image was filtered out because it violated Google's "
    "Generative AI Prohibited Use policy. You will not be charged for blocked images. "
    "Try rephrasing the prompt."
)


def response_id(req: GenerateRequest, occurrence: int) -> str:
    """23 URL-safe characters, like the real responseId; stable for (request, attempt)."""
    digest = hashlib.sha256(f"{req.key}|{occurrence}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:17]).decode().rstrip("=")


def signature(rid: str, index: int, size: int) -> bytes:
    """Opaque deterministic bytes standing in for a thought signature (protobuf-like prefix)."""
    body = hashlib.shake_256(f"{rid}|{index}".encode()).digest(max(size - 4, 4))
    return b"\x12" + size.to_bytes(3, "big") + body


def text_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def prompt_usage(req: GenerateRequest, profile: ModelProfile) -> tuple[int, list[dict]]:
    text = sum(text_tokens(t.text) for t in req.turns if t.text) + (
        text_tokens(req.system) if req.system else 0
    )
    images = sum(len(t.images) for t in req.turns) * profile.input_image_tokens
    details = [{"modality": "TEXT", "tokenCount": text}]
    if images:
        details.append({"modality": "IMAGE", "tokenCount": images})
    return text + images, details


def _thoughts(req: GenerateRequest, profile: ModelProfile) -> int:
    return 80 + int(req.key[:4], 16) % 200 if profile.thinking else 0


def usage(
    req: GenerateRequest, profile: ModelProfile, text: str = "", image_tokens: int = 0, thoughts: bool = True
) -> dict:
    prompt, prompt_details = prompt_usage(req, profile)
    out: dict[str, Any] = {}
    if text or image_tokens:
        out["candidatesTokenCount"] = (text_tokens(text) if text else 0) + image_tokens
    if image_tokens:  # the Gemini API itemises only IMAGE output; text tokens count in the total alone
        out["candidatesTokensDetails"] = [{"modality": "IMAGE", "tokenCount": image_tokens}]
    out["promptTokenCount"] = prompt
    out["promptTokensDetails"] = prompt_details
    thought = _thoughts(req, profile) if thoughts else 0
    if thought:
        out["thoughtsTokenCount"] = thought
    out["totalTokenCount"] = prompt + out.get("candidatesTokenCount", 0) + thought
    return out


def _envelope(profile: ModelProfile, rid: str, body: dict, use: dict) -> dict:
    return {**body, "modelVersion": profile.name, "responseId": rid, "usageMetadata": use}


def blocked(req: GenerateRequest, profile: ModelProfile, rule: Rule, rid: str) -> dict:
    """The 200 answers that carry no image: prompt block, output block, NO_IMAGE."""
    if rule.action == "block_prompt":
        feedback = {"blockReason": rule.opts.get("reason", "PROHIBITED_CONTENT")}
        return _envelope(profile, rid, {"promptFeedback": feedback}, usage(req, profile, thoughts=False))
    if rule.action == "block_output":
        cand = {
            "finishReason": rule.opts.get("reason", "IMAGE_SAFETY"),
            "finishMessage": OUTPUT_BLOCK_MESSAGE,
            "index": 0,
        }
        return _envelope(profile, rid, {"candidates": [cand]}, usage(req, profile))
    cand = {"content": {}, "finishReason": rule.opts.get("reason", "NO_IMAGE"), "index": 0}
    return _envelope(profile, rid, {"candidates": [cand]}, usage(req, profile))


def generate(req: GenerateRequest, profile: ModelProfile, occurrence: int) -> dict:
    """The full generateContent response for a request that is not faulted."""
    rid = response_id(req, occurrence)
    modalities = req.modalities or (
        ["TEXT", "IMAGE"]
        if profile.kind == "image" and not DECLINE_IMAGE_RE.search(req.current.text)
        else ["TEXT"]
    )
    image_wanted = "IMAGE" in modalities
    if image_wanted and profile.kind != "image":
        raise ApiError(400, f"Model {profile.name} does not support the requested response modalities: image")
    parts: list[dict] = []
    if req.include_thoughts and profile.thinking:
        parts.append(
            {"text": "**Composing the answer**\n\nI'm reading the request and planning it.", "thought": True}
        )
    made: MadeImage | None = make_image(req, profile, occurrence) if image_wanted else None
    text = ""
    if "TEXT" in modalities or not image_wanted:
        if made:
            text = _caption(made)
        else:
            text = answer_pairwise(req) if is_pairwise(req) else answer_text(req, profile)
        parts.append({"text": text})
    if made:
        parts.append({"inlineData": {"mimeType": made.mime, "data": b64encode(made.data)}})
    _sign(parts, profile, rid)
    use = usage(req, profile, text, profile.tokens_for(req.image_size) if made else 0)
    cand = {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}
    return _envelope(profile, rid, {"candidates": [cand]}, use)


def _caption(made: MadeImage) -> str:
    scene = made.scene
    if scene.source == "edit" and scene.edits:
        return f"Here is the edited image ({', '.join(scene.edits[-3:])}): {scene.describe()}."
    return f"Here is an image of {scene.describe()}."


def _sign(parts: list[dict], profile: ModelProfile, rid: str) -> None:
    """Gemini 3 models sign the first text part and every image part (thought parts are not signed)."""
    text_size, image_size = profile.signature_bytes
    signed_text = False
    for i, part in enumerate(parts):
        if part.get("thought"):
            continue
        if "inlineData" in part and image_size:
            part["thoughtSignature"] = b64encode(signature(rid, i, image_size))
        elif "text" in part and text_size and not signed_text:
            part["thoughtSignature"] = b64encode(signature(rid, i, text_size))
            signed_text = True


def stream_events(full: dict) -> list[dict]:
    """Split a response into SSE events: one per part (images whole), then a final finishReason chunk."""
    cands = full.get("candidates")
    head = {k: full[k] for k in ("modelVersion", "responseId") if k in full}
    if not cands or "parts" not in cands[0].get("content", {}):
        return [full]
    prompt_only = {k: v for k, v in full["usageMetadata"].items() if k.startswith("prompt")}
    events = []
    for part in cands[0]["content"]["parts"]:
        cand = {"content": {"parts": [part], "role": "model"}, "index": 0}
        events.append({"candidates": [cand], **head, "usageMetadata": prompt_only})
    final = {
        "content": {"parts": [{"text": ""}], "role": "model"},
        "finishReason": cands[0]["finishReason"],
        "index": 0,
    }
    events.append({"candidates": [final], **head, "usageMetadata": full["usageMetadata"]})
    return events
