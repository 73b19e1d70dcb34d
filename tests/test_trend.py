"""`harness trend`: stored emulator runs in time order, with pass rate, scorer means, cost and drift, and the
run whose suite file and model changed marked; the page checked in a real Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _browser_helpers import assert_fits, browser, chromium_page

from harness.api import run_suites
from harness.api.trend import trend
from harness.cli import main
from harness.errors import UsageError

__all__ = ["browser"]  # Chromium for the page test (a fixture)
SUITE = """\
suite: tr
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}
cases:
  - id: apple
    prompt: a red apple on a white table
    expect: [{aspect_ratio: "1:1"}, {background: {color: white, min_fraction: 0.4}}]
  - id: cup
    prompt: a blue cup on a white table
    expect: [{aspect_ratio: "1:1"}]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trend")
    suite = root / "tr.yaml"
    texts = [
        SUITE,
        SUITE,  # the same again: no drift, nothing changed
        SUITE.replace("a red apple on a white table", "a red apple on a black table").replace(
            "defaults: {model: gemini-2.5-flash-image", "defaults: {model: gemini-3-pro-image-preview"
        ),
    ]
    for n, text in enumerate(texts, 1):
        suite.write_text(text)
        run_suites([suite], backend="emulator", out=root / "results", run_id=f"r{n}")
    other = root / "other.yaml"
    other.write_text(SUITE.replace("suite: tr", "suite: other"))
    run_suites([other], backend="emulator", out=root / "results", run_id="other-1")
    return root / "results"


def test_trend_in_time_order_with_drift_and_changes(results: Path) -> None:
    t = trend(suite="tr", root=results)
    assert [p.run_id for p in t.points] == ["r1", "r2", "r3"]
    r1, r2, r3 = t.points
    assert r1.pass_rate == r2.pass_rate == 1.0 and r3.pass_rate == 0.5  # the black table fails background
    assert r1.drift is None and r2.drift == 0.0 and r3.drift is not None and r3.drift > 0
    assert r2.changes == [] and r3.changes == [
        "suite tr changed",
        "models gemini-2.5-flash-image -> gemini-3-pro-image-preview",
    ]
    assert r3.scorer_means["background"] < r1.scorer_means["background"]
    assert r3.cost_usd > r1.cost_usd  # the pro model costs more
    assert [p.run_id for p in trend(["r3", "r1"], root=results).points] == ["r1", "r3"]
    assert {p.run_id for p in trend(root=results).points} == {"r1", "r2", "r3", "other-1"}
    with pytest.raises(UsageError, match="no run of suite 'nope'"):
        trend(suite="nope", root=results)


def test_trend_cli_table_and_json(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "trend.json"
    code = main(["trend", "--suite", "tr", "--results", str(results), "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "r3" in text and "suite tr changed" in text
    data = json.loads(out.read_text())
    assert [p["pass_rate"] for p in data["points"]] == [1.0, 1.0, 0.5]


@pytest.mark.browser
def test_trend_page_in_chromium(results: Path, tmp_path: Path, browser: Any) -> None:
    page = tmp_path / "trend.html"
    assert main(["trend", "--suite", "tr", "--results", str(results), "--html", str(page)]) == 0
    with chromium_page(browser) as view:
        view.goto(page.as_uri())
        assert view.locator("#emulator-banner").is_visible()
        assert view.locator("svg.plot").count() >= 4
        assert view.locator("svg.plot line.mark").count() >= 4  # r3 marked on every plot
        assert view.locator("#trend-runs tr.run").count() == 3
        assert view.locator("#trend-runs tr.changed").count() == 1
        assert_fits(view, "the trend page")
