"""The record journal: `<cassette>.journal` beside the cassette, one JSON line per finished trial.

A cassette is rewritten only when its session closes, so a recording run killed with -9 would lose
every recording it made. Instead each trial's interactions are appended here (and fsynced) as the trial
ends, before its record reaches trials.jsonl; the journal is folded into the cassette when the session
closes, and on the next start if the process died first. An entry is written before its blobs, so an
entry whose blobs did not all reach the disk is dropped at folding (its trial is not in trials.jsonl, a
resume re-runs it) and the blobs it did write are removed unless another cassette names them. Before a
save drops recordings (a re-record replaced them), a `remove` line names their blobs, so a kill between
that save and their removal leaves the next fold a note of what is left to remove.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from harness.transport.blobs import BlobStore, CassetteError
from harness.transport.bodies import response_refs
from harness.transport.cassette import SUFFIX, Cassette, Interaction, rerecorded, trial_of

log = logging.getLogger("harness.transport")


def journal_path(cassette: Path) -> Path:
    return Path(cassette).with_name(Path(cassette).name + ".journal")


class Journal:
    """Appends entries for one cassette; thread-safe."""

    def __init__(self, cassette: Path) -> None:
        self.path = journal_path(cassette)
        self._lock = threading.Lock()
        self._fh: Any = None

    def append(self, header: dict[str, Any], interactions: list[Interaction]) -> None:
        self._write({"header": header, "interactions": [i.to_yaml() for i in interactions]})

    def note_removal(self, names: set[str]) -> None:
        self._write({"remove": sorted(names)})

    def _write(self, doc: dict[str, Any]) -> None:
        line = json.dumps(doc) + "\n"
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def discard(self) -> None:
        """After the cassette holding every entry was saved."""
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
            self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> tuple[list[tuple[dict[str, Any], list[Interaction]]], set[str]]:
    """The entries, and the blobs its `remove` lines name. Whole lines only: a torn last line is a trial
    that never finished committing (or a removal note never completed, whose save never happened)."""
    entries = []
    removals: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        try:
            doc = json.loads(line)
            if "remove" in doc:
                removals.update(str(name) for name in doc["remove"])
                continue
            items = [
                Interaction(i["key"], i["request"], i["response"], i.get("trial"))
                for i in doc["interactions"]
            ]
        except (json.JSONDecodeError, KeyError, TypeError):
            log.warning("%s: an unreadable journal line was skipped", path)
            continue
        entries.append((dict(doc.get("header") or {}), items))
    return entries, removals


def fold_journal(cassette_path: Path, *, keep_good: bool = True) -> int:
    """Fold a journal left by a run that died into its cassette; returns how many trials it added."""
    path = journal_path(cassette_path)
    if not path.exists():
        return 0
    blobs = BlobStore(Path(cassette_path).parent / "blobs")
    kept: list[Interaction] = []
    header: dict[str, Any] = {}
    entries, doomed = read_journal(path)  # doomed: blobs of dropped entries and of replaced recordings
    journal = Journal(Path(cassette_path))
    for entry_header, items in entries:
        names = set().union(*(response_refs(i.response) for i in items)) if items else set()
        doomed |= names
        for name in names:  # a blob write the kill cut short (atomic_write's temp file)
            for torn in blobs.root.glob(f".{name}.*.tmp"):
                torn.unlink(missing_ok=True)
        if any(not blobs.exists(n) for n in names):
            continue
        ran = {trial_of(i) for i in items}
        kept = [i for i in kept if trial_of(i) not in ran] + items
        header = {**header, **entry_header}
    if kept:
        try:
            old = Cassette.load(cassette_path, check_blobs=False) if Path(cassette_path).exists() else None
        except CassetteError as exc:
            log.warning("%s; the journal is folded into a fresh cassette", exc)
            old = None
        new = Cassette(Path(cassette_path), header or (old.header if old else {}), kept)
        folded = rerecorded(old, new, keep_good=keep_good) if old is not None else new
        doomed = (doomed | (old.refs() if old is not None else set())) - folded.refs()
        if doomed:
            journal.note_removal(doomed)
        folded.save()
    remove_unnamed(blobs, doomed, Path(cassette_path).parent)
    journal.discard()
    return len({trial_of(i) for i in kept})


def remove_unnamed(blobs: BlobStore, names: set[str], folder: Path) -> None:
    """Remove the blobs among `names` (of a dropped entry, or of recordings a re-record replaced) that no
    cassette in the folder names: they are content-addressed and shared, so only an unnamed one may go."""
    present = {n for n in names if blobs.exists(n)}
    if not present:
        return
    named: set[str] = set()
    for other in folder.glob(f"*{SUFFIX}"):
        try:
            named |= Cassette.load(other, check_blobs=False).refs()
        except CassetteError:
            return  # cannot tell what an unreadable cassette names: keep every blob
    for name in present - named:
        blobs.path(name).unlink(missing_ok=True)
