"""WMO323 declaration and WMO325, the municipality's answer to it."""

from __future__ import annotations

from datetime import date

from app.standard.elements import child, items, message_class, retourcodes, value
from app.standard.messages.basis import (
    BedragMetDC,
    GeslotenPeriode,
    Referentie,
    TotaalBedragMetDC,
)
from app.standard.messages.header import AanbiederHeader, DeclaratieAntwoordHeader


@message_class()
class Prestatie:
    ProductReferentie: Referentie = child()
    ToewijzingNummer: int = value("LDT_Nummer")
    ProductCategorie: str = value("LDT_ProductCategorie")
    ProductCode: str = value("LDT_ProductCode")
    ProductPeriode: GeslotenPeriode = child()
    GeleverdVolume: int = value("LDT_Volume")
    Eenheid: str = value("LDT_Eenheid")
    ProductTarief: int | None = value("LDT_Bedrag", default=None)
    IngediendBedrag: BedragMetDC = child()
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Client")
class DeclaratieClient:
    Bsn: str = value("LDT_BurgerServicenummer", personal=True)
    Prestaties: list[Prestatie] = items("Prestatie", default_factory=list)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class Declaratie:
    DeclaratieNummer: str = value("LDT_IdentificatieDeclaratie", pattern="([a-zA-Z0-9])+")
    DeclaratiePeriode: GeslotenPeriode = child()
    DeclaratieDagtekening: date = value("LDT_Datum")
    TotaalIngediendBedrag: TotaalBedragMetDC = child()
    Clienten: list[DeclaratieClient] = items("Client", default_factory=list)


@message_class()
class DeclaratieAntwoord:
    DeclaratieNummer: str = value("LDT_IdentificatieDeclaratie")
    TotaalIngediendBedrag: TotaalBedragMetDC = child()
    TotaalToegekendBedrag: TotaalBedragMetDC = child()
    Clienten: list[DeclaratieClient] = items("Client", default_factory=list, optional=True)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Root")
class WMO323:
    Header: AanbiederHeader = child()
    Declaratie: Declaratie = child()


@message_class("Root")
class WMO325:
    Header: DeclaratieAntwoordHeader = child()
    DeclaratieAntwoord: DeclaratieAntwoord | None = child(default=None)
