"""Content-addressed blob store shared by every cassette in a directory: `<sha256>.<ext>`.

Images and thought signatures are stored once as decoded bytes (no base64 inflation, no duplicates) and
checked against their name on every first read, so a tampered or missing blob is a clear error.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from harness.errors import HarnessError
from harness.files import atomic_write
from harness.transport import b64


class CassetteError(HarnessError):
    """A cassette or its blob store is unreadable, incomplete or tampered with."""


class UnreadableCassette(CassetteError):
    """A file that is not a cassette the harness can read (not YAML, not text, wrong shape): exit 2."""

    exit_code = 2


_NAME = re.compile(r"[0-9a-f]{64}\.[a-z0-9]+")
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"))


def sniff_ext(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((ext for magic, ext in _MAGIC if data.startswith(magic)), "bin")


ENCODED_CACHE_BYTES = 64 << 20  # base64 text kept for blobs replayed again (repeats, shared judge answers)


class BlobStore:
    """Thread-safe; verified blobs are remembered by (size, mtime) so replays hash each file once, and
    their base64 text (`encoded`) is kept, so a blob several responses carry is encoded once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._verified: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._encoded: OrderedDict[tuple[str, bool, bool], tuple[tuple[int, int], bytes]] = OrderedDict()
        self._encoded_bytes = 0

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
        return self._read(name, cassette)[0]

    def _read(self, name: str, cassette: Path | None) -> tuple[bytes, tuple[int, int] | None]:
        """The blob's bytes, verified against its name unless verified before at the same (size, mtime),
        and that stamp (one open, one fstat, one read)."""
        path = self.path(name)
        where = f" (referenced by {cassette})" if cassette else ""
        try:
            with open(path, "rb") as fh:
                stat = os.fstat(fh.fileno())
                data = fh.read()
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
        return data, stamp

    def encoded(self, name: str, *, urlsafe: bool, padded: bool, cassette: Path | None = None) -> bytes:
        """The blob as the base64 text (ASCII bytes) a replayed JSON body carries. Kept (least recently
        used first out, up to ENCODED_CACHE_BYTES) while its file's (size, mtime) stays the same: a blob
        replayed again is then neither read, hashed nor encoded; a changed file is read and verified as
        by `get`."""
        key = (name, urlsafe, padded)
        with self._lock:
            hit = self._encoded.get(key)
        if hit is not None:
            try:
                stat = self.path(name).stat()
            except OSError:
                stat = None
            if stat is not None and hit[0] == (stat.st_size, stat.st_mtime_ns):
                with self._lock:
                    self._encoded.move_to_end(key)
                return hit[1]
        data, stamp = self._read(name, cassette)
        text = b64.encode_ascii(b64.Decoded(data, urlsafe, padded))
        if stamp is not None and len(text) <= ENCODED_CACHE_BYTES:
            with self._lock:
                old = self._encoded.pop(key, None)
                self._encoded_bytes += len(text) - (len(old[1]) if old else 0)
                self._encoded[key] = (stamp, text)
                while self._encoded_bytes > ENCODED_CACHE_BYTES:
                    _, (_, dropped) = self._encoded.popitem(last=False)
                    self._encoded_bytes -= len(dropped)
        return text

    def verified_file(self, data: bytes, sha256: str) -> Path | None:
        """The blob file holding exactly `data` (whose sha256 the caller computed), when this store has
        read and verified it and it has not changed since (same size and mtime); else None. A run links
        its images from here instead of writing the same bytes again (`harness.store.RunWriter`)."""
        name = f"{sha256}.{sniff_ext(data)}"
        with self._lock:
            stamp = self._verified.get(name)
        if stamp is None or stamp[0] != len(data):
            return None
        path = self.root / name
        try:
            stat = path.stat()
        except OSError:
            return None
        return path if (stat.st_size, stat.st_mtime_ns) == stamp else None

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


class StagedBlobStore(BlobStore):
    """A recording session's store: new blobs wait in memory until the trial that made them is committed
    (`write`), so a run killed mid-trial leaves no blob that no cassette or journal names."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._staged: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        name = self.name_for(data)
        path = self.root / name
        if not path.is_file() or path.read_bytes() != data:
            with self._lock:
                self._staged[name] = data
        return name

    def _read(self, name: str, cassette: Path | None) -> tuple[bytes, tuple[int, int] | None]:
        """A staged blob has no file yet, so no stamp: its base64 text is not kept."""
        with self._lock:
            data = self._staged.get(name)
        return (data, None) if data is not None else super()._read(name, cassette)

    def exists(self, name: str) -> bool:
        with self._lock:
            if name in self._staged:
                return True
        return super().exists(name)

    def write(self, names: set[str]) -> None:
        """Put the staged blobs among `names` on disk (each atomically)."""
        for name in sorted(names):
            with self._lock:
                data = self._staged.pop(name, None)
            if data is not None:
                atomic_write(self.path(name), data)
