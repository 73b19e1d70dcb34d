"""Credentials inside `--base-url` (user, password, `key=`, `token=`) reach no file a run writes (results,
manifest, report, cassette) and none of the output of run, runs list, report and diff."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from _transport_helpers import FAKE_KEY, LeakRun, all_bytes_under, leak_run

from harness.cli import main
from harness.transport import redact

__all__ = ["leak_run"]  # the fixture

USER, PASSWORD = "gateway-user-alice", "Pa55w0rd-of-the-gateway"
QUERY_KEY, TOKEN = "KEYINQUERY-0123456789", "TOKENINQUERY-987654321"
SECRETS = (USER, PASSWORD, QUERY_KEY, TOKEN, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())


def with_credentials(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{USER}:{PASSWORD}@{rest}/?key={QUERY_KEY}&token={TOKEN}"


def test_a_whole_run_through_a_gateway_url_with_credentials_leaks_none_of_them(
    tmp_path: Path, leak_run: LeakRun
) -> None:
    suite, out, url = leak_run.suite, leak_run.out, leak_run.url
    args = ["--base-url", with_credentials(url), "--out", str(out)]
    assert main(["run", str(suite), *args, "--mode", "record", "--run-id", "recorded"]) == 1
    assert main(["run", str(suite), *args, "--mode", "live", "--run-id", "live"]) == 1
    assert main(["run", str(suite), "--mode", "replay", "--out", str(out), "--run-id", "replayed"]) == 1
    assert main(["runs", "list", "--out", str(out)]) == 0
    assert main(["runs", "list", "--out", str(out), "--json"]) == 0
    assert main(["report", "live", "--results", str(out)]) == 0
    main(["diff", "recorded", "live", "--results", str(out), "--html", str(tmp_path / "diff.html")])
    output = leak_run.output()
    host = url.split("://", 1)[1]
    assert f"base_url:{host}" in output  # the gateway is still named, by host only
    files = dict(all_bytes_under(tmp_path))
    assert (tmp_path / "cassettes" / "leaky.cassette.yaml") in files and (
        out / "live" / "report.html"
    ) in files
    for secret in (*SECRETS, FAKE_KEY):
        assert secret not in output, secret
        for path, data in files.items():
            assert secret.encode() not in data, (secret, path)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://u-ser1:p%40ss-word@gw.example:8443/v?key=abcdefgh", "gw.example:8443"),
        ("gw.example/path?token=abcdefgh", "gw.example"),
        ("http://[::1", "{REDACTED}"),
    ],
)
def test_public_host_keeps_only_host_and_port(url: str, host: str) -> None:
    assert redact.public_host(url) == host
    assert "abcdefgh" not in redact.redact_url(url) and "p%40ss" not in redact.redact_url(url)


def test_url_secrets_include_the_decoded_password() -> None:
    assert redact.url_secrets("https://u-ser1:p%40ss-word@gw/?key=abcdefgh") == {
        "u-ser1",
        "p%40ss-word",
        "p@ss-word",
        "abcdefgh",
    }
