"""Conditions (CD): when an element must, may or must not be filled.

Each case changes a published example as little as possible. A breaking case names the
element the finding must point at; a case without paths is the nearest valid variant and
must yield no finding for that rule. Rule texts: CD_CS_RS_per_dataelement.md.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.rules import REGISTRY
from app.standard import messages as m
from tests.rules.helpers import Change, d, findings_of
from tests.rules.wmo325 import message

ALLOCATED = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]"
REQUESTED = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]"
NEW = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]"
TO_CHANGE = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct[1]"
CONTACT = "/Bericht/Client/Contactgegevens/Contact[1]"
RELATION_CONTACT = "/Bericht/Client/Relaties/Relatie[1]/Contact"
REFERRER = f"{REQUESTED}/Verwijzer"
LINE_323 = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]"
LINE_325 = "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[1]"
ANSWER = "/Bericht/Antwoord"

# The product that carries Omvang, Budget and an end date in each request or allocation.
PRODUCT = {"WMO301": ALLOCATED, "WMO315": REQUESTED, "WMO317": NEW}


def case(rule: str, name: str, change: Change, *paths: str) -> Any:
    """Without paths the case is valid; with paths each is one finding, in order."""
    kind = "breaks" if paths else "holds"
    label = f"{rule}-{name}-{kind}-{change.__name__}"
    return pytest.param(rule, name, change, list(paths), id=label)


def then(*changes: Change) -> Change:
    def combined(msg: Any) -> None:
        for change in changes:
            change(msg)

    combined.__name__ = "_then_".join(c.__name__ for c in changes)
    return combined


# --- where things are ----------------------------------------------------------------------


def product(msg: Any) -> Any:
    """The first allocated, requested or new product, whichever the message holds."""
    if isinstance(msg, m.WMO301):
        return msg.Client.ToegewezenProducten[0]
    if isinstance(msg, m.WMO315):
        return msg.Client.AangevraagdeProducten[0]
    return msg.Client.Verzoek.NieuweProducten[0]


def set_end(p: Any, value: Any) -> None:
    if isinstance(p, m.AangevraagdProduct):
        p.ToewijzingEinddatum = value
    else:
        p.Einddatum = value


def to_change(msg: Any) -> m.TeWijzigenProduct:
    return msg.Client.Verzoek.TeWijzigenProducten[0]


def address(msg: Any) -> m.Adres:
    return msg.Client.Contactgegevens[0].Adres


def referrer(msg: Any) -> m.Verwijzer:
    return msg.Client.AangevraagdeProducten[0].Verwijzer


def first_line(msg: Any) -> m.Prestatie:
    root = msg.Declaratie if isinstance(msg, m.WMO323) else msg.DeclaratieAntwoord
    return root.Clienten[0].Prestaties[0]


# --- CD005 LandCode exactly when Postcode; CD025 Huis for NL; CD034 Postcode for 01/03 ----


def landcode_dropped(msg: Any) -> None:
    address(msg).LandCode = None


def postcode_dropped(msg: Any) -> None:
    address(msg).Postcode = None


def postcode_and_landcode_dropped(msg: Any) -> None:
    address(msg).Postcode = None
    address(msg).LandCode = None


def relation_landcode_dropped(msg: Any) -> None:
    msg.Client.Relaties[0].Contact.Adres.LandCode = None


def dutch_address(msg: Any) -> None:
    address(msg).LandCode = "NL"


def huis_dropped(msg: Any) -> None:
    address(msg).Huis = None


def correspondence_address(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Soort = "02"


def residence_address(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Soort = "03"


def relation_postcode_and_landcode_dropped(msg: Any) -> None:
    msg.Client.Relaties[0].Contact.Adres.Postcode = None
    msg.Client.Relaties[0].Contact.Adres.LandCode = None


def adres_dropped(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Adres = None
    msg.Client.Contactgegevens[0].Telefoon = m.Telefoonnummers(
        Telefoon01=m.Telefoon(Telefoonnummer="0101234567", Landnummer="0031")
    )


# --- CD007 Taal exactly for a language interpreter ----------------------------------------


def taal_dropped(msg: Any) -> None:
    msg.Client.Communicatie.Taal = None


def sign_language(msg: Any) -> None:
    msg.Client.Communicatie.Vorm = "2"


# --- CD009 Periode only on a temporary address ---------------------------------------------


def _second_contact(soort: str) -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.Contactgegevens[0])
        extra.Soort = soort
        extra.Periode = m.OpenPeriode(Begindatum=d("2023-09-01"), Einddatum=d("2023-12-31"))
        msg.Client.Contactgegevens.append(extra)

    add.__name__ = f"period_on_contact_of_soort_{soort}"
    return add


def period_on_brp_address(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Periode = m.OpenPeriode(Begindatum=d("2023-09-01"))


def period_on_relation_contact(msg: Any) -> None:
    msg.Client.Relaties[0].Contact.Periode = m.OpenPeriode(Einddatum=d("2023-12-31"))


# --- CD041 Omvang when the product has a Code ----------------------------------------------


def omvang_dropped(msg: Any) -> None:
    product(msg).Omvang = None


def omvang_and_code_dropped(msg: Any) -> None:
    product(msg).Omvang = None
    product(msg).Product.Code = None


# --- CD075-CD079 Budget against Omvang, end date and Product -------------------------------


def budget_instead_of_omvang(msg: Any) -> None:
    product(msg).Omvang = None
    product(msg).Budget = 250000


def budget_without_end(msg: Any) -> None:
    budget_instead_of_omvang(msg)
    set_end(product(msg), None)


def budget_beside_omvang(msg: Any) -> None:
    product(msg).Budget = 250000


def per_week(msg: Any) -> None:
    product(msg).Omvang.Frequentie = "2"


def end_dropped(msg: Any) -> None:
    set_end(product(msg), None)


def per_week_without_end(msg: Any) -> None:
    per_week(msg)
    end_dropped(msg)


def per_month_without_end(msg: Any) -> None:
    product(msg).Omvang.Frequentie = "4"
    end_dropped(msg)


def product_dropped(msg: Any) -> None:
    product(msg).Product = None


def product_dropped_for_budget(msg: Any) -> None:
    product(msg).Product = None
    budget_instead_of_omvang(msg)


def change_with_budget_without_end(msg: Any) -> None:
    to_change(msg).Budget = 250000
    to_change(msg).Einddatum = None


def change_with_budget(msg: Any) -> None:
    to_change(msg).Budget = 250000


def change_per_week_without_end(msg: Any) -> None:
    to_change(msg).Omvang = m.Omvang(Volume=3, Eenheid="04", Frequentie="2")
    to_change(msg).Einddatum = None


def change_per_week(msg: Any) -> None:
    to_change(msg).Omvang = m.Omvang(Volume=3, Eenheid="04", Frequentie="2")


def change_with_omvang_and_budget(msg: Any) -> None:
    change_per_week(msg)
    change_with_budget(msg)


# --- CD080, CD095, CD096 no Omvang without Code after 2020 ---------------------------------


def code_dropped(msg: Any) -> None:
    product(msg).Product.Code = None


def code_dropped_open_end(msg: Any) -> None:
    code_dropped(msg)
    end_dropped(msg)


def code_dropped_ends_2021_01_01(msg: Any) -> None:
    code_dropped(msg)
    _period_2020(msg)
    set_end(product(msg), d("2021-01-01"))


def code_dropped_ends_2020_12_31(msg: Any) -> None:
    code_dropped(msg)
    _period_2020(msg)


def _period_2020(msg: Any) -> None:
    p = product(msg)
    if isinstance(p, m.AangevraagdProduct):
        p.ToewijzingIngangsdatum = d("2020-12-01")
    elif isinstance(p, m.NieuwProduct):
        p.GewensteIngangsdatum = d("2020-12-01")
    else:
        p.Ingangsdatum = d("2020-12-01")
    set_end(p, d("2020-12-31"))


# --- CD043 BeschikkingIngangsdatum exactly with BeschikkingNummer --------------------------


def beschikking_ingangsdatum_dropped(msg: Any) -> None:
    msg.Client.AangevraagdeProducten[0].BeschikkingIngangsdatum = None


def beschikking_nummer_dropped(msg: Any) -> None:
    msg.Client.AangevraagdeProducten[0].BeschikkingNummer = None


def beschikking_dropped(msg: Any) -> None:
    beschikking_ingangsdatum_dropped(msg)
    beschikking_nummer_dropped(msg)


# --- CD066, CD067, CD068 the referrer's Naam and ZorgverlenerCode --------------------------


def _referrer(type_: str, naam: str | None, code: str | None, label: str) -> Change:
    def set_referrer(msg: Any) -> None:
        referrer(msg).Type, referrer(msg).Naam, referrer(msg).ZorgverlenerCode = type_, naam, code

    set_referrer.__name__ = label
    return set_referrer


# --- CD085, CD086 the reason for a rejected request ----------------------------------------


def reden_dropped(msg: Any) -> None:
    msg.Antwoord.RedenAfwijzingVerzoek = None


def under_review(msg: Any) -> None:
    msg.Antwoord.VerzoekAntwoord = "2"


def under_review_without_reden(msg: Any) -> None:
    under_review(msg)
    reden_dropped(msg)


# --- CD060 VorigReferentieNummer exactly on credit; CD087 ProductTarief unless euros -------


def credited_without_vorige(msg: Any) -> None:
    line = first_line(msg)
    line.IngediendBedrag.DebetCredit = "C"


def credited_with_vorige(msg: Any) -> None:
    credited_without_vorige(msg)
    first_line(msg).ProductReferentie.VorigReferentieNummer = "RN000"


def debit_with_vorige(msg: Any) -> None:
    first_line(msg).ProductReferentie.VorigReferentieNummer = "RN000"


def credited_with_blank_vorige(msg: Any) -> None:
    credited_without_vorige(msg)
    first_line(msg).ProductReferentie.VorigReferentieNummer = "  "


def debit_with_blank_vorige(msg: Any) -> None:
    first_line(msg).ProductReferentie.VorigReferentieNummer = "  "


def tarief_dropped(msg: Any) -> None:
    first_line(msg).ProductTarief = None


def in_euros(msg: Any) -> None:
    first_line(msg).Eenheid = "83"


def in_euros_without_tarief(msg: Any) -> None:
    in_euros(msg)
    tarief_dropped(msg)


CASES = [
    case("CD005", "WMO301", landcode_dropped, f"{CONTACT}/Adres/Postcode"),
    case("CD005", "WMO301", relation_landcode_dropped, f"{RELATION_CONTACT}/Adres/Postcode"),
    case("CD005", "WMO301", postcode_dropped, f"{CONTACT}/Adres/LandCode"),
    case("CD005", "WMO301", postcode_and_landcode_dropped),
    case("CD007", "WMO301", taal_dropped, "/Bericht/Client/Communicatie/Vorm"),
    case("CD007", "WMO301", sign_language, "/Bericht/Client/Communicatie/Taal"),
    case("CD007", "WMO301", then(sign_language, taal_dropped)),
    case(
        "CD009",
        "WMO301",
        _second_contact("02"),
        "/Bericht/Client/Contactgegevens/Contact[2]/Periode",
    ),
    case("CD009", "WMO301", period_on_brp_address, f"{CONTACT}/Periode"),
    case("CD009", "WMO301", period_on_relation_contact, f"{RELATION_CONTACT}/Periode"),
    case("CD009", "WMO301", _second_contact("04")),
    case("CD025", "WMO301", then(dutch_address, huis_dropped), f"{CONTACT}/Adres/LandCode"),
    case("CD025", "WMO301", dutch_address),
    # A foreign address needs no house number.
    case("CD025", "WMO301", huis_dropped),
    case("CD034", "WMO301", postcode_and_landcode_dropped, f"{CONTACT}/Soort"),
    case(
        "CD034",
        "WMO301",
        then(residence_address, postcode_and_landcode_dropped),
        f"{CONTACT}/Soort",
    ),
    case("CD034", "WMO301", relation_postcode_and_landcode_dropped, f"{RELATION_CONTACT}/Soort"),
    case("CD034", "WMO301", then(correspondence_address, postcode_and_landcode_dropped)),
    *(case("CD041", name, omvang_dropped, f"{PRODUCT[name]}/Product/Code") for name in PRODUCT),
    *(case("CD041", name, omvang_and_code_dropped) for name in PRODUCT),
    case("CD043", "WMO315", beschikking_ingangsdatum_dropped, f"{REQUESTED}/BeschikkingNummer"),
    case("CD043", "WMO315", beschikking_nummer_dropped, f"{REQUESTED}/BeschikkingIngangsdatum"),
    case("CD043", "WMO315", beschikking_dropped),
    case("CD060", "WMO323", credited_without_vorige, f"{LINE_323}/IngediendBedrag/DebetCredit"),
    case(
        "CD060", "WMO323", debit_with_vorige, f"{LINE_323}/ProductReferentie/VorigReferentieNummer"
    ),
    case("CD060", "WMO323", credited_with_vorige),
    case("CD060", "WMO325", credited_without_vorige, f"{LINE_325}/IngediendBedrag/DebetCredit"),
    case(
        "CD060", "WMO325", debit_with_vorige, f"{LINE_325}/ProductReferentie/VorigReferentieNummer"
    ),
    case("CD060", "WMO325", credited_with_vorige),
    case(
        "CD066",
        "WMO315",
        _referrer("04", "Dr. Jansen", "12345678", "code_and_name_type_04"),
        f"{REFERRER}/Naam",
    ),
    case(
        "CD066",
        "WMO315",
        _referrer("02", "Dr. Jansen", "12345678", "code_and_name_type_02"),
        f"{REFERRER}/Naam",
    ),
    case("CD066", "WMO315", _referrer("04", None, "12345678", "code_only_type_04")),
    # The rule names types 02-05 only; type 01 is CD068's business.
    case("CD066", "WMO315", _referrer("01", "Gemeente", "12345678", "code_and_name_type_01")),
    case("CD067", "WMO315", _referrer("05", None, None, "nothing_type_05"), f"{REFERRER}/Type"),
    case("CD067", "WMO315", _referrer("03", None, None, "nothing_type_03"), f"{REFERRER}/Type"),
    case("CD067", "WMO315", _referrer("05", None, "12345678", "code_only_type_05")),
    case("CD067", "WMO315", _referrer("06", None, None, "nothing_type_06")),
    case(
        "CD068",
        "WMO315",
        _referrer("06", None, "12345678", "code_type_06"),
        f"{REFERRER}/ZorgverlenerCode",
    ),
    case(
        "CD068",
        "WMO315",
        _referrer("01", "Gemeente", "12345678", "code_type_01"),
        f"{REFERRER}/ZorgverlenerCode",
    ),
    case(
        "CD068",
        "WMO315",
        _referrer("08", "Rechtbank", "12345678", "code_type_08"),
        f"{REFERRER}/ZorgverlenerCode",
    ),
    case("CD068", "WMO315", _referrer("05", None, "12345678", "code_type_05")),
    *(case("CD075", name, budget_without_end, f"{PRODUCT[name]}/Budget") for name in PRODUCT),
    *(case("CD075", name, budget_instead_of_omvang) for name in PRODUCT),
    case("CD075", "WMO317", change_with_budget_without_end, f"{TO_CHANGE}/Budget"),
    case("CD075", "WMO317", change_with_budget),
    *(
        case("CD076", name, per_week_without_end, f"{PRODUCT[name]}/Omvang/Frequentie")
        for name in PRODUCT
    ),
    *(case("CD076", name, per_week) for name in PRODUCT),
    *(case("CD076", name, per_month_without_end) for name in PRODUCT),
    case("CD076", "WMO317", change_per_week_without_end, f"{TO_CHANGE}/Omvang/Frequentie"),
    case("CD076", "WMO317", change_per_week),
    *(case("CD077", name, budget_beside_omvang, f"{PRODUCT[name]}/Omvang") for name in PRODUCT),
    *(case("CD077", name, budget_instead_of_omvang) for name in PRODUCT),
    case("CD077", "WMO317", change_with_omvang_and_budget, f"{TO_CHANGE}/Omvang"),
    case("CD077", "WMO317", change_with_budget),
    *(case("CD078", name, budget_beside_omvang, f"{PRODUCT[name]}/Budget") for name in PRODUCT),
    *(case("CD078", name, per_week) for name in PRODUCT),
    case("CD078", "WMO317", change_with_omvang_and_budget, f"{TO_CHANGE}/Budget"),
    case("CD078", "WMO317", change_per_week),
    *(case("CD079", name, product_dropped, PRODUCT[name]) for name in PRODUCT),
    *(case("CD079", name, product_dropped_for_budget) for name in PRODUCT),
    case("CD080", "WMO301", code_dropped, f"{ALLOCATED}/Omvang"),
    case("CD080", "WMO301", code_dropped_open_end, f"{ALLOCATED}/Omvang"),
    case("CD080", "WMO301", code_dropped_ends_2021_01_01, f"{ALLOCATED}/Omvang"),
    case("CD080", "WMO301", code_dropped_ends_2020_12_31),
    case("CD080", "WMO301", omvang_and_code_dropped),
    case("CD095", "WMO315", code_dropped, f"{REQUESTED}/Omvang"),
    case("CD095", "WMO315", code_dropped_open_end, f"{REQUESTED}/Omvang"),
    case("CD095", "WMO315", code_dropped_ends_2021_01_01, f"{REQUESTED}/Omvang"),
    case("CD095", "WMO315", code_dropped_ends_2020_12_31),
    case("CD095", "WMO315", omvang_and_code_dropped),
    case("CD096", "WMO317", code_dropped, f"{NEW}/Omvang"),
    case("CD096", "WMO317", code_dropped_open_end, f"{NEW}/Omvang"),
    case("CD096", "WMO317", code_dropped_ends_2021_01_01, f"{NEW}/Omvang"),
    case("CD096", "WMO317", code_dropped_ends_2020_12_31),
    case("CD096", "WMO317", omvang_and_code_dropped),
    case("CD085", "WMO319", reden_dropped, f"{ANSWER}/VerzoekAntwoord"),
    case("CD085", "WMO319", under_review_without_reden),
    case("CD086", "WMO319", under_review, f"{ANSWER}/RedenAfwijzingVerzoek"),
    case("CD086", "WMO319", under_review_without_reden),
    case("CD087", "WMO323", tarief_dropped, f"{LINE_323}/Eenheid"),
    case("CD087", "WMO323", in_euros, f"{LINE_323}/ProductTarief"),
    case("CD087", "WMO323", in_euros_without_tarief),
]

# Readings the rule text leaves open, as the rule's `decision` documents them.
DECISIONS = [
    # CD034: a BRP address without any Adres lacks its Postcode too; reported at its Soort.
    case("CD034", "WMO301", adres_dropped, f"{CONTACT}/Soort"),
    # CD060: a VorigReferentieNummer of spaces only is no VorigReferentieNummer.
    case(
        "CD060",
        "WMO323",
        credited_with_blank_vorige,
        f"{LINE_323}/ProductReferentie/VorigReferentieNummer",
    ),
    case("CD060", "WMO323", debit_with_blank_vorige),
    case("CD034", "WMO301", then(correspondence_address, adres_dropped)),
]


@pytest.mark.parametrize(("rule", "name", "change", "paths"), CASES + DECISIONS)
def test_condition(rule: str, name: str, change: Change, paths: list[str]) -> None:
    found = findings_of(rule, message(name, change))
    assert [(f.path, f.return_code) for f in found] == [(p, "0001") for p in paths]


def _covered(cases: list[Any], breaking: bool) -> set[tuple[str, str]]:
    return {(c.values[0], c.values[1]) for c in cases if bool(c.values[3]) == breaking}


@pytest.mark.parametrize(
    "code", sorted(c for c, r in REGISTRY.items() if c.startswith("CD") and r.scope == "message")
)
def test_every_condition_breaks_on_each_of_its_messages_and_has_a_valid_neighbour(
    code: str,
) -> None:
    messages = set(REGISTRY[code].messages)
    assert {(code, name) for name in messages} <= _covered(CASES, breaking=True)
    assert any(rule == code for rule, _ in _covered(CASES, breaking=False))
