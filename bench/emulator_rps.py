"""Requests per second the emulator serves for 1K images (sync SDK, several threads), next to a floor:
rendering and encoding the same images in-process with the same thread count. Usage:
    .venv/bin/python bench/emulator_rps.py [--requests 60] [--threads 4]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from google import genai
from google.genai import types

from harness.emulator import Emulator
from harness.emulator.images import make_image
from harness.emulator.models import get_model
from harness.emulator.protocol import parse_generate

MODELS = ("gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gemini-3.1-flash-image")


def prompt(i: int) -> str:
    return f'{i % 5 + 1} red apples and a watch on a blue background, "SALE {i}"'


def via_sdk(url: str, model: str, n: int, threads: int) -> float:
    client = genai.Client(
        api_key="test-key-not-real", http_options=types.HttpOptions(base_url=url, api_version="v1beta")
    )
    config = types.GenerateContentConfig(
        seed=1, image_config=types.ImageConfig(aspect_ratio="1:1", image_size="1K")
    )

    def one(i: int) -> int:
        resp = client.models.generate_content(model=model, contents=prompt(i), config=config)
        return len(resp.parts[-1].inline_data.data)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        assert all(pool.map(one, range(n)))
    return n / (time.perf_counter() - start)


def in_process(model: str, n: int, threads: int) -> float:
    profile = get_model(model)
    assert profile is not None
    body = {"generationConfig": {"seed": 1, "imageConfig": {"aspectRatio": "1:1", "imageSize": "1K"}}}

    def one(i: int) -> int:
        req = parse_generate(model, {**body, "contents": [{"role": "user", "parts": [{"text": prompt(i)}]}]})
        return len(make_image(req, profile, 0).data)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        assert all(pool.map(one, range(n)))
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    print(
        f"{'model':28} {'emulator rps':>13} {'floor rps':>10} {'ratio':>6}   ({args.requests} x 1K, "
        f"{args.threads} threads)"
    )
    with Emulator() as emu:
        for model in MODELS:
            floor = in_process(model, args.requests, args.threads)
            served = via_sdk(emu.url, model, args.requests, args.threads)
            print(f"{model:28} {served:13.1f} {floor:10.1f} {served / floor:6.2f}")


if __name__ == "__main__":
    main()
