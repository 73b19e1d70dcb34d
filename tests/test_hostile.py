"""The hostile-input corpus: every file under tests/hostile/{suites,cassettes,runs,args} is one bad input.

Each is laid out in a fresh project (the shared files of tests/hostile/_assets beside it, a folder
`outside/` next to the project holding secrets) and run through the CLI in-process. Each must end with
exit 2, a message naming the file it says (`# names:`) and the fact it says (`# expect:`), no traceback,
no request sent (the run commands point at a listening socket that counts connections) and no file
under `outside/` or /etc opened (an audit hook watches every `open`).

Header lines of an entry: `# hostile:` what it is, `# expect:` a fragment of the error, `# names:` the
file the error must name, `# link: REL -> TARGET` a symlink made in the project, `# argv:` the command
(placeholders {file} {project} {asset} {outside} {server} {run}), `# file:` for runs/: which run file
the body (every line after the header) replaces, `# as:` the name the entry is written under, `# never:`
a secret the output must not contain.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from harness.cli import main

CORPUS = Path(__file__).parent / "hostile"
ASSETS = CORPUS / "_assets"
KINDS = ("suites", "cassettes", "runs", "args")
SERVER = "http://127.0.0.1:{port}"
DEFAULT_ARGV = {
    "suites": "run {file} --mode record --base-url {server} --out {project}/results",
    "cassettes": "cassettes import-vcr {file} --out {project}/imported",
    "runs": "report {run}",
    "args": "",
}
SECRETS = {
    "secret.png": (ASSETS / "images" / "ok.png").read_bytes(),
    "secret.py": b"def check(ctx, params):\n    return True\n",
    "secret.j2": b"the secret prompt\n",
    "secret-style.yaml": b'version: "1"\nprefix: secret\n',
}


@dataclass
class Entry:
    path: Path
    kind: str
    expect: str = ""
    names: str = ""
    argv: str = ""
    run_file: str = "manifest.json"
    name: str = ""
    never: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.path.name}"


def parse(path: Path, kind: str) -> Entry:
    entry = Entry(path, kind, argv=DEFAULT_ARGV[kind])
    lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True)
    body_from = 0
    for i, line in enumerate(lines):
        key, _, value = line.removeprefix("# ").partition(": ")
        if not line.startswith("# "):
            body_from = i
            break
        value = value.strip()
        if key == "expect":
            entry.expect = value
        elif key == "names":
            entry.names = value
        elif key == "argv":
            entry.argv = value
        elif key == "file":
            entry.run_file = value
        elif key == "as":
            entry.name = value
        elif key == "never":
            entry.never.append(value)
        elif key == "link":
            rel, _, target = value.partition(" -> ")
            entry.links.append((rel, target))
    else:
        body_from = len(lines)
    entry.body = "".join(lines[body_from:])
    return entry


def corpus() -> list[Entry]:
    return [parse(p, kind) for kind in KINDS for p in sorted((CORPUS / kind).glob("*")) if p.is_file()]


ENTRIES = corpus()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[int]]]:
    """A socket that accepts and counts: any request the harness sent would land here."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            accepted.append(1)
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )  # no retry
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield SERVER.format(port=sock.getsockname()[1]), accepted
    sock.close()


class OpenWatch:
    """Records every file opened under the watched folders (symlinks resolved); one hook per process."""

    watched: ClassVar[tuple[Path, ...]] = ()
    seen: ClassVar[list[str]] = []
    _busy = False

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if event != "open" or not cls.watched or cls._busy or not isinstance(args[0], (str, Path)):
            return
        cls._busy = True
        try:
            resolved = Path(args[0]).resolve()
            if any(resolved.is_relative_to(w) for w in cls.watched):
                cls.seen.append(str(resolved))
        finally:
            cls._busy = False


sys.addaudithook(OpenWatch.hook)


def lay_out(entry: Entry, tmp: Path, server_url: str) -> tuple[Path, list[str]]:
    project = tmp / "project"
    outside = tmp / "outside"
    shutil.copytree(ASSETS, project)
    (project / "pyproject.toml").write_text("[project]\nname = 'hostile'\n")
    outside.mkdir()
    for name, data in SECRETS.items():
        (outside / name).write_bytes(data)
    for rel, target in entry.links:
        link = project / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target.replace("@OUTSIDE@", str(outside)))
    target_dir = project / entry.kind
    target_dir.mkdir(exist_ok=True)
    file = target_dir / (entry.name or entry.path.name)
    text = entry.path.read_text(encoding="utf-8", errors="surrogateescape").replace("@OUTSIDE@", str(outside))
    file.write_text(text, encoding="utf-8", errors="surrogateescape")
    run = project / "results" / "run"
    if entry.kind == "runs":
        shutil.copytree(ASSETS / "run", run)
        (run / entry.run_file).write_text(entry.body, encoding="utf-8", errors="surrogateescape")
    values = {
        "file": file,
        "project": project,
        "asset": project,
        "outside": outside,
        "server": server_url,
        "run": run,
    }
    return project, [part.format(**values) for part in entry.argv.split()]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_hostile_input_is_a_clear_error(
    entry: Entry,
    tmp_path: Path,
    server: tuple[str, list[int]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert entry.expect and entry.names and entry.argv, f"{entry.id}: needs # expect:, # names: and an argv"
    url, accepted = server
    project, argv = lay_out(entry, tmp_path, url)
    monkeypatch.chdir(project)
    monkeypatch.setenv("GEMINI_API_KEY", "hostile-test-key-not-real")
    before = len(accepted)
    OpenWatch.watched, OpenWatch.seen = ((tmp_path / "outside").resolve(), Path("/etc/passwd")), []
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    finally:
        OpenWatch.watched = ()
    out, err = capsys.readouterr()
    output = out + err
    assert code == 2, f"{entry.id}: exit {code}\n{output}"
    assert "Traceback" not in output, output
    assert entry.names in output, f"{entry.id}: the message does not name {entry.names}\n{output}"
    assert entry.expect in output, f"{entry.id}: the message does not say {entry.expect!r}\n{output}"
    assert len(accepted) == before, f"{entry.id}: a request was sent"
    for secret in entry.never:
        assert secret not in output, f"{entry.id}: the output shows {secret!r}"
    assert not OpenWatch.seen, f"{entry.id}: read outside the project: {OpenWatch.seen}"
    assert not (project / "scorers" / "IMPORTED.marker").exists(), f"{entry.id}: scorer code executed"


def test_corpus_covers_every_class() -> None:
    """At least 60 entries, and every kind of hostile input the issue lists has some."""
    assert len(ENTRIES) >= 60
    counts = {kind: sum(e.kind == kind for e in ENTRIES) for kind in KINDS}
    assert all(counts.values()), counts


def test_the_watchers_can_fail(
    tmp_path: Path, server: tuple[str, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The controls: the valid suite does reach the socket, and an open outside the project is seen."""
    url, accepted = server
    entry = Entry(ASSETS / "suites" / "valid.yaml", "suites", argv=DEFAULT_ARGV["suites"])
    project, argv = lay_out(entry, tmp_path, url)
    before = len(accepted)
    main(argv)
    capsys.readouterr()
    assert len(accepted) > before
    OpenWatch.watched, OpenWatch.seen = ((tmp_path / "outside").resolve(),), []
    try:
        (project / "images" / "leak.png").symlink_to(tmp_path / "outside" / "secret.png")
        (project / "images" / "leak.png").read_bytes()
    finally:
        OpenWatch.watched = ()
    assert OpenWatch.seen == [str((tmp_path / "outside" / "secret.png").resolve())]
