"""Request bodies under a size cap: no client can make the service hold more than a limit.

* ``read_capped`` reads an XML message chunk by chunk and stops as soon as more than the
  limit has arrived; a ``Content-Length`` over the limit is refused before the body is
  read (of such a body only a bounded head is read, so the refusal can be recorded).
* ``BodyLimit`` is pure ASGI middleware for every other endpoint: a body over its limit
  (by ``Content-Length``, or by counting while the application reads it) is answered with
  413 problem+json before the application sees more of it. The XML endpoints enforce their
  own limit (``POST /v1/berichten`` stores what it refuses); there the middleware only
  stops an application that reads past ``xml_limit``, as a backstop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

__all__ = [
    "XML_ENDPOINTS",
    "Body",
    "BodyLimit",
    "ClientDisconnect",
    "disconnected",
    "read_capped",
    "too_large",
]

PROBLEM = "application/problem+json"
JSON_LIMIT = 1024 * 1024  # bytes a JSON body may have
# Endpoints whose body is an iWmo message; they enforce IWMO_MAX_MESSAGE_BYTES themselves.
XML_ENDPOINTS: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/v1/berichten"), ("POST", "/v1/validate")}
)


@dataclass(frozen=True)
class Body:
    """A request body read under a cap.

    ``data`` is the whole body, or for a body over the limit only its first bytes (at most
    ``keep``); ``size`` is the body's length, or for a body over the limit its declared
    ``Content-Length`` when there was one, else the bytes seen before reading stopped."""

    data: bytes
    size: int
    too_large: bool


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length``, when it is a plain non-negative number."""
    raw = headers.get("content-length")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


async def read_capped(request: Request, limit: int, *, keep: int = 0) -> Body:
    """Read the body of ``request``, holding at most ``limit`` bytes (and one chunk).

    A declared ``Content-Length`` over the limit is refused at once: only its first
    ``keep`` bytes are read. Otherwise the stream is read until it ends or more than
    ``limit`` bytes have arrived. Raises ``starlette.requests.ClientDisconnect`` when the
    client goes away before the body is complete."""
    declared = declared_length(request.headers)
    if declared is not None and declared > limit:
        head = await _head(request, keep) if keep else b""
        return Body(head, declared, True)
    chunks: list[bytes] = []
    seen = 0
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            if not chunk:
                continue
            chunks.append(chunk)
            seen += len(chunk)
            if seen > limit:
                return Body(_first(chunks, keep), seen, True)
    return Body(b"".join(chunks), seen, False)


async def _head(request: Request, keep: int) -> bytes:
    chunks: list[bytes] = []
    seen = 0
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            seen += len(chunk)
            if seen >= keep:
                break
    return _first(chunks, keep)


def _first(chunks: Iterable[bytes], keep: int) -> bytes:
    """The first ``keep`` bytes of ``chunks``, without joining all of them."""
    head: list[bytes] = []
    need = keep
    for chunk in chunks:
        if need <= 0:
            break
        head.append(chunk[:need])
        need -= len(head[-1])
    return b"".join(head)


def too_large_body(size: int, limit: int, *, at_least: bool) -> bytes:
    """A problem document for a body over ``limit``."""
    return json.dumps(
        {
            "type": "urn:iwmo-hub:problem:too_large",
            "title": "the request body is too large",
            "status": 413,
            "detail": f"the body is {'at least ' if at_least else ''}{size:,} bytes; "
            f"the limit for this endpoint is {limit:,} bytes",
        }
    ).encode()


# The rest of a refused body is not read, so the connection cannot carry another request.
CLOSE = {"Connection": "close"}


def too_large(body: Body, limit: int) -> Response:
    """413 problem+json for a body ``read_capped`` found over ``limit``."""
    return Response(
        too_large_body(body.size, limit, at_least=True),
        status_code=413,
        media_type=PROBLEM,
        headers=CLOSE,
    )


def disconnected() -> Response:
    """The answer when the client went away before its body was complete. Nobody receives
    it; it keeps such requests out of the server errors (nothing was stored or checked)."""
    log.info("client disconnected before the request body was complete")
    body = {
        "type": "urn:iwmo-hub:problem:incomplete_body",
        "title": "the request body was not received completely",
        "status": 400,
        "detail": "the client disconnected before the end of the body; nothing was stored",
    }
    return Response(json.dumps(body).encode(), status_code=400, media_type=PROBLEM)


class BodyLimit:
    """Refuse request bodies over a limit with 413 problem+json, without reading them.

    ``json_limit`` applies to every endpoint except the XML ones (``xml_endpoints``: method
    and path). Those read their body with ``read_capped`` against the service's message
    limit and record what they refuse; with ``xml_limit`` set, the middleware additionally
    answers 413 when an application asks for more of an XML body after more than
    ``xml_limit`` bytes of it were delivered (``None``: XML bodies are left alone)."""

    def __init__(
        self,
        app: ASGIApp,
        json_limit: int = JSON_LIMIT,
        xml_limit: int | None = None,
        xml_endpoints: Iterable[tuple[str, str]] = XML_ENDPOINTS,
    ) -> None:
        self.app = app
        self.json_limit = json_limit
        self.xml_limit = xml_limit
        self.xml_endpoints = frozenset((m.upper(), p.rstrip("/")) for m, p in xml_endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        xml = (str(scope["method"]).upper(), _path(scope)) in self.xml_endpoints
        limit = self.xml_limit if xml else self.json_limit
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _declared(scope)
        if not xml and declared is not None and declared > limit:
            await _refuse(send, declared, limit, at_least=False)
            return
        await _Guard(self.app, limit, xml)(scope, receive, send)


class _Guard:
    """One request under a limit: counts what the application reads, and answers 413 in
    its place once the body runs over (the application is then told the client left)."""

    def __init__(self, app: ASGIApp, limit: int, xml: bool) -> None:
        self.app = app
        self.limit = limit
        self.xml = xml
        self.seen = 0
        self.started = False  # the application's response has started
        self.cut = False  # the application gets no more of the body
        self.answered = False  # this guard sent the 413

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_receive() -> Message:
            if self.cut:
                return {"type": "http.disconnect"}
            if self.xml and self.seen > self.limit:
                # The XML handlers stop reading once over their limit; one that does not
                # is stopped here.
                return await self._over(send)
            message = await receive()
            if message["type"] == "http.request":
                self.seen += len(message.get("body", b""))
                if not self.xml and self.seen > self.limit:
                    return await self._over(send)
            return message

        async def guarded_send(message: Message) -> None:
            if self.answered:
                return  # the 413 has been sent; what the application answers is dropped
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not self.answered:
                raise
            # The application failed on the missing body after the 413 went out.
            log.debug("request body over the limit; the application stopped", exc_info=True)

    async def _over(self, send: Send) -> Message:
        """Stop the body; answer 413 unless the application already started answering."""
        self.cut = True
        if not self.started:
            self.answered = True
            await _refuse(send, self.seen, self.limit, at_least=True)
        return {"type": "http.disconnect"}


async def _refuse(send: Send, size: int, limit: int, *, at_least: bool) -> None:
    body = too_large_body(size, limit, at_least=at_least)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.rstrip("/")


def _declared(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            raw = bytes(value).strip()
            return int(raw) if raw.isdigit() else None
    return None
