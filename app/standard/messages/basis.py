"""Composite datatypes (CDT_*) shared by all messages; their elements live in the
basisschema namespace."""

from __future__ import annotations

from datetime import date

from app.standard.elements import basis_class, child, value


@basis_class("CDT_Achternaam")
class Achternaam:
    Achternaam: str = value("LDT_Naam", personal=True)
    Voorvoegsel: str | None = value("LDT_Voorvoegsel", default=None, personal=True)


@basis_class("CDT_Huis")
class Huis:
    Huisnummer: int = value("LDT_Huisnummer", personal=True)
    Huisletter: str | None = value("LDT_Huisletter", default=None, personal=True)
    HuisnummerToevoeging: str | None = value(
        "LDT_HuisnummerToevoeging", default=None, personal=True
    )
    AanduidingWoonadres: str | None = value("LDT_AanduidingWoonadres", default=None)


@basis_class("CDT_Adres")
class Adres:
    Huis: Huis | None = child(default=None, personal=True)
    Postcode: str | None = value("LDT_Postcode", default=None, personal=True)
    Straatnaam: str | None = value("LDT_Straatnaam", default=None, personal=True)
    Plaatsnaam: str | None = value("LDT_Plaatsnaam", default=None, personal=True)
    LandCode: str | None = value("LDT_LandCode", default=None)


@basis_class("CDT_BedragMetDC")
class BedragMetDC:
    Bedrag: int = value("LDT_Bedrag")
    DebetCredit: str = value("LDT_DebetCredit")

    @property
    def signed(self) -> int:
        """The amount as a signed number: debit positive, credit negative."""
        return -self.Bedrag if self.DebetCredit == "C" else self.Bedrag


@basis_class("CDT_BerichtIdentificatie")
class BerichtIdentificatie:
    Identificatie: str = value("LDT_IdentificatieBericht")
    Dagtekening: date = value("LDT_Datum")


@basis_class("CDT_Communicatie")
class Communicatie:
    Vorm: str = value("LDT_Communicatievorm")
    Taal: str | None = value("LDT_Taal", default=None)


@basis_class("CDT_Geboortedatum")
class Geboortedatum:
    Datum: date = value("LDT_Datum", personal=True)
    DatumGebruik: str | None = value("LDT_DatumGebruik", default=None)


@basis_class("CDT_GeslotenPeriode")
class GeslotenPeriode:
    Begindatum: date = value("LDT_Datum")
    Einddatum: date = value("LDT_Datum")


@basis_class("CDT_Omvang")
class Omvang:
    Volume: int = value("LDT_Volume")
    Eenheid: str = value("LDT_Eenheid")
    Frequentie: str = value("LDT_Frequentie")


@basis_class("CDT_OpenPeriode")
class OpenPeriode:
    Begindatum: date | None = value("LDT_Datum", default=None)
    Einddatum: date | None = value("LDT_Datum", default=None)


@basis_class("CDT_Product")
class Product:
    Categorie: str = value("LDT_ProductCategorie")
    Code: str | None = value("LDT_ProductCode", default=None)


@basis_class("CDT_Referentie")
class Referentie:
    ReferentieNummer: str = value("LDT_ReferentieNummer")
    VorigReferentieNummer: str | None = value("LDT_ReferentieNummer", default=None)


@basis_class("CDT_Telefoon")
class Telefoon:
    Telefoonnummer: str = value("LDT_Telefoonnummer", personal=True)
    Landnummer: str = value("LDT_Landnummer")


@basis_class("CDT_Telefoonnummers")
class Telefoonnummers:
    Telefoon01: Telefoon = child(personal=True)
    Telefoon02: Telefoon | None = child(default=None, personal=True)


@basis_class("CDT_TotaalBedragMetDC")
class TotaalBedragMetDC:
    TotaalBedrag: int = value("LDT_TotaalBedrag")
    DebetCredit: str = value("LDT_DebetCredit")

    @property
    def signed(self) -> int:
        return -self.TotaalBedrag if self.DebetCredit == "C" else self.TotaalBedrag


@basis_class("CDT_VerkorteNaam")
class VerkorteNaam:
    Geslachtsnaam: Achternaam = child(personal=True)
    Voornamen: str | None = value("LDT_Naam", default=None, personal=True)
    Voorletters: str | None = value("LDT_Voorletters", default=None, personal=True)


@basis_class("CDT_Verwijzer")
class Verwijzer:
    Type: str = value("LDT_TypeVerwijzer")
    Naam: str | None = value("LDT_NaamVerwijzer", default=None, personal=True)  # a person's name
    ZorgverlenerCode: str | None = value("LDT_AgbCode", default=None)


@basis_class("CDT_VolledigeNaam")
class VolledigeNaam:
    Geslachtsnaam: Achternaam = child(personal=True)
    Partnernaam: Achternaam | None = child(default=None, personal=True)
    Voornamen: str | None = value("LDT_Naam", default=None, personal=True)
    Voorletters: str | None = value("LDT_Voorletters", default=None, personal=True)
    NaamGebruik: str = value("LDT_NaamGebruik")


@basis_class("CDT_XsdVersie")
class XsdVersie:
    BasisschemaXsdVersie: str = value("LDT_Versie")
    BerichtXsdVersie: str = value("LDT_Versie")
