"""The iWmo messages the demo's parties write: a municipality's generic decision
(WMO301), a subcontractor's start and stop (WMO305, WMO307), and the retours every party
sends for what it received (WMO302, WMO306, WMO308)."""

from __future__ import annotations

import secrets
import string
from datetime import date, time
from itertools import count
from typing import Any

from lxml import etree

from app import retour
from app.demo.population import Client
from app.standard import codec, parsing
from app.standard import messages as m
from app.standard.catalogue import XSD_VERSIE

APPROVED = frozenset({"0200", "8001"})
_ALPHABET = string.digits + string.ascii_uppercase


class Identifications:
    """Message identifications, 12 characters: a tag for this run (so a second run on the
    same database never reuses one, TR056) and a counter."""

    def __init__(self) -> None:
        self.tag = "D" + "".join(secrets.choice(_ALPHABET) for _ in range(3))
        self._next = count(1)

    def __call__(self) -> str:
        return f"{self.tag}{next(self._next):08d}"


def _xsd() -> m.XsdVersie:
    return m.XsdVersie(BasisschemaXsdVersie=XSD_VERSIE, BerichtXsdVersie=XSD_VERSIE)


def _identification(ident: str, day: date) -> m.BerichtIdentificatie:
    return m.BerichtIdentificatie(Identificatie=ident, Dagtekening=day)


def _surname(c: Client) -> m.Achternaam:
    return m.Achternaam(Achternaam=c.surname, Voorvoegsel=c.prefix)


def decision(
    c: Client,
    main_contractor: str,
    nummer: int,
    ingangsdatum: date,
    einddatum: date,
    budget: int,
    *,
    day: date,
    ident: str,
    toewijzingsdatum: date | None = None,
    reden_wijziging: str | None = None,
) -> bytes:
    """A generic decision (no product, a budget) of the client's municipality to the main
    contractor; with ``reden_wijziging`` the same decision changed (ended early)."""
    product = m.ToegewezenProduct(
        ToewijzingNummer=nummer,
        Toewijzingsdatum=toewijzingsdatum or day,
        Toewijzingstijd=time(9, 30),
        Ingangsdatum=ingangsdatum,
        Einddatum=einddatum,
        RedenWijziging=reden_wijziging,
        Budget=budget,
    )
    client = m.ToewijzingClient(
        Bsn=c.bsn,
        Geboortedatum=m.Geboortedatum(Datum=c.birth_date),
        Geslacht=c.gender,
        Naam=m.VolledigeNaam(
            Geslachtsnaam=_surname(c),
            Voornamen=c.first_name,
            Voorletters=c.initials,
            NaamGebruik="1",
        ),
        Contactgegevens=[
            m.Contact(
                Soort="01",
                Adres=m.Adres(
                    Huis=m.Huis(Huisnummer=c.house_number),
                    Postcode=c.postcode,
                    Straatnaam=c.street,
                    Plaatsnaam=c.place,
                    LandCode="NL",
                ),
            )
        ],
        ToegewezenProducten=[product],
    )
    header = m.GemeenteHeader(
        BerichtCode="414",
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=c.municipality,
        Ontvanger=main_contractor,
        BerichtIdentificatie=_identification(ident, day),
        XsdVersie=_xsd(),
    )
    return codec.to_bytes(m.WMO301(Header=header, Client=client), pretty=False)


def _provider_header(code: str, sender: str, receiver: str, ident: str, day: date) -> Any:
    return m.AanbiederHeader(
        BerichtCode=code,
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=sender,
        Ontvanger=receiver,
        BerichtIdentificatie=_identification(ident, day),
        XsdVersie=_xsd(),
    )


def _short_name(c: Client) -> m.VerkorteNaam:
    return m.VerkorteNaam(Geslachtsnaam=_surname(c), Voorletters=c.initials)


def start(
    c: Client,
    subcontractor: str,
    allocation: Allocation,
    begindatum: date,
    *,
    day: date,
    ident: str,
) -> bytes:
    """The subcontractor's start of delivery on an allocation it received."""
    line = m.StartProduct(
        ToewijzingNummer=allocation.nummer,
        Product=m.Product(Categorie=allocation.categorie, Code=allocation.code),
        ToewijzingIngangsdatum=allocation.ingangsdatum,
        Begindatum=begindatum,
        StatusAanlevering="1",
    )
    msg = m.WMO305(
        Header=_provider_header("418", subcontractor, c.municipality, ident, day),
        Client=m.StartClient(**_identified(c), StartProducten=[line]),
    )
    return codec.to_bytes(msg, pretty=False)


def _identified(c: Client) -> dict[str, Any]:
    """How a start or stop names its client."""
    return {
        "Bsn": c.bsn,
        "Geboortedatum": m.Geboortedatum(Datum=c.birth_date),
        "Geslacht": c.gender,
        "Naam": _short_name(c),
    }


def stop(
    c: Client,
    subcontractor: str,
    allocation: Allocation,
    begindatum: date,
    reden: str,
    einddatum: date,
    *,
    day: date,
    ident: str,
) -> bytes:
    """The subcontractor's stop of the delivery that began on ``begindatum``."""
    line = m.StopProduct(
        ToewijzingNummer=allocation.nummer,
        Product=m.Product(Categorie=allocation.categorie, Code=allocation.code),
        ToewijzingIngangsdatum=allocation.ingangsdatum,
        Begindatum=begindatum,
        RedenBeeindiging=reden,
        Einddatum=einddatum,
        StatusAanlevering="1",
    )
    msg = m.WMO307(
        Header=_provider_header("420", subcontractor, c.municipality, ident, day),
        Client=m.StopClient(**_identified(c), StopProducten=[line]),
    )
    return codec.to_bytes(msg, pretty=False)


class Allocation:
    """An allocation as the subcontractor's software keeps it, from the WMO301 it got."""

    __slots__ = ("categorie", "code", "einddatum", "ingangsdatum", "nummer")

    def __init__(
        self, nummer: int, categorie: str, code: str, ingangsdatum: date, einddatum: date | None
    ) -> None:
        self.nummer = nummer
        self.categorie = categorie
        self.code = code
        self.ingangsdatum = ingangsdatum
        self.einddatum = einddatum


def read(body: bytes) -> Any:
    """A message received from a mailbox, as typed objects."""
    return codec.decode(parsing.parse(body).root)


def allocations(msg: m.WMO301) -> list[Allocation]:
    found = []
    for p in msg.Client.ToegewezenProducten:
        if p.Product is not None and p.Product.Code is not None:
            found.append(
                Allocation(
                    p.ToewijzingNummer,
                    p.Product.Categorie,
                    p.Product.Code,
                    p.Ingangsdatum,
                    p.Einddatum,
                )
            )
    return found


def answer(msg: Any, day: date) -> bytes:
    """The receiver's retour: the message fully approved (IV028)."""
    return codec.to_bytes(retour.build(msg, dagtekening=day), pretty=False)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def return_codes(retour_body: bytes) -> list[str]:
    """The codes in a retour that refuse something (empty: fully approved)."""
    root = etree.fromstring(retour_body, _PARSER)
    return sorted({el.text or "" for el in root.iter("{*}RetourCode")} - APPROVED)
