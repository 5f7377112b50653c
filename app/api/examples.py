"""The iWmo messages the OpenAPI document shows: complete messages, valid against their
schemas, built from the typed model so they follow it (tests validate them and parse every
XML example in the document).

The client, BSN 999900006 (a number reserved for tests), and the address are made up.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from app import retour
from app.demo import examples as sample_chain
from app.standard import codec
from app.standard import messages as m
from app.standard.catalogue import XSD_VERSIE

MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "binary",  # the bytes as they are: no JSON, no XML wrapped around them
    "minLength": 1,
    "pattern": "\\S",
    "description": "one iWmo 3.2 message, XML in UTF-8; not empty or only white space",
}
"""The body of the endpoints that take a message (the XSD of each message says the rest)."""

BSN = "999900006"
MUNICIPALITY = "0307"
MAIN_CONTRACTOR = "99000001"


def _xsd() -> m.XsdVersie:
    return m.XsdVersie(BasisschemaXsdVersie=XSD_VERSIE, BerichtXsdVersie=XSD_VERSIE)


def _text(message: Any) -> str:
    return codec.to_bytes(message).decode()


def allocation(
    receiver: str = MAIN_CONTRACTOR,
    *,
    nummer: int = 5001,
    identificatie: str = "TW2027000001",
    dagtekening: date = date(2027, 1, 5),
) -> m.WMO301:
    """A municipality allocates begeleiding (IN3, three hours a week) for 2027."""
    product = m.ToegewezenProduct(
        ToewijzingNummer=nummer,
        Product=m.Product(Categorie="02", Code="02N03"),
        Toewijzingsdatum=dagtekening,
        Toewijzingstijd=time(9, 30),
        Ingangsdatum=date(2027, 1, 11),
        Einddatum=date(2027, 12, 31),
        Omvang=m.Omvang(Volume=3, Eenheid="04", Frequentie="2"),
    )
    address = m.Adres(
        Huis=m.Huis(Huisnummer=12),
        Postcode="3811AB",
        Straatnaam="Langestraat",
        Plaatsnaam="Amersfoort",
        LandCode="NL",
    )
    client = m.ToewijzingClient(
        Bsn=BSN,
        Geboortedatum=m.Geboortedatum(Datum=date(1950, 3, 12)),
        Geslacht="2",
        Naam=m.VolledigeNaam(
            Geslachtsnaam=m.Achternaam(Achternaam="Jansen"),
            Voornamen="Anna",
            Voorletters="A",
            NaamGebruik="1",
        ),
        Contactgegevens=[m.Contact(Soort="01", Adres=address)],
        ToegewezenProducten=[product],
    )
    header = m.GemeenteHeader(
        BerichtCode="414",
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=MUNICIPALITY,
        Ontvanger=receiver,
        BerichtIdentificatie=m.BerichtIdentificatie(
            Identificatie=identificatie, Dagtekening=dagtekening
        ),
        XsdVersie=_xsd(),
    )
    return m.WMO301(Header=header, Client=client)


def change_request() -> m.WMO317:
    """A provider asks to add a product from the day it asks (which TR380 refuses: a new
    product starts after the Dagtekening)."""
    new = m.NieuwProduct(
        Product=m.Product(Categorie="02", Code="02N04"),
        GewensteIngangsdatum=date(2027, 4, 2),
        Einddatum=date(2027, 12, 31),
        Omvang=m.Omvang(Volume=4, Eenheid="04", Frequentie="2"),
    )
    request = m.Verzoek(
        ReferentieAanbieder="VW2027-0001",
        RedenVerzoek="2",
        OngewijzigdeProducten=[m.OngewijzigdProduct(ToewijzingNummer=5001)],
        NieuweProducten=[new],
    )
    header = m.AanbiederHeader(
        BerichtCode="480",
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=MAIN_CONTRACTOR,
        Ontvanger=MUNICIPALITY,
        BerichtIdentificatie=m.BerichtIdentificatie(
            Identificatie="VW2027000001", Dagtekening=date(2027, 4, 2)
        ),
        XsdVersie=_xsd(),
    )
    return m.WMO317(Header=header, Client=m.VerzoekClient(Bsn=BSN, Verzoek=request))


ALLOCATION = _text(allocation())
"""WMO301 from municipality 0307 to the main contractor."""

ALLOCATION_RETOUR = _text(
    retour.build(allocation(), identificatie="RT2027000001", dagtekening=date(2027, 1, 5))
)
"""Its WMO302, fully approved: the header alone (IV028)."""

DELEGATED_ALLOCATION = _text(
    allocation(
        "99000002", nummer=900_000_000, identificatie="IH7Q2M0ZK4XA", dagtekening=date(2027, 2, 1)
    )
)
"""The WMO301 a subcontractor finds in its mailbox for a delegated function."""

CHANGE_REQUEST = _text(change_request())
"""WMO317 with one finding within the message (TR380)."""

CHANGE_REQUEST_FINDINGS: dict[str, Any] = {
    "message": "WMO317",
    "schema_valid": True,
    "findings": [
        {
            "rule": "TR380",
            "return_code": "0001",
            "path": "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]/GewensteIngangsdatum",
            "message": "GewensteIngangsdatum 2027-04-02 is not after the Dagtekening 2027-04-02",
        }
    ],
}
"""What ``POST /v1/validate`` answers for CHANGE_REQUEST."""


def chain() -> dict[str, dict[str, Any]]:
    """The request examples of ``POST /v1/berichten``: the fixed steps of the sample chains
    (`examples/`), one or more of every message type, in the order they are accepted when
    the demo's parties post them (each with its own key)."""
    found: dict[str, dict[str, Any]] = {}
    for step in sample_chain.steps():
        if step.body is None or step.delegation is not None or step.name.startswith("19-"):
            continue  # built from what the service answers
        found[step.name] = {
            "summary": f"{step.name[:2]}. {step.message_type}: {step.says}",
            "description": f"Posted by {step.poster} ({sample_chain.POSTERS[step.poster]}), "
            f"after the examples before it; the file examples/{step.name}.xml.",
            "value": step.body.decode(),
        }
    return found


CHAIN = chain()
"""Named request examples for POST /v1/berichten, in posting order."""
