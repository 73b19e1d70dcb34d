"""The HTTP edge: a loopback-only HTTP/1.1 server on a bounded thread pool, and the Emulator handle.

It writes JSON or SSE (chunked) replies, and carries out delivery faults (a dropped connection, a
truncated body). It never logs headers, so the API key cannot reach a log line.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

from harness import __version__
from harness.emulator.app import Api, Reply, Request
from harness.emulator.faults import parse_spec

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
JSON_TYPE = "application/json; charset=UTF-8"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out as two writes: with Nagle on, the body waits for the client's delayed ACK
    # of the headers (~40 ms a reply on loopback)
    disable_nagle_algorithm = True
    server_version = "scaffolding on HTTPServer2"
    sys_version = ""
    timeout = 5  # an idle keep-alive connection frees its worker after this many seconds
    server: PoolServer

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:  # method, path and status only: never headers (the key lives there)
            sys.stderr.write(
                f"emulator: {self.command} {urlsplit(self.path).path} {args[1] if len(args) > 1 else ''}\n"
            )

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        req = Request(
            self.command,
            url.path,
            dict(parse_qsl(url.query)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        reply = self.server.api.handle(req)
        if reply.delay > 0:
            time.sleep(reply.delay)
        if reply.events is not None:
            self._send_events(reply)
        else:
            self._send_json(reply)

    def _head(self, status: int, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Vary", "Origin, X-Origin, Referer")
        self.send_header("x-harness-emulator", __version__)
        if self.server.waiting:  # free this worker for a queued connection instead of idling on keep-alive
            self.send_header("Connection", "close")
        for name, value in extra.items():
            self.send_header(name, value)

    def _send_json(self, reply: Reply) -> None:
        if reply.raw is not None:
            self._head(reply.status, reply.content_type, reply.headers)
            self.send_header("Content-Length", str(len(reply.raw)))
            self.end_headers()
            self.wfile.write(reply.raw)
            return
        data = json.dumps(reply.body or {}, separators=(",", ":")).encode()
        if reply.delivery == "truncate":
            data = data[: max(1, len(data) // 2)]
        self._head(reply.status, JSON_TYPE, reply.headers)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if reply.delivery == "drop":
            self.wfile.write(data[: len(data) // 2])
            self._drop()
            return
        self.wfile.write(data)

    def _send_events(self, reply: Reply) -> None:
        self._head(reply.status, "text/event-stream", reply.headers)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n, event in enumerate(reply.events or []):
            chunk = f"data: {json.dumps(event, separators=(',', ':'))}\r\n\r\n".encode()
            if n == 1 and reply.delivery == "drop":
                self._chunk(chunk[: len(chunk) // 2])
                self._drop()
                return
            if n == 1 and reply.delivery == "truncate":
                chunk = chunk[: len(chunk) // 2] + b"\r\n\r\n"
                self._chunk(chunk)
                break
            self._chunk(chunk)
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class PoolServer(HTTPServer):
    """HTTPServer whose connections are served by a fixed-size thread pool (bounded concurrency)."""

    allow_reuse_address = True
    request_queue_size = 1024  # a burst of connects must queue, not be reset (the default is 5)

    def __init__(self, addr: tuple[str, int], api: Api, workers: int, verbose: bool):
        self.api, self.verbose = api, verbose
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="harness-emulator")
        self.open_sockets: set[socket.socket] = set()
        self.waiting = 0  # accepted connections no worker has picked up yet
        self._socks_lock = threading.Lock()
        self._serving = True
        self._wake, self._waker = socket.socketpair()
        super().__init__(addr, Handler)

    def serve(self) -> None:
        """Accept connections until stop_serving(). The listening socket and a wake-up socket share one
        selector, so a stop takes effect at once: serve_forever notices one only at its next poll, which
        cost every emulator's shutdown up to its poll interval."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake, selectors.EVENT_READ)
            while self._serving:
                for key, _ in selector.select():
                    if key.fileobj is self and self._serving:
                        self._handle_request_noblock()  # what serve_forever calls once select says ready

    def stop_serving(self) -> None:
        self._serving = False
        self._waker.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake.close()
        self._waker.close()

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._socks_lock:
            self.open_sockets.add(request)
            self.waiting += 1
        self.pool.submit(self._work, request, client_address)

    def _work(self, request: socket.socket, client_address: object) -> None:
        with self._socks_lock:
            self.waiting -= 1
        try:
            self.finish_request(request, client_address)
        except Exception:
            if self.verbose:
                self.handle_error(request, client_address)
        finally:
            with self._socks_lock:
                self.open_sockets.discard(request)
            self.shutdown_request(request)

    def close_all(self) -> None:
        with self._socks_lock:
            socks = list(self.open_sockets)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.pool.shutdown(wait=True, cancel_futures=True)


class Emulator:
    """A local Gemini-compatible API on loopback; use as a context manager or with start()/stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: str | None = None,
        latency_scale: float = 0.0,
        *,
        batch_duration_s: float = 0.0,
        workers: int = 64,
        verbose: bool = False,
    ):
        if host not in LOOPBACK:
            raise ValueError(f"the emulator listens on loopback only; got host {host!r}, use 127.0.0.1")
        if latency_scale < 0:
            raise ValueError("latency_scale must be >= 0 (0 answers at once, 1 is real-model speed)")
        self.host, self.port, self.workers, self.verbose = host, port, workers, verbose
        self.api = Api(parse_spec(faults), latency_scale, batch_duration_s)
        self._server: PoolServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        host = "[::1]" if self.host == "::1" else "127.0.0.1" if self.host == "localhost" else self.host
        return f"http://{host}:{self._server.server_address[1]}"

    @property
    def received_signatures(self) -> set[str]:
        """sha256 hex digests of the thoughtSignature bytes clients sent back (chat echo checks)."""
        return set(self.api.signatures)

    @property
    def batch_creates(self) -> int:
        """How many batch jobs clients created (a resumed run must not create one twice)."""
        return self.api.batches.creates

    @property
    def request_count(self) -> int:
        return self.api.requests

    def start(self) -> Emulator:
        if self._server is None:
            PoolServer.address_family = socket.AF_INET6 if self.host == "::1" else socket.AF_INET
            self._server = PoolServer((self.host, self.port), self.api, self.workers, self.verbose)
            self._thread = threading.Thread(target=self._server.serve, name="harness-emulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.stop_serving()
            self._thread.join()
            self._server.server_close()
            self._server.close_all()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
