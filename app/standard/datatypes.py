"""The logical datatypes (LDT_*) of the iWmo 3.2 basisschema, as data.

Each datatype states the facts the standard gives for it: XSD base type, lengths, value
range, pattern and, for coded values, the code list. The XSD generator writes these into
``schemas/basisschema.xsd``; the codec uses ``python`` to convert text to values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time
from types import MappingProxyType

from app.standard import codelists as cl
from app.standard.codelists import CodeList

# Python value type per XSD base type.
_PYTHON_TYPES: dict[str, type] = {"string": str, "integer": int, "date": date, "time": time}

# Patterns the standard repeats on many string types.
NOT_BLANK = r".*[^\s].*"  # at least one non-whitespace character
BSN_PATTERN = r"^[0-9]{9}$"  # the same fact as LDT_BurgerServicenummer, for JSON APIs
DIGITS = "[0-9]"


@dataclass(frozen=True)
class SimpleType:
    name: str
    base: str  # XSD built-in: string, integer, date or time
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_inclusive: int | None = None
    max_inclusive: int | None = None
    codelist: CodeList | None = None
    description: str = ""

    @property
    def python(self) -> type:
        return _PYTHON_TYPES[self.base]

    @property
    def enumeration(self) -> tuple[str, ...]:
        return tuple(self.codelist.codes) if self.codelist else ()

    def restricted(self, **facets: object) -> SimpleType:
        """An anonymous restriction of this type, as used for header fields."""
        return replace(self, **facets)  # type: ignore[arg-type]


def _text(
    name: str,
    max_length: int | None,
    description: str,
    *,
    min_length: int = 1,
    pattern: str | None = NOT_BLANK,
) -> SimpleType:
    return SimpleType(
        name,
        "string",
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
        description=description,
    )


def _number(name: str, maximum: int, description: str) -> SimpleType:
    return SimpleType(
        name, "integer", min_inclusive=0, max_inclusive=maximum, description=description
    )


def _code(name: str, codelist: CodeList, max_length: int) -> SimpleType:
    return SimpleType(
        name,
        "string",
        max_length=max_length,
        codelist=codelist,
        description=f"code from {codelist.id} {codelist.name}",
    )


_TYPES = (
    _code("LDT_AanduidingWoonadres", cl.AANDUIDING_WOONADRES, 2),
    _code("LDT_AdresSoort", cl.ADRES_SOORT, 2),
    SimpleType(
        "LDT_AgbCode",
        "string",
        min_length=1,
        max_length=8,
        pattern=DIGITS + "{8}",
        description="AGB code: 8 digits",
    ),
    _number("LDT_Bedrag", 99_999_999, "amount in euro cents"),
    SimpleType("LDT_BerichtCode", "string", min_length=1, max_length=3, description="message code"),
    _number("LDT_BerichtSubversie", 99, "minor release number"),
    _number("LDT_BerichtVersie", 99, "major release number"),
    _number("LDT_Budget", 99_999_999, "budget in cents (1/100 of the currency)"),
    SimpleType(
        "LDT_BurgerServicenummer",
        "string",
        min_length=1,
        max_length=9,
        pattern=DIGITS + "{9}",
        description="BSN: 9 digits",
    ),
    SimpleType(
        "LDT_Commentaar",
        "string",
        min_length=1,
        pattern=r"([.\s]*\S+[.\s]*)+",
        description="free text with at least one non-space character",
    ),
    _code("LDT_Communicatievorm", cl.COMMUNICATIEVORM, 1),
    SimpleType("LDT_Datum", "date", pattern="[^:Z]*", description="date without time zone"),
    _code("LDT_DatumGebruik", cl.DATUM_GEBRUIK, 1),
    _code("LDT_DebetCredit", cl.DEBET_CREDIT, 1),
    _code("LDT_Eenheid", cl.EENHEID, 2),
    _text("LDT_Emailadres", 80, "e-mail address"),
    _code("LDT_Frequentie", cl.FREQUENTIE, 1),
    SimpleType(
        "LDT_Gemeente",
        "string",
        min_length=1,
        pattern=DIGITS + "{4}",
        description="CBS municipality code: 4 digits",
    ),
    _code("LDT_Geslacht", cl.GESLACHT, 1),
    _text("LDT_Huisletter", 1, "house letter"),
    _number("LDT_Huisnummer", 99_999, "house number"),
    _text("LDT_HuisnummerToevoeging", 4, "house number addition"),
    _text("LDT_IdentificatieBericht", 12, "message identification"),
    SimpleType(
        "LDT_IdentificatieDeclaratie",
        "string",
        min_length=1,
        max_length=12,
        description="declaration number",
    ),
    _code("LDT_JaNee", cl.JA_NEE, 1),
    _code("LDT_JuridischeStatus", cl.JURIDISCHE_STATUS, 2),
    _code("LDT_LandCode", cl.LAND, 2),
    _text("LDT_Landnummer", 4, "international dialling code"),
    _text("LDT_Naam", 200, "name"),
    _code("LDT_NaamGebruik", cl.NAAM_GEBRUIK, 1),
    _text("LDT_NaamVerwijzer", 64, "name of the referrer"),
    _number("LDT_Nummer", 999_999_999, "number"),
    _text("LDT_Organisatienaam", 35, "organisation name"),
    _text("LDT_Persoonsid", 20, "person identifier"),
    _text("LDT_Plaatsnaam", 80, "place name"),
    _text("LDT_Postcode", 8, "postal code"),
    _code("LDT_ProductCategorie", cl.PRODUCT_CATEGORIE, 2),
    _text("LDT_ProductCode", 5, "product code"),
    _code("LDT_RedenAfwijzingVerzoek", cl.REDEN_AFWIJZING_VERZOEK, 2),
    _code("LDT_RedenBeeindiging", cl.REDEN_BEEINDIGING, 2),
    _code("LDT_RedenVerzoek", cl.REDEN_VERZOEK, 1),
    _code("LDT_RedenWijziging", cl.REDEN_WIJZIGING, 2),
    _text("LDT_Referentie", 36, "reference"),
    SimpleType(
        "LDT_ReferentieNummer",
        "string",
        min_length=1,
        max_length=20,
        description="reference number",
    ),
    _number("LDT_RelatieVolgorde", 99, "contact priority"),
    _code("LDT_RetourCode", cl.RETOURCODE, 4),
    _code("LDT_SoortRelatie", cl.SOORT_RELATIE, 2),
    _code("LDT_StatusAanlevering", cl.STATUS_AANLEVERING, 1),
    _text("LDT_Straatnaam", 24, "street name"),
    _text("LDT_Taal", 25, "language"),
    SimpleType(
        "LDT_Telefoonnummer",
        "string",
        min_length=1,
        max_length=15,
        pattern=DIGITS + "*",
        description="telephone number, digits only",
    ),
    SimpleType("LDT_Tijd", "time", pattern="[^Z+-]+", description="time without time zone"),
    _number("LDT_TotaalBedrag", 999_999_999_999, "total amount in euro cents"),
    _code("LDT_TypeVerwijzer", cl.TYPE_VERWIJZER, 2),
    SimpleType(
        "LDT_Versie",
        "string",
        min_length=1,
        pattern=r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)",
        description="version: three whole numbers separated by dots",
    ),
    _code("LDT_VerzoekAntwoord", cl.VERZOEK_ANTWOORD, 1),
    _number("LDT_Volume", 99_999_999, "volume"),
    SimpleType(
        "LDT_Voorletters",
        "string",
        min_length=1,
        max_length=6,
        pattern="([a-zA-Z\u00c0-\u1ef3])+",
        description="initials without dots or spaces",
    ),
    _text("LDT_Voorvoegsel", 10, "surname prefix"),
    _code("LDT_WettelijkeVertegenwoordiging", cl.WETTELIJKE_VERTEGENWOORDIGING, 2),
)

TYPES: Mapping[str, SimpleType] = MappingProxyType({t.name: t for t in _TYPES})


def get(name: str) -> SimpleType:
    return TYPES[name]
