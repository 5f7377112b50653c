"""What every refusal must satisfy, and message bytes to spoil."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from tests.administration.helpers import Party, toewijzing, xml

T = TypeVar("T")

XML = {"content-type": "application/xml"}
PROBLEM = "application/problem+json"


def message() -> bytes:
    """A WMO301 (0384 -> 42420001) that is accepted when both parties are registered; a
    fresh identification on every call."""
    return xml(toewijzing(ReferentieAanbieder=None))


def on_root(data: bytes, extra: bytes) -> bytes:
    """``data`` with ``extra`` (attributes, namespace declarations) in the root's tag."""
    start = data.index(b"<wmo301:Bericht")
    end = data.index(b">", start)
    return data[:end] + b" " + extra + data[end:]


def inside_client(data: bytes, inner: bytes) -> bytes:
    """``data`` with ``inner`` as the first content of the Client element."""
    at = data.index(b"<wmo301:Client>") + len(b"<wmo301:Client>")
    return data[:at] + inner + data[at:]


def refused(r: Any, status: int, kind: str, *words: str) -> dict[str, Any]:
    """The response is a problem document of this status and kind whose detail names the
    problem (each of ``words``), about a message the service stored."""
    assert r.status_code == status, r.text[:2000]
    assert r.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = r.json()
    assert problem["type"] == f"urn:iwmo-hub:problem:{kind}"
    assert problem["status"] == status
    assert problem["title"]
    for word in words:
        assert word.lower() in problem["detail"].lower(), problem["detail"]
    assert isinstance(problem["message_id"], int)
    assert r.headers["location"] == f"/v1/berichten/{problem['message_id']}"
    return problem


def recorded(who: Party, message_id: int) -> dict[str, Any]:
    """The message as its sender sees it."""
    r = who.get(f"/v1/berichten/{message_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def raw(who: Party, message_id: int) -> bytes:
    r = who.get(f"/v1/berichten/{message_id}/xml")
    assert r.status_code == 200, r.text
    return bytes(r.content)


# --- sending bodies in pieces -----------------------------------------------------------------
#
# Starlette's TestClient reads a generator body whole before the application sees any of it
# (httpx's Request.read()), so it cannot show that the service reads in pieces. httpx's
# ASGITransport hands the application one chunk per receive(), as a server does.

CHUNK = 64 * 1024


@dataclass
class Source:
    """``size`` bytes in fresh chunks of ``CHUNK``, counting what was taken."""

    size: int
    head: bytes = b"<?xml version='1.0' encoding='UTF-8'?>\n<wmo301:Bericht>"
    chunk: int = CHUNK
    taken: int = 0

    def first(self, count: int) -> bytes:
        """The first ``count`` bytes this source produces."""
        filler = self.size - len(self.head)
        return (self.head + b"x" * min(filler, count))[:count]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.size:
            n = min(self.chunk, self.size - sent)
            # A new object each time, as a server's buffers are.
            piece = (self.head + b"x" * n)[:n] if sent == 0 else b"x" * n
            sent += n
            self.taken = sent
            yield piece


def post_streamed(
    app: Any,
    path: str,
    body: AsyncIterable[bytes],
    headers: dict[str, str],
    *,
    method: str = "POST",
) -> httpx.Response:
    """Send ``body`` chunk by chunk to the ASGI ``app``; ``Content-Length`` only if given
    (else it goes chunked)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            request = client.build_request(method, path, content=body, headers=headers)
            return await client.send(request)

    return asyncio.run(go())


def pieces(data: bytes, size: int = 1000) -> AsyncIterable[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for at in range(0, len(data), size):
            yield data[at : at + size]

    return gen()


def measured(run: Callable[[], T]) -> tuple[T, int]:
    """What ``run`` returns, and the peak of memory allocated while it ran (bytes)."""
    tracemalloc.start()
    try:
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def auth(who: Party) -> dict[str, str]:
    return {"authorization": who.client.headers["authorization"]}
