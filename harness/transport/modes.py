"""Transport modes and where a suite's cassette lives.

How the modes map to vcrpy's record modes:

| harness | vcrpy          | behaviour                                                                 |
|---------|----------------|---------------------------------------------------------------------------|
| replay  | none           | only recorded interactions; a request with no recording is a ReplayMiss   |
| record  | all            | every request goes out; on close its trials replace theirs, others kept   |
| auto    | new_episodes   | hits replay, misses go out and are appended; the rest is kept             |
| live    | (no cassette)  | plain pass-through, nothing stored                                        |

vcrpy's `once` (record when the cassette is absent, else replay-only) is `record` for the first run and
`replay` afterwards; CI pins `replay` explicitly so a missing recording fails instead of calling out.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from pathlib import Path

from harness.errors import UsageError

ENV_VAR = "HARNESS_MODE"


class Mode(StrEnum):
    LIVE = "live"
    RECORD = "record"
    REPLAY = "replay"
    AUTO = "auto"


def _parse(value: str, source: str) -> Mode:
    try:
        return Mode(value.strip().lower())
    except ValueError:
        valid = ", ".join(m.value for m in Mode)
        raise UsageError(
            f"unknown transport mode {value!r} from {source}", hint=f"use one of: {valid}"
        ) from None


def resolve_mode(cli: str | None = None, suite: str | None = None) -> Mode:
    """CLI beats the HARNESS_MODE env var, which beats the suite's `mode:`; the default is live."""
    if cli:
        return _parse(cli, "--mode")
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse(env, f"env {ENV_VAR}")
    if suite:
        return _parse(suite, "the suite's `mode:`")
    return Mode.LIVE


def cassette_path(suite_path: Path, suite_name: str, cassettes_dir: Path | None = None) -> Path:
    """`<suite dir>/cassettes/<suite>.cassette.yaml`; a relative cassettes_dir is taken from the suite's dir.

    Blobs live beside the cassettes in `<cassettes dir>/blobs/`, shared by every suite in that dir.
    """
    base = Path(suite_path).parent
    folder = base / "cassettes" if cassettes_dir is None else base / Path(cassettes_dir)
    return cassette_file(folder, suite_name)


def cassette_file(folder: Path, suite_name: str) -> Path:
    """The cassette a suite of that name replays from `folder` (the name made safe for a file)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", suite_name).strip("._") or "suite"
    return Path(folder) / f"{safe}.cassette.yaml"
