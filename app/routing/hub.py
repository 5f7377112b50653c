"""What routing's own actions (delegating a function, resending a relay) need of the
service: its store, its key, its participants and contracts, its router and its clock, and
a way to store what it composes. The intake provides it; routing never reaches up for it."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from app.administration.crypto import Vault
from app.administration.participants import Directory
from app.administration.store import Store, Tx
from app.routing.directory import ContractDirectory
from app.routing.router import Router

__all__ = ["Hub"]


class Hub(Protocol):
    @property
    def store(self) -> Store: ...

    @property
    def vault(self) -> Vault: ...

    @property
    def participants(self) -> Directory: ...

    @property
    def contracts(self) -> ContractDirectory: ...

    @property
    def router(self) -> Router: ...

    def today(self) -> date: ...

    def store_composed(
        self, tx: Tx, msg: Any, body: bytes, *, client_id: int | None = None
    ) -> int: ...
