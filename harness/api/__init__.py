"""The orchestration layer: the only place that combines stages (suite, runner, scoring, transport,
diff, report). Front ends (cli, pytest plugin, demo) call it; no stage imports it.

Names are loaded on first use, so importing the package costs nothing until an operation runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.api.agreement import run_agreement
    from harness.api.compare import compare_arms
    from harness.api.pairwise import JudgeOptions, pairwise_diff, with_preference
    from harness.api.rescore import RescoreResult, rescore_run
    from harness.api.review import diff_preferring_human, import_labels, prefer_human, write_review
    from harness.api.run import run_suites
    from harness.api.trend import trend

# public name -> module that defines it
_EXPORTS = {
    "run_suites": "harness.api.run",
    "rescore_run": "harness.api.rescore",
    "RescoreResult": "harness.api.rescore",
    "JudgeOptions": "harness.api.pairwise",
    "pairwise_diff": "harness.api.pairwise",
    "with_preference": "harness.api.pairwise",
    "compare_arms": "harness.api.compare",
    "trend": "harness.api.trend",
    "write_review": "harness.api.review",
    "import_labels": "harness.api.review",
    "prefer_human": "harness.api.review",
    "diff_preferring_human": "harness.api.review",
    "run_agreement": "harness.api.agreement",
}

__all__ = [
    "JudgeOptions",
    "RescoreResult",
    "compare_arms",
    "diff_preferring_human",
    "import_labels",
    "pairwise_diff",
    "prefer_human",
    "rescore_run",
    "run_agreement",
    "run_suites",
    "trend",
    "with_preference",
    "write_review",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
