"""Which files a suite may read: those under its project root (harness.files.project_root), the
harness's own template library, and whatever the user allowed with `--allow-outside PATH`. Symlinks are
followed before the check, so a link to /etc/passwd is outside however it is named."""

from __future__ import annotations

from pathlib import Path

from harness.context import input_policy
from harness.files import outside, project_root

ALLOW_HINT = "move the file into the project, or allow its folder: --allow-outside DIR"


def allowed_roots(suite_path: Path, *extra: Path) -> tuple[Path, ...]:
    return (project_root(Path(suite_path).parent), *extra, *input_policy.get().allow_outside)


def outside_problem(path: Path, suite_path: Path, what: str, *extra: Path) -> str | None:
    """A sentence saying `path` lies outside what the suite may read, or None when it may read it."""
    resolved = outside(path, allowed_roots(suite_path, *extra))
    if resolved is None:
        return None
    return (
        f"{what} {path} resolves to {resolved}, outside the project {project_root(Path(suite_path).parent)}"
    )
