"""Client construction: keys only from the environment, never echoed; SDK-steering env vars ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.genai import types

from harness.errors import UsageError
from harness.runner.client import PLACEHOLDER_KEY, build_client, resolve_api_key

FAKE_KEY = "test-key-not-real-0123456789"
ROOT = Path(__file__).resolve().parents[1]


def test_missing_key_names_both_variables():
    with pytest.raises(UsageError) as info:
        resolve_api_key("gemini", "live")
    text = str(info.value)
    assert "GEMINI_API_KEY" in text and "GOOGLE_API_KEY" in text and "--backend emulator" in text
    assert info.value.exit_code == 2


@pytest.mark.parametrize("var", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
def test_key_comes_from_either_variable(monkeypatch, var):
    monkeypatch.setenv(var, f"  {FAKE_KEY}  ")
    assert resolve_api_key("gemini", "record") == FAKE_KEY


def test_no_real_key_needed_for_emulator_or_replay(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    assert resolve_api_key("emulator", "live") == PLACEHOLDER_KEY
    assert resolve_api_key("gemini", "replay") == PLACEHOLDER_KEY  # a replay never sends the key anywhere
    assert (
        resolve_api_key("base_url:gw.local", "live") == FAKE_KEY
    )  # a gateway gets the key when there is one
    monkeypatch.delenv("GEMINI_API_KEY")
    assert resolve_api_key("base_url:gw.local", "live") == PLACEHOLDER_KEY


def test_sdk_env_vars_do_not_steer_the_client(monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_CLIENT_MODE", "replay")
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1alpha")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "http://elsewhere.invalid")
    client = build_client(FAKE_KEY, types.HttpOptions(base_url="http://127.0.0.1:9", api_version="v1beta"))
    api = client._api_client
    assert type(api).__name__ == "BaseApiClient"  # not the SDK's ReplayApiClient
    assert api._http_options.api_version == "v1beta"
    assert os.environ["GOOGLE_GENAI_CLIENT_MODE"] == "replay"  # restored for the rest of the process


def test_cli_missing_key_message_has_no_key_and_no_traceback(tmp_path):
    suite = tmp_path / "one.yaml"
    suite.write_text(
        "suite: one\ndefaults: {model: gemini-2.5-flash-image}\ncases:\n  - id: a\n    prompt: a cat\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "HARNESS_MODE")
    }
    env["GEMINI_API_KEY"] = ""  # set but empty: still missing
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "run",
            str(suite),
            "--backend",
            "gemini",
            "--mode",
            "live",
            "--out",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "GEMINI_API_KEY" in done.stderr and "GOOGLE_API_KEY" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "results").exists()  # failed before any run directory or request


def test_key_value_never_in_any_error_text(tmp_path, monkeypatch):
    """A failing live call (nothing listens on the port) reports an error without the key in it. One SDK
    attempt: without retry options the SDK's aiohttp client sleeps 1-10 s and connects once more."""
    import asyncio

    from _runner_helpers import plan, writer

    from harness.runner import RetryPolicy, execute_trials

    once = types.HttpRetryOptions(attempts=1)
    options = types.HttpOptions(
        base_url="http://127.0.0.1:9", api_version="v1beta", timeout=2000, retry_options=once
    )
    client = build_client(FAKE_KEY, options)
    w = writer(tmp_path)
    (record,) = asyncio.run(
        execute_trials([plan(tmp_path)], client, w, None, policy=RetryPolicy(max_attempts=1))
    )
    w.close("finished")
    assert record.outcome == "error"
    stored = "".join(p.read_text() for p in w.dir.glob("*.json*"))
    assert FAKE_KEY not in stored and FAKE_KEY not in record.error.message
