"""The pytest plugin, driven by pytest itself (pytester): suites as test files, replayed offline."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from harness.record import Score
from harness.store import Run

SUITES = Path(__file__).resolve().parent.parent / "suites"


@pytest.fixture(scope="module", autouse=True)
def _imported() -> None:
    """The in-process runs below (pytester.runpytest_inprocess: no interpreter start-up, no imports
    again) put sys.modules back as they found it, and a C extension cannot be loaded twice: everything
    a run imports is imported here first, by a replay of two of the showcase's trials."""
    import harness

    trials = {"showcase::watch-warmer-light[flash-r0]", "showcase::hero-park[flash-r0]"}
    harness.run(SUITES / "showcase.yaml", mode="replay", out=Path(tempfile.mkdtemp()), select=trials)


@pytest.fixture
def suites(pytester: pytest.Pytester) -> Path:
    """A copy of the showcase, its inputs, questions file and cassette, so a test may break an expectation
    without touching ours."""
    root = pytester.path / "suites"
    root.mkdir()
    shutil.copy(SUITES / "showcase.yaml", root)
    shutil.copytree(SUITES / "images", root / "images")
    shutil.copytree(SUITES / "questions", root / "questions")
    shutil.copytree(SUITES / "cassettes", root / "cassettes")
    return root


def outcomes(result: pytest.RunResult) -> dict[str, int]:
    """Item counts; warnings are left out, since without tesseract each OCR check adds one (the
    unmeasured-expectation test below asserts them)."""
    return {k: v for k, v in result.parseoutcomes().items() if k not in ("warnings", "warning")}


def need_tesseract() -> None:
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but tesseract is missing (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed: the OCR expectation cannot fail")


def test_each_trial_is_an_item_with_a_readable_id(pytester: pytest.Pytester, suites: Path) -> None:
    result = pytester.runpytest_inprocess("suites/showcase.yaml", "--collect-only", "-q")
    lines = [line for line in result.outlines if "::" in line]
    assert len(lines) == 36
    assert "suites/showcase.yaml::watch-studio-white[flash-r0]" in lines
    assert "suites/showcase.yaml::cup-refine-chain[pro-r0]" in lines


def test_replay_passes_with_the_known_failure_as_xfail(pytester: pytest.Pytester, suites: Path) -> None:
    out = pytester.path / "out"
    result = pytester.runpytest_inprocess("suites", f"--harness-out={out}", "-rx")
    assert outcomes(result) == {"passed": 34, "xfailed": 2}
    result.stdout.fnmatch_lines(["*XFAIL*watch-warmer-light[[]pro-r0[]]*redraws the watch*"])
    (run_dir,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    run = Run.load(run_dir)
    assert len(run.trials) == 36 and run.manifest.status == "finished"
    assert run.manifest.backend == "replay:emulator" and run.manifest.procedural_images


@pytest.mark.ocr
def test_a_broken_expectation_fails_exactly_its_items_with_the_reason(
    pytester: pytest.Pytester, suites: Path
) -> None:
    need_tesseract()
    suite = suites / "showcase.yaml"
    suite.write_text(
        suite.read_text().replace('text_in_image: "SUMMER SALE"', 'text_in_image: "WINTER SALE"')
    )
    result = pytester.runpytest_inprocess("suites", f"--harness-out={pytester.path / 'out'}")
    assert outcomes(result) == {"passed": 31, "failed": 3, "xfailed": 2}
    failed = sorted(line.split(" ")[1] for line in result.outlines if line.startswith("FAILED "))
    assert failed == [
        "suites/showcase.yaml::poster-summer-sale[flash-r0]",
        "suites/showcase.yaml::poster-summer-sale[flash31-r0]",
        "suites/showcase.yaml::poster-summer-sale[pro-r0]",
    ]
    reason = "*FAILED text_in_image: value=* threshold=0.8 step=0: OCR read 'SUMMER SALE'*WINTER SALE*image:*"
    result.stdout.fnmatch_lines([reason])
    shown = next(line for line in result.outlines if "FAILED text_in_image" in line).rsplit("image: ", 1)[1]
    assert Path(shown).is_file(), shown  # the path is in the merged run, which outlives the session


def test_keyword_selection_runs_only_the_selected_trials(pytester: pytest.Pytester, suites: Path) -> None:
    out = pytester.path / "out"
    result = pytester.runpytest_inprocess("suites", "-k", "cat-storybook", f"--harness-out={out}")
    assert outcomes(result) == {"passed": 3, "deselected": 33}
    (run_dir,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert sorted(t.case for t in Run.load(run_dir).trials) == ["cat-storybook"] * 3


def test_variant_option_limits_the_items(pytester: pytest.Pytester, suites: Path) -> None:
    result = pytester.runpytest_inprocess(
        "suites", "--harness-variant=flash", f"--harness-out={pytester.path / 'o'}"
    )
    assert outcomes(result) == {"passed": 12}


def test_a_suite_file_is_read_and_expanded_once(pytester: pytest.Pytester, suites: Path) -> None:
    """Collecting a suite file validates it; running its items reuses that, not a second load."""
    pytester.makeconftest(
        """
        import importlib
        from pathlib import Path

        load = importlib.import_module("harness.suite.load")
        validate = importlib.import_module("harness.suite.validate")
        CALLS = []
        REAL = (load.load_yaml, validate.expand_all)

        def counted(name, real):
            def call(*args, **kwargs):
                CALLS.append(name)
                return real(*args, **kwargs)
            return call

        load.load_yaml = counted("load", load.load_yaml)
        validate.expand_all = counted("expand", validate.expand_all)

        def pytest_sessionfinish(session):
            Path("calls.txt").write_text(" ".join(CALLS))

        def pytest_unconfigure(config):
            load.load_yaml, validate.expand_all = REAL
        """
    )
    result = pytester.runpytest_inprocess(
        "suites", "--harness-variant=flash", f"--harness-out={pytester.path / 'o'}"
    )
    assert outcomes(result) == {"passed": 12}
    assert (pytester.path / "calls.txt").read_text().split() == ["load", "expand"]


def test_xdist_workers_write_one_merged_run_with_each_selected_trial_once(
    pytester: pytest.Pytester, suites: Path
) -> None:
    """Under worksteal (a mode that would split a file over workers, turned into loadfile; else each worker
    runs it all), two suites' selected trials run once each, xfail included, into one merged run."""
    shutil.copy(SUITES / "real-gemini.yaml", suites)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "suites", "-n", "2", "--dist", "worksteal", "-k", "poster or warmer or real", f"--harness-out={out}"
    )
    assert outcomes(result) == {"passed": 8, "xfailed": 2}  # xdist does not report the deselected
    runs = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    run = Run.load(runs[0])
    ids = sorted(t.trial_id for t in run.trials)
    assert [i for i in ids if "poster" in i] == [
        "showcase::poster-summer-sale[flash-r0]",
        "showcase::poster-summer-sale[flash31-r0]",
        "showcase::poster-summer-sale[pro-r0]",
    ]
    assert len(ids) == len(set(ids)) == 10
    assert {s.name for s in run.manifest.suites} == {"showcase", "real-gemini"}
    assert (runs[0] / "trials.parquet").exists()


@pytest.mark.parametrize("dist", ["load", "worksteal", "loadgroup"])
def test_each_splitting_dist_mode_becomes_loadfile_for_suites(pytester: pytest.Pytester, dist: str) -> None:
    (pytester.path / "s.yaml").write_text("suite: s\ncases:\n  - id: a\n    prompt: a cat\n")
    assert pytester.parseconfigure("s.yaml", "-n", "2", "--dist", dist).option.dist == "loadfile"
    pytester.makepyfile(test_plain="def test_one(): pass")
    assert pytester.parseconfigure("test_plain.py", "-n", "2", "--dist", dist).option.dist == dist


def test_a_suite_that_fails_validation_is_one_failing_item(pytester: pytest.Pytester, suites: Path) -> None:
    suite = suites / "showcase.yaml"
    suite.write_text(suite.read_text().replace("style: watercolor-storybook", "style: watercolour-storybook"))
    result = pytester.runpytest_inprocess("suites")
    assert outcomes(result) == {"failed": 1}
    result.stdout.fnmatch_lines(["*showcase.yaml:*cat-storybook*watercolour-storybook*"])


def test_fixtures_give_custom_tests_a_run(pytester: pytest.Pytester, suites: Path) -> None:
    pytester.makepyfile(
        test_custom="""
        def test_flash_is_cheaper(harness_run, harness_suite):
            suite = harness_suite("suites/showcase.yaml")
            assert suite.name == "showcase"
            run = harness_run("suites/showcase.yaml", variants=["flash"])
            assert len(run.trials) == 12 and all(t.model == "gemini-2.5-flash-image" for t in run.trials)
            assert sum(t.cost_usd for t in run.trials) < 0.6
        """
    )
    assert outcomes(pytester.runpytest_inprocess("test_custom.py")) == {"passed": 1}


@pytest.fixture
def no_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH with git but without tesseract, so OCR expectations are skipped in the pytest subprocess."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    if git:
        (bin_dir / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_unmeasured_expectations_are_never_a_silent_pass(
    pytester: pytest.Pytester, suites: Path, no_tesseract: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial passing with a skipped score warns at its suite line; one with nothing measured is skipped;
    under CI (measurement required) both fail."""
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest_inprocess(
        "suites", "-k", "poster", "-rs", f"--harness-out={pytester.path / 'ci'}"
    )
    assert outcomes(result) == {"failed": 3, "deselected": 33}
    monkeypatch.delenv("CI")
    result = pytester.runpytest_inprocess(
        "suites", "-k", "poster", "-rs", f"--harness-out={pytester.path / 'o'}"
    )
    assert result.parseoutcomes() == {"passed": 3, "deselected": 33, "warnings": 3}
    line = next(
        n
        for n, text in enumerate((suites / "showcase.yaml").read_text().splitlines(), 1)
        if "id: poster-summer-sale" in text
    )
    result.stdout.fnmatch_lines(
        [
            f"*suites/showcase.yaml:{line}: SkippedScoreWarning: showcase::poster-summer-sale[[]flash-r0[]] "
            "passed with 1 unmeasured expectation(s): text_in_image: tesseract is not installed*"
        ]
    )
    suite = suites / "showcase.yaml"
    text = suite.read_text()
    assert text.count('      - aspect_ratio: "3:4"\n') == 1
    suite.write_text(text.replace('      - aspect_ratio: "3:4"\n', ""))  # leaves only the OCR expectation
    result = pytester.runpytest_inprocess(
        "suites", "-k", "poster", "-rs", f"--harness-out={pytester.path / 'o'}"
    )
    assert outcomes(result) == {"skipped": 3, "deselected": 33}
    result.stdout.fnmatch_lines(
        ["SKIPPED*showcase::poster-summer-sale[[]pro-r0[]] undecided, 1 unmeasured*tesseract*"]
    )


def test_a_multi_line_reason_is_indented_with_the_image_on_its_own_line(tmp_path: Path) -> None:
    from harness.analysis.synthetic import TrialSpec, write_run
    from harness.pytest_plugin import describe_failure

    record = Run.load(write_run(tmp_path, "r", [TrialSpec("c")])).trials[0]
    assert record.steps[0].images
    miss = "not in the cassette\n  differs in: body.text\n  -> re-record it: harness run s"
    one_line = describe_failure(
        record.model_copy(update={"scores": [_failed("format", "bad png")]}), tmp_path
    )
    assert one_line.splitlines()[1].startswith(
        "  FAILED format: value=None threshold=4.0 step=0: bad png  image: "
    )
    text = describe_failure(record.model_copy(update={"scores": [_failed("judge", miss)]}), tmp_path)
    lines = text.splitlines()[1:]
    assert lines[0] == "  FAILED judge: value=None threshold=4.0 step=0: not in the cassette"
    assert lines[1:3] == ["      differs in: body.text", "      -> re-record it: harness run s"]
    assert lines[3].startswith(f"    image: {tmp_path}") and len(lines) == 4


def _failed(name: str, reason: str) -> Score:
    return Score(name=name, value=None, passed=False, threshold=4, reason=reason, step=0)


def test_case_option_selects_and_a_partial_group_is_not_measured(
    pytester: pytest.Pytester, suites: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)  # under CI an unmeasured check fails the trial (tested apart)
    out = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "suites", "--harness-case=hero-park", "--harness-variant=pro", f"--harness-out={out}"
    )
    assert outcomes(result).get("deselected") == 11
    (run_dir,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    (trial,) = Run.load(run_dir).trials
    group = [s for s in trial.scores if s.name.startswith("consistent")]
    assert group and all(s.passed is None and "not measured" in s.reason for s in group)
    assert trial.passed is None  # never a different verdict than the whole group would give
