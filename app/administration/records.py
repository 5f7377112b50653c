"""The administration as the intake sees it: plain records, loaded once per
message, judged in memory by the rules, and written back in one go when the message is
accepted. Attribute names are the table columns (see ``models``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

WITHDRAWAL_REASONS = ("13", "01")  # RedenWijziging: withdrawn (01 is its 3.0 code)


def withdrawn(ingangsdatum: date, einddatum: date | None, reden_wijziging: str | None) -> bool:
    """An allocation ended on its first day for a withdrawal counts as never sent."""
    return einddatum == ingangsdatum and reden_wijziging in WITHDRAWAL_REASONS


@dataclass
class Record:
    id: int | None = None  # None until written
    dirty: bool = field(default=False, repr=False, compare=False)  # changed: update on write


@dataclass
class Client(Record):
    municipality_code: str = ""


@dataclass
class Allocation(Record):
    municipality_code: str = ""
    nummer: int = 0
    client_id: int = 0
    provider_code: str = ""
    version: int = 1
    product_categorie: str | None = None
    product_code: str | None = None
    toewijzingsdatum: date = date.min
    toewijzingstijd: time = time.min
    ingangsdatum: date = date.min
    einddatum: date | None = None
    reden_wijziging: str | None = None
    volume: int | None = None
    eenheid: str | None = None
    frequentie: str | None = None
    budget: int | None = None
    referentie_aanbieder: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return withdrawn(self.ingangsdatum, self.einddatum, self.reden_wijziging)

    @property
    def product(self) -> tuple[str | None, str | None]:
        """(Categorie, Code), as ``rules._product.product_key`` reads a message's."""
        return self.product_categorie, self.product_code

    def current_on(self, day: date) -> bool:
        """Valid on or after ``day`` (the standard's 'actueel'), and not deleted."""
        return not self.deleted and (self.einddatum is None or self.einddatum >= day)


ALLOCATION_FIELDS = (
    "product_categorie",
    "product_code",
    "toewijzingsdatum",
    "toewijzingstijd",
    "ingangsdatum",
    "einddatum",
    "reden_wijziging",
    "volume",
    "eenheid",
    "frequentie",
    "budget",
    "referentie_aanbieder",
)


@dataclass
class Stop(Record):
    start_id: int | None = None
    reden_beeindiging: str = ""
    einddatum: date = date.min
    message_id: int = 0
    deleted_by_id: int | None = None

    @property
    def temporary(self) -> bool:
        return self.reden_beeindiging == "20"


@dataclass
class Start(Record):
    client_id: int = 0
    municipality_code: str = ""
    provider_code: str = ""
    toewijzing_id: int | None = None
    toewijzing_nummer: int | None = None
    product_categorie: str | None = None
    product_code: str | None = None
    toewijzing_ingangsdatum: date | None = None
    begindatum: date = date.min
    message_id: int = 0
    deleted_by_id: int | None = None
    stops: list[Stop] = field(default_factory=list)
    allocation: Allocation | None = field(default=None, repr=False)

    @property
    def product(self) -> tuple[str | None, str | None]:
        """(Categorie, Code), as ``rules._product.product_key`` reads a message's."""
        return self.product_categorie, self.product_code


@dataclass
class Request(Record):
    kind: str = ""  # VOT | VOW
    client_id: int = 0
    municipality_code: str = ""
    provider_code: str = ""
    referentie_aanbieder: str = ""
    status: str = "open"  # open -> in_onderzoek -> afgewezen | toegewezen
    reden_afwijzing: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    message_id: int = 0

    @property
    def pending(self) -> bool:
        return self.status in ("open", "in_onderzoek")


@dataclass
class Answer(Record):
    verzoek_id: int = 0
    verzoek_antwoord: str = ""
    reden_afwijzing: str | None = None


@dataclass
class Declaration(Record):
    provider_code: str = ""
    municipality_code: str = ""
    declaratienummer: str = ""
    periode_begin: date = date.min
    periode_eind: date = date.min
    dagtekening: date = date.min
    totaal_ingediend: int = 0
    totaal_toegekend: int | None = None
    message_id: int = 0
    answer_message_id: int | None = None
    lines: list[Line] = field(default_factory=list)


@dataclass
class Line(Record):
    """A declaration line (Prestatie) and the verdict on it."""

    declaratie_id: int | None = None
    provider_code: str = ""
    client_id: int | None = None
    toewijzing_id: int | None = None
    referentienummer: str = ""
    vorig_referentienummer: str | None = None
    toewijzing_nummer: int = 0
    product_categorie: str = ""
    product_code: str = ""
    periode_begin: date = date.min
    periode_eind: date = date.min
    volume: int = 0
    eenheid: str = ""
    tarief: int | None = None
    bedrag: int = 0  # signed cents: debit +, credit -
    status: str = "toegekend"  # toegekend | afgewezen
    retourcodes: list[str] = field(default_factory=list)
    credited_by_id: int | None = None

    @property
    def debet(self) -> bool:
        return self.bedrag >= 0 and self.vorig_referentienummer is None
