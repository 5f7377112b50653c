"""Routing rows as the pipeline handles them: plain records over ``routing.models``'s
tables, loaded and written with ``Tx`` in the message's own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.administration.records import Record
from app.routing.kinds import DelegationStatus


@dataclass
class Decision(Record):
    contract_id: int = 0
    toewijzing_id: int = 0
    client_id: int = 0
    municipality_code: str = ""
    source_message_id: int = 0
    created_at: datetime | None = None


@dataclass
class Delegation(Record):
    decision_id: int = 0
    contract_id: int = 0
    client_id: int = 0
    municipality_code: str = ""
    main_contractor_code: str = ""
    subcontractor_code: str = ""
    function_key: str = ""
    categorie: str = ""
    code: str = ""
    begindatum: date = date.min
    einddatum: date | None = None
    toewijzing_id: int = 0
    toewijzing_nummer: int = 0
    status: str = "sent"
    retourcodes: list[Any] = field(default_factory=list)
    last_message_id: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.status != DelegationStatus.WITHDRAWN

    def overlaps(self, begin: date, end: date | None) -> bool:
        mine_end = self.einddatum or date.max
        return self.begindatum <= (end or date.max) and begin <= mine_end


@dataclass
class Relay(Record):
    client_id: int = 0
    source_message_id: int = 0
    relay_message_id: int = 0
    municipality_code: str = ""
    subcontractor_code: str = ""
    main_contractor_code: str = ""
    status: str = "sent"
    retourcodes: list[Any] = field(default_factory=list)
    retour_message_id: int | None = None
    resent_as_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
