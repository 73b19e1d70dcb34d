"""docs/ci/prompt-regression.yml: valid YAML whose harness and pytest commands exist with those flags."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import pytest_plugin
from harness.cli import build_parser

RECIPE = Path(__file__).resolve().parent.parent / "docs" / "ci" / "prompt-regression.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(RECIPE.read_text())


def commands(job: dict[str, Any]) -> list[list[str]]:
    """Every command of a job's `run:` steps, `${{ expr || 'default' }}` replaced by its default."""
    out = []
    for step in job["steps"]:
        script = re.sub(r"\$\{\{[^}]*?(?:'([^']*)')?\s*\}\}", lambda m: m[1] or "x", step.get("run", ""))
        for line in script.replace("\\\n", " ").splitlines():
            for part in re.split(r"\|\||&&", line.split(" #")[0]):
                if part.strip():
                    out.append(shlex.split(part))
    return out


def plugin_options() -> set[str]:
    names: set[str] = set()

    class Group:
        def addoption(self, *opts: str, **_: Any) -> None:
            names.update(opts)

    class Parser:
        def getgroup(self, *_: Any) -> Group:
            return Group()

    pytest_plugin.pytest_addoption(Parser())  # type: ignore[arg-type]
    return names


def test_triggers_and_jobs(workflow: dict[Any, Any]) -> None:
    on = workflow[True]  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(on)
    replay, record = workflow["jobs"]["replay"], workflow["jobs"]["record"]
    assert "push" in replay["if"] and "pull_request" in replay["if"]
    assert "schedule" in record["if"] and "workflow_dispatch" in record["if"]
    assert record["env"]["GEMINI_API_KEY"] == "${{ secrets.GEMINI_API_KEY }}"
    assert "GEMINI_API_KEY" not in str(replay)
    uploads = [s["with"] for s in replay["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and "results/*.html" in uploads[0]["path"] and uploads[0].get("name")
    assert any(s.get("uses", "").startswith("peter-evans/create-pull-request") for s in record["steps"])


def test_every_harness_command_parses(workflow: dict[Any, Any]) -> None:
    seen = []
    for job in workflow["jobs"].values():
        for argv in commands(job):
            if argv[0] == "harness":
                try:
                    build_parser(argv[1:]).parse_args(argv[1:])
                except SystemExit:
                    pytest.fail(f"{RECIPE.name}: not a valid harness command: {shlex.join(argv)}")
                seen.append(argv[1])
    assert {"run", "diff", "report", "validate"} <= set(seen)


def test_pull_requests_diff_and_fail_on_regression(workflow: dict[Any, Any]) -> None:
    argvs = commands(workflow["jobs"]["replay"])
    runs = [a for a in argvs if a[:2] == ["harness", "run"]]
    assert {a[a.index("--run-id") + 1] for a in runs} == {"base", "head"}
    assert all(a[a.index("--mode") + 1] == "replay" for a in runs)
    (diff,) = [a for a in argvs if a[:2] == ["harness", "diff"]]
    assert diff[2:4] == ["results/base", "results/head"]
    assert diff[diff.index("--fail-on") + 1] == "regression"


def test_pytest_steps_use_real_plugin_options(workflow: dict[Any, Any]) -> None:
    known = plugin_options()
    pytests = [a for job in workflow["jobs"].values() for a in commands(job) if a[0] == "pytest"]
    assert pytests
    for argv in pytests:
        flags = {a.split("=")[0] for a in argv if a.startswith("--harness")}
        assert flags <= known, flags - known
        assert argv[argv.index("--harness-mode") + 1] == "replay"
        assert any(a.startswith("--junitxml") for a in argv)
