"""`import harness`: the README's notebook example runs as written, names load lazily, nothing prints."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

import harness

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### 10. From Python", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    return code


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory that sees the project's suites and templates and writes results of its own."""
    for name in ("suites", "templates"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_example_runs_and_prints_only_its_own_lines(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, object] = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)
    out, err = capfd.readouterr()
    run, d = namespace["run"], namespace["d"]
    assert isinstance(run, harness.Run) and isinstance(d, harness.Diff)
    assert len(run.trials) == 36 and run.dir.resolve().parent == project.resolve() / "results"
    assert (run.dir / "diff.html").is_file()
    assert out.splitlines()[0] == f"{run.manifest.run_id} finished 36 trials"  # no progress lines
    assert err == ""


def test_run_inside_a_running_event_loop_and_run_async(project: Path) -> None:
    """A notebook cell has a loop running: `run` still works there, and `run_async` can be awaited."""

    async def cell() -> tuple[harness.Run, harness.Run]:
        inside = harness.run("suites/showcase.yaml", mode="replay", run_id="inside", select=["none"])
        awaited = await harness.run_async(
            "suites/showcase.yaml", mode="replay", run_id="awaited", variants=["flash"]
        )
        return inside, awaited

    inside, awaited = asyncio.run(cell())
    assert inside.trials == [] and inside.manifest.status == "finished"
    assert {t.variant for t in awaited.trials} == {"flash"} and len(awaited.trials) == 12


def test_library_warnings_are_warnings_not_printed_lines(project: Path, capfd) -> None:
    with pytest.warns(harness.HarnessWarning, match="--faults has no effect"):
        harness.run("suites/showcase.yaml", mode="replay", backend="emulator", faults="503", select=[])
    assert capfd.readouterr().err == ""


def test_import_harness_loads_nothing_heavy() -> None:
    """The names are re-exported lazily: importing the package pulls in neither the SDK nor pandas."""
    heavy = ("google.genai", "pandas", "harness.api")
    code = f"import sys, harness; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_diff_and_report_stay_functions_after_their_packages_are_imported() -> None:
    import harness.diff.cli  # the import system would set harness.diff to the package
    import harness.report.html

    assert callable(harness.diff) and callable(harness.report)
    assert harness.diff.__module__ == "harness.api.public"


def test_every_public_name_resolves() -> None:
    for name in harness.__all__:
        assert getattr(harness, name) is not None
    assert (Path(harness.__file__).parent / "py.typed").is_file()
