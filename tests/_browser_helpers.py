"""A page in a real headless Chromium (Debian's /usr/bin/chromium via Playwright) for the page tests:
skipped where it is not installed, failed without it under CI=true."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1400, "height": 1000}
SIDEWAYS = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def need_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")


@contextlib.contextmanager
def chromium_page(viewport: dict[str, int] | None = WIDE, **context: Any) -> Iterator[Any]:
    """A fresh page (1400 x 1000 unless told; `context`: new_context options), its browser closed after."""
    need_chromium()
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser.new_context(viewport=viewport, **context).new_page()
        finally:
            browser.close()


def assert_fits(page: Any, what: str) -> None:
    """The page as shown now does not scroll sideways."""
    width = page.evaluate(SIDEWAYS)
    assert width[0] <= width[1], f"{what} scrolls sideways: {width}"
