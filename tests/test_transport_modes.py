from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.transport import Mode, cassette_path, resolve_mode


def test_precedence_cli_env_suite_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_mode() is Mode.LIVE
    assert resolve_mode(suite="replay") is Mode.REPLAY
    monkeypatch.setenv("HARNESS_MODE", "auto")
    assert resolve_mode(suite="replay") is Mode.AUTO
    assert resolve_mode(cli="RECORD", suite="replay") is Mode.RECORD


def test_unknown_mode_names_source_and_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_MODE", "replya")
    with pytest.raises(UsageError) as err:
        resolve_mode()
    assert "HARNESS_MODE" in str(err.value) and "replay" in str(err.value)


def test_cassette_path_default_relative_and_absolute(tmp_path: Path) -> None:
    suite = tmp_path / "suites" / "shots.yaml"
    assert cassette_path(suite, "product shots") == tmp_path / "suites/cassettes/product_shots.cassette.yaml"
    assert cassette_path(suite, "s", Path("rec")) == tmp_path / "suites/rec/s.cassette.yaml"
    assert cassette_path(suite, "s", tmp_path / "abs") == tmp_path / "abs/s.cassette.yaml"
