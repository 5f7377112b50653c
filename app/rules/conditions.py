"""Conditions (CD): when an element must, may or must not be filled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from app.rules.registry import Index, Violation, at, collapsed, rule
from app.standard import messages as m

# Products that carry a requested or allocated volume or budget, per message.
_ALLOCATED = (m.ToegewezenProduct, m.AangevraagdProduct, m.NieuwProduct)
_WITH_VOLUME = (*_ALLOCATED, m.TeWijzigenProduct)
_CUT_OFF = date(2020, 12, 31)  # volume rules changed for allocations running into 2021
_REFERRERS_WITH_CODE = {"02", "03", "04", "05"}


def _einddatum(product: Any) -> date | None:
    """The end of the product's period, whichever element holds it in this message."""
    if isinstance(product, m.AangevraagdProduct):
        return product.ToewijzingEinddatum
    end: date | None = product.Einddatum
    return end


def _einddatum_name(product: Any) -> str:
    return "ToewijzingEinddatum" if isinstance(product, m.AangevraagdProduct) else "Einddatum"


@rule(
    "CD005",
    ["WMO301"],
    "0001",
    "LandCode is filled exactly when Postcode is filled",
    covers="Adres/Postcode, Adres/LandCode (client and relations)",
)
def cd005(msg: Any, ix: Index) -> Iterator[Violation]:
    for adres in ix.all(m.Adres):
        if adres.Postcode is not None and adres.LandCode is None:
            yield at(adres, "Postcode"), "LandCode is required when Postcode is filled"
        elif adres.Postcode is None and adres.LandCode is not None:
            yield at(adres, "LandCode"), "LandCode must be empty when Postcode is empty"


@rule(
    "CD007",
    ["WMO301"],
    "0001",
    "Taal is filled exactly when Communicatie/Vorm is 1 (language interpreter)",
    covers="Communicatie/Vorm, Communicatie/Taal",
)
def cd007(msg: Any, ix: Index) -> Iterator[Violation]:
    for c in ix.all(m.Communicatie):
        if c.Vorm == "1" and c.Taal is None:
            yield at(c, "Vorm"), "Taal is required when Vorm is 1 (language interpreter)"
        elif c.Vorm != "1" and c.Taal is not None:
            yield at(c, "Taal"), f"Taal must be empty when Vorm is {c.Vorm}"


@rule(
    "CD009",
    ["WMO301"],
    "0001",
    "Periode only on a contact whose Soort is 04 (temporary)",
    covers="Contact/Periode, Contact/Soort (client and relations)",
)
def cd009(msg: Any, ix: Index) -> Iterator[Violation]:
    for contact in ix.all(m.Contact):
        if contact.Periode is not None and contact.Soort != "04":
            yield (
                at(contact, "Periode"),
                (
                    f"Periode is only allowed on a temporary address (Soort 04), not Soort "
                    f"{contact.Soort}"
                ),
            )


@rule(
    "CD025",
    ["WMO301"],
    "0001",
    "Huis is required when LandCode is NL",
    covers="Adres/LandCode, Adres/Huis/Huisnummer",
)
def cd025(msg: Any, ix: Index) -> Iterator[Violation]:
    for adres in ix.all(m.Adres):
        if adres.LandCode == "NL" and adres.Huis is None:
            yield at(adres, "LandCode"), "Huis is required for an address in the Netherlands"


@rule(
    "CD034",
    ["WMO301"],
    "0001",
    "Postcode is required on a BRP address (01) and a residence address (03)",
    decision="A contact of Soort 01 or 03 without any Adres lacks its Postcode too.",
    covers="Contact/Soort, Contact/Adres/Postcode (client and relations)",
)
def cd034(msg: Any, ix: Index) -> Iterator[Violation]:
    for contact in ix.all(m.Contact):
        if contact.Soort in ("01", "03") and (
            contact.Adres is None or contact.Adres.Postcode is None
        ):
            yield (
                at(contact, "Soort"),
                f"Postcode is required for an address of Soort {contact.Soort}",
            )


@rule(
    "CD041",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "Omvang is required when Product/Code is filled",
    covers=(
        "Product/Code, Omvang of ToegewezenProduct (301), AangevraagdProduct (315), NieuwProduct "
        "(317)"
    ),
)
def cd041(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(*_ALLOCATED):
        if p.Product is not None and p.Product.Code is not None and p.Omvang is None:
            yield at(p.Product, "Code"), "Omvang is required when the product has a Code"


@rule(
    "CD043",
    ["WMO315"],
    "0001",
    "BeschikkingIngangsdatum is filled exactly when BeschikkingNummer is filled",
    covers="AangevraagdProduct/BeschikkingNummer, AangevraagdProduct/BeschikkingIngangsdatum",
)
def cd043(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.AangevraagdProduct):
        if p.BeschikkingNummer is not None and p.BeschikkingIngangsdatum is None:
            yield (
                at(p, "BeschikkingNummer"),
                "BeschikkingIngangsdatum is required when BeschikkingNummer is filled",
            )
        elif p.BeschikkingNummer is None and p.BeschikkingIngangsdatum is not None:
            yield (
                at(p, "BeschikkingIngangsdatum"),
                ("BeschikkingIngangsdatum must be empty when BeschikkingNummer is empty"),
            )


@rule(
    "CD060",
    ["WMO323", "WMO325"],
    "0001",
    "VorigReferentieNummer is filled exactly on credit performances",
    decision="A VorigReferentieNummer of spaces only counts as empty.",
    covers=(
        "Prestatie/IngediendBedrag/DebetCredit, Prestatie/ProductReferentie/VorigReferentieNummer"
    ),
)
def cd060(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.Prestatie):
        credit = p.IngediendBedrag.DebetCredit == "C"
        ref = p.ProductReferentie
        filled = bool(collapsed(ref.VorigReferentieNummer))
        if credit and not filled:
            where = (
                at(ref, "VorigReferentieNummer")
                if ref.VorigReferentieNummer is not None
                else at(p.IngediendBedrag, "DebetCredit")
            )
            yield where, "VorigReferentieNummer is required on a credit performance"
        elif not credit and filled:
            yield (
                at(ref, "VorigReferentieNummer"),
                "VorigReferentieNummer must be empty on a debit performance",
            )


@rule(
    "CD066",
    ["WMO315"],
    "0001",
    "Verwijzer/Naam is empty when a referrer of type 02-05 has a ZorgverlenerCode",
    covers="Verwijzer/Type, Verwijzer/ZorgverlenerCode, Verwijzer/Naam",
)
def cd066(msg: Any, ix: Index) -> Iterator[Violation]:
    for v in ix.all(m.Verwijzer):
        if v.Type in _REFERRERS_WITH_CODE and v.ZorgverlenerCode is not None and v.Naam is not None:
            yield at(v, "Naam"), "Naam must be empty when ZorgverlenerCode is filled"


@rule(
    "CD067",
    ["WMO315"],
    "0001",
    "Verwijzer/Naam is filled when a referrer of type 02-05 has no ZorgverlenerCode",
    covers="Verwijzer/Type, Verwijzer/ZorgverlenerCode, Verwijzer/Naam",
)
def cd067(msg: Any, ix: Index) -> Iterator[Violation]:
    for v in ix.all(m.Verwijzer):
        if v.Type in _REFERRERS_WITH_CODE and v.ZorgverlenerCode is None and v.Naam is None:
            yield (
                at(v, "Type"),
                f"Naam is required for referrer type {v.Type} without ZorgverlenerCode",
            )


@rule(
    "CD068",
    ["WMO315"],
    "0001",
    "ZorgverlenerCode is empty for referrers other than type 02-05",
    covers="Verwijzer/Type, Verwijzer/ZorgverlenerCode",
)
def cd068(msg: Any, ix: Index) -> Iterator[Violation]:
    for v in ix.all(m.Verwijzer):
        if v.Type not in _REFERRERS_WITH_CODE and v.ZorgverlenerCode is not None:
            yield (
                at(v, "ZorgverlenerCode"),
                (f"ZorgverlenerCode must be empty for referrer type {v.Type}"),
            )


@rule(
    "CD075",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "the end date is required when Budget is filled",
    covers=(
        "Budget and Einddatum of ToegewezenProduct, TeWijzigenProduct, NieuwProduct; Budget and "
        "ToewijzingEinddatum of AangevraagdProduct"
    ),
)
def cd075(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(*_WITH_VOLUME):
        if p.Budget is not None and _einddatum(p) is None:
            yield at(p, "Budget"), f"{_einddatum_name(p)} is required when Budget is filled"


@rule(
    "CD076",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "the end date is required when Frequentie is 2 (per week)",
    covers=(
        "Omvang/Frequentie and Einddatum of ToegewezenProduct, TeWijzigenProduct, NieuwProduct; "
        "Omvang/Frequentie and ToewijzingEinddatum of AangevraagdProduct"
    ),
)
def cd076(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(*_WITH_VOLUME):
        if p.Omvang is not None and p.Omvang.Frequentie == "2" and _einddatum(p) is None:
            yield (
                at(p.Omvang, "Frequentie"),
                f"{_einddatum_name(p)} is required when Frequentie is 2 (per week)",
            )


@rule(
    "CD077",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "Omvang is empty when Budget is filled",
    covers=(
        "Budget, Omvang of ToegewezenProduct, AangevraagdProduct, TeWijzigenProduct, NieuwProduct"
    ),
)
def cd077(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(*_WITH_VOLUME):
        if p.Budget is not None and p.Omvang is not None:
            yield at(p, "Omvang"), "Omvang must be empty when Budget is filled"


@rule(
    "CD078",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "Budget is empty when Omvang is filled",
    covers=(
        "Omvang, Budget of ToegewezenProduct, AangevraagdProduct, TeWijzigenProduct, NieuwProduct"
    ),
)
def cd078(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(*_WITH_VOLUME):
        if p.Omvang is not None and p.Budget is not None:
            yield at(p, "Budget"), "Budget must be empty when Omvang is filled"


@rule(
    "CD079",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "Product is required when Budget is empty",
    covers="Budget, Product of ToegewezenProduct, AangevraagdProduct, NieuwProduct",
)
def cd079(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(*_ALLOCATED):
        if p.Budget is None and p.Product is None:
            yield at(p), "Product is required when Budget is empty"


def _volume_without_code(msg: Any, ix: Index, cls: type) -> Iterator[Violation]:
    for p in ix.all(cls):
        end = _einddatum(p)
        no_code = p.Product is None or p.Product.Code is None
        if no_code and (end is None or end > _CUT_OFF) and p.Omvang is not None:
            yield (
                at(p, "Omvang"),
                (
                    f"Omvang must be empty for a product without Code whose {_einddatum_name(p)} "
                    "is empty or after 2020-12-31"
                ),
            )


@rule(
    "CD080",
    ["WMO301"],
    "0001",
    "no Omvang on an allocation without product Code that runs past 2020",
    covers="ToegewezenProduct/Omvang, ToegewezenProduct/Product/Code, ToegewezenProduct/Einddatum",
)
def cd080(msg: Any, ix: Index) -> Iterator[Violation]:
    return _volume_without_code(msg, ix, m.ToegewezenProduct)


@rule(
    "CD095",
    ["WMO315"],
    "0001",
    "no Omvang on a requested product without Code that runs past 2020",
    covers=(
        "AangevraagdProduct/Omvang, AangevraagdProduct/Product/Code, "
        "AangevraagdProduct/ToewijzingEinddatum"
    ),
)
def cd095(msg: Any, ix: Index) -> Iterator[Violation]:
    return _volume_without_code(msg, ix, m.AangevraagdProduct)


@rule(
    "CD096",
    ["WMO317"],
    "0001",
    "no Omvang on a new product without Code that runs past 2020",
    covers="NieuwProduct/Omvang, NieuwProduct/Product/Code, NieuwProduct/Einddatum",
)
def cd096(msg: Any, ix: Index) -> Iterator[Violation]:
    return _volume_without_code(msg, ix, m.NieuwProduct)


@rule(
    "CD085",
    ["WMO319"],
    "0001",
    "RedenAfwijzingVerzoek is required when VerzoekAntwoord is 1 (rejected)",
    covers="Antwoord/VerzoekAntwoord, Antwoord/RedenAfwijzingVerzoek",
)
def cd085(msg: Any, ix: Index) -> Iterator[Violation]:
    for a in ix.all(m.Antwoord):
        if a.VerzoekAntwoord == "1" and a.RedenAfwijzingVerzoek is None:
            yield (
                at(a, "VerzoekAntwoord"),
                "RedenAfwijzingVerzoek is required when the request is rejected",
            )


@rule(
    "CD086",
    ["WMO319"],
    "0001",
    "RedenAfwijzingVerzoek is empty when VerzoekAntwoord is 2 (under review)",
    covers="Antwoord/VerzoekAntwoord, Antwoord/RedenAfwijzingVerzoek",
)
def cd086(msg: Any, ix: Index) -> Iterator[Violation]:
    for a in ix.all(m.Antwoord):
        if a.VerzoekAntwoord == "2" and a.RedenAfwijzingVerzoek is not None:
            yield (
                at(a, "RedenAfwijzingVerzoek"),
                ("RedenAfwijzingVerzoek must be empty while the application is under review"),
            )


@rule(
    "CD087",
    ["WMO323"],
    "0001",
    "ProductTarief is filled exactly when Eenheid is not 83 (euros)",
    covers="Prestatie/Eenheid, Prestatie/ProductTarief",
)
def cd087(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.Prestatie):
        if p.Eenheid != "83" and p.ProductTarief is None:
            yield at(p, "Eenheid"), f"ProductTarief is required for Eenheid {p.Eenheid}"
        elif p.Eenheid == "83" and p.ProductTarief is not None:
            yield at(p, "ProductTarief"), "ProductTarief must be empty for Eenheid 83 (euros)"
