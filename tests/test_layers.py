"""The package layers, enforced: every `import harness...` in harness/ (function-level and TYPE_CHECKING
imports included) must go down the table below, never up or sideways into a later stage.

    front ends   harness/__init__, cli, pytest_plugin, demo, console,          may import anything
                 every <part>/cli.py
    api          harness/api/ (orchestration: the only place combining stages)
    stages       suite runner scoring transport diff report analysis          only the edges in STAGE_DEPS
    shared       record plan selection errors store prices context files     only each other
                 models labels lazy
    emulator     a server on its own                                          only errors
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "harness"

SHARED = {
    "record", "plan", "selection", "errors", "store", "prices", "context", "files", "models", "labels", "lazy"
}  # fmt: skip
STAGES = {"suite", "runner", "scoring", "transport", "diff", "report", "analysis"}
FRONT_ENDS = {"cli", "pytest_plugin", "demo", "console", "batches_cli"}
# Which stages a stage may use, and why. Everything else between stages goes through harness/api/.
STAGE_DEPS: dict[str, set[str]] = {
    "suite": {"scoring"},  # validating `expect:` asks the scorer registry for each scorer's parameters
    "runner": {"scoring", "transport"},  # a trial is sent through the transport and scored as it ends
    "scoring": set(),
    "transport": set(),
    "analysis": set(),
    "diff": {"analysis"},  # a diff aligns the analysis frames of two runs
    "report": {"analysis", "diff"},  # the diff page renders a diff
}


def layer(module: str) -> str:
    """`harness.runner.run` -> runner; `harness.runner.cli` -> front; `harness.api.run` -> api."""
    parts = module.split(".")
    if len(parts) == 1:
        return "front"  # the package itself re-exports the API (lazily) for `import harness`
    if parts[1] in FRONT_ENDS or parts[-1] == "cli":
        return "front"
    return parts[1]


def allowed(source: str, target: str) -> bool:
    if source == target or source == "front":
        return True
    if target in ("front", "api"):
        return False
    if source == "api":
        return True
    if source == "emulator":
        return target == "errors"
    if source in SHARED:
        return target in SHARED
    if source in STAGES:
        return target in SHARED or target in STAGE_DEPS[source]
    return False


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names taken from it) for every import of the harness package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.split(".")[0] == "harness"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "harness":
            found.append((node.lineno, node.module, [a.name for a in node.names]))
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        for line, target, names in imports(path):
            if target == "harness" and names == ["__version__"]:
                continue  # the version string is every layer's
            targets = [f"harness.{n}" for n in names] if target == "harness" else [target]
            for name in targets:
                if not allowed(layer(source), layer(name)):
                    bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {name}")
    return bad


def test_every_import_goes_down_the_layers() -> None:
    assert violations() == []


def test_the_checker_catches_an_upward_import() -> None:
    """A stage importing the orchestration layer or a later stage, and a shared module importing a
    stage, are each reported."""
    assert not allowed("runner", "api")
    assert not allowed("scoring", "suite")
    assert not allowed("transport", "runner")
    assert not allowed("store", "analysis")
    assert not allowed("emulator", "record")
    assert not allowed("diff", "report")
    assert allowed("report", "diff") and allowed("api", "report") and allowed("front", "api")
    assert layer("harness.diff.cli") == "front" and layer("harness.api.rescore") == "api"


def test_every_top_level_part_has_a_layer() -> None:
    """A new package or module must be placed in the table above before it can be imported."""
    known = SHARED | STAGES | FRONT_ENDS | {"api", "emulator", "__init__"}
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    assert parts - {"__pycache__"} <= known
