"""What one worker process takes on at once, and how it notices it is stuck.

* ``InFlight`` (pure ASGI middleware) keeps every request being handled in ``Requests``;
  ``/readyz`` turns red when one has been in flight longer than ``IWMO_STALL_SECONDS``, so
  a load balancer stops sending work to a worker that is stuck.
* ``LargeBodies`` lets only a few large messages (over ``LARGE_BODY``) be parsed and judged
  at once per worker; the others wait their turn. A large message costs several times its
  size in memory while it is judged, so this bounds the worker's peak.
* ``Judging`` lets only ``IWMO_INTAKE_THREADS`` messages be judged at once per worker; the
  rest wait in the event loop. Judging is mostly Python holding the interpreter lock, so
  more threads at it only take turns at the lock, each slower, and throughput falls.
* ``give_back_memory`` returns freed memory to the system after a large message: without
  it the C allocator keeps the peak, and a worker that once judged a large message would
  hold that much for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import LARGE_BODY

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = [
    "LARGE_BODY",
    "InFlight",
    "Judging",
    "LargeBodies",
    "Requests",
    "allocate_large_blocks_apart",
    "collect_garbage_less_often",
    "give_back_memory",
]

# Probes and scrapes are answered at once; counting them would only hide a stuck request.
_NOT_COUNTED = frozenset({"/healthz", "/readyz", "/metrics"})


class Requests:
    """The requests a worker process is handling, each with its start time."""

    def __init__(self) -> None:
        self._started: dict[int, float] = {}
        self._ids = itertools.count()

    def begin(self) -> int:
        key = next(self._ids)
        self._started[key] = time.monotonic()
        return key

    def end(self, key: int) -> None:
        self._started.pop(key, None)

    def oldest(self) -> float:
        """Seconds the longest-running request has been in flight (0 when none)."""
        started = list(self._started.values())
        return time.monotonic() - min(started) if started else 0.0

    def __len__(self) -> int:
        return len(self._started)


class InFlight:
    """Pure ASGI middleware that records every request in ``requests`` while it is handled."""

    def __init__(self, app: ASGIApp, requests: Requests) -> None:
        self.app = app
        self.requests = requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in _NOT_COUNTED:
            await self.app(scope, receive, send)
            return
        key = self.requests.begin()
        try:
            await self.app(scope, receive, send)
        finally:
            self.requests.end(key)


class LargeBodies:
    """At most ``slots`` large messages judged at once in this process."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._semaphore: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def turn(self, size: int) -> AsyncIterator[None]:
        """Wait for a turn when ``size`` is large; afterwards give memory back."""
        if size <= LARGE_BODY:
            yield
            return
        if self._semaphore is None:  # created in the event loop that uses it
            self._semaphore = asyncio.Semaphore(self.slots)
        async with self._semaphore:
            try:
                yield
            finally:
                await asyncio.to_thread(give_back_memory)


class Judging:
    """At most ``threads`` messages judged at once in this process, each on a worker
    thread; callers beyond that wait without holding a thread."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        if self._limiter is None:  # created in the event loop that uses it
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)


# The youngest generation is collected after this many new objects instead of 700.
# Judging a message makes thousands of short-lived objects and hardly any cycles: at 700
# the collector ran several times per message for nothing; measured 6-16% of a worker's
# CPU per message. The garbage a cycle holds waits at most this many allocations longer.
_YOUNG_THRESHOLD = 20_000


def collect_garbage_less_often() -> None:
    """Have the cyclic garbage collector run less often in a worker process."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(_YOUNG_THRESHOLD, max(middle, 20), max(old, 20))


_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


def allocate_large_blocks_apart(threshold: int = LARGE_BODY) -> None:
    """Have glibc give every allocation of ``threshold`` bytes or more its own mapping, so
    it goes back to the system the moment it is freed. By default the threshold follows
    the largest block freed so far, and after one large message the next large ones land
    in the heap, which never shrinks."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.mallopt(_M_MMAP_THRESHOLD, threshold)


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


@cache
def _trim() -> object | None:
    libc = _libc()
    # Not glibc: nothing to hand back this way.
    return getattr(libc, "malloc_trim", None) if libc is not None else None


def give_back_memory() -> None:
    """Hand freed heap memory back to the system (glibc's ``malloc_trim``); a no-op
    elsewhere."""
    trim = _trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]
