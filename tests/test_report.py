"""The HTML pages without a browser: self-contained, banner, links, rows (behaviour: the browser test)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from _analysis_helpers import report_runs

from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import write_run
from harness.cli import main
from harness.diff import diff_runs
from harness.report import EMULATOR_BANNER, plots, write_diff_html, write_run_html
from harness.report.charts import arm_names


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return report_runs(tmp_path_factory.mktemp("report"))


def _self_contained(html: str) -> None:
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)  # no URL at all
    assert not re.search(r"""(src|href)=["'](?!data:|images/|\.\./)""", html)
    assert "<script src" not in html and "<link " not in html and "@import" not in html
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


def _texts(svg: str, cls: str) -> list[str]:
    return re.findall(rf'<text[^>]*class="{cls}"[^>]*>([^<]*)</text>', svg)


def test_scatter_has_ticks_padding_legend_outside_and_tooltips() -> None:
    svg = plots.scatter_svg(
        "cost vs pass rate",
        {"A: flash": [(0.0, 0.0, "zero-case"), (0.04, 1.0, "full-case")], "B: pro": [(0.417, 1.0, "dear")]},
    )
    ticks = _texts(svg, "tick")
    assert {"0%", "50%", "100%"} <= set(ticks)
    assert {"$0.00", "$0.10", "$0.40"} <= set(ticks) and not any("e-" in t for t in ticks)
    top = float(
        re.search(r'<line x1="\d+" y1="([\d.]+)" x2="\d+" y2="([\d.]+)" class="axis"/>$', svg[:-6])[1]
    )
    floor = plots.H - plots.BOTTOM
    cys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert len(cys) == 3 and all(top + 3 < y < floor - 3 for y in cys)  # 0% and 100% clear of the edges
    legend_bottom = max(
        float(y) + 9 for y in re.findall(r'<g class="legend"><rect x="\d+" y="([\d.]+)"', svg)
    )
    assert legend_bottom <= top  # the legend sits above the plot area
    assert "<title>A: flash: zero-case — pass rate 0%, $0.0000 per trial</title>" in svg
    assert "B: pro: dear" in svg


def test_scatter_merges_coincident_points_into_one_named_dot() -> None:
    svg = plots.scatter_svg("s", {"flash": [(0.0388, 1.0, "one"), (0.0388, 1.0, "two"), (0.2, 0.5, "three")]})
    assert svg.count("<circle") == 2
    assert 'class="count">2</text>' in svg and "flash: one, two — pass rate 100%" in svg


@pytest.mark.parametrize(
    ("values", "lo", "expected"),
    [
        ([0.0, 1.0, 1.0, 1.0], None, ("0–20%", "20–40%", "40–60%", "60–80%", "80–100%")),
        ([1.0, 1.0, 1.0], None, ("0–20%", "20–40%", "40–60%", "60–80%", "80–100%")),
        ([0.73, 0.86, 0.99, 1.37], None, ("0.6–0.8", "0.8–1.0", "1.0–1.2", "1.2–1.4")),
        ([5.0, 6.0, 6.0], None, ("5", "6")),
        ([2.0, 18.0, 12.0], 0, ("0–4", "5–9", "10–14", "15–19")),
        ([1.37, 1.37], None, ("1.37",)),
    ],
)
def test_histogram_bins_follow_the_data(values: list[float], lo: float | None, expected: tuple) -> None:
    bins = plots.choose_bins(values, lo)
    assert bins.labels == expected
    svg = plots.histogram_svg("h", {"A: flash": values, "B: pro": values[:1]}, "mean score", lo=lo)
    labels = [t for t in _texts(svg, "tick") if t in expected]
    assert labels == list(expected)  # every bin labelled once, in order
    assert _texts(svg, "alabel") == ["mean score", "cases"]


@pytest.mark.parametrize("seed", range(25))
def test_histogram_labels_are_never_identical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = 10.0 ** int(rng.integers(-3, 4))
    values = list(rng.normal(rng.uniform(-2, 2), rng.uniform(0.001, 3), rng.integers(1, 30)) * scale)
    if seed % 3 == 0:
        values = [float(round(v)) for v in values]
    bins = plots.choose_bins(values)
    assert len(set(bins.labels)) == len(bins.labels) == len(bins.edges) - 1
    assert all(bins.edges[0] <= v for v in values) and all(v <= bins.edges[-1] for v in values)
    for v in values:  # each value lands in the bin whose edges hold it
        i = bins.index(v)
        assert bins.edges[i] <= v <= bins.edges[i + 1]


def test_histogram_y_axis_counts_in_whole_numbers() -> None:
    svg = plots.histogram_svg("h", {"x": [1.0] * 12}, "case pass rate")
    ticks = _texts(svg, "tick")
    assert "0" in ticks and "15" in ticks and not any(t.endswith(".0") for t in ticks)
    assert "<title>x: 12 case(s) in 80–100%</title>" in svg


def test_arm_names_are_short_and_distinct() -> None:
    assert arm_names("20261121-141943-4b39-demo:flash", "20261121-141943-4b39-demo:pro") == ("flash", "pro")
    assert arm_names("20261121-141943-4b39", "20261122-090000-ab12") == ("141943-4b39", "090000-ab12")
    assert arm_names("run-a", "run-b") == ("run-a", "run-b")
    assert arm_names("20261121-1-x", "20261122-1-x") == ("20261121-1-x", "20261122-1-x")


def test_diff_page_legends_labels_and_numbers(runs: tuple[Path, Path], tmp_path: Path) -> None:
    html = write_diff_html(diff_runs(*runs), tmp_path / "d.html").read_text()
    assert "A: run-a" in html and "B: run-b" in html
    assert "<title>Diff run-a → run-b</title>" in html
    assert not re.search(r">-0\.0+<", html)  # a rounded-away change never reads -0.00
    assert 'class="flip flip-bad">judge pass→fail</li>' in html
    for svg in re.findall(r'<svg class="plot".*?</svg>', html):
        bins = [t for t in _texts(svg, "tick") if "–" in t]
        assert len(bins) == len(set(bins))


def test_diff_page_summarises_each_scorer_and_plots_the_ones_that_moved(tmp_path: Path) -> None:
    steady = {f"a{i}": (1.0, True) for i in range(4)}  # four scorers that never move, first by name
    a = [T(f"c{i}", scores={**steady, "zz": (0.2, False)}, passed=False) for i in range(3)]
    b = [T(f"c{i}", scores={**steady, "zz": (0.9, True)}) for i in range(3)]
    result = diff_runs(write_run(tmp_path, "a", a), write_run(tmp_path, "b", b))
    html = write_diff_html(result, tmp_path / "d.html").read_text()
    card = re.search(r'<div class="card wide" id="scorer-deltas">.*?</div>', html, re.DOTALL)[0]
    assert "zz 0.2 → 0.9" in card and "moved in 3/3" in card and "a0 1 → 1" in card
    titles = re.findall(r'class="ptitle">([^<]*)<', html)
    assert "zz: value per case" in titles  # the scorer that moved is plotted
    assert sum(t.startswith("a") and t.endswith("value per case") for t in titles) == 3


def test_a_text_answer_is_shown_where_an_image_would_be(tmp_path: Path) -> None:
    answer = "The image shows a silver watch on a white background."
    run = write_run(
        tmp_path, "t", [T("what-is-it", image_seed=None, text=answer, scores={"icontains": (1, True)})]
    )
    html = write_run_html(run).read_text()
    assert f'<div class="none answer" title="{answer}">“{answer}”</div>' in html  # in the table
    assert f'<div class="answer">model: {answer}</div>' in html  # and in the expanded row
    assert "no image" not in html.split('<tr class="detail"')[0].split('<tr class="main">')[1]
