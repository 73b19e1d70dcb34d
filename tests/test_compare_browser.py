"""The compare leaderboard and the diff page's pairwise verdict in a real headless Chromium (the pattern of
test_report_browser.py: skipped without Debian's chromium, failed without it under CI=true)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _browser_helpers import assert_fits, browser, chromium_page
from _pairwise_helpers import Compared, copy_arms

from harness.cli import main

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module's Chromium (a fixture)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, compared_arms: Compared) -> tuple[Path, Path]:
    """The compare page of the shared `compared_arms` (conftest), and a diff page of a copy of its runs,
    whose cassette already holds the judge's answers for these pairs."""
    root = tmp_path_factory.mktemp("compare-browser")
    good, worse, _ = copy_arms((compared_arms.arms, compared_arms.root), root)
    assert compared_arms.code == 0
    diff = root / "diff.html"
    main(
        [
            "diff",
            str(good),
            str(worse),
            "--pairwise",
            "--mode",
            "auto",
            "--backend",
            "emulator",
            "--html",
            str(diff),
        ]
    )
    return compared_arms.html, diff


def test_compare_page_in_chromium(pages: tuple[Path, Path], tmp_path: Path, browser: Any) -> None:
    compare, _ = pages
    with chromium_page(browser) as page:
        page.goto(compare.as_uri())
        assert page.locator("#emulator-banner").is_visible()
        rows = page.eval_on_selector_all("#leaderboard tr.arm-row", "els => els.map(e => e.dataset.arm)")
        assert rows[-1] == "worse" and sorted(rows) == ["good", "twin", "worse"]
        assert page.locator("#ratings-plot g.pt circle").count() == 3
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        widths = page.eval_on_selector_all("#grid img", "els => els.map(e => e.naturalWidth)")
        assert len(widths) == 36 and all(w > 0 for w in widths)
        assert page.locator("#grid tr.case-row").count() == 12
        assert page.locator("#matrix tbody tr").count() == 3
        assert_fits(page, "the compare page")
        page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    assert (tmp_path / "compare.png").stat().st_size > 10_000


def test_diff_page_shows_the_pairwise_verdict(pages: tuple[Path, Path], browser: Any) -> None:
    _, diff = pages
    with chromium_page(browser) as page:
        page.goto(diff.as_uri())
        assert "judge prefers A" in page.text_content("#preference")
        assert page.locator("#pairwise").is_visible()
        assert page.locator(".pref.w-A").count() == 10 and page.locator(".pref.w-tie").count() == 2
        page.check("#f-bad")  # the filters still work; no pass-rate regression here, so nothing left
        assert page.locator("#cases tbody.case:not([hidden])").count() == 0
        assert_fits(page, "the diff page")
