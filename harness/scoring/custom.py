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

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from harness.record import Score
from harness.scoring.context import ScoreContext
from harness.scoring.registry import Params, Scorer, scorer

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
    def _importable(cls, v: str, info: ValidationInfo) -> str:
        suite_dir = (info.context or {}).get("suite_dir")
        if _split(v)[0].endswith(".py") and suite_dir is None:
            return v  # a file next to the suite: checked once the suite folder is known
        load_callable(v, suite_dir)
        return v


def _split(path: str) -> tuple[str, str]:
    if ":" in path:
        module, _, attr = path.partition(":")
    else:
        module, _, attr = path.rpartition(".")
    if not module or not attr:
        raise ValueError(f"'{path}' is not a dotted path; write it as 'package.module:function'")
    return module, attr


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


def wrap_callable(name: str, fn: CustomFn) -> Scorer:
    """A `harness.scorers` entry point that is a plain function becomes a scorer named after the entry."""

    def run(ctx: ScoreContext, p: EntryPointParams) -> list[Score]:
        return to_scores(ctx, fn(ctx, dict(p.model_extra or {})), p.min)

    return Scorer(name, EntryPointParams, run, needs="output", summary=(fn.__doc__ or "").strip()[:80])
