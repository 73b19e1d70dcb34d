"""Custom scorers: your own Python function, named in a suite by dotted path or published by a package.

The protocol (one function):

    def my_check(ctx: harness.scoring.ScoreContext, params: dict) -> bool | float | Score | list[Score]

`ctx` gives the trial record, the step (`ctx.step`, `ctx.text`), the output image (`ctx.image`: a
Prepared 128-px working copy with `.small` (PIL), `.rgb`, `.lab`, `.hash()`, `.full()` for full size), the
previous step's image (`ctx.previous_image`) and the env. Return a bool (pass/fail), a float (passes at
>= `min`), or Score objects built with `ctx.score(value, passed, reason)`. Name it in a suite as

    - custom: "mypackage.checks:has_logo"                    # or mypackage.checks.has_logo
    - custom: {path: "mypackage.checks:has_logo", params: {logo: acme}, min: 0.7}
    - custom: {path: "checks.py:has_logo"}                   # a file next to the suite

or publish it under the `harness.scorers` entry point group and use its entry-point name as the key.
See harness/scoring/examples.py.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from harness.context import input_policy
from harness.files import outside, project_root
from harness.record import Score
from harness.scoring.context import ScoreContext
from harness.scoring.registry import Params, StepScorer, scorer

CustomFn = Callable[[ScoreContext, dict[str, Any]], Any]


class CustomParams(Params):
    """Run a Python function (see harness/scoring/custom.py for the protocol)."""

    path: str = Field(
        description='"module:function", "module.function" or "file.py:function" (suite-relative)'
    )
    params: dict[str, Any] = Field(default_factory=dict, description="passed to the function as a dict")
    min: float = Field(0.5, description="a float result passes at >= min")
    needs: Literal["image", "text", "output", "none"] = Field(
        "output", description="what the step must have produced for the function to run"
    )

    @field_validator("path")
    @classmethod
    def _defined(cls, v: str, info: ValidationInfo) -> str:
        suite_dir = (info.context or {}).get("suite_dir")
        if _split(v)[0].endswith(".py") and suite_dir is None:
            return v  # a file next to the suite: checked once the suite folder is known
        check_callable(v, suite_dir)
        return v


def _split(path: str) -> tuple[str, str]:
    if ":" in path:
        module, _, attr = path.partition(":")
    else:
        module, _, attr = path.rpartition(".")
    if not module or not attr:
        raise ValueError(f"'{path}' is not a dotted path; write it as 'package.module:function'")
    return module, attr


def check_callable(path: str, base: Path | None = None) -> None:
    """What validation checks, running none of the scorer's code: the file (inside the project) or module
    exists, parses, and defines `function` at top level. ValueError says what is wrong and where."""
    module_name, attr = _split(path)
    if module_name.endswith(".py"):
        file = (base / module_name) if base is not None else Path(module_name)
        if base is not None:
            resolved = outside(file, (project_root(base), *input_policy.get().allow_outside))
            if resolved is not None:
                raise ValueError(
                    f"custom scorer file {file} resolves to {resolved}, outside the project; "
                    "move it into the project, or allow it: --allow-outside DIR"
                )
    elif _imported(module_name):  # already imported: looking costs nothing and runs nothing
        if not callable(getattr(sys.modules[module_name], attr, None)):
            raise ValueError(f"custom scorer '{path}': {module_name} has no function '{attr}'")
        return
    else:
        found = module_file(module_name)
        if found is None:
            raise ValueError(
                f"custom scorer '{path}': cannot import {module_name} (no such module; is it installed?)"
            )
        if found.suffix != ".py":
            return  # compiled: only importing it could tell, and validation imports nothing
        file = found
    if not file.is_file():
        raise ValueError(f"custom scorer '{path}': no file {file}")
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except SyntaxError as exc:
        raise ValueError(f"custom scorer file {file}:{exc.lineno}: syntax error: {exc.msg}") from None
    except ValueError as exc:  # null bytes
        raise ValueError(f"custom scorer file {file}: not Python source ({exc})") from None
    if attr not in top_level_names(tree):
        raise ValueError(f"custom scorer '{path}': {file} has no function '{attr}'")
    for line, name in top_level_imports(tree):
        if not _findable(name):
            raise ValueError(
                f"custom scorer file {file}:{line}: imports {name}, which cannot be imported (no such "
                "module); install it, or remove the import"
            )


def top_level_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of every absolute import a module runs unconditionally when imported (one inside a
    try or an if is guarded, and a relative one names no module to look for)."""
    found: list[tuple[int, str]] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _findable(name: str) -> bool:
    """Whether `import name` would find a module, asking the finders without running anything."""
    return name in sys.modules or module_spec(name) is not None


def top_level_names(tree: ast.Module) -> set[str]:
    """Names a module binds at top level: def, class, assignment, import."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _imported(name: str) -> bool:
    """Imported and done: a module another thread is still executing is in sys.modules half-built, and
    its functions may not be defined yet (the finders and the file are asked instead)."""
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def module_spec(name: str) -> Any:
    """The spec module `name` would be imported from, or None, asking the import finders without running
    anything (importlib.util.find_spec would import every parent package of a dotted name)."""
    search: list[str] | None = None
    spec: Any = None
    parts = name.split(".")
    for i in range(len(parts)):
        qualified = ".".join(parts[: i + 1])
        spec = next(
            (s for f in sys.meta_path if (s := _find(f, qualified, search)) is not None),
            None,
        )
        if spec is None:
            return None
        search = list(spec.submodule_search_locations or []) or None
    return spec


def module_file(name: str) -> Path | None:
    """Where module `name` would be imported from (None: not found, or built in, frozen or a namespace)."""
    spec = module_spec(name)
    origin = spec.origin if spec is not None else None
    return Path(origin) if origin and origin not in ("built-in", "frozen", "namespace") else None


def _find(finder: Any, name: str, path: list[str] | None) -> Any:
    find_spec = getattr(finder, "find_spec", None)
    try:
        return find_spec(name, path) if find_spec is not None else None
    except (ImportError, ValueError):
        return None


def load_callable(path: str, base: Path | None = None) -> CustomFn:
    """Import the function a dotted path (or suite-relative file path) names; ValueError says what failed."""
    module_name, attr = _split(path)
    try:
        if module_name.endswith(".py"):
            file = (base / module_name) if base is not None else Path(module_name)
            spec = importlib.util.spec_from_file_location(f"harness_custom_{file.stem}", file)
            if spec is None or spec.loader is None or not file.is_file():
                raise ImportError(f"no file {file}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"custom scorer '{path}': cannot import {module_name} ({exc})") from exc
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ValueError(f"custom scorer '{path}': {module_name} has no function '{attr}'")
    return fn


def import_failure(path: str, base: Path | None = None) -> tuple[Path, int, str] | None:
    """Import the scorer as scoring will, and say where importing it failed: (file, line, what), or None.

    This runs the scorer's module, so validation never calls it; a run does, once per scorer before
    anything is sent, so a module that raises on import (which reading it cannot tell) stops the run
    with its file and line instead of failing every trial's score."""
    module_name, _ = _split(path)
    if module_name.endswith(".py"):
        source: Path | None = (base / module_name) if base is not None else Path(module_name)
    else:
        source = module_file(module_name)
    try:
        load_callable(path, base)
    except Exception as exc:  # whatever the module raised on import
        cause = exc.__cause__ if isinstance(exc, ValueError) and exc.__cause__ is not None else exc
        frames = [f for f in traceback.extract_tb(cause.__traceback__) if Path(f.filename) != Path(__file__)]
        own = [f for f in frames if source is not None and Path(f.filename).resolve() == source.resolve()]
        frames = own or [f for f in frames if not f.filename.startswith("<frozen")]
        ours = cause is exc and not frames  # load_callable's own message (no such function)
        what = str(exc) if ours else f"{type(cause).__name__}: {cause}"
        if not frames:
            return source or Path(module_name), 0, what
        return Path(frames[-1].filename), frames[-1].lineno or 0, what
    return None


def to_scores(ctx: ScoreContext, result: Any, min_value: float) -> list[Score]:
    """Normalise what a custom function returned into Score objects."""
    if isinstance(result, Score):
        return [result]
    if isinstance(result, list) and all(isinstance(s, Score) for s in result):
        return result
    if isinstance(result, bool):
        return [ctx.score(1.0 if result else 0.0, result, f"{ctx.scorer} {'passed' if result else 'failed'}")]
    if isinstance(result, int | float):
        ok = float(result) >= min_value
        return [
            ctx.score(
                float(result),
                ok,
                f"{ctx.scorer} gave {float(result):.3g} (min {min_value})",
                threshold=min_value,
            )
        ]
    return [
        ctx.score(
            None,
            False,
            f"{ctx.scorer} returned {type(result).__name__}; return a bool, a float or Score objects",
        )
    ]


@scorer("custom", CustomParams, shorthand="path", needs="none")
def score_custom(ctx: ScoreContext, p: CustomParams) -> list[Score]:
    """Your own function, named by dotted path (protocol in harness/scoring/custom.py)."""
    fn = load_callable(p.path, ctx.env.suite_dir)
    ctx.scorer = f"custom:{_split(p.path)[1]}"
    return to_scores(ctx, fn(ctx, dict(p.params)), p.min)


class EntryPointParams(Params):
    """Parameters of an entry-point scorer: any keys, passed through as a dict (`min` for float results)."""

    model_config = ConfigDict(extra="allow")
    min: float = 0.5


def wrap_callable(name: str, fn: CustomFn) -> StepScorer:
    """A `harness.scorers` entry point that is a plain function becomes a scorer named after the entry."""

    def run(ctx: ScoreContext, p: EntryPointParams) -> list[Score]:
        return to_scores(ctx, fn(ctx, dict(p.model_extra or {})), p.min)

    summary = (fn.__doc__ or "").strip()[:80]
    return StepScorer(name=name, params=EntryPointParams, fn=run, needs="output", summary=summary)
