"""WMO301 allocation (toewijzing) and its retour WMO302."""

from __future__ import annotations

from datetime import date, time

from app.standard.elements import child, items, message_class, retourcodes, value
from app.standard.messages.basis import (
    Adres,
    Communicatie,
    Geboortedatum,
    Omvang,
    OpenPeriode,
    Product,
    Telefoonnummers,
    VolledigeNaam,
)
from app.standard.messages.header import GemeenteHeader, GemeenteRetourHeader


@message_class()
class Contact:
    Soort: str = value("LDT_AdresSoort")
    Adres: Adres | None = child(default=None, personal=True)
    Organisatie: str | None = value("LDT_Organisatienaam", default=None)
    Telefoon: Telefoonnummers | None = child(default=None, personal=True)
    Emailadres: str | None = value("LDT_Emailadres", default=None, personal=True)
    Periode: OpenPeriode | None = child(default=None)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class Relatie:
    Nummer: str = value("LDT_Persoonsid")
    Volgorde: int | None = value("LDT_RelatieVolgorde", default=None)
    Soort: str = value("LDT_SoortRelatie")
    Geboortedatum: Geboortedatum | None = child(default=None, personal=True)
    Geslacht: str | None = value("LDT_Geslacht", default=None, personal=True)
    Naam: VolledigeNaam = child(personal=True)
    Contact: Contact = child()
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class()
class ToegewezenProduct:
    ToewijzingNummer: int = value("LDT_Nummer")
    ReferentieAanbieder: str | None = value("LDT_Referentie", default=None)
    Product: Product | None = child(default=None)
    Toewijzingsdatum: date = value("LDT_Datum")
    Toewijzingstijd: time = value("LDT_Tijd")
    Ingangsdatum: date = value("LDT_Datum")
    Einddatum: date | None = value("LDT_Datum", default=None)
    RedenWijziging: str | None = value("LDT_RedenWijziging", default=None)
    Omvang: Omvang | None = child(default=None)
    Budget: int | None = value("LDT_Budget", default=None)
    Commentaar: str | None = value("LDT_Commentaar", default=None, personal=True)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Client")
class ToewijzingClient:
    Bsn: str = value("LDT_BurgerServicenummer", personal=True)
    Geboortedatum: Geboortedatum = child(personal=True)
    Geslacht: str = value("LDT_Geslacht", personal=True)
    Naam: VolledigeNaam = child(personal=True)
    Communicatie: Communicatie | None = child(default=None)
    JuridischeStatus: str | None = value("LDT_JuridischeStatus", default=None, personal=True)
    WettelijkeVertegenwoordiging: str | None = value(
        "LDT_WettelijkeVertegenwoordiging", default=None, personal=True
    )
    Commentaar: str | None = value("LDT_Commentaar", default=None, personal=True)
    Relaties: list[Relatie] = items("Relatie", default_factory=list, optional=True, personal=True)
    Contactgegevens: list[Contact] = items("Contact", default_factory=list, personal=True)
    ToegewezenProducten: list[ToegewezenProduct] = items("ToegewezenProduct", default_factory=list)
    RetourCodes: list[str] = retourcodes(default_factory=list)


@message_class("Root")
class WMO301:
    Header: GemeenteHeader = child()
    Client: ToewijzingClient = child()


@message_class("Root")
class WMO302:
    Header: GemeenteRetourHeader = child()
    Client: ToewijzingClient | None = child(default=None)
