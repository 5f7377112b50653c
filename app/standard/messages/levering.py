"""WMO305 start and WMO307 stop of delivery, and their retours WMO306 and WMO308."""

from __future__ import annotations

from datetime import date

from app.standard.elements import child, items, message_class, retourcodes, value
from app.standard.messages.basis import Geboortedatum, Product, VerkorteNaam
from app.standard.messages.header import AanbiederHeader, AanbiederRetourHeader


@message_class()
class StartProduct:
    ToewijzingNummer: int | None = value("LDT_Nummer", default=None)
    Product: Product | None = child(default=None)
    ToewijzingIngangsdatum: date | None = value("LDT_Datum", default=None)
    Begindatum: date = value("LDT_Datum")
    StatusAanlevering: str = value("LDT_StatusAanlevering")
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class StopProduct:
    ToewijzingNummer: int | None = value("LDT_Nummer", default=None)
    Product: Product | None = child(default=None)
    ToewijzingIngangsdatum: date | None = value("LDT_Datum", default=None)
    Begindatum: date = value("LDT_Datum")
    RedenBeeindiging: str = value("LDT_RedenBeeindiging")
    Einddatum: date = value("LDT_Datum")
    StatusAanlevering: str = value("LDT_StatusAanlevering")
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Client")
class StartClient:
    Bsn: str = value("LDT_BurgerServicenummer", personal=True)
    Geboortedatum: Geboortedatum = child(personal=True)
    Geslacht: str = value("LDT_Geslacht", personal=True)
    Naam: VerkorteNaam = child(personal=True)
    StartProducten: list[StartProduct] = items("StartProduct", default_factory=list)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Client")
class StopClient:
    Bsn: str = value("LDT_BurgerServicenummer", personal=True)
    Geboortedatum: Geboortedatum = child(personal=True)
    Geslacht: str = value("LDT_Geslacht", personal=True)
    Naam: VerkorteNaam = child(personal=True)
    StopProducten: list[StopProduct] = items("StopProduct", default_factory=list)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Root")
class WMO305:
    Header: AanbiederHeader = child()
    Client: StartClient = child()


@message_class("Root")
class WMO306:
    Header: AanbiederRetourHeader = child()
    Client: StartClient | None = child(default=None)


@message_class("Root")
class WMO307:
    Header: AanbiederHeader = child()
    Client: StopClient = child()


@message_class("Root")
class WMO308:
    Header: AanbiederRetourHeader = child()
    Client: StopClient | None = child(default=None)
