"""The HTML pages without a browser: self-contained, banner, links, rows (behaviour: the browser test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _analysis_helpers import report_runs

from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import write_run
from harness.cli import main
from harness.diff import diff_runs
from harness.report import EMULATOR_BANNER, write_diff_html, write_run_html


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return report_runs(tmp_path_factory.mktemp("report"))


def _self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<script src" not in html and "<link " not in html
    assert "<style>" in html and "<script>" in html


def test_run_report_default_path_and_contents(runs: tuple[Path, Path]) -> None:
    assert main(["report", str(runs[0])]) == 0
    page = runs[0] / "report.html"
    html = page.read_text()
    _self_contained(html)
    assert EMULATOR_BANNER in html
    assert html.count('<tbody class="case"') == 9
    assert html.count("data:image/jpeg;base64,") >= 9 * 2  # filmstrip + per-repeat detail
    assert 'href="images/' in html  # full-size files by relative path from the run directory
    assert "synthetic: judge=4 at step 0" in html  # score reasons
    assert html.count('<svg class="plot"') >= 2


def test_diff_page(runs: tuple[Path, Path], tmp_path: Path) -> None:
    result = diff_runs(*runs)
    page = write_diff_html(result, tmp_path / "sub" / "diff.html")
    html = page.read_text()
    _self_contained(html)
    assert EMULATOR_BANNER in html and result.verdict in html
    assert html.count('data-bad="1"') == 3  # case-0, case-1, chain
    assert "ok -&gt; blocked_output" in html or "ok -> blocked_output" in html
    hrefs = re.findall(r'href="([^"]+\.png)"', html)
    assert hrefs and all((page.parent / h).resolve().exists() for h in hrefs)
    assert "perceptual drift" in html


def test_no_banner_for_real_backend(tmp_path: Path) -> None:
    run = write_run(tmp_path, "real", [T("c", scores={"judge": (4, True)})], backend="gemini")
    html = write_run_html(run).read_text()
    assert EMULATOR_BANNER not in html


def test_report_unknown_run_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", "nope", "--results", str(tmp_path)]) != 0
    assert "no run 'nope'" in capsys.readouterr().err
