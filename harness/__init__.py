"""prompt-harness: evaluate prompts for Gemini image models.

    import harness
    run = harness.run("suites/showcase.yaml", mode="replay")   # -> harness.Run
    run.frame()                                                # pandas, one row per trial x step x score
    harness.diff(run, variants=["flash", "pro"]).verdict

Every name is loaded on first use, so `import harness` (and `harness --version`) stays instant.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from harness.lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from harness.api.public import Run, diff, load_run, report, run, run_async, score
    from harness.diff import DiffResult as Diff
    from harness.errors import HarnessError, HarnessWarning, ReplayMiss, SuiteError, UsageError
    from harness.plan import GenConfig, StepPlan, TrialPlan
    from harness.record import ImageRef, Manifest, Score, StepRecord, SuiteRef, TrialError, TrialRecord, Usage

# public name -> (module, attribute there)
_EXPORTS: dict[str, tuple[str, str]] = {
    **{
        n: ("harness.api.public", n)
        for n in ("Run", "diff", "load_run", "report", "run", "run_async", "score")
    },
    "Diff": ("harness.diff", "DiffResult"),
    **{
        n: ("harness.errors", n)
        for n in ("HarnessError", "HarnessWarning", "ReplayMiss", "SuiteError", "UsageError")
    },
    **{n: ("harness.plan", n) for n in ("GenConfig", "StepPlan", "TrialPlan")},
    **{
        n: ("harness.record", n)
        for n in (
            "ImageRef",
            "Manifest",
            "Score",
            "StepRecord",
            "SuiteRef",
            "TrialError",
            "TrialRecord",
            "Usage",
        )
    },
}

__all__ = [
    "Diff",
    "GenConfig",
    "HarnessError",
    "HarnessWarning",
    "ImageRef",
    "Manifest",
    "ReplayMiss",
    "Run",
    "Score",
    "StepPlan",
    "StepRecord",
    "SuiteError",
    "SuiteRef",
    "TrialError",
    "TrialPlan",
    "TrialRecord",
    "Usage",
    "UsageError",
    "__version__",
    "diff",
    "load_run",
    "report",
    "run",
    "run_async",
    "score",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """`harness.diff` and `harness.report` are functions here and packages below: importing the package
    `harness.diff` must not replace the function the import system would set on its parent."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name, ("",))[0] == "harness.api.public":
            return  # the submodule stays reachable through sys.modules, which is where imports look
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
