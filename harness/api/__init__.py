"""The orchestration layer: the only place that combines stages (suite, runner, scoring, transport,
diff, report). Front ends (cli, pytest plugin, demo) call it; no stage imports it.

Names are loaded on first use, so importing the package costs nothing until an operation runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.api.agreement import run_agreement
    from harness.api.compare import compare_arms
    from harness.api.merge import merge_shards
    from harness.api.pairwise import JudgeOptions, pairwise_diff, with_preference
    from harness.api.rescore import RescoreResult, rescore_run
    from harness.api.resume import Continuation, continuation
    from harness.api.review import diff_preferring_human, import_labels, prefer_human, write_review
    from harness.api.run import RunInterrupted, run_suites
    from harness.api.trend import trend

# public name -> module that defines it
_EXPORTS = {
    "run_suites": "harness.api.run",
    "rescore_run": "harness.api.rescore",
    "RescoreResult": "harness.api.rescore",
    "RunInterrupted": "harness.api.run",
    "continuation": "harness.api.resume",
    "Continuation": "harness.api.resume",
    "merge_shards": "harness.api.merge",
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
    "Continuation",
    "JudgeOptions",
    "RescoreResult",
    "RunInterrupted",
    "compare_arms",
    "continuation",
    "diff_preferring_human",
    "import_labels",
    "merge_shards",
    "pairwise_diff",
    "prefer_human",
    "rescore_run",
    "run_agreement",
    "run_suites",
    "trend",
    "with_preference",
    "write_review",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
