"""The diff page in a real headless Chromium (Debian's /usr/bin/chromium via Playwright): rows, images,
filters, sorting, expand; a screenshot lands in the test's tmp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _analysis_helpers import report_runs
from _browser_helpers import assert_fits, browser, chromium_page

from harness.diff import diff_runs
from harness.report import write_diff_html, write_run_html

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module's Chromium (a fixture)


def test_diff_page_in_chromium(tmp_path: Path, browser: Any) -> None:
    a, _ = report_runs(tmp_path)
    page_file = write_diff_html(diff_runs(a, tmp_path / "run-b"), a / "diff.html")
    with chromium_page(browser) as page:
        page.goto(page_file.as_uri())
        visible = "#cases tbody.case:not([hidden])"
        assert page.locator(visible).count() == 9
        assert page.locator("#emulator-banner").is_visible()
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        widths = page.eval_on_selector_all("tbody.case tr.main img", "els => els.map(e => e.naturalWidth)")
        assert len(widths) >= 18 and all(w > 0 for w in widths)

        page.check("#f-bad")
        assert page.locator(visible).count() == 3
        assert page.text_content("#shown") == "3"
        page.uncheck("#f-bad")
        page.fill("#f-text", "chain")
        assert page.locator(visible).count() == 1
        page.fill("#f-text", "")
        page.select_option("#f-style", "studio")
        assert page.locator(visible).count() == 4
        page.select_option("#f-style", "")
        page.select_option("#f-outcome", "blocked_output")
        assert page.locator(visible).count() == 1
        page.select_option("#f-outcome", "")
        page.select_option("#f-scorer", "aspect")  # every case but case-2 and the chain
        assert page.locator(visible).count() == 7
        page.check("#f-bad")
        assert page.locator(visible).count() == 2
        page.uncheck("#f-bad")
        page.select_option("#f-scorer", "")

        first = "#cases tbody.case >> nth=0"
        assert page.get_attribute(first, "data-status") == "regressed"  # regressions first
        page.click("th[data-key=delta]")  # ascending: -100 first
        page.click("th[data-key=delta]")  # descending: the improvement first
        assert page.get_attribute(first, "data-id").endswith("::case-2[]")
        page.click("th[data-key=case]")
        ids = page.eval_on_selector_all("#cases tbody.case", "els => els.map(e => e.dataset.id)")
        assert ids == sorted(ids)

        detail = page.locator("#cases tbody.case >> nth=0").locator("tr.detail")
        assert detail.is_hidden()
        page.locator("#cases tbody.case >> nth=0").locator("button.toggle").click()
        assert detail.is_visible()
        page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
    assert (tmp_path / "diff.png").stat().st_size > 10_000


OVERLAPS = """() => {
  const box = e => e.getBoundingClientRect();
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const bad = [];
  document.querySelectorAll("svg.plot").forEach((svg, n) => {
    const legends = [...svg.querySelectorAll("g.legend")].map(box);
    const marks = [...svg.querySelectorAll("rect.bar, g.pt circle")].map(box).filter(b => b.height > 0);
    legends.forEach(l => marks.forEach(m => { if (hit(l, m)) bad.push("legend over data in plot " + n); }));
    const ticks = [...svg.querySelectorAll("text.tick")].map(box);
    ticks.forEach((a, i) => ticks.slice(i + 1).forEach(b => {
      if (hit(a, b)) bad.push("ticks collide in plot " + n);
    }));
  });
  return bad;
}"""


def test_pages_fit_1400px_and_plots_do_not_overlap(tmp_path: Path, browser: Any) -> None:
    long_reason = "background white covers 100% of the border (min 40%); warmth moved +3.7 from the previous"
    a, b = report_runs(tmp_path, reason=long_reason)  # as long as real scorers' reasons
    pages = [write_run_html(a), write_diff_html(diff_runs(a, b), a / "diff.html")]
    with chromium_page(browser) as page:
        for file in pages:
            page.goto(file.as_uri())
            assert_fits(page, file.name)
            page.eval_on_selector_all("button.toggle", "bs => bs.forEach(b => b.click())")
            assert page.locator("tr.detail:not([hidden])").count() == 9
            assert_fits(page, f"{file.name} with every row open")
            page.goto(file.as_uri())
            assert page.locator("svg.plot").count() >= 3
            assert page.evaluate(OVERLAPS) == []
            assert page.locator("svg.plot text.tick", has_text="100%").count() >= 1
