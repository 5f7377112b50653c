"""The contracts as the message pipeline asks about them, read once and remembered.

Contracts change rarely and are asked about for nearly every message: who is whose main
contractor, which functions exist, which execution variant applies. The directory keeps an
immutable snapshot for ``ttl`` seconds; a change applies within that time (at once in the
process that made it, which calls ``forget``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.routing.models import Contract, FunctionCatalogue

if TYPE_CHECKING:
    from app.administration.db import Database


@dataclass(frozen=True)
class FunctionDef:
    key: str
    name: str
    categorie: str
    code: str


@dataclass(frozen=True)
class ContractView:
    id: int
    key: str
    name: str
    main_contractor: str
    variant: str
    begindatum: date
    einddatum: date | None
    catalogue: str  # key@version
    municipalities: frozenset[str]
    functions: Mapping[str, FunctionDef]  # the functions this contract covers, by key
    subcontractors: Mapping[str, frozenset[str]]  # code -> function keys it may deliver
    budgets: Mapping[str, Mapping[int, int]] = field(default_factory=dict)  # cents per year
    tariffs: Mapping[str, int] = field(default_factory=dict)  # function -> cents a month
    product_tariffs: Mapping[str, int] = field(default_factory=dict)  # code -> cents a unit

    def runs_on(self, day: date) -> bool:
        return self.begindatum <= day and (self.einddatum is None or day <= self.einddatum)

    def function_for(self, categorie: str | None, code: str | None) -> FunctionDef | None:
        for f in self.functions.values():
            if (f.categorie, f.code) == (categorie, code):
                return f
        return None

    def categories(self) -> frozenset[str]:
        return frozenset(f.categorie for f in self.functions.values())

    def may_deliver(self, provider: str, function_key: str) -> bool:
        if provider == self.main_contractor:
            return function_key in self.functions
        return function_key in self.subcontractors.get(provider, frozenset())


class ContractDirectory:
    def __init__(self, database: Database, ttl: float = 30.0) -> None:
        self._database = database
        self.ttl = ttl
        self._lock = threading.Lock()
        self._snapshot: tuple[float, tuple[ContractView, ...]] | None = None

    def forget(self) -> None:
        with self._lock:
            self._snapshot = None

    def all(self) -> tuple[ContractView, ...]:
        now = time.monotonic()
        with self._lock:
            snap = self._snapshot
        if snap is not None and snap[0] > now:
            return snap[1]
        views = self._load()
        with self._lock:
            self._snapshot = (now + self.ttl, views)
        return views

    def get(self, key: str) -> ContractView | None:
        return next((c for c in self.all() if c.key == key), None)

    def by_id(self, contract_id: int) -> ContractView | None:
        return next((c for c in self.all() if c.id == contract_id), None)

    def of_main_contractor(self, municipality: str, main_contractor: str) -> list[ContractView]:
        """Contracts in which ``main_contractor`` serves ``municipality``."""
        return [
            c
            for c in self.all()
            if c.main_contractor == main_contractor and municipality in c.municipalities
        ]

    def between(self, municipality: str, provider: str, day: date) -> list[ContractView]:
        """Contracts running on ``day`` under which ``provider`` (main contractor or
        subcontractor) works for ``municipality``."""
        return [
            c
            for c in self.all()
            if municipality in c.municipalities
            and (provider == c.main_contractor or provider in c.subcontractors)
            and c.runs_on(day)
        ]

    def is_main_contractor(self, code: str) -> bool:
        return any(c.main_contractor == code for c in self.all())

    def _load(self) -> tuple[ContractView, ...]:
        with self._database.read() as s:
            contracts = s.scalars(
                select(Contract)
                .options(
                    selectinload(Contract.municipalities),
                    selectinload(Contract.subcontractors),
                    selectinload(Contract.catalogue).selectinload(FunctionCatalogue.functions),
                )
                .order_by(Contract.key)
            ).all()
            return tuple(_view(c) for c in contracts)


def _view(c: Contract) -> ContractView:
    terms = c.terms or {}
    covered = terms.get("functions")
    functions = {
        f.key: FunctionDef(f.key, f.name, f.categorie, f.code)
        for f in c.catalogue.functions
        if covered is None or f.key in covered
    }
    return ContractView(
        id=c.id,
        key=c.key,
        name=c.name,
        main_contractor=c.main_contractor_code,
        variant=c.variant,
        begindatum=c.begindatum,
        einddatum=c.einddatum,
        catalogue=c.catalogue.ref,
        municipalities=frozenset(m.municipality_code for m in c.municipalities),
        functions=functions,
        subcontractors={
            s.subcontractor_code: frozenset(s.functions or ()) for s in c.subcontractors
        },
        budgets={
            m.municipality_code: {int(y): int(v) for y, v in (m.budgets or {}).items()}
            for m in c.municipalities
        },
        tariffs={k: int(v) for k, v in (terms.get("tariffs") or {}).items()},
        product_tariffs={k: int(v) for k, v in (terms.get("product_tariffs") or {}).items()},
    )
