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

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

__all__ = [
    "DRAIN_FACTOR",
    "XML_ENDPOINTS",
    "Body",
    "BodyLimit",
    "ClientDisconnect",
    "disconnected",
    "read_capped",
    "too_large",
]

PROBLEM = "application/problem+json"
# A message body over the limit sent without a Content-Length is read on, not kept, up to
# this many times the limit, to be known by a hash of all of it; a longer one is cut there.
DRAIN_FACTOR = 4
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
    ``Content-Length`` when there was one, else the bytes seen before reading stopped.
    ``sha256`` is the hash of all of the body when all of it was read (a body over the
    limit is read on, without being kept, up to ``drain`` bytes), else None."""

    data: bytes
    size: int
    too_large: bool
    sha256: str | None = None


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length``, when it is a plain non-negative number."""
    raw = headers.get("content-length")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


async def read_capped(request: Request, limit: int, *, keep: int = 0, drain: int = 0) -> Body:
    """Read the body of ``request``, holding at most ``limit`` bytes (and one chunk).

    A declared ``Content-Length`` over the limit is refused at once: only its first
    ``keep`` bytes are read (so a client that waits for ``100 Continue`` never sends the
    rest). Otherwise the stream is read until it ends or more than ``limit`` bytes have
    arrived; past the limit only the first ``keep`` bytes are kept, and with ``drain`` the
    rest is read on without being kept, up to ``drain`` bytes in all, so that the body can
    be known by a hash of all of it. Raises ``starlette.requests.ClientDisconnect`` when
    the client goes away before the body is complete."""
    declared = declared_length(request.headers)
    if declared is not None and declared > limit:
        return Body(await _head(request, keep) if keep else b"", declared, True)
    chunks: list[bytes] = []
    digest = hashlib.sha256()
    head: bytes | None = None  # once over the limit: what is kept of the body
    seen = 0
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            if not chunk:
                continue
            digest.update(chunk)
            seen += len(chunk)
            if head is None and seen <= limit:
                chunks.append(chunk)
                continue
            if head is None:  # just passed the limit: keep the head, let the rest go
                head = _first([*chunks, chunk], keep)
                chunks = []
            if seen > drain:
                return Body(head, seen, True)
    if head is not None:
        return Body(head, seen, True, digest.hexdigest())
    return Body(b"".join(chunks), seen, False, digest.hexdigest())


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
        *,
        body_timeout: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        self.app = app
        self.json_limit = json_limit
        self.xml_limit = xml_limit
        self.xml_endpoints = frozenset((m.upper(), p.rstrip("/")) for m, p in xml_endpoints)
        self.timeouts = _Timeouts(body_timeout, idle_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        xml = (str(scope["method"]).upper(), _path(scope)) in self.xml_endpoints
        limit = self.xml_limit if xml else self.json_limit
        if limit is None and not self.timeouts:
            await self.app(scope, receive, send)
            return
        declared = _declared(scope)
        if not xml and limit is not None and declared is not None and declared > limit:
            await _refuse(send, declared, limit, at_least=False)
            return
        await _Guard(self.app, limit, xml, self.timeouts)(scope, receive, send)


@dataclass(frozen=True)
class _Timeouts:
    """How long a body may take in all (``body``), and pause between two of its parts
    (``idle``): a client that sends slowly holds a socket, never a worker for long."""

    body: float | None
    idle: float | None

    def __bool__(self) -> bool:
        return self.body is not None or self.idle is not None


class _Guard:
    """One request under a limit: counts what the application reads, and answers 413 in
    its place once the body runs over (the application is then told the client left)."""

    def __init__(self, app: ASGIApp, limit: int | None, xml: bool, timeouts: _Timeouts) -> None:
        self.app = app
        self.limit = limit
        self.xml = xml
        self.timeouts = timeouts
        self.deadline = (
            time.monotonic() + timeouts.body if timeouts.body is not None else float("inf")
        )
        self.seen = 0
        self.complete = False  # the whole body has arrived
        self.started = False  # the application's response has started
        self.cut = False  # the application gets no more of the body
        self.answered = False  # this guard sent the 413 or 408

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_receive() -> Message:
            if self.cut:
                return {"type": "http.disconnect"}
            if self.xml and self.limit is not None and self.seen > self.limit:
                # The XML handlers stop reading once over their limit; one that does not
                # is stopped here.
                return await self._over(send)
            if self.complete or not self.timeouts:
                message = await receive()
            else:
                wait = self.deadline - time.monotonic()
                if self.timeouts.idle is not None:
                    wait = min(wait, self.timeouts.idle)
                try:
                    if wait <= 0:
                        raise TimeoutError
                    message = await asyncio.wait_for(receive(), wait)
                except TimeoutError:
                    return await self._too_slow(send)
            if message["type"] == "http.request":
                self.seen += len(message.get("body", b""))
                self.complete = not message.get("more_body", False)
                if not self.xml and self.limit is not None and self.seen > self.limit:
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
        assert self.limit is not None
        self.cut = True
        if not self.started:
            self.answered = True
            await _refuse(send, self.seen, self.limit, at_least=True)
        return {"type": "http.disconnect"}

    async def _too_slow(self, send: Send) -> Message:
        """Stop a body that arrives too slowly; answer 408 (nothing of it is kept)."""
        self.cut = True
        log.info("request body too slow; connection closed", extra={"bytes": self.seen})
        if not self.started:
            self.answered = True
            body = json.dumps(
                {
                    "type": "urn:iwmo-hub:problem:body_timeout",
                    "title": "the request body arrived too slowly",
                    "status": 408,
                    "detail": f"{self.seen:,} bytes arrived before the body timed out; the "
                    "whole body must arrive within IWMO_BODY_TIMEOUT seconds, without a pause "
                    "longer than IWMO_BODY_IDLE_TIMEOUT; nothing was stored",
                }
            ).encode()
            await _answer(send, 408, body)
        return {"type": "http.disconnect"}


async def _refuse(send: Send, size: int, limit: int, *, at_least: bool) -> None:
    await _answer(send, 413, too_large_body(size, limit, at_least=at_least))


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
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
