"""Record/replay transport under the google-genai SDK: modes, cassettes, blobs, matching, redaction."""

from __future__ import annotations

from harness.errors import ReplayMiss
from harness.transport.blobs import CassetteError
from harness.transport.modes import Mode, cassette_path, resolve_mode
from harness.transport.session import TransportSession

__all__ = ["CassetteError", "Mode", "ReplayMiss", "TransportSession", "cassette_path", "resolve_mode"]
