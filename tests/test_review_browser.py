"""The review page in a real headless Chromium: mark trials, save the labels file (a download), import it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _analysis_helpers import report_runs
from _browser_helpers import browser, chromium_page

from harness.api.review import import_labels, write_review
from harness.labels import read_labels

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module's Chromium (a fixture)


def test_mark_save_and_import_in_chromium(tmp_path: Path, browser: Any) -> None:
    a, b = report_runs(tmp_path)
    page_file = write_review(a, b, root=tmp_path)
    with chromium_page(browser, viewport=None, accept_downloads=True) as page:
        page.goto(page_file.as_uri())
        assert page.locator("section.trial").count() == 9
        assert page.locator("#emulator-banner").is_visible()
        page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        assert all(
            w > 0
            for w in page.eval_on_selector_all("section.trial img", "els => els.map(e => e.naturalWidth)")
        )
        page.click("#save")  # no reviewer yet: nothing is saved, the page says why
        assert "enter your name" in page.text_content("#message")
        page.fill("#reviewer", "ana@example.com")
        page.check('input[name="verdict-0"][value="fail"]')
        page.select_option('select[name="score-0"]', "2")
        page.check('input[name="preferred-0"][value="b"]')
        page.fill('textarea[name="note-0"]', "the strap colour is wrong")
        page.check('input[name="verdict-2"][value="pass"]')
        assert page.text_content("#labelled") == "2"
        page.reload()  # marks survive a reload (localStorage)
        assert page.is_checked('input[name="verdict-0"][value="fail"]')
        assert page.input_value("#reviewer") == "ana@example.com"
        with page.expect_download() as info:
            page.click("#save")
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert "saved 2 label(s)" in page.text_content("#message")
        page.screenshot(path=str(tmp_path / "review.png"))
    doc = json.loads(saved.read_text())
    assert doc["run_id"] == "run-a" and doc["other_run"] == "run-b" and doc["reviewer"] == "ana@example.com"
    first = doc["labels"][0]
    assert (first["verdict"], first["score"], first["preferred"], first["note"]) == (
        "fail",
        2,
        "b",
        "the strap colour is wrong",
    )
    assert first["other_trial"] == "synthetic::case-0[default-r0]"
    result = import_labels(saved, a)
    assert result.added == 2
    stored = read_labels(a)
    assert [(label.trial_id, label.verdict, label.reviewer) for label in stored] == [
        ("synthetic::case-0[default-r0]", "fail", "ana@example.com"),
        ("synthetic::case-2[default-r0]", "pass", "ana@example.com"),
    ]
    assert all(label.labelled_at.endswith("Z") for label in stored)
