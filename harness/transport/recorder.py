"""httpx2 (or httpx) transports that sit under the SDK's clients and hand every request to a session.

One class pair per HTTP library, built on demand, so the SDK's backend detection (it walks the MRO of
the objects in client_args) picks the library the inner transport belongs to. The wrappers never close
the inner transports: several SDK clients may share one session, and the session owns them.
"""

from __future__ import annotations

import functools
import os
import ssl
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.transport.session import TransportSession


def library_of(transport: object | None) -> ModuleType:
    """httpx when the inner transport is an httpx one, else httpx2 (the SDK's default)."""
    import httpx
    import httpx2

    if transport is None or isinstance(transport, httpx2.BaseTransport | httpx2.AsyncBaseTransport):
        return httpx2
    if isinstance(transport, httpx.BaseTransport | httpx.AsyncBaseTransport):
        return httpx
    return httpx2


def tls_context(hx: ModuleType) -> ssl.SSLContext:
    """The TLS context `hx`'s transports build by default (its trust store, SSL_CERT_FILE/SSL_CERT_DIR
    honoured), made once per process: each costs ~40 ms, and a run makes several clients and transports."""
    return _tls_context(hx, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _tls_context(hx: ModuleType, cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """Keyed by the environment it was made under, which the library reads when it makes one."""
    context: ssl.SSLContext = hx.create_ssl_context()
    return context


def _response(hx: ModuleType, outcome: Any, request: Any) -> Any:
    """A session outcome is (status, headers, content) or an exception spec to raise as the library's own."""
    if isinstance(outcome, BaseException):
        raise outcome
    if isinstance(outcome, dict):  # recorded transport error, e.g. {"type": "ReadTimeout", "message": ...}
        exc_type = getattr(hx, str(outcome.get("type")), hx.TransportError)
        raise exc_type(str(outcome.get("message", "")), request=request)
    status, headers, content = outcome
    return hx.Response(status, headers=headers, content=content, request=request)


def _seen(session: TransportSession, request: Any, response: Any) -> Any:
    """The response as the SDK gets it, shown to the session first (it notes what batch polls say)."""
    session.saw(request.method, str(request.url), response.status_code, response.content)
    return response


@functools.cache
def transport_classes(hx: ModuleType) -> tuple[type, type]:
    """(sync, async) recording transports for one HTTP library."""

    class RecordingTransport(hx.BaseTransport):
        def __init__(self, session: TransportSession) -> None:
            self.session = session

        def handle_request(self, request: Any) -> Any:
            session = self.session
            content = request.read()
            prepared = session.before(request.method, str(request.url), request.headers, content)
            if prepared.outcome is not None:
                return _seen(session, request, _response(hx, prepared.outcome, request))
            inner = session.inner_sync()
            try:
                response = inner.handle_request(request)
            except hx.TransportError as exc:
                session.after_error(prepared, exc)
                raise
            if prepared.passthrough:
                session.after_live(response.headers)
                if response.status_code < 400 and not session.watches(request.method, str(request.url)):
                    return response  # untouched, streams included; errors and batch polls are read
            try:
                body = response.read()
            except hx.TransportError as exc:  # dropped mid-body: recorded like any transport error
                session.after_error(prepared, exc)
                raise
            finally:
                response.close()
            answer = session.after(prepared, response.status_code, response.headers.multi_items(), body)
            return _seen(session, request, _response(hx, answer, request))

        def close(self) -> None:
            """Owned by the session (TransportSession.close), not by any one SDK client."""

    class AsyncRecordingTransport(hx.AsyncBaseTransport):
        def __init__(self, session: TransportSession) -> None:
            self.session = session

        async def handle_async_request(self, request: Any) -> Any:
            session = self.session
            content = await request.aread()
            prepared = session.before(request.method, str(request.url), request.headers, content)
            if prepared.outcome is not None:
                return _seen(session, request, _response(hx, prepared.outcome, request))
            inner = session.inner_async()
            try:
                response = await inner.handle_async_request(request)
            except hx.TransportError as exc:
                session.after_error(prepared, exc)
                raise
            if prepared.passthrough:
                session.after_live(response.headers)
                if response.status_code < 400 and not session.watches(request.method, str(request.url)):
                    return response
            try:
                body = await response.aread()
            except hx.TransportError as exc:
                session.after_error(prepared, exc)
                raise
            finally:
                await response.aclose()
            answer = session.after(prepared, response.status_code, response.headers.multi_items(), body)
            return _seen(session, request, _response(hx, answer, request))

        async def aclose(self) -> None:
            """Owned by the session, like the sync one."""

    return RecordingTransport, AsyncRecordingTransport
