"""pytest plugin: `pytest suites/` collects suite files, one test item per trial.

A suite file's selected trials run together (concurrently, through the record/replay transport) the
first time one of its items runs; each item then reports its own trial. Every process writes a part
run; the controlling process merges the parts into one run directory at the end of the session.
Under pytest-xdist the distribution is switched to `loadfile`, so a suite file stays on one worker.
Skipped scores never pass: a trial with nothing measured is a skipped item, and one that passed with some
expectations unmeasured warns (SkippedScoreWarning) at its suite line.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import HarnessError
from harness.plan import TrialPlan
from harness.record import TrialRecord
from harness.store import Run, merge_runs, new_run_id
from harness.suite.discover import SUITE_SUFFIXES, is_suite_file

if TYPE_CHECKING:
    from harness.suite.validate import ValidationReport

_RUN_ID_KEY = "harness_run_id"
_MODES = ("replay", "record", "auto", "live")
# xdist modes that may split one file's items over workers; each worker would then run the whole file
_SPLITTING_DISTS = ("load", "worksteal", "loadgroup")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "prompt-harness suites")
    group.addoption(
        "--harness-mode",
        default=None,
        choices=_MODES,
        help="transport mode for suite trials (default: replay, so CI never needs a key)",
    )
    group.addoption(
        "--harness-variant",
        action="append",
        default=None,
        metavar="NAME",
        help="run only this variant (repeatable)",
    )
    group.addoption("--harness-out", default="results", metavar="DIR", help="where the run directory goes")
    group.addoption(
        "--harness-backend",
        default=None,
        choices=("emulator", "gemini"),
        help="backend for record/auto/live (default: gemini with a key in the env, else emulator)",
    )
    group.addoption("--harness-concurrency", default=4, type=int, metavar="N")
    group.addoption("--harness-case", action="append", default=[], metavar="GLOB", help="only these cases")
    group.addoption("--harness-tag", action="append", default=[], metavar="TAG", help="only cases with a tag")
    group.addoption(
        "--harness-limit", type=int, default=None, metavar="N", help="the first N trials per file"
    )
    group.addoption("--harness-sample", type=int, default=None, metavar="N", help="N random trials per file")
    group.addoption("--harness-seed", type=int, default=None, metavar="S", help="seed of --harness-sample")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--harness-case/--harness-tag/--harness-limit/--harness-sample, like `harness run`; a group left
    partly selected (by these or by -k) is reported not measured when the file runs."""
    from harness.selection import Selection, select_plans

    selection = Selection(
        cases=tuple(config.getoption("--harness-case")),
        tags=tuple(config.getoption("--harness-tag")),
        limit=config.getoption("--harness-limit"),
        sample=config.getoption("--harness-sample"),
        seed=config.getoption("--harness-seed"),
    )
    if not selection.narrows:
        return
    by_file: dict[Any, list[TrialItem]] = {}
    for item in items:
        if isinstance(item, TrialItem):
            by_file.setdefault(item.parent, []).append(item)
    chosen = {
        p.trial_id for trials in by_file.values() for p in select_plans([t.plan for t in trials], selection)
    }
    dropped = [i for i in items if isinstance(i, TrialItem) and i.plan.trial_id not in chosen]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if not (isinstance(i, TrialItem) and i.plan.trial_id not in chosen)]


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if is_suite_file(file_path):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "harness_suite: a trial collected from a prompt-harness suite")
    if getattr(config.option, "dist", "no") in _SPLITTING_DISTS and _args_hold_suites(config.args):
        config.option.dist = "loadfile"
    worker = getattr(config, "workerinput", None)
    run_id = worker[_RUN_ID_KEY] if worker else new_run_id()
    config.stash[_STATE] = HarnessState(run_id=run_id, worker=worker["workerid"] if worker else "main")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "harness-xdist")


def _args_hold_suites(args: list[str]) -> bool:
    for arg in args:
        path = Path(arg.split("::")[0])
        if path.is_file() and is_suite_file(path):
            return True
        if path.is_dir() and any(is_suite_file(p) for p in _yaml_files(path)):
            return True
    return False


def _yaml_files(root: Path):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "results")]
        yield from (Path(folder) / f for f in files if f.endswith(SUITE_SUFFIXES))


class _XdistHooks:
    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_RUN_ID_KEY] = node.config.stash[_STATE].run_id


@dataclass
class HarnessState:
    """Per process: which suite files already ran, their records, and the part runs written."""

    run_id: str
    worker: str
    records: dict[str, TrialRecord] = field(default_factory=dict)
    errors: dict[Path, str] = field(default_factory=dict)
    done: set[Path] = field(default_factory=set)


_STATE = pytest.StashKey[HarnessState]()


def _parts_dir(config: pytest.Config, run_id: str) -> Path:
    return Path(config.getoption("--harness-out")) / f".{run_id}.parts"


def _mode(config: pytest.Config) -> str:
    return config.getoption("--harness-mode") or os.environ.get("HARNESS_MODE") or "replay"


def _backend(config: pytest.Config) -> str | None:
    """None in replay: nothing is called, so no backend (and no emulator) is started."""
    if _mode(config) == "replay":
        return None
    chosen = config.getoption("--harness-backend")
    if chosen:
        return chosen
    from harness.runner.client import api_key_from_env

    return "gemini" if api_key_from_env() else "emulator"


class SuiteFile(pytest.File):
    report: ValidationReport | None = None  # read and expanded once, at collection; the run reuses it

    def collect(self):  # type: ignore[override]
        from harness.suite import validate

        try:
            self.report = validate(
                [self.path], variants=self.config.getoption("--harness-variant"), check_cap=False
            )
        except HarnessError as exc:
            yield SuiteErrorItem.from_parent(self, name="validate", error=str(exc))
            return
        for plan in self.report.suites[0].plans:
            yield TrialItem.from_parent(self, name=f"{plan.case}[{plan.variant}-r{plan.repeat}]", plan=plan)

    def run_selected(self) -> None:
        """Run every selected trial of this file in one batch; later items just read the result."""
        from harness.api import run_suites
        from harness.runner.progress import make_progress

        state = self.config.stash[_STATE]
        if self.path in state.done:
            return
        state.done.add(self.path)
        selected = [i for i in self.session.items if isinstance(i, TrialItem) and i.parent is self]
        part = _parts_dir(self.config, state.run_id)
        try:
            run_dir = run_suites(
                [self.path],
                variants=self.config.getoption("--harness-variant"),
                select={item.plan.trial_id for item in selected},
                mode=_mode(self.config),
                backend=_backend(self.config),
                concurrency=self.config.getoption("--harness-concurrency"),
                out=part,
                run_id=f"{state.worker}-{len(state.done):03d}-{self.path.stem}",
                progress=make_progress(),
                validated=self.report,
            )
        except HarnessError as exc:
            state.errors[self.path] = str(exc)
            return
        for record in Run.load(run_dir).trials:
            state.records[record.trial_id] = record


class TrialFailed(Exception):
    """Carries a readable account of a trial that did not pass."""


class SkippedScoreWarning(UserWarning):
    """A trial passed, but some of its expectations were not measured (no tesseract, no judge client...)."""


class TrialItem(pytest.Item):
    def __init__(self, *, plan: TrialPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.add_marker("harness_suite")
        if reason := plan.xfail:
            self.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=TrialFailed))

    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, SuiteFile)
        parent.run_selected()
        state = self.config.stash[_STATE]
        if parent.path in state.errors:
            raise TrialFailed(state.errors[parent.path])
        record = state.records.get(self.plan.trial_id)
        if record is None:
            raise TrialFailed(f"trial {self.plan.trial_id} produced no record (the run stopped early?)")
        if record.counts_as_failure:
            merged_run = Path(self.config.getoption("--harness-out")) / state.run_id
            raise TrialFailed(describe_failure(record, merged_run))
        skipped = describe_skipped(record)
        if record.passed is None:
            pytest.skip(f"{record.trial_id} undecided, {skipped}")
        if skipped:
            self.warn(SkippedScoreWarning(f"{record.trial_id} passed with {skipped}"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, TrialFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """pytest counts lines from 0 (and shows them +1); plan lines count from 1."""
        return self.path, None if self.plan.line is None else self.plan.line - 1, self.plan.trial_id


class SuiteErrorItem(pytest.Item):
    """A suite that fails validation shows up as one failing item with the validator's message."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise TrialFailed(self.error)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "validate"


def describe_failure(record: TrialRecord, run_dir: Path) -> str:
    """Scorer, value, threshold, reason and image path (in the merged run) for each failed expectation."""
    lines = [
        f"{record.trial_id}: outcome {record.outcome}"
        + (f" ({record.finish_reason})" if record.finish_reason else "")
    ]
    if record.error:
        error = record.error
        lines.append("  error: " + " ".join(str(p) for p in (error.code, error.status, error.message) if p))
    for score in record.scores:
        if score.passed is not False:
            continue
        step = record.steps[score.step] if score.step is not None and score.step < len(record.steps) else None
        image = f"image: {run_dir / step.images[0].path}" if step and step.images else ""
        first, *more = score.reason.splitlines() or [""]
        head = f"  FAILED {score.name}: value={score.value} threshold={score.threshold} step={score.step}: "
        if not more:  # one line, the image beside the reason
            lines.append(head + first + (f"  {image}" if image else ""))
            continue
        lines += [head + first, *(f"    {line}" for line in more)]  # a long reason (a replay miss) indented
        if image:
            lines.append(f"    {image}")
    return "\n".join(lines)


def describe_skipped(record: TrialRecord) -> str:
    """The expectations that were not measured, with why; skipped scores never count as passes."""
    skipped = [s for s in record.scores if s.passed is None]
    if not skipped:
        return ""
    return f"{len(skipped)} unmeasured expectation(s): " + "; ".join(f"{s.name}: {s.reason}" for s in skipped)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if getattr(config, "workerinput", None):
        return  # workers leave their parts; the controller merges
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    parts_root = _parts_dir(config, state.run_id)
    if not parts_root.exists():
        return
    parts = sorted(p for p in parts_root.iterdir() if (p / "manifest.json").exists())
    if parts:
        target = Path(config.getoption("--harness-out")) / state.run_id
        merge_runs(parts, target, state.run_id)
        from harness.analysis import write_parquet

        write_parquet(target)
        config.stash[_MERGED] = target
    shutil.rmtree(parts_root, ignore_errors=True)


_MERGED = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    target = config.stash.get(_MERGED, None)
    if target is not None:
        terminalreporter.write_line(f"prompt-harness run: {target}  (harness report {target})")


@pytest.fixture
def harness_suite():
    """Load a suite by path: `suite = harness_suite("suites/showcase.yaml")`."""
    from harness.suite import load_suite

    return load_suite


@pytest.fixture
def harness_run(request: pytest.FixtureRequest, tmp_path: Path):
    """Run a suite with the session's mode and return the stored Run, for custom assertions."""
    from harness.api import run_suites

    config = request.config

    def run(path: str | Path, **kwargs: Any) -> Run:
        kwargs.setdefault("mode", _mode(config))
        kwargs.setdefault("backend", _backend(config))
        kwargs.setdefault("out", tmp_path / "results")
        return Run.load(run_suites([Path(path)], **kwargs))

    return run
