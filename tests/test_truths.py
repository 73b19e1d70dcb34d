"""What a user sees must be true (issue 18): one verdict on progress lines, `latest` never an empty run,
labelled histograms without 1.02e+03, flips named for every regressed case, a banner on partial runs,
validate warnings on one stream."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from harness.analysis.numbers import significant
from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import write_run
from harness.api import run_suites
from harness.diff import diff_runs
from harness.diff.cli import short_flips
from harness.errors import HarnessError
from harness.report.charts import value_label
from harness.report.html import write_diff_html, write_run_html
from harness.runner.progress import PlainProgress
from harness.store import resolve_run

GROUP = """\
suite: grp
defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}
cases:
  - id: park
    prompt: a red ball in a park
    group: g
    expect: [{consistent: {over: group, metric: colorhash, max_distance: 0}}]
  - id: beach
    prompt: a blue car on a yellow beach
    group: g
    expect: [{consistent: {over: group, metric: colorhash, max_distance: 0}}]
"""


def test_a_group_members_line_is_provisional_and_its_final_verdict_follows(tmp_path: Path) -> None:
    """Issue 18: the line said "pass" for a group member the summary then listed as failing."""
    suite = tmp_path / "grp.yaml"
    suite.write_text(GROUP)
    out = io.StringIO()
    run_suites([suite], backend="emulator", out=tmp_path / "r", progress=PlainProgress(out))
    lines = out.getvalue().splitlines()
    first = [line for line in lines if line.startswith("[")]
    final = [line for line in lines if line.strip().startswith("final")]
    assert len(first) == 2 and all("pass? " in line and "provisional" in line for line in first)
    assert len(final) == 2 and all(" FAIL " in line and "provisional" not in line for line in final)


def test_latest_skips_a_run_folder_that_holds_no_trials(tmp_path: Path) -> None:
    good = write_run(tmp_path, "20250101-000000-aaaa", [T("c")])
    empty = tmp_path / "20250102-000000-bbbb"  # a run that failed to start: a manifest and nothing else
    empty.mkdir()
    (empty / "manifest.json").write_text((good / "manifest.json").read_text())
    assert resolve_run("latest", tmp_path) == good
    (good / "trials.jsonl").write_text("")
    try:
        resolve_run("latest", tmp_path)
    except HarnessError as exc:
        assert "2 run folder(s) there hold no trials" in str(exc)
    else:
        raise AssertionError("an empty results folder must not resolve")


def test_histograms_say_what_they_plot_and_numbers_never_go_scientific(tmp_path: Path) -> None:
    specs = [
        T(f"c{i}", scores={"aspect_ratio": (1.5, True), "dimensions": (1024.0 * 1024, True)})
        for i in range(3)
    ]
    html = write_run_html(write_run(tmp_path, "r", specs)).read_text()
    titles = re.findall(r'class="ptitle">([^<]*)<', html)
    assert "aspect_ratio: width / height per case" in titles
    assert "mean score" not in html and not re.search(r"\d\.\d+e[+-]\d", html)
    assert "1048576" in html
    assert value_label("preserved.phash") == "phash distance (bits of 64)"
    assert value_label("preserved.ssim").startswith("SSIM")
    assert [significant(v) for v in (1024.0, 1.0243, 0.000123)] == ["1024", "1.02", "0.000123"]


def test_a_case_that_regressed_over_repeats_names_the_checks_that_fell(tmp_path: Path) -> None:
    """Issue 18: 3/3 -> 2/3 is a regression, but no scorer crossed 50%, so the flips column was empty."""
    a = [T("c", repeat=r, scores={"ssim": (0.9, True)}) for r in range(3)]
    b = [T("c", repeat=r, passed=r != 2, scores={"ssim": (0.9, r != 2)}) for r in range(3)]
    result = diff_runs(write_run(tmp_path, "a", a), write_run(tmp_path, "b", b))
    row = result.comparison.cases.iloc[0]
    assert row["status"] == "regressed" and row["flips"] == "ssim 100%->67%"
    assert short_flips(row["flips"], 0, 0) == "ssim 100%→67%"
    html = write_diff_html(result, tmp_path / "d.html").read_text()
    assert '<li class="flip flip-bad">ssim 100%→67%</li>' in html


def test_a_partial_run_gets_a_banner_as_visible_as_the_emulators(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", [T("c")], backend="emulator", procedural_images=True)
    assert 'id="status-banner"' not in write_run_html(run).read_text()
    manifest = json.loads((run / "manifest.json").read_text())
    for status in ("interrupted", "running"):  # and any status #11 adds (killed, budget_exhausted)
        manifest.update(status=status, totals={"trials": 1, "planned": 4})
        (run / "manifest.json").write_text(json.dumps(manifest))
        html = write_run_html(run).read_text()
        banner = re.search(r'<div class="banner partial" id="status-banner">([^<]*)</div>', html)
        assert banner and f"is {status.replace('_', ' ')} and partial: 1 of 4 planned trials" in banner[1]
        assert 'id="emulator-banner"' in html


def test_validate_writes_its_warnings_to_stderr_whether_it_passes_or_fails(tmp_path: Path, capsys) -> None:
    from harness.cli import main

    path = tmp_path / "s.yaml"
    path.write_text("suite: s\ncases:\n  - {id: a, prompt: cup, model: gemini-2.5-flash-imag}\n")
    main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert "warning:" in err and "warning:" not in out


def test_a_finished_run_with_fewer_trials_than_planned_is_partial_too(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", [T("c")])
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(totals={"trials": 1, "planned": 3})
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert "is finished and partial: 1 of 3 planned trials" in write_run_html(run).read_text()
