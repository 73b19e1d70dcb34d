"""Scores of deterministic scorers, remembered by what they read: (image sha256, the previous image's for
the scorers that compare, scorer, its parameters, scorer version). An unchanged re-score, or the replay of
the same cassette into another run, then decodes no image at all.

One append-only JSONL shared by every run under the same results folder (`<out>/.score-cache.jsonl`);
a torn or unreadable line is a miss, never an error. A scorer is cached only when its scores depend on
nothing but the key (`Scorer.cached`), so its skips are kept too (`preserved` with no previous image is
skipped the same way next time); what may skip for the machine's sake (OCR without tesseract) is never
cached.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from harness import __version__
from harness.record import Score

CACHE_FILE = ".score-cache.jsonl"
FORMAT = 1


class ScoreCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._entries: dict[str, list[dict[str, Any]]] | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(scorer: str, version: int, params: dict[str, Any], image: str, previous: str | None) -> str:
        what = [FORMAT, __version__, scorer, version, params, image, previous]
        return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()

    def _load(self) -> dict[str, list[dict[str, Any]]]:
        if self._entries is None:
            entries: dict[str, list[dict[str, Any]]] = {}
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except OSError:
                lines = []
            for line in lines:
                try:
                    item = json.loads(line)
                    entries[item["key"]] = item["scores"]
                except (ValueError, KeyError, TypeError):
                    continue
            self._entries = entries
        return self._entries

    def get(self, key: str) -> list[Score] | None:
        with self._lock:
            found = self._load().get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
        return [Score.model_validate(s) for s in found]

    def put_many(self, items: list[tuple[str, list[Score]]]) -> None:
        """Remember several keys' scores (a trial's) with one append: one open and one write, not one
        per expectation. The write is a single unbuffered system call, so concurrent appends stay whole
        lines."""
        if not items:
            return
        dumped = [
            (key, [s.model_dump(mode="json", exclude={"step", "weight"}) for s in scores])
            for key, scores in items
        ]
        data = "".join(json.dumps({"key": key, "scores": d}) + "\n" for key, d in dumped).encode()
        with self._lock:
            entries = self._load()
            for key, d in dumped:
                entries[key] = d
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "ab", buffering=0) as fh:
                    fh.write(data)
            except OSError:
                pass  # a read-only results folder only loses the speed-up
