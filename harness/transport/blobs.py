"""Content-addressed blob store shared by every cassette in a directory: `<sha256>.<ext>`.

Images and thought signatures are stored once as decoded bytes (no base64 inflation, no duplicates) and
checked against their name on every first read, so a tampered or missing blob is a clear error.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

from harness.errors import HarnessError
from harness.files import atomic_write


class CassetteError(HarnessError):
    """A cassette or its blob store is unreadable, incomplete or tampered with."""


_NAME = re.compile(r"[0-9a-f]{64}\.[a-z0-9]+")
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"))


def sniff_ext(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((ext for magic, ext in _MAGIC if data.startswith(magic)), "bin")


class BlobStore:
    """Thread-safe; verified blobs are remembered by (size, mtime) so replays hash each file once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._verified: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def name_for(self, data: bytes) -> str:
        return f"{hashlib.sha256(data).hexdigest()}.{sniff_ext(data)}"

    def put(self, data: bytes) -> str:
        """Store once; a file already there that does not hold these bytes (tampered, torn) is rewritten,
        so re-recording repairs it."""
        name = self.name_for(data)
        path = self.root / name
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data)
            with self._lock:
                self._verified.pop(name, None)
        return name

    def path(self, name: str) -> Path:
        if "/" in name or "\\" in name or name.startswith("."):
            raise CassetteError(f"invalid blob reference {name!r}", file=self.root)
        return self.root / name

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def get(self, name: str, *, cassette: Path | None = None) -> bytes:
        path = self.path(name)
        where = f" (referenced by {cassette})" if cassette else ""
        try:
            data = path.read_bytes()
            stat = path.stat()
        except FileNotFoundError:
            raise CassetteError(
                f"blob {name} is missing{where}",
                file=path,
                hint="restore the blobs/ directory from git, or re-record: harness run SUITE --mode record",
            ) from None
        stamp = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._verified.get(name) == stamp
        if not known:
            if hashlib.sha256(data).hexdigest() != name.split(".", 1)[0]:
                raise CassetteError(
                    f"blob {name} does not match its sha256 (tampered or corrupted){where}",
                    file=path,
                    hint="restore it from git, or re-record: harness run SUITE --mode record",
                )
            with self._lock:
                self._verified[name] = stamp
        return data

    def verify(self, name: str) -> str | None:
        """None when the blob is present and intact, else what is wrong with it."""
        try:
            self._verified.pop(name, None)
            self.get(name)
        except CassetteError as exc:
            return exc.message
        return None

    def names(self) -> list[str]:
        """Only files named like blobs: prune never touches anything else someone put here."""
        return sorted(p.name for p in self.root.glob("*.*") if _NAME.fullmatch(p.name))
