"""The HTTP server's own defences, below the application: slow heads and too many sockets.

uvicorn closes an idle kept-alive connection, but not one that never finishes sending its
request head: 2,000 half-sent requests would all stay open. ``GuardedHttpToolsProtocol``
gives every request head ``IWMO_HEADER_TIMEOUT`` seconds to arrive (answering 408 and
closing after that) and closes a connection at once (503) when the worker already holds
``IWMO_MAX_CONNECTIONS``. Bodies are timed by the application (``app.api.bodies``), where a
slow one costs a socket and a coroutine, never a thread.

uvicorn is told to use it by ``iwmo serve`` (``http=GuardedHttpToolsProtocol``). Each worker
process reads the limits from the environment, like the application's own settings.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import Settings

log = logging.getLogger(__name__)

__all__ = ["GuardedHttpToolsProtocol", "Limits"]


class Limits:
    def __init__(self, header_timeout: float, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.max_connections = max_connections


@cache
def _limits() -> Limits:
    settings = Settings.from_env()
    return Limits(settings.header_timeout, settings.max_connections)


def _problem(status: int, reason: str, kind: str, title: str, detail: str) -> bytes:
    body = json.dumps(
        {"type": f"urn:iwmo-hub:problem:{kind}", "title": title, "status": status, "detail": detail}
    ).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode() + body


_TOO_MANY = _problem(
    503,
    "Service Unavailable",
    "too_many_connections",
    "too many connections",
    "this worker holds as many connections as IWMO_MAX_CONNECTIONS allows; try again",
)
_HEAD_TIMEOUT = _problem(
    408,
    "Request Timeout",
    "header_timeout",
    "the request head arrived too slowly",
    "the request line and headers must arrive within IWMO_HEADER_TIMEOUT seconds",
)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a timeout on request heads and a connection cap."""

    limits: Limits | None = None  # None: from the environment (tests set their own)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_complete = False
        self._opened = 0.0

    def _own_limits(self) -> Limits:
        return self.limits if self.limits is not None else _limits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._opened = self.loop.time()
        super().connection_made(transport)
        if len(self.connections) > self._own_limits().max_connections and not self._evict():
            log.warning("connection refused: too many connections")
            transport.write(_TOO_MANY)
            transport.close()
            return
        self._arm_head_timer()

    def _waiting_for_head(self) -> bool:
        return not self._head_complete and (self.cycle is None or self.cycle.response_complete)

    def _evict(self) -> bool:
        """Make room by closing the connection that has waited longest for its request
        head: a client sending its head promptly is never crowded out by slow ones."""
        waiting = [
            c
            for c in self.connections
            if c is not self
            and isinstance(c, GuardedHttpToolsProtocol)
            and c._waiting_for_head()
            and not c.transport.is_closing()
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._opened)
        log.info("connection closed to make room: its request head was not complete")
        oldest._close_slow()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and not self._head_complete:
            # The first bytes of a new request on a kept-alive connection: its head is
            # timed from here (uvicorn's keep-alive timer ran until now).
            self._arm_head_timer()
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._head_complete = False
        if self._head_timer is None:
            self._arm_head_timer()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_complete = True
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._head_complete = False
        super().on_response_complete()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(
            self._own_limits().header_timeout, self._head_timed_out
        )

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._waiting_for_head():
            return
        log.info("request head too slow; connection closed")
        self._close_slow()

    def _close_slow(self) -> None:
        self._disarm_head_timer()
        self.transport.write(_HEAD_TIMEOUT)
        self.transport.close()
