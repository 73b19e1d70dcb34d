"""Rebuild the showcase's input images from the local emulator (procedural drawings with scene metadata).

Run from the repository root: .venv/bin/python suites/images/make_images.py
"""

from __future__ import annotations

from pathlib import Path

from google import genai
from google.genai import types

from harness.emulator import Emulator

IMAGES = {
    "watch.png": "a silver watch on a white background, studio light",
    "ref-orange-sunset.png": "an orange background with a yellow sun, warm golden hour",
    "ref-purple-neon.png": "a purple background with a pink star, neon light",
}


def main() -> None:
    here = Path(__file__).parent
    with Emulator() as emulator:
        client = genai.Client(
            api_key="emulator-no-key",
            http_options=types.HttpOptions(base_url=emulator.url, api_version="v1beta"),
        )
        for name, prompt in IMAGES.items():
            response = client.models.generate_content(
                model="gemini-2.5-flash-image",
                contents=prompt,
                config=types.GenerateContentConfig(
                    response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:1"), seed=1
                ),
            )
            part = next(p for p in response.candidates[0].content.parts if p.inline_data)
            (here / name).write_bytes(part.inline_data.data)
            print(f"wrote {here / name}")


if __name__ == "__main__":
    main()
