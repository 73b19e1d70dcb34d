"""Pages in a real headless Chromium (Debian's /usr/bin/chromium via Playwright) for the page tests:
skipped where it is not installed, failed without it under CI=true.

A test module takes the `browser` fixture (one Chromium for the module: a launch costs 1-2 s) and opens a
fresh context per test with `chromium_page(browser)`. While it is open, Playwright's sync API marks its
event loop as running in this thread, so a module's asyncio work (a harness run) goes in fixtures listed
before `browser`, which pytest then sets up first."""

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module's tests, closed after its last."""
    need_chromium()
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextlib.contextmanager
def chromium_page(browser: Any, viewport: dict[str, int] | None = WIDE, **context: Any) -> Iterator[Any]:
    """A page in a fresh context of `browser` (1400 x 1000 unless told; `context`: new_context options),
    closed after: no cookie, storage or download of one test reaches the next."""
    opened = browser.new_context(viewport=viewport, **context)
    try:
        yield opened.new_page()
    finally:
        opened.close()


def assert_fits(page: Any, what: str) -> None:
    """The page as shown now does not scroll sideways."""
    width = page.evaluate(SIDEWAYS)
    assert width[0] <= width[1], f"{what} scrolls sideways: {width}"
