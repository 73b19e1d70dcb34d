"""The runner: TrialPlans through the google-genai SDK into a run directory.

`execute_trials(plans, client, writer, session, ...)` runs already-expanded trials (tests, tools); the
whole pipeline from suite files to a run directory is `harness.api.run_suites`.

The two names load on first use: importing any runner module (`harness runs list` imports its CLI
module) would otherwise import the SDK, ~0.6 s, through `retry`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.runner.retry import RetryPolicy
    from harness.runner.run import execute_trials

_EXPORTS = {"RetryPolicy": "harness.runner.retry", "execute_trials": "harness.runner.run"}

__all__ = ["RetryPolicy", "execute_trials"]


__getattr__ = lazy_exports(__name__, _EXPORTS)
