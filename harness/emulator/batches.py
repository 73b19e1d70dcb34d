"""The Batch API and the Files API, shaped like the recordings in shared/data/real-wire/.

A job is created PENDING, answers RUNNING to `batch_polls` GETs (and for at least `batch_duration_s`),
then ends SUCCEEDED (or FAILED / EXPIRED when the fault plan says so, CANCELLED when cancelled). Its
requests are answered when it ends, each exactly as the same request sent alone would be (faults, blocks
and all), so a batch run and an interactive run of one suite get the same images. Uploads are resumable:
a start answered 200 with an EMPTY body and an `x-goog-upload-url` on this host, then `upload, finalize`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from harness.emulator.exchange import Reply, Request
from harness.emulator.faults import FaultPlan
from harness.emulator.models import ModelProfile, get_model
from harness.emulator.protocol import ApiError, normalize, parse_json, status_name

Handler = Callable[[Request, re.Match[str]], Reply]
Entry = tuple[str | None, dict, dict | None]  # one request of a job: (file key, request body, metadata)
BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"}
JOB_FAULTS = {
    "failed": ("FAILED", 500, "The batch job failed: an internal error has occurred (emulated fault)."),
    "expired": ("EXPIRED", 504, "The batch job expired before it finished (emulated fault)."),
}


class Answerer(Protocol):
    plan: FaultPlan

    def answer(
        self, profile: ModelProfile, data: dict, fault_header: str | None = None
    ) -> tuple[dict, Any]: ...


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id(n: int = 36) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class StoredFile:
    name: str
    data: bytes
    mime: str
    display_name: str | None
    created: float
    source: str = "UPLOADED"

    def resource(self) -> dict:
        digest = hashlib.sha256(self.data).hexdigest().encode()
        res = {
            "name": self.name,
            "displayName": self.display_name,
            "mimeType": self.mime,
            "sizeBytes": str(len(self.data)),
            "createTime": _stamp(self.created),
            "updateTime": _stamp(self.created),
            "expirationTime": _stamp(self.created + timedelta(hours=48).total_seconds()),
            "sha256Hash": base64.b64encode(digest).decode(),
            "state": "ACTIVE",
            "source": self.source,
        }
        return {k: v for k, v in res.items() if v is not None}


@dataclass
class Job:
    name: str
    model: str
    display_name: str | None
    requests: list[Entry]
    input_file: str | None
    created: float
    state: str = "PENDING"
    polls: int = 0
    ended: float | None = None
    cancel_requested: bool = False
    output: dict | None = None
    results: list[dict] = field(default_factory=list)
    error: dict | None = None

    def resource(self) -> dict:
        failed = sum(1 for r in self.results if "error" in r)
        stats = {"requestCount": str(len(self.requests))}
        if self.state in TERMINAL and self.results:
            if len(self.results) - failed:
                stats["successfulRequestCount"] = str(len(self.results) - failed)
            if failed:
                stats["failedRequestCount"] = str(failed)
        elif self.state not in TERMINAL:
            stats["pendingRequestCount"] = str(len(self.requests))
        meta: dict[str, Any] = {"@type": BATCH_TYPE, "model": f"models/{self.model}"}
        if self.display_name:
            meta["displayName"] = self.display_name
        if self.input_file:
            meta["inputConfig"] = {"fileName": self.input_file}
        if self.output is not None:
            meta["output"] = self.output
        meta["createTime"] = _stamp(self.created)
        if self.ended is not None:
            meta["endTime"] = _stamp(self.ended)
        meta["updateTime"] = _stamp(self.ended or self.created)
        meta["batchStats"] = stats
        meta["state"] = f"BATCH_STATE_{self.state}"
        meta["name"] = self.name
        op: dict[str, Any] = {"name": self.name, "metadata": meta}
        if self.state in TERMINAL:
            op["done"] = True
            if self.error is not None:
                op["error"] = self.error
            elif self.output is not None:
                op["response"] = {"@type": OUTPUT_TYPE, **self.output}
        return op


class BatchStore:
    """Batch jobs and files, in memory; `creates` counts batchGenerateContent calls that made a job."""

    def __init__(self, api: Answerer, duration_s: float = 0.0) -> None:
        self.api, self.duration_s = api, duration_s
        self._lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, StoredFile] = {}
        self._uploads: dict[str, dict] = {}
        self.creates = 0

    def routes(self) -> Iterator[tuple[str, re.Pattern[str], Handler]]:
        ver = r"^/(?P<ver>v1beta|v1)"
        yield "POST", re.compile(ver + r"/models/(?P<model>[^/:]+):batchGenerateContent$"), self.create
        yield "GET", re.compile(ver + r"/batches$"), self.list_jobs
        yield "GET", re.compile(ver + r"/batches/(?P<id>[^/:]+)$"), self.get
        yield "POST", re.compile(ver + r"/batches/(?P<id>[^/:]+):cancel$"), self.cancel
        yield "DELETE", re.compile(ver + r"/batches/(?P<id>[^/:]+)$"), self.delete
        yield "POST", re.compile(r"^/upload/(?P<ver>v1beta|v1)/files$"), self.upload
        yield "GET", re.compile(ver + r"/files$"), self.list_files
        yield "GET", re.compile(ver + r"/files/(?P<id>[^/:]+):download$"), self.download
        yield "GET", re.compile(ver + r"/files/(?P<id>[^/:]+)$"), self.get_file
        yield "DELETE", re.compile(ver + r"/files/(?P<id>[^/:]+)$"), self.delete_file

    @staticmethod
    def exempt_from_key(req: Request) -> bool:
        """Upload chunks carry no API key: the upload_id in their URL authorises them."""
        return req.path.startswith("/upload/") and "upload_id" in req.query

    # -- batches ------------------------------------------------------------------------------------
    def create(self, req: Request, m: re.Match[str]) -> Reply:
        profile = get_model(m["model"])
        if profile is None:
            raise ApiError(
                404,
                f"models/{m['model']} is not found for API version {m['ver']}, or is not "
                "supported for batchGenerateContent.",
            )
        batch = normalize(parse_json(req.body)).get("batch")
        if not isinstance(batch, dict):
            raise ApiError(400, "Invalid JSON payload received. Missing 'batch'.")
        source = batch.get("inputConfig") or {}
        input_file = source.get("fileName")
        if input_file is not None:
            requests = self._file_requests(input_file)
        else:
            inlined = (source.get("requests") or {}).get("requests")
            if not isinstance(inlined, list) or not inlined:
                raise ApiError(
                    400, "* BatchGenerateContentRequest.batch.input_config: input_config is required"
                )
            requests = [(None, r.get("request") or {}, r.get("metadata")) for r in inlined]
        job = Job(
            f"batches/{_new_id()}", profile.name, batch.get("displayName"), requests, input_file, time.time()
        )
        with self._lock:
            self.jobs[job.name] = job
            self.creates += 1
        return Reply(body=job.resource())

    def _file_requests(self, name: str) -> list[Entry]:
        stored = self.files.get(name)
        if stored is None:
            raise ApiError(404, f"File {name} not found.")
        out: list[Entry] = []
        for number, line in enumerate(stored.data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise ApiError(400, f"{name} line {number} is not JSON: {exc}") from exc
            out.append((item.get("key"), normalize(item.get("request") or {}), None))
        if not out:
            raise ApiError(400, f"{name} holds no requests")
        return out

    def _job(self, m: re.Match[str]) -> Job:
        job = self.jobs.get(f"batches/{m['id']}")
        if job is None:
            raise ApiError(404, f"Batch batches/{m['id']} not found.")
        return job

    def get(self, req: Request, m: re.Match[str]) -> Reply:
        job = self._job(m)
        with self._lock:
            if job.state not in TERMINAL:
                job.polls += 1
                self._advance(job)
        return Reply(body=job.resource())

    def _advance(self, job: Job) -> None:
        now = time.time()
        if job.cancel_requested:
            job.state, job.ended = "CANCELLED", now
            return
        if job.polls <= self.api.plan.batch_polls or now - job.created < self.duration_s:
            job.state = "RUNNING"
            return
        job.ended = now
        fault = JOB_FAULTS.get(self.api.plan.batch_fault or "")
        if fault is not None:
            state, code, message = fault
            job.state, job.error = state, {"code": code, "message": message, "status": status_name(code)}
            return
        job.results = [self._result(job.model, key, body, meta) for key, body, meta in job.requests]
        job.state = "SUCCEEDED"
        if job.input_file is None:
            job.output = {"inlinedResponses": {"inlinedResponses": job.results}}
        else:
            lines = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in job.results)
            out = StoredFile(
                f"files/batch-{job.name.split('/')[1]}",
                lines.encode(),
                "application/jsonl",
                None,
                now,
                source="GENERATED",
            )
            self.files[out.name] = out
            job.output = {"responsesFile": out.name}

    def _result(self, model: str, key: str | None, body: dict, meta: dict | None) -> dict:
        profile = get_model(model)
        assert profile is not None
        try:
            response, reply = self.api.answer(profile, body)
        except ApiError as exc:
            response, reply = {}, Reply(exc.code, exc.body())
        if reply.status == 200:
            entry: dict[str, Any] = {"response": response}
        else:
            err = (reply.body or {}).get("error", {})
            entry = {"error": {k: err[k] for k in ("code", "message", "details") if k in err}}
        if key is not None:
            entry["key"] = key
        if meta is not None:
            entry["metadata"] = meta
        return entry

    def list_jobs(self, req: Request, m: re.Match[str]) -> Reply:
        jobs = sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)
        return Reply(body=_page([j.resource() for j in jobs], "operations", req))

    def cancel(self, req: Request, m: re.Match[str]) -> Reply:
        job = self._job(m)
        with self._lock:
            if job.state in TERMINAL:
                raise ApiError(400, f"Batch {job.name} is already in a terminal state ({job.state}).")
            job.cancel_requested = True
        return Reply(body={})

    def delete(self, req: Request, m: re.Match[str]) -> Reply:
        job = self._job(m)
        with self._lock:
            self.jobs.pop(job.name, None)
        return Reply(body={})

    # -- files --------------------------------------------------------------------------------------
    def upload(self, req: Request, m: re.Match[str]) -> Reply:
        command = req.headers.get("x-goog-upload-command", "")
        upload_id = req.query.get("upload_id")
        if upload_id is None:
            if command != "start":
                raise ApiError(400, "x-goog-upload-command must be 'start' for a new upload")
            meta = normalize(parse_json(req.body) if req.body else {}).get("file") or {}
            token = secrets.token_urlsafe(48)
            self._uploads[token] = {
                "mime": req.headers.get("x-goog-upload-header-content-type") or meta.get("mimeType"),
                "display_name": meta.get("displayName"),
                "data": b"",
            }
            host = req.headers.get("host", "127.0.0.1")
            url = f"http://{host}/upload/{m['ver']}/files?upload_id={token}&upload_protocol=resumable"
            headers = {
                "x-goog-upload-status": "active",
                "x-goog-upload-url": url,
                "x-goog-upload-control-url": url,
                "x-goog-upload-chunk-granularity": "8388608",
            }
            return Reply(raw=b"", content_type="text/plain; charset=utf-8", headers=headers)
        pending = self._uploads.get(upload_id)
        if pending is None:
            raise ApiError(404, "Unknown upload_id.")
        pending["data"] += req.body
        if "finalize" not in command:
            return Reply(
                raw=b"", content_type="text/plain; charset=utf-8", headers={"x-goog-upload-status": "active"}
            )
        del self._uploads[upload_id]
        stored = StoredFile(
            f"files/{_new_id(12)}",
            pending["data"],
            pending["mime"] or "application/octet-stream",
            pending["display_name"],
            time.time(),
        )
        self.files[stored.name] = stored
        return Reply(body={"file": stored.resource()}, headers={"x-goog-upload-status": "final"})

    def _file(self, m: re.Match[str]) -> StoredFile:
        stored = self.files.get(f"files/{m['id']}")
        if stored is None:
            raise ApiError(
                403, f"You do not have permission to access the File {m['id']} or it may not exist."
            )
        return stored

    def get_file(self, req: Request, m: re.Match[str]) -> Reply:
        return Reply(body=self._file(m).resource())

    def list_files(self, req: Request, m: re.Match[str]) -> Reply:
        found = sorted(self.files.values(), key=lambda f: f.created, reverse=True)
        return Reply(body=_page([f.resource() for f in found], "files", req))

    def delete_file(self, req: Request, m: re.Match[str]) -> Reply:
        self.files.pop(self._file(m).name, None)
        return Reply(body={})

    def download(self, req: Request, m: re.Match[str]) -> Reply:
        stored = self._file(m)
        return Reply(raw=stored.data, content_type=stored.mime)


def _page(items: list[dict], field_name: str, req: Request) -> dict:
    size = int(req.query.get("pageSize") or 50)
    start = int(req.query.get("pageToken") or 0)
    body: dict[str, Any] = {field_name: items[start : start + size]} if items else {}
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return body
