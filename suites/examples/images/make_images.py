"""Rebuild the example input images: `python suites/examples/images/make_images.py`.

bottle.png also carries a "harness-scene" PNG text chunk saying what it shows (a green bottle): the
metadata the emulator writes into its own images, so the emulator can "see" it; real models ignore it.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw, PngImagePlugin

HERE = Path(__file__).resolve().parent


def save(img: Image.Image, name: str, scene: dict | None) -> None:
    info = PngImagePlugin.PngInfo()
    if scene is not None:
        info.add_text("harness-scene", json.dumps({"prompt": "", "source": "input", **scene}))
    img.save(HERE / name, pnginfo=info, optimize=True)


def watch() -> None:
    im = Image.new("RGB", (256, 256), (250, 250, 250))
    d = ImageDraw.Draw(im)
    d.rectangle([108, 20, 148, 236], fill=(30, 30, 34))
    d.ellipse([78, 78, 178, 178], fill=(192, 194, 198), outline=(90, 90, 96), width=4)
    d.ellipse([92, 92, 164, 164], fill=(245, 245, 240))
    d.line([128, 128, 128, 100], fill=(20, 20, 20), width=3)
    d.line([128, 128, 150, 128], fill=(20, 20, 20), width=3)
    save(im, "watch.png", None)  # plain pixels: edits of it are judged on the pixels alone


def bottle() -> None:
    im = Image.new("RGB", (256, 256), (250, 250, 250))
    d = ImageDraw.Draw(im)
    d.rectangle([104, 40, 152, 70], fill=(40, 120, 60))
    d.rounded_rectangle([84, 70, 172, 232], radius=18, fill=(46, 160, 72))
    bottle = {"kind": "bottle", "color": "green", "x": 0.5, "y": 0.55, "size": 0.7}
    save(im, "bottle.png", {"background": "white", "style": "photo", "objects": [bottle]})


def brand_palette() -> None:
    im = Image.new("RGB", (256, 128), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for i, c in enumerate([(24, 38, 100), (0, 128, 128), (242, 140, 28), (250, 242, 216)]):
        d.rectangle([i * 64, 0, i * 64 + 63, 127], fill=c)
    save(im, "brand-palette.png", None)


if __name__ == "__main__":
    watch()
    bottle()
    brand_palette()
