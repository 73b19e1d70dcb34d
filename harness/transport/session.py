"""TransportSession: one suite run's record/replay state, shared by every SDK client and worker thread.

Matching: each request gets a canonical key. Recorded interactions with that key are consumed in order,
preferring the one whose recorded trial (case, variant, repeat, step, purpose) equals the current
`harness.context.current_request`, so repeats and retries (429 then 200) replay deterministically even
when trials run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from google.genai import types

from harness.context import RequestContext, current_request
from harness.errors import UsageError
from harness.files import utc_now
from harness.transport import redact
from harness.transport.batch_wire import BatchStats, RecordedJob, polled_job, recorded_job, stats_of
from harness.transport.blobs import BlobStore, CassetteError, StagedBlobStore
from harness.transport.bodies import load_body, response_refs, store_body
from harness.transport.canonical import api_version, canonical_request, request_key
from harness.transport.cassette import (
    Cassette,
    Interaction,
    backends_of,
    merge_backends,
    rerecorded,
    sdk_version,
    trial_of,
)
from harness.transport.journal import Journal, fold_journal, remove_unnamed
from harness.transport.miss import build_miss
from harness.transport.modes import Mode
from harness.transport.recorder import library_of, tls_context, transport_classes

log = logging.getLogger("harness.transport")
EMULATOR_HEADER = "x-harness-emulator"
GEMINI_HOST = "generativelanguage.googleapis.com"
# Transport failures worth replaying (the emulator's timeout/truncation faults); connect errors are not.
RECORDED_ERRORS = frozenset({"ReadTimeout", "WriteTimeout", "RemoteProtocolError", "ReadError"})


@dataclass
class Prepared:
    """What `before` learned about a request; `outcome` set means answered from the cassette."""

    passthrough: bool = False
    form: dict[str, Any] | None = None
    key: str = ""
    ctx: RequestContext | None = None
    url: str = ""
    outcome: Any = None


class TransportSession:
    def __init__(
        self,
        mode: Mode | str,
        cassette: Path | None,
        *,
        suite: str,
        inner: Any = None,
        suite_path: Path | None = None,
        overwrite_errors: bool = False,
        journal: bool = False,
    ) -> None:
        """`overwrite_errors`: a re-record that ends a trial in an error replaces its good recording.
        `journal`: the runner commits each finished trial (`commit_trial`) to the record journal, and a
        trial never committed (cancelled) is not saved; without it every recording is saved at close."""
        self.mode = Mode(mode)
        redact.guard_http_logs()
        self.keep_good = not overwrite_errors
        self._new: list[Interaction] = []  # recorded by this session, in order
        self._new_of: dict[tuple[Any, ...] | None, list[Interaction]] = {}  # the same, by trial
        self._committed: set[Any] = set()  # trials whose recordings reached the journal
        self._journal: Journal | None = None
        self.suite = suite
        self.suite_path = suite_path
        self.seen_emulator = False
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._closed = False
        self._free: dict[str, list[int]] = {}  # request key -> unused recordings, in cassette order
        self._batch_stats: dict[str, BatchStats | None] = {}  # job name -> counts its last poll gave
        self._inner = inner
        self._owned_sync: Any = None
        self._owned_async: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.hx = library_of(inner)
        self.cassette: Cassette | None = None
        self._previous: Cassette | None = None  # record: what the cassette held, for the trials not re-run
        if self.mode is not Mode.LIVE:
            if cassette is None:
                raise UsageError(f"mode {self.mode} needs a cassette path", hint="use --mode live or set one")
            fold_journal(Path(cassette), keep_good=self.keep_good)  # a recording run that died left one
            if self.mode is Mode.REPLAY or (self.mode is Mode.AUTO and Path(cassette).exists()):
                self.cassette = Cassette.load(cassette)
            else:
                self.cassette = Cassette.new(cassette, suite)
            if self.mode is Mode.RECORD:
                self._previous = _previous_recordings(Path(cassette))
            for n, inter in enumerate(self.cassette.interactions):
                self._free.setdefault(inter.key, []).append(n)
            if journal and self.mode is not Mode.REPLAY:
                self.cassette.blobs = StagedBlobStore(self.cassette.blobs.root)
                self._journal = Journal(Path(cassette))

    # -- SDK wiring --------------------------------------------------------------------------------
    @property
    def sync_transport(self) -> Any:
        """A new wrapper on each use: the session holds none, so session and transports form no cycle and
        a finished run's cassette is freed as soon as its clients go, not by a full garbage collection."""
        return transport_classes(self.hx)[0](self)

    @property
    def async_transport(self) -> Any:
        return transport_classes(self.hx)[1](self)

    def http_options(
        self,
        base_url: str | None = None,
        api_version: str = "v1beta",
        timeout_s: float = 120,
        headers: dict[str, str] | None = None,
    ) -> types.HttpOptions:
        """Sync and async transports both injected, so async never bypasses us via aiohttp.

        trust_env is off: env proxies would be mounted in front of our transport and bypass it. The SDK's
        clients never connect themselves (our transports do), so they get the process's one TLS context
        instead of making their own each (`tls_context`): `verify` for httpx, `ssl` for the SDK's websocket
        context, which it would otherwise build for every client although only its Live API uses it.
        """
        tls = tls_context(self.hx)
        return types.HttpOptions(
            base_url=base_url,
            api_version=api_version,
            timeout=int(timeout_s * 1000),
            headers=headers,
            client_args={"transport": self.sync_transport, "trust_env": False, "verify": tls},
            async_client_args={
                "transport": self.async_transport,
                "trust_env": False,
                "verify": tls,
                "ssl": tls,
            },
        )

    def inner_sync(self) -> Any:
        if self._inner is not None and hasattr(self._inner, "handle_request"):
            return self._inner
        with self._lock:
            if self._owned_sync is None:
                self._owned_sync = self.hx.HTTPTransport(verify=tls_context(self.hx))
            return self._owned_sync

    def inner_async(self) -> Any:
        if self._inner is not None and hasattr(self._inner, "handle_async_request"):
            return self._inner
        loop = asyncio.get_running_loop()  # connection pools belong to one event loop
        with self._lock:
            if loop not in self._owned_async:
                self._owned_async[loop] = self.hx.AsyncHTTPTransport(verify=tls_context(self.hx))
            return self._owned_async[loop]

    # -- the request path (called by the transports) ------------------------------------------------
    def before(self, method: str, url: str, headers: Mapping[str, str], content: bytes) -> Prepared:
        found = redact.secrets_in(headers, url)
        if found - self._secrets:
            with self._lock:  # a new set, never mutated: other threads may be scrubbing with the old one
                self._secrets = self._secrets | found
        if self.mode is Mode.LIVE:
            return Prepared(passthrough=True)
        form = canonical_request(method, url, content)
        prepared = Prepared(form=form, key=request_key(form), ctx=current_request.get(), url=url)
        if self.mode in (Mode.REPLAY, Mode.AUTO):
            hit = self._take(prepared.key, prepared.ctx)
            if hit is not None:
                log.debug("replay %s %s key=%s", form["method"], form["path"], prepared.key)
                prepared.outcome = self._outcome(hit)
            elif self.mode is Mode.REPLAY:
                prepared.outcome = self._miss(prepared)
        return prepared

    def after(self, prepared: Prepared, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Any:
        """Stores a response and returns it as replay will: scrubbed of any credential it echoes.

        In live mode only error responses come here (to be scrubbed); nothing is stored."""
        body = redact.scrub_bytes(body, self._secrets)
        if prepared.passthrough:  # the body is decoded now: its encoding headers no longer apply
            return status, [(k, v) for k, v in headers if k.lower() not in redact.ENCODING_HEADERS], body
        assert self.cassette is not None and prepared.form is not None
        kept = redact.keep_response_headers(headers)
        response = {
            "status": status,
            "headers": kept,
            **store_body(body, kept.get("content-type", ""), self.cassette.blobs),
        }
        inter = self._append(prepared, response, emulator=EMULATOR_HEADER in kept)
        status, stored, data = self._outcome(inter)
        # The cassette keeps upload URLs without their upload_id, but the live upload still needs it:
        # the SDK posts the file's bytes to the URL this response hands back.
        live = {k.lower(): v for k, v in headers if k.lower() in redact.UPLOAD_URL_HEADERS}
        return status, {**stored, **live}, data

    def after_error(self, prepared: Prepared, exc: Exception) -> None:
        name = type(exc).__name__
        if prepared.passthrough or name not in RECORDED_ERRORS:
            return
        message = redact.scrub(redact.redact_url(str(exc)), self._secrets)
        self._append(prepared, {"error": {"type": name, "message": message}}, emulator=False)

    def after_live(self, headers: Mapping[str, str]) -> None:
        if EMULATOR_HEADER in headers:
            self.seen_emulator = True

    # -- what batch polls said (the SDK drops it; see batch_wire) ---------------------------------------
    def watches(self, method: str, url: str) -> bool:
        """Whether a response must be read to be seen (a live passthrough is otherwise left unread)."""
        return polled_job(method, url) is not None

    def saw(self, method: str, url: str, status: int, content: bytes) -> None:
        """A response reached the SDK: a job's poll notes its counts (None when its body has none)."""
        name = polled_job(method, url)
        if name is not None and status == 200:
            with self._lock:
                self._batch_stats[name] = stats_of(content)

    def batch_stats(self, name: str) -> BatchStats | None:
        """The request counts of job `name` as its last poll reported them; None when unknown."""
        with self._lock:
            return self._batch_stats.get(name)

    def recorded_batch_jobs(self) -> list[RecordedJob]:
        """The inlined batch jobs the cassette's creates made, when this session answers from it."""
        if self.cassette is None or self.mode not in (Mode.REPLAY, Mode.AUTO):
            return []
        found = (recorded_job(i.request, i.response) for i in self.cassette.interactions)
        return [job for job in found if job is not None]

    # -- matching and storage -----------------------------------------------------------------------
    def _take(self, key: str, ctx: RequestContext | None) -> Interaction | None:
        assert self.cassette is not None
        recorded = self.cassette.interactions
        with self._lock:  # a dict lookup, then a scan of this key's few recordings (its repeats, retries)
            free = [
                p
                for p, n in enumerate(self._free.get(key, ()))
                if ctx is None or ctx.accepts_version(recorded[n].trial)
            ]
            if not free:
                return None
            unused = self._free[key]
            candidates = [(p, recorded[unused[p]]) for p in free]
            pick = next((p for p, i in candidates if i.context_matches(ctx)), None)
            if pick is None:
                pick = _fallback(candidates, ctx)
            if pick is None:
                return None
            inter = recorded[unused.pop(pick)]
        if backends_of(self.cassette.header.get("backend")) == {"emulator"}:
            self.seen_emulator = True  # older recordings may lack the emulator header; mixed ones have it
        return inter

    def _outcome(self, inter: Interaction) -> Any:
        assert self.cassette is not None
        resp = inter.response
        if "error" in resp:
            return dict(resp["error"])
        headers = dict(resp.get("headers") or {})
        if EMULATOR_HEADER in headers:
            self.seen_emulator = True
        return int(resp["status"]), headers, load_body(resp, self.cassette.blobs, self.cassette.path)

    def _append(self, prepared: Prepared, response: dict[str, Any], *, emulator: bool) -> Interaction:
        assert self.cassette is not None and prepared.form is not None
        trial = prepared.ctx.trial() if prepared.ctx else None
        inter = Interaction(prepared.key, prepared.form, response, trial)
        host = urlsplit(prepared.url).hostname or "unknown"
        with self._lock:
            self.cassette.interactions.append(inter)  # used by the request that made it: never in _free
            self._new.append(inter)
            self._new_of.setdefault(trial_of(inter), []).append(inter)
            header = self.cassette.header
            here = "emulator" if emulator else ("gemini" if host == GEMINI_HOST else host)
            header["backend"] = merge_backends(header.get("backend"), here)
            header["api_version"] = api_version(prepared.form["path"]) or header.get("api_version")
            header["sdk_version"] = sdk_version()
        if emulator:
            self.seen_emulator = True
        return inter

    def _miss(self, prepared: Prepared) -> Exception:
        assert self.cassette is not None and prepared.form is not None
        with self._lock:
            same = [i for i in self.cassette.interactions if i.key == prepared.key]
        ctx = prepared.ctx
        versions = sorted(
            {str(i.trial["prompt_version"]) for i in same if ctx and not ctx.accepts_version(i.trial)}
        )
        exhausted = len(same) - len([i for i in same if ctx and not ctx.accepts_version(i.trial)])
        suite_ref = str(self.suite_path) if self.suite_path else None
        return build_miss(
            form=prepared.form,
            key=prepared.key,
            ctx=prepared.ctx,
            suite=self.suite,
            cassette=self.cassette.path,
            recorded=self.cassette.interactions,
            exhausted=exhausted,
            suite_ref=suite_ref,
            other_versions=versions,
            backend=self.cassette.header.get("backend"),
        )

    def commit_trial(self, suite: str, case: str, variant: str, repeat: int) -> None:
        """A trial ended: its recordings go to the journal (then their blobs), so they survive a kill."""
        if self._journal is None or self.cassette is None:
            return
        trial = (suite, case, variant, repeat)
        with self._lock:
            if trial in self._committed:
                return
            self._committed.add(trial)
            items = list(self._new_of.get(trial, ()))  # a scan of _new would grow with the run
            header = dict(self.cassette.header)
        if not items:
            return
        self._journal.append(header, items)
        blobs = self.cassette.blobs
        if isinstance(blobs, StagedBlobStore):
            blobs.write(set().union(*(response_refs(i.response) for i in items)))

    def _uncommitted(self) -> set[int]:
        """Interactions of trials that never ended (cancelled by Ctrl-C): never saved, so a partial
        re-record cannot replace a trial's earlier recording."""
        return {id(i) for i in self._new if trial_of(i) is not None and trial_of(i) not in self._committed}

    # -- lifecycle ----------------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Back-off waits are real when calling out, skipped in replay (the answer is already on disk)."""
        if self.mode is not Mode.REPLAY and seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        if self.mode is not Mode.REPLAY and seconds > 0:
            await asyncio.sleep(seconds)

    @property
    def replaying(self) -> bool:
        """Every answer comes from the cassette: no request waits on a network."""
        return self.mode is Mode.REPLAY

    @property
    def journaling(self) -> bool:
        """Whether `commit_trial` has anything to do (a recording session with a journal)."""
        return self._journal is not None

    @property
    def blob_files(self) -> BlobStore | None:
        """The cassette's blob store: a run links the images it replays from its verified files."""
        return self.cassette.blobs if self.cassette is not None else None

    @property
    def recorded_backend(self) -> str | None:
        """Where the cassette's recordings came from (gemini, emulator, or a gateway host)."""
        return self.cassette.header.get("backend") if self.cassette is not None else None

    def close(self) -> None:
        """Writes the cassette, if anything was recorded (see `_to_save`)."""
        if self._closed:
            return
        self._closed = True
        if self.cassette is not None and self._journal is not None:
            dropped = self._uncommitted()
            self.cassette.interactions = [i for i in self.cassette.interactions if id(i) not in dropped]
            self._new = [i for i in self._new if id(i) not in dropped]
        cassette = self._to_save()
        if cassette is not None:
            cassette.header["recorded_at"] = utc_now()
            cassette.interactions.sort(key=_trial_order)  # stable: per-trial order is kept
            blobs = self.cassette.blobs if self.cassette is not None else None
            if isinstance(blobs, StagedBlobStore):
                blobs.write(cassette.refs())
            replaced = set()  # blobs of the recordings this re-record replaced
            if self._journal is not None and self._previous is not None:
                replaced = self._previous.refs() - cassette.refs()
                if replaced:
                    self._journal.note_removal(replaced)
            cassette.save(self._secrets)
            remove_unnamed(cassette.blobs, replaced, cassette.path.parent)
            self.cassette = cassette
        if self._journal is not None:
            self._journal.discard()
        if self._owned_sync is not None:
            self._owned_sync.close()

    def _to_save(self) -> Cassette | None:
        """record: the trials it ran replace theirs, every other trial's recordings are kept (a record run
        that recorded nothing leaves an existing file alone); auto: only when something new was recorded."""
        if self.cassette is None:
            return None
        if self.mode is Mode.RECORD:
            if self._previous is None:
                return self.cassette
            if not self.cassette.interactions:
                return None
            return rerecorded(self._previous, self.cassette, keep_good=self.keep_good)
        return self.cassette if self._new else None

    def __enter__(self) -> TransportSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fallback(candidates: list[tuple[int, Interaction]], ctx: RequestContext | None) -> int | None:
    """A request whose own trial's recording is not there: an interaction recorded outside any trial
    (imported, or a request made outside a run) may answer it. Another trial's recording answers only a
    judge's request (the same request, e.g. questions written once per step text, gets the same answer);
    a generation never gets another trial's images (that trial would then miss its own). Returns the
    position in the key's unused recordings, or None."""
    if ctx is None:
        return candidates[0][0]
    outside = next((p for p, i in candidates if i.trial is None), None)
    if outside is not None:
        return outside
    return candidates[0][0] if ctx.purpose != "generate" else None


def _previous_recordings(path: Path) -> Cassette | None:
    """The cassette a record run adds to; one that cannot be read is started afresh (a warning says so)."""
    if not path.exists():
        return None
    try:
        return Cassette.load(path, check_blobs=False)
    except CassetteError as exc:
        log.warning("%s; --mode record starts it afresh", exc)
        return None


def _trial_order(inter: Interaction) -> tuple[Any, ...]:
    t = inter.trial or {}
    return (
        t.get("suite", ""),
        t.get("case", ""),
        t.get("variant", ""),
        t.get("repeat", -1),
        t.get("step", -1),
        t.get("purpose", ""),
    )
