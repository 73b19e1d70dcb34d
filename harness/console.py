"""The rich console every command prints tables to: a terminal keeps its width, a pipe gets PIPED_WIDTH."""

from __future__ import annotations

from rich.console import Console

PIPED_WIDTH = 160  # rich falls back to 80 columns off a terminal, which folds the tables into slivers


def wide(console: Console | None = None) -> Console:
    """`console` (default: a new one on stdout), at PIPED_WIDTH columns when it is not a terminal and is
    narrower than that."""
    given = console or Console()
    if given.is_terminal or given.width >= PIPED_WIDTH:
        return given
    if console is None:
        return Console(width=PIPED_WIDTH)  # finds sys.stdout when it prints, as Console() does
    return Console(file=console.file, width=PIPED_WIDTH, no_color=console.no_color, stderr=console.stderr)
