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

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.context import RequestContext
from harness.files import atomic_write, utc_now
from harness.transport import redact
from harness.transport.blobs import BlobStore, CassetteError
from harness.transport.bodies import blob_refs

FORMAT = "prompt-harness-cassette/1"
SUFFIX = ".cassette.yaml"
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
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except FileNotFoundError:
            raise CassetteError(
                "no cassette here",
                file=path,
                hint="record it: harness run SUITE --mode record (or --mode auto)",
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise CassetteError(
                f"cassette is not valid YAML: {getattr(exc, 'problem', exc)}",
                file=path,
                line=mark.line + 1 if mark else None,
                hint="restore it from git or re-record it",
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise CassetteError(
                f"not a harness cassette (format {found!r}, expected {FORMAT!r})",
                file=path,
                hint="vcrpy cassettes are converted with: harness cassettes import-vcr FILE --out DIR",
            )
        items = doc.pop("interactions", None) or []
        try:
            interactions = [Interaction(i["key"], i["request"], i["response"], i.get("trial")) for i in items]
        except (KeyError, TypeError) as exc:
            raise CassetteError(f"malformed interaction ({exc})", file=path) from None
        cassette = cls(path, doc, interactions)
        if check_blobs:
            cassette.check_blobs_present()
        return cassette

    def refs(self) -> set[str]:
        return (
            set().union(*(blob_refs(i.response) for i in self.interactions)) if self.interactions else set()
        )

    def check_blobs_present(self) -> None:
        for n, inter in enumerate(self.interactions):
            for name in sorted(blob_refs(inter.response)):
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


def rerecorded(old: Cassette, new: Cassette) -> Cassette:
    """`new` plus every interaction of `old` whose trial `new` did not record.

    A record run of part of a suite (one variant, fewer repeats) replaces the trials it ran and keeps
    the rest; one with no trial (imported from vcrpy) goes when its request is recorded again. The header
    is the new one, with any other fields of the old one, and the backends of both when the kept
    recordings came from elsewhere (`emulator+gemini`)."""
    ran = {trial_of(i) for i in new.interactions}
    keys = {i.key for i in new.interactions}
    kept = [i for i in old.interactions if trial_of(i) not in ran and (i.trial or i.key not in keys)]
    if not kept:
        return new
    backends = {*str(old.header.get("backend") or "unknown").split("+"), str(new.header.get("backend"))}
    header = {**old.header, **new.header, "backend": "+".join(sorted(backends))}
    return Cassette(new.path, header, kept + new.interactions)


def find_cassettes(root: Path) -> list[Path]:
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob(f"*{SUFFIX}") if not p.name.startswith("."))
