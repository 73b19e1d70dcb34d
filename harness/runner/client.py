"""Build the one google-genai Client a suite's trials go through, with the transport injected under it.

The key comes from the environment only for the real Gemini backend; the emulator, replays and gateways
get a placeholder, because the SDK refuses to start without some key. Env vars that silently change the
SDK (replay client mode, API version, base URL, Vertex switches) are removed while the client is built.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from google import genai
from google.genai.client import DebugConfig

from harness.errors import UsageError

API_VERSION = "v1beta"
PLACEHOLDER_KEY = "harness-placeholder-key"  # sent to emulators, replays and gateways; never a real key
KEY_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # in the order the SDK prefers them
SDK_ENV_VARS = (
    "GOOGLE_GENAI_CLIENT_MODE",
    "GOOGLE_GENAI_REPLAYS_DIRECTORY",
    "GOOGLE_GENAI_REPLAY_ID",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_HTTP_CLIENT",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
)


def api_key_from_env() -> str | None:
    """The first non-empty key variable, or None. GOOGLE_API_KEY wins, as it does in the SDK."""
    for name in KEY_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def resolve_api_key(backend: str, mode: str) -> str:
    """The key to send. Live Gemini traffic (live, record, auto) needs a real one; a gateway may use one."""
    env_key = api_key_from_env()
    if mode == "replay" or backend == "emulator":
        return PLACEHOLDER_KEY
    if backend != "gemini":  # a Gemini-compatible gateway: pass a key along when there is one
        return env_key or PLACEHOLDER_KEY
    if env_key is None:
        raise UsageError(
            f"the Gemini backend (the default; --backend gemini) needs an API key for --mode {mode}, "
            "and neither GEMINI_API_KEY nor GOOGLE_API_KEY is set",
            hint="export GEMINI_API_KEY=... (or GOOGLE_API_KEY), or use --backend emulator, "
            "or --mode replay with recorded cassettes",
        )
    return env_key


@contextlib.contextmanager
def scrubbed_sdk_env() -> Iterator[None]:
    """Hide SDK-steering env vars while a Client reads them at construction, then put them back."""
    saved = {name: os.environ.pop(name) for name in SDK_ENV_VARS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def build_client(api_key: str, http_options: Any) -> genai.Client:
    """A Developer-API client with explicit key, options and no SDK replay mode, whatever the env says."""
    with scrubbed_sdk_env():
        return genai.Client(
            vertexai=False,
            api_key=api_key,
            http_options=http_options,
            debug_config=DebugConfig(client_mode=None, replays_directory=None, replay_id=None),
        )
