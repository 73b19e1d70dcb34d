"""Which files are suites: one rule for `harness run/validate FOLDER` and for `pytest suites/`."""

from __future__ import annotations

import re
from pathlib import Path

SUITE_SUFFIXES = (".yaml", ".yml")
_SUITE_KEY = re.compile(r"^suite\s*:", re.MULTILINE)


def is_suite_file(path: Path) -> bool:
    """A YAML file with a top-level `suite:` line; cassettes and the style library (templates/) are not.

    The key is looked for in the text, not parsed: a suite too broken to parse is still a suite (its
    validation then says why), and pytest can ask this of every YAML file it meets cheaply."""
    if path.suffix not in SUITE_SUFFIXES or ".cassette." in path.name or "templates" in path.parts:
        return False
    try:
        return bool(_SUITE_KEY.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False
