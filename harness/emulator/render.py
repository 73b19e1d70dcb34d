"""Scene -> pixels, in a per-model style, and image bytes with the scene embedded as "harness-scene".

Each model style differs (flat outlines / soft shadows and vignette / film grain and a frame) so a model
A/B shows perceptual drift; prompt styles (watercolor, photo) add texture; lighting is a colour grade.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, PngImagePlugin

from harness.emulator.protocol import ApiError
from harness.emulator.scene import Scene
from harness.emulator.shapes import DRAW, Pen, shade
from harness.emulator.vocab import COLORS

SCENE_KEY = "harness-scene"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
SEEN_SCENES = 1024  # scenes kept by `seen_scene`: small dicts, keyed by a 32-byte digest


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans Bold when installed, else Pillow's scalable default font."""
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def rgb(name: str) -> tuple[int, int, int]:
    return COLORS.get(name, COLORS["grey"])


def nearest_color(value: tuple[float, float, float]) -> str:
    """The named colour closest to an RGB value (for palettes and images without metadata)."""
    return min(COLORS, key=lambda n: sum((a - b) ** 2 for a, b in zip(COLORS[n], value, strict=True)))


def render(scene: Scene, size: tuple[int, int], style: str, grain: bool = True) -> Image.Image:
    """Draw `scene` at `size` (width, height) in a model style; deterministic for (scene, size, style)."""
    w, h = size
    bg = rgb(scene.background)
    img = Image.new("RGB", size, bg)
    if style == "shaded":
        _shadows(img, scene)
    draw = ImageDraw.Draw(img)
    for obj in scene.objects:
        s = obj.size * min(w, h)
        outline = shade(rgb(obj.color), 0.35) if style == "flat" else None
        fill = rgb(obj.color)
        if fill == bg:  # keep an object visible on a background of its own colour
            fill = shade(fill, 0.8) if sum(fill) > 380 else shade(fill, 1.4)
        wear = rgb(obj.wear) if obj.wear else None
        DRAW[obj.kind](Pen(draw, obj.x * w, obj.y * h, s, fill, outline, bg, obj.identity, wear))
    if scene.text:
        draw_text(img, scene.text)
    if style == "grain":
        m = max(2, int(min(w, h) * 0.018))
        draw.rounded_rectangle((m, m, w - m, h - m), radius=m * 2, outline=shade(bg, 0.75), width=m)
    return Image.fromarray(grade(np.asarray(img, dtype=np.float32), scene, style, grain))


def draw_text(img: Image.Image, text: str) -> None:
    """Quoted prompt text, large and dark on a light plate near the bottom, so OCR can read it."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    size = max(10, int(h * 0.11))
    while size > 10:
        f = font(size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
        if right - left <= w * 0.84:
            break
        size = int(size * 0.9)
    f = font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
    tw, th = right - left, bottom - top
    x, y = (w - tw) / 2 - left, h * 0.86 - th / 2 - top
    pad = max(4, size // 4)
    draw.rounded_rectangle(
        (x + left - pad, y + top - pad, x + right + pad, y + bottom + pad), radius=pad, fill=(250, 250, 246)
    )
    draw.text((x, y), text, font=f, fill=(16, 16, 16))


def _shadows(img: Image.Image, scene: Scene) -> None:
    """Soft drop shadows, drawn and blurred at quarter size for speed."""
    w, h = img.size
    small = Image.new("L", (max(1, w // 4), max(1, h // 4)), 0)
    d = ImageDraw.Draw(small)
    sw, sh = small.size
    for obj in scene.objects:
        r = obj.size * min(sw, sh) * 0.45
        cx, cy = obj.x * sw + r * 0.15, obj.y * sh + r * 0.2
        d.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 1.05), fill=120)
    mask = small.filter(ImageFilter.GaussianBlur(max(1, sw / 60))).resize((w, h), Image.Resampling.BILINEAR)
    img.paste(Image.new("RGB", (w, h), shade(rgb(scene.background), 0.45)), (0, 0), mask)


def grade(arr: np.ndarray, scene: Scene, style: str, grain: bool = True) -> np.ndarray:
    """Lighting and texture as arithmetic on the pixels: warmth, brightness, vignette, grain, washes."""
    h, w = arr.shape[:2]
    rng = np.random.default_rng(scene.layout_seed & 0xFFFFFFFF)
    yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    if style == "flat":
        arr *= (1.03 - 0.06 * (yy + 1) / 2)[..., None]
    if (style == "shaded" or scene.style == "photo") and "studio" not in scene.tags:
        # a studio shot is an evenly lit seamless backdrop: no falloff, so "white" stays white
        arr *= (1.0 - 0.14 * np.clip(xx**2 + yy**2 - 0.3, 0, None))[..., None]
    if "golden hour" in scene.tags:
        arr += (np.clip(-yy, 0, 1) * 40)[..., None] * np.array([1.0, 0.55, 0.0], dtype=np.float32)
    if "neon" in scene.tags:
        arr += ((xx + 1) / 2 * 50)[..., None] * np.array([0.9, 0.0, 0.8], dtype=np.float32)
        arr += ((1 - xx) / 2 * 40)[..., None] * np.array([0.0, 0.8, 0.9], dtype=np.float32)
    if scene.style == "watercolor":
        wash = rng.normal(1.0, 0.07, (max(2, h // 48), max(2, w // 48), 3)).astype(np.float32)
        arr *= (
            np.asarray(
                Image.fromarray(((wash - 0.7) * 400).clip(0, 255).astype(np.uint8)).resize(
                    (w, h), Image.Resampling.BICUBIC
                ),
                dtype=np.float32,
            )
            / 400
            + 0.7
        )
    warmth = scene.warmth
    if warmth:
        arr *= np.array([1 + 0.22 * warmth, 1 + 0.04 * warmth, 1 - 0.22 * warmth], dtype=np.float32)
    b = scene.brightness
    if b > 0:
        arr += (255 - arr) * (0.45 * b)
    elif b < 0:
        arr *= 1 + 0.5 * b
    amp = {"flat": 0, "shaded": 3, "grain": 7}.get(style, 0) + (5 if scene.style == "photo" else 0)
    if amp and grain:  # per-pixel noise makes a lossless PNG ~50x larger, so only JPEG models get it
        arr += rng.integers(-amp, amp + 1, size=(h, w, 1), dtype=np.int16).astype(np.float32)
    return arr.clip(0, 255).astype(np.uint8)


def encode(img: Image.Image, mime: str, scene: dict) -> bytes:
    """PNG with a tEXt chunk, or JPEG with a COM segment `{"harness-scene": ...}`; both carry the scene."""
    buf = io.BytesIO()
    payload = json.dumps(scene, separators=(",", ":"))
    if mime == "image/jpeg":
        img.save(
            buf, format="JPEG", quality=88, comment=json.dumps({SCENE_KEY: scene}, separators=(",", ":"))
        )
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text(SCENE_KEY, payload)
        img.save(buf, format="PNG", pnginfo=info, compress_level=1)
    return buf.getvalue()


def read_scene(data: bytes) -> dict | None:
    """The scene an emulator image carries, or None for any other image (or non-image bytes)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return scene_of(im)
    except (OSError, ValueError):
        return None


def scene_of(im: Image.Image) -> dict | None:
    raw = im.info.get(SCENE_KEY)
    try:
        if raw is not None:
            return json.loads(raw)
        comment = im.info.get("comment")
        if comment:
            return json.loads(comment).get(SCENE_KEY)
    except (ValueError, AttributeError):
        return None
    return None


def decode(data: bytes) -> tuple[Image.Image, dict | None]:
    """An input image as RGB plus its scene metadata when it came from the emulator; 400 if unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            scene = scene_of(im)
            return im.convert("RGB"), scene
    except OSError as exc:
        raise ApiError(400, f"Unable to process input image: {exc}") from exc


_seen: OrderedDict[bytes, str] = OrderedDict()
_seen_lock = threading.Lock()


def seen_scene(data: bytes) -> dict | None:
    """The scene `decode` reads from an input image, kept by the bytes' sha256 (the last SEEN_SCENES):
    a judge shown one image many times (in each pair it is part of, in both orders) decodes its pixels
    once. Bytes that do not decode raise as `decode` does, each time; each caller gets its own dict."""
    key = hashlib.sha256(data).digest()
    with _seen_lock:
        known = _seen.get(key)
        if known is not None:
            _seen.move_to_end(key)
    if known is None:
        known = json.dumps(decode(data)[1])
        with _seen_lock:
            _seen[key] = known
            while len(_seen) > SEEN_SCENES:
                _seen.popitem(last=False)
    return json.loads(known)
