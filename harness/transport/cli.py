"""`harness cassettes import-vcr | verify | stats | prune`."""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from harness.errors import UsageError
from harness.transport.blobs import BlobStore
from harness.transport.cassette import Cassette, find_cassettes
from harness.transport.vcr_import import import_vcr


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cassettes")
    sub = p.add_subparsers(dest="cassettes_command", required=True, metavar="ACTION")
    imp = sub.add_parser(
        "import-vcr", help="convert vcrpy cassettes (body.string or parsed_body) to harness ones"
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="cassettes dir (blobs/ goes inside)"
    )
    imp.add_argument(
        "--suite",
        metavar="NAME",
        help="merge every FILE into the one cassette suite NAME replays (default: a cassette per FILE)",
    )
    imp.set_defaults(func=_import)
    for name, func, text in (
        ("verify", _verify, "check every referenced blob exists and matches its hash"),
        ("stats", _stats, "sizes, interaction and blob counts"),
        ("prune", _prune, "delete blobs no cassette references"),
    ):
        q = sub.add_parser(name, help=text)
        q.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR")
        if name == "prune":
            q.add_argument("--dry-run", action="store_true", help="list what would be deleted")
        q.set_defaults(func=func)


def _load_all(root: Path) -> dict[Path, list[Cassette]]:
    """Cassettes grouped by the blobs dir they share."""
    paths = find_cassettes(root)
    if not paths:
        raise UsageError(f"no *.cassette.yaml under {root}", hint="pass the directory holding your cassettes")
    groups: dict[Path, list[Cassette]] = defaultdict(list)
    for path in paths:
        cassette = Cassette.load(path, check_blobs=False)
        groups[cassette.blobs.root].append(cassette)
    return groups


def _import(args: argparse.Namespace) -> int:
    for out in import_vcr(args.files, args.out, args.suite):
        cassette = Cassette.load(out)
        sources = ", ".join(cassette.header["imported_from"])
        counts = f"{len(cassette.interactions)} interaction(s), {len(cassette.refs())} blob(s)"
        print(f"{sources} -> {out} ({counts})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    problems = 0
    for root, cassettes in _load_all(args.dir).items():
        store = BlobStore(root)
        for cassette in cassettes:
            for name in sorted(cassette.refs()):
                error = store.verify(name)
                if error:
                    problems += 1
                    print(f"{cassette.path}: {error}")
    print("ok: every blob present and intact" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _stats(args: argparse.Namespace) -> int:
    for root, cassettes in _load_all(args.dir).items():
        refs: set[str] = set()
        for c in cassettes:
            refs |= c.refs()
            print(
                f"{c.path}: {len(c.interactions)} interaction(s), {len(c.refs())} blob(s), "
                f"{_size(c.path):,} bytes, backend {c.header.get('backend')}, "
                f"recorded {c.header.get('recorded_at')}"
            )
        on_disk = BlobStore(root).names()
        total = sum(_size(root / n) for n in on_disk)
        orphans = len(set(on_disk) - refs)
        print(f"{root}: {len(on_disk)} blob(s), {total:,} bytes, {orphans} unreferenced")
    return 0


def _prune(args: argparse.Namespace) -> int:
    for root, cassettes in _load_all(args.dir).items():
        refs = set().union(*(c.refs() for c in cassettes))
        orphans = [n for n in BlobStore(root).names() if n not in refs]
        for name in orphans:
            if not args.dry_run:
                (root / name).unlink()
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{root}: {verb} {len(orphans)} unreferenced blob(s)")
    return 0
