"""Authentication: one API key per participant, sent as ``Authorization: Bearer <key>``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock
from typing import Annotated

from fastapi import Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.administration import participants
from app.administration.participants import OPERATOR
from app.services import Services

bearer = HTTPBearer(auto_error=False, description="The participant's API key")

_TTL = 30.0  # seconds a verified key is trusted without asking the database again


class Unauthorized(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Caller:
    id: int
    code: str
    role: str
    name: str

    @property
    def operator(self) -> bool:
        return self.role == OPERATOR


class _KeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = Lock()

    def get(self, key_hash: str) -> Caller | None:
        with self._lock:
            entry = self._entries.get(key_hash)
            if entry is None or entry[0] < time.monotonic():
                return None
            return entry[1]

    def put(self, key_hash: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + _TTL, caller)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _authenticate(svc: Services, key: str) -> Caller | None:
    with svc.database.read() as s:
        p = participants.authenticate(s, key)
        return None if p is None else Caller(p.id, p.code, p.role, p.name)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def caller(
    request: Request,
    scheme_: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Caller:
    """The authenticated participant, or Unauthorized. (``scheme_`` is not read: it puts
    the bearer scheme into the OpenAPI document, for every operation that needs a key.)
    A key seen lately is known without leaving the event loop; only a new one is looked
    up in the database, on a worker thread."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized()
    key = key.strip()
    cache: _KeyCache = request.app.state.key_cache
    digest = participants.hash_key(key)
    found = cache.get(digest)
    if found is None:
        found = await run_in_threadpool(_authenticate, services(request), key)
        if found is None:
            raise Unauthorized()
        cache.put(digest, found)
    request.state.participant = found.code  # for the request log
    return found
