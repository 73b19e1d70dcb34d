"""Record/replay transport under the google-genai SDK: modes, cassettes, blobs, matching, redaction.

The names below load on first use: `TransportSession` imports the SDK (~0.5 s), which commands that
only need a leaf module (`redact`, `b64`) should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.errors import ReplayMiss
    from harness.transport.blobs import CassetteError
    from harness.transport.modes import Mode, cassette_path, resolve_mode
    from harness.transport.session import TransportSession

_EXPORTS = {
    "ReplayMiss": "harness.errors",
    "CassetteError": "harness.transport.blobs",
    "Mode": "harness.transport.modes",
    "cassette_path": "harness.transport.modes",
    "resolve_mode": "harness.transport.modes",
    "TransportSession": "harness.transport.session",
}

__all__ = ["CassetteError", "Mode", "ReplayMiss", "TransportSession", "cassette_path", "resolve_mode"]


__getattr__ = lazy_exports(__name__, _EXPORTS)
