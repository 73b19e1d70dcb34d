"""The runner: TrialPlans through the google-genai SDK into a run directory.

`execute_trials(plans, client, writer, session, ...)` runs already-expanded trials (tests, tools); the
whole pipeline from suite files to a run directory is `harness.api.run_suites`.
"""

from harness.runner.retry import RetryPolicy
from harness.runner.run import execute_trials

__all__ = ["RetryPolicy", "execute_trials"]
