"""Every test runs with no key and none of the env vars that silently change the SDK's behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.context import current_request

if TYPE_CHECKING:
    from _pairwise_helpers import Compared

pytest_plugins = ("pytester",)

SUITES = Path(__file__).resolve().parent.parent / "suites"

# The files whose tests take seconds each start first, so under `-n 2` no long test is left for the end
# while the other worker idles; every other file keeps its place. Under --dist loadfile (which the plugin
# picks for `tests/`, since it holds suite files) xdist would sort the files by their number of tests
# instead, so its reordering is turned off (pytest_configure below).
SLOW_FIRST = (
    "test_pytest_plugin.py",
    "test_pairwise.py",
    "test_run_suites.py",
    "test_run_journal.py",
    "test_emulator.py",
    "test_diff.py",
    "test_batch_judge.py",
    "test_compare.py",
    "test_run_control.py",
    "test_report_browser.py",
    "test_batch_resume.py",
    "test_compare_browser.py",
    "test_batch_run.py",
)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))


_SCRUBBED = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_HTTP_CLIENT",
    "GOOGLE_GENAI_CLIENT_MODE",
    "GOOGLE_GENAI_REPLAYS_DIRECTORY",
    "GOOGLE_GENAI_REPLAY_ID",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "HARNESS_MODE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def _no_leaked_request_context() -> Iterator[None]:
    """Tests that set ``current_request`` outside a task must not hand it to the next test."""
    token = current_request.set(None)
    yield
    current_request.reset(token)


@pytest.fixture(scope="session")
def showcase_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The showcase's 36 trials replayed once per worker, for tests that only read the result; a test that
    changes a run works on a `shutil.copytree` of it."""
    from harness.api import run_suites

    out = tmp_path_factory.mktemp("showcase-run")
    return run_suites([SUITES / "showcase.yaml"], out=out, run_id="show", mode="replay")


@pytest.fixture(scope="session")
def pairwise_arms(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """The good, worse and twin emulator arms of `_pairwise_helpers`, run once per worker, never judged:
    a test records its judge answers (`--mode auto`) into a `copy_arms` of them, a cassette of its own."""
    from _pairwise_helpers import good_and_worse

    root = tmp_path_factory.mktemp("pairwise-arms")
    return good_and_worse(root, (("good", 1), ("worse", 2), ("twin", 1))), root


@pytest.fixture(scope="session")
def compared_arms(
    tmp_path_factory: pytest.TempPathFactory, pairwise_arms: tuple[list[Path], Path]
) -> Compared:
    """The three arms compared once per worker (recording the judge), for the compare JSON's assertions and
    the compare page in a browser; `copy_arms((runs, root), ...)` before recording into it again."""
    from _pairwise_helpers import compare_arms

    return compare_arms(pairwise_arms, tmp_path_factory.mktemp("compared-arms"))
