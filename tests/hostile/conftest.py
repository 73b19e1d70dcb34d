"""The hostile corpus is data for tests/test_hostile.py, not suites for the harness pytest plugin to run."""

collect_ignore = ["_assets", "args", "cassettes", "runs", "suites"]
