"""Requests from providers (WMO315 for an allocation, WMO317 for a change), the
municipality's answer WMO319, and their retours WMO316, WMO318 and WMO320."""

from __future__ import annotations

from datetime import date

from app.standard.elements import child, items, message_class, retourcodes, value
from app.standard.messages.basis import Geboortedatum, Omvang, Product, VerkorteNaam, Verwijzer
from app.standard.messages.header import (
    AanbiederHeader,
    AanbiederRetourHeader,
    GemeenteHeader,
    GemeenteRetourHeader,
)


@message_class()
class AangevraagdProduct:
    ReferentieAanbieder: str = value("LDT_Referentie")
    BeschikkingNummer: int | None = value("LDT_Nummer", default=None)
    Product: Product | None = child(default=None)
    BeschikkingIngangsdatum: date | None = value("LDT_Datum", default=None)
    ToewijzingIngangsdatum: date = value("LDT_Datum")
    ToewijzingEinddatum: date | None = value("LDT_Datum", default=None)
    Omvang: Omvang | None = child(default=None)
    Budget: int | None = value("LDT_Budget", default=None)
    Verwijzer: Verwijzer = child()
    Raamcontract: str | None = value("LDT_JaNee", default=None)
    Commentaar: str | None = value("LDT_Commentaar", default=None, personal=True)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Client")
class AanvraagClient:
    Bsn: str = value("LDT_BurgerServicenummer", personal=True)
    Geboortedatum: Geboortedatum = child(personal=True)
    Geslacht: str = value("LDT_Geslacht", personal=True)
    Naam: VerkorteNaam = child(personal=True)
    Commentaar: str | None = value("LDT_Commentaar", default=None, personal=True)
    AangevraagdeProducten: list[AangevraagdProduct] = items(
        "AangevraagdProduct", default_factory=list
    )
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class OngewijzigdProduct:
    ToewijzingNummer: int = value("LDT_Nummer")
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class TeWijzigenProduct:
    ToewijzingNummer: int = value("LDT_Nummer")
    GewensteIngangsdatum: date = value("LDT_Datum")
    Einddatum: date | None = value("LDT_Datum", default=None)
    Omvang: Omvang | None = child(default=None)
    Budget: int | None = value("LDT_Budget", default=None)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class NieuwProduct:
    Product: Product | None = child(default=None)
    GewensteIngangsdatum: date = value("LDT_Datum")
    Einddatum: date | None = value("LDT_Datum", default=None)
    Omvang: Omvang | None = child(default=None)
    Budget: int | None = value("LDT_Budget", default=None)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class Verzoek:
    ReferentieAanbieder: str = value("LDT_Referentie")
    RedenVerzoek: str = value("LDT_RedenVerzoek")
    OngewijzigdeProducten: list[OngewijzigdProduct] = items(
        "OngewijzigdProduct", default_factory=list, optional=True
    )
    TeWijzigenProducten: list[TeWijzigenProduct] = items(
        "TeWijzigenProduct", default_factory=list, optional=True
    )
    NieuweProducten: list[NieuwProduct] = items("NieuwProduct", default_factory=list, optional=True)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Client")
class VerzoekClient:
    Bsn: str = value("LDT_BurgerServicenummer", personal=True)
    Verzoek: Verzoek = child()
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class Antwoord:
    ReferentieAanbieder: str = value("LDT_Referentie")
    VerzoekAntwoord: str = value("LDT_VerzoekAntwoord")
    RedenAfwijzingVerzoek: str | None = value("LDT_RedenAfwijzingVerzoek", default=None)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Root")
class WMO315:
    Header: AanbiederHeader = child()
    Client: AanvraagClient = child()


@message_class("Root")
class WMO316:
    Header: AanbiederRetourHeader = child()
    Client: AanvraagClient | None = child(default=None)


@message_class("Root")
class WMO317:
    Header: AanbiederHeader = child()
    Client: VerzoekClient = child()


@message_class("Root")
class WMO318:
    Header: AanbiederRetourHeader = child()
    Client: VerzoekClient | None = child(default=None)


@message_class("Root")
class WMO319:
    Header: GemeenteHeader = child()
    Antwoord: Antwoord = child()


@message_class("Root")
class WMO320:
    Header: GemeenteRetourHeader = child()
    Antwoord: Antwoord | None = child(default=None)
