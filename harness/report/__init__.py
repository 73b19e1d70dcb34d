"""Self-contained HTML pages (offline, opened from disk) for one run and for a diff of two."""

from harness.report.html import EMULATOR_BANNER, render_diff, render_run, write_diff_html, write_run_html

__all__ = ["EMULATOR_BANNER", "render_diff", "render_run", "write_diff_html", "write_run_html"]
