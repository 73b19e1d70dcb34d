"""Importing this file writes a marker: validation must never import it."""

from pathlib import Path

Path(__file__).with_name("IMPORTED.marker").write_text("validate executed scorer code\n")


def present(ctx, params):
    return True
