"""The runner: TrialPlans through the google-genai SDK into a run directory.

`run_suites(paths, ...) -> Path` is the whole pipeline (CLI, pytest plugin, demo);
`execute_trials(plans, client, writer, session, ...)` runs already-expanded trials (tests, tools).
"""

from harness.runner.retry import RetryPolicy
from harness.runner.run import execute_trials
from harness.runner.suites import run_suites

__all__ = ["RetryPolicy", "execute_trials", "run_suites"]
