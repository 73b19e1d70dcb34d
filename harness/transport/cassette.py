"""The cassette file: one YAML document per suite, readable and diffable in git.

    format: prompt-harness-cassette/1
    sdk_version: 3.4.0          api_version: v1beta
    backend: emulator           # gemini | emulator | <base-url host>, joined by + when mixed
    recorded_at: 2025-...Z      suite: product-shots
    interactions:
    - key: 1f0c...              # canonical request hash (see canonical.py)
      trial: {suite, case, variant, repeat, step, purpose}
      request: {method, path, query?, body}          # canonical form, base64 leaves as "$bytes sha256=..."
      response: {status, headers, json | sse | text | blob | error}  # big base64 -> {$blob: <sha>.<ext>}

Blobs live in `blobs/` beside the cassette and are shared by every cassette there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.context import RequestContext
from harness.files import atomic_write, gc_paused, project_root, utc_now
from harness.transport import redact
from harness.transport.blobs import BlobStore, CassetteError, UnreadableCassette
from harness.transport.bodies import response_refs

log = logging.getLogger("harness.transport")
FORMAT = "prompt-harness-cassette/1"
SUFFIX = ".cassette.yaml"
PARSE_CACHE_ENTRIES = 256
CACHE_FOLDER = ".harness-cache"  # in the project root; holds its own .gitignore
RESTORE_HINT = "restore the blobs/ directory from git, or re-record: harness run SUITE --mode record"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def sdk_version() -> str:
    from google.genai import version

    return version.__version__


@dataclass
class Interaction:
    key: str
    request: dict[str, Any]
    response: dict[str, Any]
    trial: dict[str, Any] | None = None

    def context_matches(self, ctx: RequestContext | None) -> bool:
        return ctx is not None and ctx.same_trial(self.trial)

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key}
        if self.trial:
            out["trial"] = self.trial
        out["request"] = self.request
        out["response"] = self.response
        return out


@dataclass
class Cassette:
    path: Path
    header: dict[str, Any]
    interactions: list[Interaction] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.blobs = BlobStore(self.path.parent / "blobs")
        self.lock = threading.Lock()

    @classmethod
    def new(
        cls, path: Path, suite: str, *, api_version: str | None = None, backend: str = "unknown"
    ) -> Cassette:
        header = {
            "format": FORMAT,
            "sdk_version": sdk_version(),
            "api_version": api_version,
            "backend": backend,
            "recorded_at": utc_now(),
            "suite": suite,
        }
        return cls(path, header)

    @classmethod
    def load(cls, path: Path, *, check_blobs: bool = True) -> Cassette:
        path = Path(path)
        try:
            doc = _parsed(path)
        except FileNotFoundError:
            raise CassetteError(
                "no cassette here",
                file=path,
                hint="record it: harness run SUITE --mode record (or --mode auto)",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:  # a folder, unreadable, or not text
            raise UnreadableCassette(
                f"cannot read the cassette ({exc})", file=path, hint="restore it from git or re-record it"
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise UnreadableCassette(
                f"cassette is not valid YAML: {getattr(exc, 'problem', exc)}",
                file=path,
                line=mark.line + 1 if mark else None,
                hint="restore it from git or re-record it",
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise UnreadableCassette(
                f"not a harness cassette (format {found!r}, expected {FORMAT!r})",
                file=path,
                hint="vcrpy cassettes are converted with: harness cassettes import-vcr FILE --out DIR",
            )
        items = doc.pop("interactions", None) or []
        try:
            interactions = [Interaction(i["key"], i["request"], i["response"], i.get("trial")) for i in items]
        except (KeyError, TypeError) as exc:
            raise UnreadableCassette(f"malformed interaction ({exc})", file=path) from None
        cassette = cls(path, doc, interactions)
        if check_blobs:
            cassette.check_blobs_present()
        return cassette

    def refs(self) -> set[str]:
        return set().union(set(), *(response_refs(i.response) for i in self.interactions))

    def check_blobs_present(self) -> None:
        for n, inter in enumerate(self.interactions):
            for name in sorted(response_refs(inter.response)):
                if not self.blobs.exists(name):
                    raise CassetteError(
                        f"blob {name} of interaction {n} ({inter.request.get('path')}) is missing from "
                        f"{self.blobs.root}",
                        file=self.path,
                        hint=RESTORE_HINT,
                    )

    def dumps(self, secrets: set[str] | frozenset[str] = frozenset()) -> str:
        doc = {**self.header, "interactions": [i.to_yaml() for i in self.interactions]}
        text = yaml.dump(
            doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False
        )
        return redact.scrub(text, secrets)

    def save(self, secrets: set[str] | frozenset[str] = frozenset()) -> None:
        """Temp file + rename (harness.store.atomic_write): a killed run never leaves half a cassette."""
        with self.lock:
            text = self.dumps(secrets)
        atomic_write(self.path, text.encode("utf-8"))


def trial_of(inter: Interaction) -> tuple[Any, ...] | None:
    """The trial an interaction belongs to: its steps, retries and judge calls share it."""
    t = inter.trial
    return (t.get("suite"), t.get("case"), t.get("variant"), t.get("repeat")) if t else None


def rerecorded(old: Cassette, new: Cassette, *, keep_good: bool = False) -> Cassette:
    """`new` plus every interaction of `old` whose trial `new` did not record.

    A record run of part of a suite (one variant, fewer repeats) replaces the trials it ran and keeps
    the rest; one with no trial (imported from vcrpy) goes when its request is recorded again. The header
    is the new one, with any other fields of the old one, and the backends of both when the kept
    recordings came from elsewhere (`emulator+gemini`). `keep_good` keeps a trial's old recording when it
    ended well and the new one ended in an error (a re-record that met a 429 or an outage)."""
    fresh = list(new.interactions)
    if keep_good:
        fresh = _keep_good_recordings(old, fresh)
    ran = {trial_of(i) for i in fresh}
    keys = {i.key for i in fresh}
    kept = [i for i in old.interactions if trial_of(i) not in ran and (i.trial or i.key not in keys)]
    if not kept:
        return Cassette(new.path, new.header, fresh)
    backend = merge_backends(old.header.get("backend"), new.header.get("backend"))
    header = {**old.header, **new.header, "backend": backend}
    return Cassette(new.path, header, kept + fresh)


def ended_in_error(interactions: list[Interaction]) -> bool:
    """Whether a trial's recording ends with an error (status 400+ or a transport error)."""
    last = interactions[-1].response if interactions else {}
    return "error" in last or int(last.get("status") or 0) >= 400


def _keep_good_recordings(old: Cassette, fresh: list[Interaction]) -> list[Interaction]:
    by_trial: dict[Any, list[Interaction]] = {}
    for inter in old.interactions:
        by_trial.setdefault(trial_of(inter), []).append(inter)
    new_by_trial: dict[Any, list[Interaction]] = {}
    for inter in fresh:
        new_by_trial.setdefault(trial_of(inter), []).append(inter)
    lost = {
        t
        for t, items in new_by_trial.items()
        if t is not None and ended_in_error(items) and by_trial.get(t) and not ended_in_error(by_trial[t])
    }
    for trial in sorted(lost, key=str):
        log.warning(
            "%s: the re-record ended in an error; the earlier good recording is kept "
            "(--overwrite-errors replaces it)",
            "::".join(str(x) for x in trial),
        )
    return [i for i in fresh if trial_of(i) not in lost]


def backends_of(header_value: Any) -> set[str]:
    """The backends a cassette header names (`emulator+gemini` -> both); `unknown` names none."""
    return {b for b in str(header_value or "").split("+") if b and b != "unknown"}


def merge_backends(*values: Any) -> str:
    """One header value naming every backend the recordings came from, sorted: `emulator+gemini`."""
    names = set().union(*(backends_of(v) for v in values))
    return "+".join(sorted(names)) or "unknown"


def find_cassettes(root: Path) -> list[Path]:
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob(f"*{SUFFIX}") if not p.name.startswith("."))


def _parsed(path: Path) -> Any:
    """The cassette's YAML document, from the parse cache when this exact text was parsed before.

    The cache (`parse_cache_dir(path)`, one JSON file per cassette path, holding the sha256 of the text
    it was parsed from; the PARSE_CACHE_ENTRIES newest are kept) loads about ten times faster than the YAML
    (`bench/replay_scale.py`). A changed, torn or unreadable entry is
    a miss, never an error; a document JSON cannot hold exactly is never cached."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    entry = parse_cache_dir(path) / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]}.json"
    with gc_paused():
        try:
            cached = json.loads(entry.read_bytes())
            if isinstance(cached, dict) and cached.get("sha256") == digest:
                return cached["doc"]
        except (OSError, ValueError, KeyError):
            pass
        doc = yaml.load(raw.decode("utf-8"), Loader=_Loader)
        try:
            text = json.dumps({"sha256": digest, "doc": doc}, ensure_ascii=False)
            if json.loads(text)["doc"] == doc:  # no dates or other values JSON would change
                _ignored_by_git(entry.parent.parent)
                atomic_write(entry, text.encode("utf-8"), sync=False)
                _prune(entry.parent, PARSE_CACHE_ENTRIES)
        except (TypeError, ValueError, OSError):
            pass  # not cacheable, or a read-only cache folder: only the speed-up is lost
    return doc


def _prune(folder: Path, keep: int) -> None:
    """The `keep` most recently written entries stay (cassettes in temporary folders come and go)."""
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)


def parse_cache_dir(cassette: Path) -> Path:
    """Where a cassette's parsed copy is kept: `.harness-cache/cassettes` in the cassette's own project
    (`files.project_root`), so nothing outside the project is read or written."""
    return project_root(Path(cassette).parent) / CACHE_FOLDER / "cassettes"


def _ignored_by_git(folder: Path) -> None:
    """The cache folder carries its own `.gitignore` (as pytest's does), so no project has to list it."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        folder.mkdir(parents=True, exist_ok=True)
        ignore.write_text("# made by prompt-harness: parsed cassettes, safe to delete\n*\n")
