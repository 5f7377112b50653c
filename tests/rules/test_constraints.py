"""Constraints (CS): limits on the values of elements, checked within one message.

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
LINE = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]"
ANSWER = "/Bericht/DeclaratieAntwoord"
ANSWER_LINE = f"{ANSWER}/Clienten/Client[1]/Prestaties/Prestatie[1]"
PERIOD = "/Bericht/Declaratie/DeclaratiePeriode"
POSTCODE = "/Bericht/Client/Contactgegevens/Contact[1]/Adres/Postcode"
START_STATUS = "/Bericht/Client/StartProducten/StartProduct[1]/StatusAanlevering"
STOP_STATUS = "/Bericht/Client/StopProducten/StopProduct[1]/StatusAanlevering"


def case(rule: str, name: str, change: Change, *paths: str) -> Any:
    """Without paths the case is valid; with paths each is one finding, in order."""
    kind = "breaks" if paths else "holds"
    label = f"{rule}-{name}-{kind}-{change.__name__}"
    return pytest.param(rule, name, change, list(paths), id=label)


def named(label: str, change: Change) -> Change:
    change.__name__ = label
    return change


# --- CS002 the eleven test ------------------------------------------------------------------

# 999900006 (the examples' BSN) passes; changing one digit always fails the test. 999900005
# would pass if the last digit were weighted +1 instead of -1, so it pins the weight.
BSN_OK = "123456782"


def bsn(value: str) -> Change:
    def set_bsn(msg: Any) -> None:
        if isinstance(msg, m.WMO323):
            msg.Declaratie.Clienten[1].Bsn = value
        elif isinstance(msg, m.WMO325):
            assert msg.DeclaratieAntwoord is not None
            msg.DeclaratieAntwoord.Clienten[0].Bsn = value
        else:
            msg.Client.Bsn = value

    return named(f"bsn_{value}", set_bsn)


BSN_PATH = {
    "WMO301": "/Bericht/Client/Bsn",
    "WMO305": "/Bericht/Client/Bsn",
    "WMO307": "/Bericht/Client/Bsn",
    "WMO315": "/Bericht/Client/Bsn",
    "WMO317": "/Bericht/Client/Bsn",
    "WMO323": "/Bericht/Declaratie/Clienten/Client[2]/Bsn",
    "WMO325": f"{ANSWER}/Clienten/Client[1]/Bsn",
}

# --- CS003 an end date on or after its start ------------------------------------------------


def allocation_ends(value: str) -> Change:
    def set_end(msg: Any) -> None:
        msg.Client.ToegewezenProducten[0].Einddatum = d(value)  # starts 2023-01-01

    return named(f"allocation_ends_{value}", set_end)


def request_ends(value: str) -> Change:
    def set_end(msg: Any) -> None:
        msg.Client.AangevraagdeProducten[0].ToewijzingEinddatum = d(value)  # starts 2023-06-01

    return named(f"request_ends_{value}", set_end)


def new_product_ends(value: str) -> Change:
    def set_end(msg: Any) -> None:
        msg.Client.Verzoek.NieuweProducten[0].Einddatum = d(value)  # starts 2023-04-02

    return named(f"new_product_ends_{value}", set_end)


def change_ends(value: str) -> Change:
    def set_end(msg: Any) -> None:
        msg.Client.Verzoek.TeWijzigenProducten[0].Einddatum = d(value)  # starts 2023-04-02

    return named(f"change_ends_{value}", set_end)


def temporary_address_ends(value: str) -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.Contactgegevens[0])
        extra.Soort = "04"
        extra.Periode = m.OpenPeriode(Begindatum=d("2023-09-01"), Einddatum=d(value))
        msg.Client.Contactgegevens.append(extra)

    return named(f"temporary_address_from_2023-09-01_ends_{value}", add)


def open_period_without_begin(msg: Any) -> None:
    temporary_address_ends("2023-08-31")(msg)
    msg.Client.Contactgegevens[1].Periode.Begindatum = None


def open_period_without_end(msg: Any) -> None:
    temporary_address_ends("2023-08-31")(msg)
    msg.Client.Contactgegevens[1].Periode.Einddatum = None


# --- CS050 NaamGebruik against Partnernaam ---------------------------------------------------


def naam(use: str, partner: bool, who: str = "client") -> Change:
    def set_naam(msg: Any) -> None:
        target = msg.Client.Naam if who == "client" else msg.Client.Relaties[0].Naam
        target.NaamGebruik = use
        if not partner:
            target.Partnernaam = None

    label = f"{who}_naamgebruik_{use}_{'with' if partner else 'without'}_partnernaam"
    return named(label, set_naam)


CLIENT_NAAM = "/Bericht/Client/Naam/NaamGebruik"
RELATION_NAAM = "/Bericht/Client/Relaties/Relatie[1]/Naam/NaamGebruik"

# --- CS058 StatusAanlevering 1 or 3 -----------------------------------------------------------


def status(value: str) -> Change:
    def set_status(msg: Any) -> None:
        products = getattr(msg.Client, "StartProducten", None) or msg.Client.StopProducten
        products[0].StatusAanlevering = value

    return named(f"status_{value}", set_status)


# --- CS089 a Dutch postcode for LandCode NL -------------------------------------------------


def postcode(value: str | None, land: str = "NL") -> Change:
    def set_postcode(msg: Any) -> None:
        adres = msg.Client.Contactgegevens[0].Adres
        adres.Postcode, adres.LandCode = value, land

    return named(f"postcode_{(value or 'none').replace(' ', '_')}_{land}", set_postcode)


def relation_postcode_with_space(msg: Any) -> None:
    adres = msg.Client.Relaties[1].Contact.Adres
    adres.Postcode, adres.LandCode = "1234 AB", "NL"


# --- CS100, CS337, CS340: declaration and product periods -----------------------------------


def declaration_period(begin: str, end: str) -> Change:
    def set_period(msg: Any) -> None:
        period = msg.Declaratie.DeclaratiePeriode
        period.Begindatum, period.Einddatum = d(begin), d(end)

    return named(f"declaration_period_{begin}_{end}", set_period)


def product_period(begin: str, end: str) -> Change:
    def set_period(msg: Any) -> None:
        period = msg.Declaratie.Clienten[0].Prestaties[0].ProductPeriode
        period.Begindatum, period.Einddatum = d(begin), d(end)

    return named(f"product_period_{begin}_{end}", set_period)


# --- CS139 Datum agrees with DatumGebruik ----------------------------------------------------


def born(value: str, use: str, who: str = "client") -> Change:
    def set_birth(msg: Any) -> None:
        g = msg.Client.Geboortedatum if who == "client" else msg.Client.Relaties[0].Geboortedatum
        g.Datum, g.DatumGebruik = d(value), use

    return named(f"{who}_born_{value}_datumgebruik_{use}", set_birth)


BIRTH = "/Bericht/Client/Geboortedatum/Datum"

# --- CS325 zero is debit ---------------------------------------------------------------------


def zero_credit_total(msg: Any) -> None:
    total = msg.Declaratie.TotaalIngediendBedrag
    total.TotaalBedrag, total.DebetCredit = 0, "C"


def zero_debit_total(msg: Any) -> None:
    total = msg.Declaratie.TotaalIngediendBedrag
    total.TotaalBedrag, total.DebetCredit = 0, "D"


def _line(msg: Any) -> m.Prestatie:
    root = msg.Declaratie if isinstance(msg, m.WMO323) else msg.DeclaratieAntwoord
    return root.Clienten[0].Prestaties[0]


def zero_credit_line(msg: Any) -> None:
    _line(msg).IngediendBedrag.Bedrag, _line(msg).IngediendBedrag.DebetCredit = 0, "C"


def zero_debit_line(msg: Any) -> None:
    _line(msg).IngediendBedrag.Bedrag = 0


def one_cent_credit_line(msg: Any) -> None:
    _line(msg).IngediendBedrag.Bedrag, _line(msg).IngediendBedrag.DebetCredit = 1, "C"


def zero_credit_granted(msg: Any) -> None:
    total = msg.DeclaratieAntwoord.TotaalToegekendBedrag
    total.TotaalBedrag, total.DebetCredit = 0, "C"


def zero_credit_submitted(msg: Any) -> None:
    total = msg.DeclaratieAntwoord.TotaalIngediendBedrag
    total.TotaalBedrag, total.DebetCredit = 0, "C"


def zero_debit_granted(msg: Any) -> None:
    msg.DeclaratieAntwoord.TotaalToegekendBedrag.TotaalBedrag = 0


# --- CS335, CS336 RedenWijziging -------------------------------------------------------------


def deleted(end: str) -> Change:
    def set_reason(msg: Any) -> None:
        p = msg.Client.ToegewezenProducten[0]  # starts 2023-01-01
        p.RedenWijziging, p.Einddatum = "13", d(end)

    return named(f"reden_13_ends_{end}", set_reason)


def deleted_open_end(msg: Any) -> None:
    deleted("2023-01-01")(msg)
    msg.Client.ToegewezenProducten[0].Einddatum = None


def reason(code: str) -> Change:
    def set_reason(msg: Any) -> None:
        msg.Client.ToegewezenProducten[0].RedenWijziging = code

    return named(f"reden_{code}", set_reason)


# --- CS338, CS343 Frequentie for Eenheid 14, 16, 83 and 84 after 2020 ------------------------


def volume(
    eenheid: str, frequentie: str, end: str | None = "keep", where: str = "product"
) -> Change:
    """Omvang with this unit and frequency; ``end`` moves the period (None: open end)."""

    def set_volume(msg: Any) -> None:
        if where == "change":
            p = msg.Client.Verzoek.TeWijzigenProducten[0]
            p.Omvang = m.Omvang(Volume=3, Eenheid=eenheid, Frequentie=frequentie)
        elif isinstance(msg, m.WMO301):
            p = msg.Client.ToegewezenProducten[0]
        elif isinstance(msg, m.WMO315):
            p = msg.Client.AangevraagdeProducten[0]
        else:
            p = msg.Client.Verzoek.NieuweProducten[0]
        p.Omvang.Eenheid, p.Omvang.Frequentie = eenheid, frequentie
        if end != "keep":
            value = d(end) if end is not None else None
            if isinstance(p, m.AangevraagdProduct):
                p.ToewijzingIngangsdatum, p.ToewijzingEinddatum = d("2020-01-01"), value
            elif isinstance(p, m.ToegewezenProduct):
                p.Ingangsdatum, p.Einddatum = d("2020-01-01"), value
            else:
                p.GewensteIngangsdatum, p.Einddatum = d("2020-01-01"), value

    label = f"{where}_eenheid_{eenheid}_frequentie_{frequentie}"
    if end != "keep":
        label += f"_ends_{end or 'open'}"
    return named(label, set_volume)


# --- CS339 euros: amount equals volume -------------------------------------------------------


def in_euros(volume_: int, amount: int) -> Change:
    def set_euros(msg: Any) -> None:
        line = msg.Declaratie.Clienten[0].Prestaties[0]
        line.Eenheid, line.ProductTarief, line.GeleverdVolume = "83", None, volume_
        line.IngediendBedrag.Bedrag = amount

    return named(f"euros_volume_{volume_}_amount_{amount}", set_euros)


def per_hour_amount_differs(msg: Any) -> None:
    msg.Declaratie.Clienten[0].Prestaties[0].GeleverdVolume = 4999


CASES = [
    case("CS002", "WMO301", bsn("999900007"), BSN_PATH["WMO301"]),
    case("CS002", "WMO301", bsn("999900005"), BSN_PATH["WMO301"]),
    case("CS002", "WMO301", bsn(BSN_OK)),
    *(case("CS002", name, bsn("999900016"), path) for name, path in BSN_PATH.items()),
    *(case("CS002", name, bsn(BSN_OK)) for name in BSN_PATH),
    case("CS003", "WMO301", allocation_ends("2022-12-31"), f"{ALLOCATED}/Einddatum"),
    case("CS003", "WMO301", allocation_ends("2023-01-01")),
    case(
        "CS003",
        "WMO301",
        temporary_address_ends("2023-08-31"),
        "/Bericht/Client/Contactgegevens/Contact[2]/Periode/Einddatum",
    ),
    case("CS003", "WMO301", temporary_address_ends("2023-09-01")),
    case(
        "CS003",
        "WMO301",
        open_period_without_begin,
        "/Bericht/Client/Contactgegevens/Contact[2]/Periode/Einddatum",
    ),
    case("CS003", "WMO301", open_period_without_end),
    case("CS003", "WMO315", request_ends("2023-05-31"), f"{REQUESTED}/ToewijzingEinddatum"),
    case("CS003", "WMO315", request_ends("2023-06-01")),
    case("CS003", "WMO317", new_product_ends("2023-04-01"), f"{NEW}/Einddatum"),
    case("CS003", "WMO317", new_product_ends("2023-04-02")),
    case("CS003", "WMO317", change_ends("2023-04-01"), f"{TO_CHANGE}/Einddatum"),
    case("CS003", "WMO317", change_ends("2023-04-02")),
    case("CS050", "WMO301", naam("5", partner=True), CLIENT_NAAM),
    case("CS050", "WMO301", naam("6", partner=True), CLIENT_NAAM),
    case("CS050", "WMO301", naam("1", partner=True)),
    case("CS050", "WMO301", naam("2", partner=True)),
    case("CS050", "WMO301", naam("3", partner=True)),
    case("CS050", "WMO301", naam("4", partner=False), CLIENT_NAAM),
    case("CS050", "WMO301", naam("2", partner=False), CLIENT_NAAM),
    case("CS050", "WMO301", naam("1", partner=False)),
    case("CS050", "WMO301", naam("3", partner=False, who="relation"), RELATION_NAAM),
    case("CS050", "WMO301", naam("1", partner=False, who="relation")),
    case("CS058", "WMO305", status("2"), START_STATUS),
    case("CS058", "WMO305", status("9"), START_STATUS),
    case("CS058", "WMO305", status("3")),
    case("CS058", "WMO307", status("2"), STOP_STATUS),
    case("CS058", "WMO307", status("3")),
    case("CS089", "WMO301", postcode("0123AB"), POSTCODE),
    case("CS089", "WMO301", postcode("12345"), POSTCODE),
    case("CS089", "WMO301", postcode("1234AB")),
    case("CS089", "WMO301", postcode("1000", land="BE")),
    case("CS089", "WMO301", postcode(None), POSTCODE.replace("Postcode", "LandCode")),
    case(
        "CS100",
        "WMO323",
        declaration_period("2020-12-01", "2020-12-31"),
        f"{PERIOD}/Begindatum",
    ),
    case("CS100", "WMO323", declaration_period("2021-01-01", "2021-01-31")),
    case(
        "CS100",
        "WMO323",
        product_period("2020-12-01", "2020-12-31"),
        f"{LINE}/ProductPeriode/Begindatum",
    ),
    case(
        "CS100",
        "WMO323",
        product_period("2020-12-31", "2021-01-01"),
        f"{LINE}/ProductPeriode/Begindatum",
    ),
    case("CS100", "WMO323", product_period("2021-01-01", "2021-01-01")),
    case("CS139", "WMO301", born("1967-08-13", "1"), BIRTH),
    case("CS139", "WMO301", born("1967-08-01", "1")),
    case("CS139", "WMO301", born("1967-08-01", "2"), BIRTH),
    case("CS139", "WMO301", born("1967-01-01", "2")),
    case("CS139", "WMO301", born("1967-01-01", "3"), BIRTH),
    case("CS139", "WMO301", born("1900-01-01", "3")),
    case(
        "CS139",
        "WMO301",
        born("1967-02-01", "2", who="relation"),
        "/Bericht/Client/Relaties/Relatie[1]/Geboortedatum/Datum",
    ),
    case("CS139", "WMO301", born("1967-01-01", "2", who="relation")),
    *(
        case("CS139", name, born("1967-08-13", "1"), BIRTH)
        for name in ("WMO305", "WMO307", "WMO315")
    ),
    *(case("CS139", name, born("1967-08-01", "1")) for name in ("WMO305", "WMO307", "WMO315")),
    case(
        "CS325",
        "WMO323",
        zero_credit_total,
        "/Bericht/Declaratie/TotaalIngediendBedrag/DebetCredit",
    ),
    case("CS325", "WMO323", zero_debit_total),
    case("CS325", "WMO323", zero_credit_line, f"{LINE}/IngediendBedrag/DebetCredit"),
    case("CS325", "WMO323", zero_debit_line),
    case("CS325", "WMO323", one_cent_credit_line),
    case("CS325", "WMO325", zero_credit_granted, f"{ANSWER}/TotaalToegekendBedrag/DebetCredit"),
    case("CS325", "WMO325", zero_debit_granted),
    case("CS325", "WMO325", zero_credit_submitted, f"{ANSWER}/TotaalIngediendBedrag/DebetCredit"),
    case("CS325", "WMO325", zero_credit_line, f"{ANSWER_LINE}/IngediendBedrag/DebetCredit"),
    case("CS325", "WMO325", zero_debit_line),
    case("CS335", "WMO301", deleted("2023-12-31"), f"{ALLOCATED}/Einddatum"),
    case("CS335", "WMO301", deleted("2023-01-02"), f"{ALLOCATED}/Einddatum"),
    case("CS335", "WMO301", deleted("2023-01-01")),
    case("CS336", "WMO301", reason("01"), f"{ALLOCATED}/RedenWijziging"),
    case("CS336", "WMO301", reason("14")),
    case(
        "CS337",
        "WMO323",
        product_period("2023-04-01", "2023-05-01"),
        f"{LINE}/ProductPeriode/Einddatum",
    ),
    case(
        "CS337",
        "WMO323",
        product_period("2022-04-01", "2023-04-30"),
        f"{LINE}/ProductPeriode/Einddatum",
    ),
    case("CS337", "WMO323", product_period("2023-04-01", "2023-04-30")),
    case("CS337", "WMO323", product_period("2023-04-30", "2023-04-30")),
    *(
        case("CS338", "WMO301", volume(unit, "1"), f"{ALLOCATED}/Omvang/Frequentie")
        for unit in ("14", "16", "83", "84")
    ),
    case("CS338", "WMO301", volume("14", "1", end=None), f"{ALLOCATED}/Omvang/Frequentie"),
    case("CS338", "WMO301", volume("14", "1", end="2021-01-01"), f"{ALLOCATED}/Omvang/Frequentie"),
    case("CS338", "WMO301", volume("14", "1", end="2020-12-31")),
    *(case("CS338", "WMO301", volume("14", f)) for f in ("2", "4", "6")),
    case("CS338", "WMO301", volume("04", "1")),
    case("CS338", "WMO317", volume("16", "1"), f"{NEW}/Omvang/Frequentie"),
    case("CS338", "WMO317", volume("16", "1", end="2020-12-31")),
    case("CS338", "WMO317", volume("84", "1", where="change"), f"{TO_CHANGE}/Omvang/Frequentie"),
    case("CS338", "WMO317", volume("84", "6", where="change")),
    case("CS343", "WMO315", volume("14", "1"), f"{REQUESTED}/Omvang/Frequentie"),
    case("CS343", "WMO315", volume("83", "1", end=None), f"{REQUESTED}/Omvang/Frequentie"),
    case("CS343", "WMO315", volume("14", "1", end="2020-12-31")),
    case("CS343", "WMO315", volume("14", "2")),
    case("CS343", "WMO315", volume("01", "1")),
    case("CS339", "WMO323", in_euros(5000, 4999), f"{LINE}/IngediendBedrag/Bedrag"),
    case("CS339", "WMO323", in_euros(5000, 5000)),
    case("CS339", "WMO323", per_hour_amount_differs),
    case("CS340", "WMO323", declaration_period("2023-04-01", "2023-04-29"), f"{PERIOD}/Einddatum"),
    case(
        "CS340",
        "WMO323",
        declaration_period("2023-04-02", "2023-04-30"),
        f"{PERIOD}/Begindatum",
        f"{PERIOD}/Einddatum",
    ),
    case("CS340", "WMO323", declaration_period("2023-04-01", "2023-05-01"), f"{PERIOD}/Einddatum"),
    case("CS340", "WMO323", declaration_period("2023-02-01", "2023-02-28")),
    case("CS340", "WMO323", declaration_period("2024-02-01", "2024-02-29")),
]

# Readings the rule text leaves open, as the rule's `decision` documents them.
DECISIONS = [
    # CS089: a Dutch postcode is written without a space, on relations' addresses too.
    case("CS089", "WMO301", postcode("1234 AB"), POSTCODE),
    case(
        "CS089",
        "WMO301",
        relation_postcode_with_space,
        "/Bericht/Client/Relaties/Relatie[2]/Contact/Adres/Postcode",
    ),
    # CS139: DatumGebruik 3 means the fixed unknown date 1900-01-01.
    case("CS139", "WMO301", born("1900-01-02", "3"), BIRTH),
    # CS050: without a Partnernaam only 1, as the published validation has it (the rule text
    # also names 6); the client and relations alike. CS318 (the client not 6) is then moot.
    case("CS050", "WMO301", naam("6", partner=False), CLIENT_NAAM),
    case("CS050", "WMO301", naam("6", partner=False, who="relation"), RELATION_NAAM),
    # CS089: lower-case letters pass, as in the published validation; LandCode NL without a
    # Postcode has no Dutch postcode.
    case("CS089", "WMO301", postcode("1234ab")),
    # CS100: only the start of a period is checked.
    case("CS100", "WMO323", product_period("2021-01-01", "2020-12-31")),
    # CS335: a deleted allocation without an Einddatum has nothing to compare.
    case("CS335", "WMO301", deleted_open_end),
    # CS340: a period from the 15th to the 14th of the next month is a month, yet does not
    # begin on the 1st; a day past the month's end runs on (31 January + 1 month = 3 March).
    case("CS340", "WMO323", declaration_period("2023-01-15", "2023-02-14"), f"{PERIOD}/Begindatum"),
    case(
        "CS340",
        "WMO323",
        declaration_period("2023-01-31", "2023-03-02"),
        f"{PERIOD}/Begindatum",
    ),
]


@pytest.mark.parametrize(("rule", "name", "change", "paths"), CASES + DECISIONS)
def test_constraint(rule: str, name: str, change: Change, paths: list[str]) -> None:
    found = findings_of(rule, message(name, change))
    assert [(f.path, f.return_code) for f in found] == [(p, "0001") for p in paths]


def _covered(cases: list[Any], breaking: bool) -> set[tuple[str, str]]:
    return {(c.values[0], c.values[1]) for c in cases if bool(c.values[3]) == breaking}


@pytest.mark.parametrize(
    "code", sorted(c for c, r in REGISTRY.items() if c.startswith("CS") and r.scope == "message")
)
def test_every_constraint_breaks_on_each_of_its_messages_and_has_a_valid_neighbour(
    code: str,
) -> None:
    messages = set(REGISTRY[code].messages)
    assert {(code, name) for name in messages} <= _covered(CASES, breaking=True)
    assert any(rule == code for rule, _ in _covered(CASES, breaking=False))
