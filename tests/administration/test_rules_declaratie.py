"""Rules on declarations (WMO323, answered by the hub with a WMO325) and on a municipality's
own declaration answer (WMO325, answered with JSON).

A declaration is judged line by line: a refused line is listed in the WMO325 with its codes
and kept on record as refused, the other lines are granted. A finding on the declaration
itself refuses it whole: DeclaratieAntwoord carries the code, no lines, nothing granted."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from app.services import Services
from app.standard import messages as m
from tests.administration.helpers import (
    AANBIEDER,
    GEMEENTE,
    OTHER_AANBIEDER,
    OTHER_BSN,
    Party,
    accepted,
    administratie,
    afgewezen,
    declaratie,
    declaratie_antwoord,
    declared_lines,
    decode,
    omvang,
    party,
    prestatie,
    retour_codes,
    toegewezen,
    toewijzingen,
    verwijderd,
)

MARCH, APRIL, MAY, JUNE, JULY = (date(2023, month, 1) for month in (3, 4, 5, 6, 7))


@pytest.fixture
def allocated(gemeente: Party, aanbieder: Party) -> None:
    """Allocation 101 of client BSN: 01/01A01, 2023, 10 minutes a day."""
    allocate(gemeente, toegewezen(101))


def allocate(gemeente: Party, *products: m.ToegewezenProduct, **kwargs: Any) -> None:
    assert accepted(gemeente.send(toewijzingen(*products, **kwargs)).content)


def answer(r: Any) -> m.DeclaratieAntwoord:
    assert r.status_code == 200, r.text
    assert retour_codes(r.content)["/Bericht/Header"] == ["0200"]
    return decode(r.content).DeclaratieAntwoord


def granted(r: Any) -> bool:
    a = answer(r)
    return a.RetourCodes == ["8001"] and not a.Clienten


def refused_lines(r: Any) -> dict[str, list[str]]:
    """The lines the WMO325 refuses; the granted total is the submitted minus those."""
    a = answer(r)
    assert a.RetourCodes == ["0200"]
    listed = [p for c in a.Clienten for p in c.Prestaties]
    refused = sum(p.IngediendBedrag.signed for p in listed)
    assert a.TotaalToegekendBedrag.signed == a.TotaalIngediendBedrag.signed - refused
    return afgewezen(r.content)


def refused_whole(r: Any) -> list[str]:
    a = answer(r)
    assert a.Clienten == []
    assert (a.TotaalToegekendBedrag.TotaalBedrag, a.TotaalToegekendBedrag.DebetCredit) == (0, "D")
    return list(a.RetourCodes)


def one_line(aanbieder: Party, line: m.Prestatie, **kwargs: Any) -> dict[str, list[str]]:
    """Declare one line expected to be refused; it stays on record as refused."""
    kwargs.setdefault("periode", line.ProductPeriode.Begindatum)
    found = refused_lines(aanbieder.send(declaratie(line, **kwargs)))
    ref = line.ProductReferentie.ReferentieNummer
    assert declared_lines(aanbieder)[ref] == ("afgewezen", found[ref])
    return found


def one_granted(aanbieder: Party, line: m.Prestatie, **kwargs: Any) -> None:
    kwargs.setdefault("periode", line.ProductPeriode.Begindatum)
    r = aanbieder.send(declaratie(line, **kwargs))
    assert granted(r), retour_codes(r.content)
    assert declared_lines(aanbieder)[line.ProductReferentie.ReferentieNummer] == ("toegekend", [])


# --- TR333: a DeclaratieNummer is used once by a provider ------------------------------------


def test_tr333_declaratienummer_used_before(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(declaratie(prestatie("P1"), nummer="DN001"))
    before = administratie(operator)
    r = aanbieder.send(declaratie(prestatie("P2", begin=APRIL), periode=APRIL, nummer="DN001"))
    assert refused_whole(r) == ["9333"]
    assert administratie(operator) == before  # not recorded, nor its line


def test_a_declaration_refused_on_its_own_level_counts_as_not_sent(
    allocated: None, aanbieder: Party
) -> None:
    """IV087: refused on the Declaratie (here 9333), a declaration "wordt als niet verzonden
    beschouwd": the corrected one may use the same identification."""
    aanbieder.send(declaratie(prestatie("P1"), nummer="DN001"))
    refused = declaratie(prestatie("P2", begin=APRIL), periode=APRIL, nummer="DN001")
    assert refused_whole(aanbieder.send(refused)) == ["9333"]
    refused.Declaratie.DeclaratieNummer = "DN002"
    assert granted(aanbieder.send(refused))


def test_a_declaration_refused_as_a_whole_counts_as_not_sent(
    allocated: None, aanbieder: Party
) -> None:
    """IV087: refused with 0001 (here TR416), likewise; a message the service approved
    keeps its identification (TR056)."""
    msg = declaratie(prestatie("A"), prestatie("B"))
    r = aanbieder.send(msg)
    assert retour_codes(r.content)["/Bericht/Header"] == ["0001"]
    corrected = declaratie(prestatie("A"))
    corrected.Header.BerichtIdentificatie = copy.deepcopy(msg.Header.BerichtIdentificatie)
    assert granted(aanbieder.send(corrected))
    corrected.Declaratie.DeclaratieNummer = "DN999"
    assert retour_codes(aanbieder.send(corrected).content)["/Bericht/Header"] == ["9056"]


def test_tr333_another_provider_may_use_the_same_number(
    app: Any, services: Services, allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    other = party(app, services, OTHER_AANBIEDER, "provider")
    allocate(gemeente, toegewezen(201), bsn=OTHER_BSN, aanbieder=OTHER_AANBIEDER)
    aanbieder.send(declaratie(prestatie("P1"), nummer="DN001"))
    theirs = declaratie(
        (OTHER_BSN, prestatie("P1", 201)), nummer="DN001", aanbieder=OTHER_AANBIEDER
    )
    assert granted(other.send(theirs))


# --- TR318: declaration periods follow each other month by month ------------------------------


def test_tr318_period_before_the_previous_one(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(declaratie(prestatie("P1"), periode=MARCH))
    before = administratie(operator)
    earlier = date(2023, 2, 1)
    r = aanbieder.send(declaratie(prestatie("P2", begin=earlier), periode=earlier))
    assert refused_whole(r) == ["8214"]
    assert administratie(operator) == before


def test_tr318_a_second_declaration_for_the_latest_period(
    allocated: None, aanbieder: Party
) -> None:
    """IV090's example: care from an earlier month, found later, may go in a second
    declaration for the latest period."""
    aanbieder.send(declaratie(prestatie("P1", begin=MARCH), periode=MARCH))
    aanbieder.send(declaratie(prestatie("P2", begin=MAY), periode=MAY))
    late = declaratie(prestatie("P3", begin=APRIL), periode=MAY)
    assert granted(aanbieder.send(late))


def test_tr318_the_next_month(allocated: None, aanbieder: Party) -> None:
    aanbieder.send(declaratie(prestatie("P1"), periode=MARCH))
    assert granted(aanbieder.send(declaratie(prestatie("P2", begin=APRIL), periode=APRIL)))


def test_tr318_months_without_care_may_be_skipped(allocated: None, aanbieder: Party) -> None:
    # The rule's own example: no care in May, so June follows April.
    aanbieder.send(declaratie(prestatie("P1", begin=APRIL), periode=APRIL))
    assert granted(aanbieder.send(declaratie(prestatie("P2", begin=JUNE), periode=JUNE)))


def test_tr318_care_in_a_skipped_month_may_be_declared_later(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    """IV090: care is declared in the next declaration period "of achteraf in een latere
    declaratieperiode"; whether care was delivered in May is not the receiver's to know."""
    aanbieder.send(declaratie(prestatie("P1", begin=APRIL), periode=APRIL))
    msg = declaratie(prestatie("P2", begin=MAY), prestatie("P3", begin=JUNE), periode=JUNE)
    assert granted(aanbieder.send(msg))
    assert set(declared_lines(operator)) == {"P1", "P2", "P3"}


def test_tr318_corrections_of_declared_months_may_follow(allocated: None, aanbieder: Party) -> None:
    aanbieder.send(declaratie(prestatie("P1"), periode=MARCH))
    aanbieder.send(declaratie(prestatie("P2", begin=APRIL), periode=APRIL))
    msg = declaratie(prestatie("C1", credit_van="P1"), prestatie("P3", begin=JUNE), periode=JUNE)
    assert granted(aanbieder.send(msg))


# --- TR319: a line after the declaration period refuses that line, not the declaration --------


def test_tr319_refuses_its_line_and_the_others_are_judged(
    allocated: None, aanbieder: Party
) -> None:
    """TR319 is checked within the message but has a code of its own (9319): the late line
    is refused, and every other line is judged by the rules across messages as usual."""
    r = aanbieder.send(
        declaratie(
            prestatie("GOOD", 101),
            prestatie("LATE", 101, APRIL),
            prestatie("NONE", 999),
            dagtekening=date(2023, 5, 5),  # after April, so only TR319 has a say
        )
    )
    assert refused_lines(r) == {"LATE": ["9319"], "NONE": ["9338"]}
    lines = declared_lines(aanbieder)
    assert lines["GOOD"] == ("toegekend", [])
    assert lines["LATE"] == ("afgewezen", ["9319"])
    assert lines["NONE"] == ("afgewezen", ["9338"])


def test_tr319_a_line_within_the_period(allocated: None, aanbieder: Party) -> None:
    one_granted(aanbieder, prestatie("P1", 101))


def test_a_rule_within_the_message_with_0001_still_refuses_the_declaration_whole(
    allocated: None, aanbieder: Party
) -> None:
    """TR416 (two debit lines for one allocation, product and period) carries 0001: the
    declaration is refused as a whole, TR319 on another line notwithstanding."""
    r = aanbieder.send(
        declaratie(
            prestatie("A", 101),
            prestatie("B", 101),
            prestatie("LATE", 101, APRIL),
            dagtekening=date(2023, 5, 5),
        )
    )
    assert r.status_code == 200
    assert retour_codes(r.content)["/Bericht/Header"] == ["0001"]
    assert declared_lines(aanbieder) == {}


# --- TR338, TR304, TR384: the allocation a line declares on -----------------------------------


def test_tr338_line_on_an_unknown_allocation(allocated: None, aanbieder: Party) -> None:
    assert one_line(aanbieder, prestatie("P1", 999)) == {"P1": ["9338"]}


def test_tr338_line_on_another_providers_allocation(
    app: Any, services: Services, allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    party(app, services, OTHER_AANBIEDER, "provider")
    allocate(gemeente, toegewezen(201), aanbieder=OTHER_AANBIEDER)
    assert one_line(aanbieder, prestatie("P1", 201)) == {"P1": ["9338"]}


def test_tr338_tr304_line_on_the_clients_own_allocation(allocated: None, aanbieder: Party) -> None:
    one_granted(aanbieder, prestatie("P1", 101))


def test_tr304_line_under_another_client(
    allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    # The other client has an allocation here, but P1 declares on client BSN's 101: the line
    # is refused, and the client's other line and the other client's lines are judged.
    allocate(gemeente, toegewezen(301), bsn=OTHER_BSN)
    msg = declaratie(
        (OTHER_BSN, prestatie("P1", 101)),
        (OTHER_BSN, prestatie("P3", 301, volume=10)),
        prestatie("P2", begin=date(2023, 2, 1)),
    )
    r = aanbieder.send(msg)
    assert refused_lines(r) == {"P1": ["8187"]}
    assert retour_codes(r.content)["/Bericht/DeclaratieAntwoord/Clienten/Client[1]"] == ["0200"]
    assert declared_lines(aanbieder) == {
        "P1": ("afgewezen", ["8187"]),
        "P2": ("toegekend", []),
        "P3": ("toegekend", []),
    }


def test_tr304_a_client_without_any_allocation_here_is_refused_as_a_client(
    allocated: None, aanbieder: Party
) -> None:
    # OTHER_BSN has no allocation from this municipality at all: the fault is the Client's
    # (8187 on the Client), and its lines are not judged (0233), as IV087 describes. Today's
    # lines of client BSN are judged as usual.
    msg = declaratie(
        (OTHER_BSN, prestatie("P1", 101)),
        (OTHER_BSN, prestatie("P3", 101, begin=date(2023, 2, 1))),
        prestatie("P2", begin=date(2023, 2, 1)),
    )
    r = aanbieder.send(msg)
    assert refused_lines(r) == {"P1": ["0233"], "P3": ["0233"]}
    codes = retour_codes(r.content)
    assert codes["/Bericht/DeclaratieAntwoord/Clienten/Client[1]"] == ["8187"]
    assert declared_lines(aanbieder) == {
        "P1": ("afgewezen", ["0233"]),
        "P2": ("toegekend", []),
        "P3": ("afgewezen", ["0233"]),
    }


def test_tr304_a_refused_clients_line_keeps_the_finding_it_had_before(
    allocated: None, aanbieder: Party
) -> None:
    # TR319 (within the message) refused P3 before the client was judged: its code stays;
    # the client's other line is not judged.
    msg = declaratie(
        (OTHER_BSN, prestatie("P1", 101)),
        (OTHER_BSN, prestatie("P3", 101, begin=APRIL, eind=date(2023, 4, 3))),
        prestatie("P2", begin=date(2023, 2, 1)),
    )
    r = aanbieder.send(msg)
    assert refused_lines(r) == {"P1": ["0233"], "P3": ["9319"]}
    assert declared_lines(aanbieder)["P3"] == ("afgewezen", ["9319"])
    assert declared_lines(aanbieder)["P2"] == ("toegekend", [])


def one_day(reden: str | None) -> m.ToegewezenProduct:
    if reden == "13":
        return verwijderd(101)
    return toegewezen(101, Einddatum=date(2023, 1, 1))


def test_tr384_line_on_a_deleted_allocation(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, one_day("13"))
    line = prestatie("P1", begin=date(2023, 1, 1), eind=date(2023, 1, 1), volume=10)
    assert one_line(aanbieder, line) == {"P1": ["9384"]}


def test_tr384_the_same_line_on_a_one_day_allocation(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, one_day(None))
    one_granted(
        aanbieder, prestatie("P1", begin=date(2023, 1, 1), eind=date(2023, 1, 1), volume=10)
    )


# --- TR339, TR340, TR341: category, code and unit of the allocation ---------------------------


def test_tr339_other_category(allocated: None, aanbieder: Party) -> None:
    assert one_line(aanbieder, prestatie("P1", categorie="02")) == {"P1": ["9339"]}


def test_tr340_other_code(allocated: None, aanbieder: Party) -> None:
    assert one_line(aanbieder, prestatie("P1", code="01A02")) == {"P1": ["9340"]}


def test_tr339_tr340_the_allocations_category_and_code(allocated: None, aanbieder: Party) -> None:
    one_granted(aanbieder, prestatie("P1", categorie="01", code="01A01"))


BUDGET = {"Omvang": None, "Budget": 10000}


@pytest.mark.parametrize(
    ("product", "line"),
    [
        (None, {"categorie": "07", "code": "07X01"}),  # generic: neither is given
        (m.Product(Categorie="01"), {"categorie": "01", "code": "01Z99"}),  # no code given
    ],
    ids=["no-product", "category-only"],
)
def test_tr339_tr340_only_what_the_allocation_gives(
    product: m.Product | None, line: dict[str, str], gemeente: Party, aanbieder: Party
) -> None:
    allocate(gemeente, toegewezen(101, Product=product, **BUDGET))
    one_granted(
        aanbieder,
        prestatie(
            "P1",
            volume=5000,
            eenheid="83",
            tarief=None,
            categorie=line["categorie"],
            code=line["code"],
        ),
    )


def test_tr341_hours_on_an_allocation_in_minutes(allocated: None, aanbieder: Party) -> None:
    line = prestatie("P1", volume=2, eenheid="04", tarief=3000)
    assert one_line(aanbieder, line) == {"P1": ["9341"]}


def test_tr341_minutes_on_an_allocation_in_hours(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Omvang=omvang(1, "04", "1")))
    one_granted(aanbieder, prestatie("P1", volume=600, eenheid="01", tarief=50))


def test_tr341_allocation_without_omvang_is_not_checked(gemeente: Party, aanbieder: Party) -> None:
    # Decision: the unit of a generic or aspecific allocation comes from the contract.
    allocate(gemeente, toegewezen(101, Product=m.Product(Categorie="01"), **BUDGET))
    one_granted(aanbieder, prestatie("P1", volume=2, eenheid="04", tarief=3000))


# --- TR307, TR308, TR387, TR388: the product period within the allocation ---------------------


def test_tr307_period_starting_before_the_allocation(gemeente: Party, aanbieder: Party) -> None:
    # The allocation starts on 10 March, so TR387 wants that date too.
    allocate(gemeente, toegewezen(101, Ingangsdatum=date(2023, 3, 10)))
    assert one_line(aanbieder, prestatie("P1")) == {"P1": ["9307", "9387"]}


def test_tr307_tr387_period_starting_with_the_allocation(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Ingangsdatum=date(2023, 3, 10)))
    one_granted(aanbieder, prestatie("P1", begin=date(2023, 3, 10), eind=date(2023, 3, 31)))


def test_tr308_period_ending_after_the_allocation(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Einddatum=date(2023, 3, 20)))
    assert one_line(aanbieder, prestatie("P1")) == {"P1": ["9308", "9388"]}


def test_tr308_tr388_period_ending_with_the_allocation(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Einddatum=date(2023, 3, 20)))
    one_granted(aanbieder, prestatie("P1", begin=MARCH, eind=date(2023, 3, 20)))


def test_tr308_open_ended_allocation(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Einddatum=None))
    one_granted(aanbieder, prestatie("P1", begin=date(2024, 3, 1)))


@pytest.mark.parametrize(
    ("ingang", "begin"),
    [(date(2023, 1, 1), date(2023, 3, 2)), (date(2023, 3, 10), date(2023, 3, 11))],
    ids=["not-the-first", "after-the-allocations-start"],
)
def test_tr387_period_not_starting_on_the_first_or_the_allocations_start(
    ingang: date, begin: date, gemeente: Party, aanbieder: Party
) -> None:
    allocate(gemeente, toegewezen(101, Ingangsdatum=ingang))
    line = prestatie("P1", begin=begin, eind=date(2023, 3, 31))
    assert one_line(aanbieder, line) == {"P1": ["9387"]}


@pytest.mark.parametrize(
    ("einde", "eind"),
    [(date(2023, 12, 31), date(2023, 3, 30)), (date(2023, 3, 20), date(2023, 3, 19))],
    ids=["not-the-last", "before-the-allocations-end"],
)
def test_tr388_period_not_ending_on_the_last_day_or_the_allocations_end(
    einde: date, eind: date, gemeente: Party, aanbieder: Party
) -> None:
    allocate(gemeente, toegewezen(101, Einddatum=einde))
    assert one_line(aanbieder, prestatie("P1", begin=MARCH, eind=eind)) == {"P1": ["9388"]}


# --- TR314: a ReferentieNummer is used once by a provider -------------------------------------


def test_tr314_referentienummer_used_before(allocated: None, aanbieder: Party) -> None:
    aanbieder.send(declaratie(prestatie("P1"), periode=MARCH))
    r = aanbieder.send(declaratie(prestatie("P1", begin=APRIL), periode=APRIL))
    assert r.status_code == 200, r.text
    assert refused_lines(r) == {"P1": ["8021"]}
    assert declared_lines(aanbieder)["P1"] == ("toegekend", [])


def test_tr314_referentienummer_twice_in_one_declaration(allocated: None, aanbieder: Party) -> None:
    aanbieder.send(declaratie(prestatie("P1"), periode=MARCH))
    msg = declaratie(prestatie("P2", begin=APRIL), prestatie("P2", credit_van="P1"), periode=APRIL)
    r = aanbieder.send(msg)
    assert r.status_code == 200, r.text
    assert afgewezen(r.content) == {"P2": ["8021"]}


def test_tr314_another_provider_may_use_the_same_number(
    app: Any, services: Services, allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    other = party(app, services, OTHER_AANBIEDER, "provider")
    allocate(gemeente, toegewezen(201), bsn=OTHER_BSN, aanbieder=OTHER_AANBIEDER)
    aanbieder.send(declaratie(prestatie("P1")))
    theirs = declaratie((OTHER_BSN, prestatie("P1", 201)), aanbieder=OTHER_AANBIEDER)
    assert granted(other.send(theirs))


# --- TR323, TR390, TR389: credits and declaring again -----------------------------------------


def declared_p1(aanbieder: Party, **line: Any) -> None:
    """P1 declared for March (refused when ``line`` makes it so)."""
    aanbieder.send(declaratie(prestatie("P1", **line), periode=MARCH))


def credit(ref: str, of: str, **line: Any) -> m.Prestatie:
    return prestatie(ref, credit_van=of, **line)


def test_tr323_credit_of_no_line(allocated: None, aanbieder: Party) -> None:
    assert one_line(aanbieder, credit("C1", "P9"), periode=APRIL) == {"C1": ["8017"]}


def test_tr323_credit_of_a_refused_line(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder, volume=311)  # TR321 refuses it
    assert one_line(aanbieder, credit("C1", "P1", volume=311), periode=APRIL) == {"C1": ["8017"]}


def test_tr323_credit_of_a_credit(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder)
    aanbieder.send(declaratie(credit("C1", "P1"), periode=APRIL))
    assert one_line(aanbieder, credit("C2", "C1"), periode=MAY) == {"C2": ["8017"]}


def test_tr323_credit_of_a_granted_debit(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder)
    one_granted(aanbieder, credit("C1", "P1"), periode=APRIL)


@pytest.mark.parametrize(
    "changes",
    [{"begin": APRIL}, {"volume": 50}, {"bedrag": 4000}, {"tarief": 40, "bedrag": 4000}],
    ids=["other-period", "other-volume", "other-amount", "other-tariff"],
)
def test_tr323_a_credit_repeats_its_debit_exactly(
    changes: dict[str, Any], allocated: None, aanbieder: Party
) -> None:
    """IV091: a credit is identical to its debit but for its own number, the debit's number
    and C. One that is not takes back something else than was paid."""
    declared_p1(aanbieder)
    found = one_line(aanbieder, credit("C1", "P1", **changes), periode=MAY)
    assert "8017" in found["C1"]


def test_tr323_no_credit_of_a_debit_to_another_municipality(
    app: Any, services: Services, allocated: None, aanbieder: Party
) -> None:
    """The same provider and client, another municipality: its line is not this one's to
    credit, even under its ReferentieNummer."""
    amsterdam = party(app, services, "0363", "municipality")
    assert accepted(amsterdam.send(toewijzingen(toegewezen(101), gemeente="0363")).content)
    aanbieder.send(declaratie(prestatie("P1"), periode=MARCH, gemeente="0363"))
    assert declared_lines(aanbieder)["P1"] == ("toegekend", [])
    assert one_line(aanbieder, credit("C1", "P1"), periode=APRIL) == {"C1": ["8017"]}


def test_a_credit_the_municipality_refuses_leaves_its_debit_uncredited(
    allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    """The municipality's own WMO325 has the last word on a line: a credit it refuses does
    not count, so the debit may not be declared again (TR389) and still stands in the
    way of deleting the allocation (TR385)."""
    declared_p1(aanbieder)
    crediting = declaratie(credit("C1", "P1"), periode=APRIL)
    assert granted(aanbieder.send(crediting))
    r = gemeente.send(declaratie_antwoord(crediting, {"C1": ["8017"]}))
    assert r.status_code == 200, r.text
    assert one_line(aanbieder, prestatie("P2"), periode=MAY) == {"P2": ["9389"]}
    deleting = toewijzingen(verwijderd(101))
    assert retour_codes(gemeente.send(deleting).content)[
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]"
    ] == ["9385"]


def test_tr390_a_debit_credited_twice(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder)
    aanbieder.send(declaratie(credit("C1", "P1"), periode=APRIL))
    assert one_line(aanbieder, credit("C2", "P1"), periode=MAY) == {"C2": ["9390"]}


def test_tr390_a_refused_credit_does_not_count(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder)
    refused = credit("C1", "P1", bedrag=1)  # TR346: not volume x tariff
    # Not the debit's amount either (TR323: a credit repeats its debit).
    assert one_line(aanbieder, refused, periode=APRIL) == {"C1": ["8017", "9346"]}
    one_granted(aanbieder, credit("C2", "P1"), periode=MAY)


def test_tr389_a_second_debit_for_the_same_period(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder)
    assert one_line(aanbieder, prestatie("P2"), periode=APRIL) == {"P2": ["9389"]}


@pytest.mark.parametrize(
    "changes", [{"begin": APRIL}, {"code": "01A02"}], ids=["other-period", "other-code"]
)
def test_tr389_other_periods_or_products_are_no_second_debit(
    changes: dict[str, Any], gemeente: Party, aanbieder: Party
) -> None:
    # An allocation without code, so another code is no TR340 finding.
    allocate(gemeente, toegewezen(101, Product=m.Product(Categorie="01"), **BUDGET))
    declared_p1(aanbieder, volume=10, eenheid="83", tarief=None)
    line = prestatie("P2", volume=10, eenheid="83", tarief=None, **changes)
    one_granted(aanbieder, line, periode=APRIL)


def test_tr389_declaring_again_after_a_credit(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder)
    aanbieder.send(declaratie(credit("C1", "P1"), periode=APRIL))
    one_granted(aanbieder, prestatie("P2"), periode=MAY)


@pytest.mark.parametrize("credit_first", [True, False], ids=["credit-first", "debit-first"])
def test_tr389_credit_and_declare_again_in_one_message(
    credit_first: bool, allocated: None, aanbieder: Party
) -> None:
    """IV086 allows both in one message, in any order: credits are judged first, so the
    new debit sees the old one credited."""
    declared_p1(aanbieder)
    lines = [credit("C1", "P1"), prestatie("P2")]
    r = aanbieder.send(declaratie(*(lines if credit_first else lines[::-1]), periode=APRIL))
    assert granted(r)


# --- TR321: a line's volume fits the allocated volume for its period --------------------------


WEEKLY = {"Omvang": omvang(60, "01", "2"), "Product": m.Product(Categorie="02", Code="02A01")}


@pytest.mark.parametrize(
    ("allocation", "begin", "most", "over"),
    [
        ({}, MARCH, 310, ["9321"]),  # 10 minutes a day, 31 days
        ({"Ingangsdatum": date(2023, 3, 10)}, date(2023, 3, 10), 220, ["9321"]),  # 22 days
        ({"Omvang": omvang(600, "01", "4")}, MARCH, 600, ["9321"]),  # per month
        # In total: the period may hold it all, and then the total is full too (TR322).
        ({"Omvang": omvang(600, "01", "6")}, MARCH, 600, ["9321", "9322"]),
        # Per week, effort-based: the calendar weeks touched (decision). April 2023 touches
        # five (Saturday 1 April lies in the week of 27 March), July 2023 six.
        (WEEKLY, APRIL, 300, ["9321"]),
        (WEEKLY, JULY, 360, ["9321"]),
        # Household help (category 01) per week: always six weeks (IV077).
        ({"Omvang": omvang(60, "01", "2")}, APRIL, 360, ["9321"]),
        ({"Omvang": omvang(60, "01", "2")}, date(2023, 2, 1), 360, ["9321"]),
    ],
    ids=[
        "per-day",
        "per-day-from-the-allocations-start",
        "per-month",
        "in-total",
        "per-week-five-calendar-weeks",
        "per-week-six-calendar-weeks",
        "household-help-per-week",
        "household-help-in-february",
    ],
)
@pytest.mark.parametrize("extra", [0, 1], ids=["exactly-the-most", "one-more"])
def test_tr321_volume_per_product_period(
    allocation: dict[str, Any],
    begin: date,
    most: int,
    over: list[str],
    extra: int,
    gemeente: Party,
    aanbieder: Party,
) -> None:
    allocate(gemeente, toegewezen(101, **allocation))
    product = allocation.get("Product", m.Product(Categorie="01", Code="01A01"))
    line = prestatie(
        "P1",
        begin=begin,
        volume=most + extra,
        tarief=1,
        categorie=product.Categorie,
        code=product.Code,
    )
    if extra:
        assert one_line(aanbieder, line) == {"P1": over}
    else:
        one_granted(aanbieder, line)


# IV077's worked example: 3 hours a week from 7 October to 30 December 2025, effort-based.
IV077 = toegewezen(
    101,
    Product=m.Product(Categorie="02", Code="02A01"),
    Ingangsdatum=date(2025, 10, 7),
    Einddatum=date(2025, 12, 30),
    Toewijzingsdatum=date(2025, 10, 1),
    Omvang=omvang(3, "04", "2"),
)
OCTOBER, NOVEMBER, DECEMBER = date(2025, 10, 7), date(2025, 11, 1), date(2025, 12, 1)


def iv077_line(
    ref: str, begin: date, volume: int, eenheid: str = "04", credit_van: str | None = None
) -> m.Prestatie:
    end = {OCTOBER: date(2025, 10, 31), NOVEMBER: date(2025, 11, 30)}.get(begin, date(2025, 12, 30))
    tarief = 100 if eenheid == "01" else 6000
    return prestatie(
        ref,
        begin=begin,
        eind=end,
        volume=volume,
        eenheid=eenheid,
        tarief=tarief,
        categorie="02",
        code="02A01",
        credit_van=credit_van,
    )


@pytest.mark.parametrize(
    ("begin", "hours"),
    [(OCTOBER, 12), (NOVEMBER, 15), (DECEMBER, 15)],
    ids=["october-4-weeks", "november-5-weeks", "december-5-weeks"],
)
@pytest.mark.parametrize("eenheid", ["04", "01"], ids=["in-hours", "in-minutes"])
@pytest.mark.parametrize("extra", [0, 1], ids=["exactly-the-most", "one-more"])
def test_tr321_iv077_example(
    begin: date, hours: int, eenheid: str, extra: int, gemeente: Party, aanbieder: Party
) -> None:
    # One hour or one minute more than the calendar weeks allow; minutes count as 1/60 hour.
    allocate(gemeente, IV077, dagtekening=date(2025, 10, 1))
    line = iv077_line("P1", begin, (hours * 60 if eenheid == "01" else hours) + extra, eenheid)
    if extra:
        assert one_line(aanbieder, line) == {"P1": ["9321"]}
    else:
        one_granted(aanbieder, line)


def test_tr321_does_not_judge_credits(allocated: None, aanbieder: Party) -> None:
    declared_p1(aanbieder, volume=310)
    one_granted(aanbieder, credit("C1", "P1", volume=310), periode=APRIL)


# Three pieces a week through February 2026, which begins on a Sunday: 4 Sundays (output)
# but 5 calendar weeks touched (effort: ISO weeks 5 to 9).
FEBRUARY_2026 = date(2026, 2, 1)


def pieces_a_week(eenheid: str) -> m.ToegewezenProduct:
    return toegewezen(
        101,
        Product=m.Product(Categorie="02", Code="02A01"),
        Toewijzingsdatum=date(2026, 1, 15),
        Ingangsdatum=date(2026, 1, 1),
        Einddatum=date(2026, 12, 31),
        Omvang=omvang(3, eenheid, "2"),
    )


def contract(services: Services, variant: str) -> None:
    """A contract of GEMEENTE with AANBIEDER as main contractor, for 2026."""
    from tests.routing.conftest import load

    load(
        services,
        {
            "catalogues": [
                {
                    "key": "pieces",
                    "version": 1,
                    "name": "Pieces",
                    "functions": [
                        {"key": "f1", "name": "Function 1", "categorie": "02", "code": "02A01"}
                    ],
                }
            ],
            "contracts": [
                {
                    "key": "pieces",
                    "name": "Pieces",
                    "main_contractor": AANBIEDER,
                    "variant": variant,
                    "begindatum": "2026-01-01",
                    "catalogue": "pieces@1",
                    "municipalities": {GEMEENTE: {}},
                }
            ],
        },
    )


def pieces_line(volume: int, eenheid: str) -> m.Prestatie:
    return prestatie(
        "P1", begin=FEBRUARY_2026, volume=volume, eenheid=eenheid, categorie="02", code="02A01"
    )


@pytest.mark.parametrize("variant", [None, "inspanningsgericht", "outputgericht"])
@pytest.mark.parametrize("volume", [12, 13])
def test_tr321_pieces_of_output_count_sundays_whatever_the_contract(
    variant: str | None, volume: int, services: Services, gemeente: Party, aanbieder: Party
) -> None:
    # Eenheid 82 says the allocation is output-based (IV077, output method): February 2026
    # holds 4 Sundays, so 3 a week allows 12 — not the 15 of five calendar weeks, which an
    # effort-based reading (the default without a contract) would allow.
    if variant:
        contract(services, variant)
    allocate(gemeente, pieces_a_week("82"), dagtekening=date(2026, 1, 15))
    line = pieces_line(volume, "82")
    if volume > 12:
        assert one_line(aanbieder, line, periode=FEBRUARY_2026) == {"P1": ["9321"]}
    else:
        one_granted(aanbieder, line, periode=FEBRUARY_2026)


@pytest.mark.parametrize(("volume", "ok"), [(15, True), (16, False)])
def test_tr321_pieces_of_effort_count_calendar_weeks_under_an_output_contract(
    volume: int, ok: bool, services: Services, gemeente: Party, aanbieder: Party
) -> None:
    # Eenheid 84 (pieces, effort) says the allocation is effort-based: the five calendar
    # weeks February 2026 touches count, though the contract is output-based.
    contract(services, "outputgericht")
    allocate(gemeente, pieces_a_week("84"), dagtekening=date(2026, 1, 15))
    line = pieces_line(volume, "84")
    if ok:
        one_granted(aanbieder, line, periode=FEBRUARY_2026)
    else:
        assert one_line(aanbieder, line, periode=FEBRUARY_2026) == {"P1": ["9321"]}


# --- TR322: all lines on an allocation together fit its total --------------------------------


def declare_iv077_october_and_november(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, IV077, dagtekening=date(2025, 10, 1))
    assert granted(aanbieder.send(declaratie(iv077_line("P10", OCTOBER, 12), periode=OCTOBER)))
    assert granted(aanbieder.send(declaratie(iv077_line("P11", NOVEMBER, 15), periode=NOVEMBER)))


@pytest.mark.parametrize(("hours", "ok"), [(12, True), (13, False)], ids=["39-hours", "40-hours"])
def test_tr322_iv077_total_over_the_allocation(
    hours: int, ok: bool, gemeente: Party, aanbieder: Party
) -> None:
    # 13 weeks x 3 hours = 39; October (12) and November (15) leave 12 for December,
    # though December alone allows 15 (TR321).
    declare_iv077_october_and_november(gemeente, aanbieder)
    line = iv077_line("P12", DECEMBER, hours)
    if ok:
        one_granted(aanbieder, line, periode=DECEMBER)
    else:
        assert one_line(aanbieder, line, periode=DECEMBER) == {"P12": ["9322"]}


def test_tr322_credits_subtract(gemeente: Party, aanbieder: Party) -> None:
    # Decision: granted lines count, credits subtracting.
    declare_iv077_october_and_november(gemeente, aanbieder)
    msg = declaratie(
        iv077_line("C11", NOVEMBER, 15, credit_van="P11"),
        iv077_line("P12", DECEMBER, 15),  # 12 + 15 - 15 + 15 = 27 of 39 hours
        periode=DECEMBER,
    )
    assert granted(aanbieder.send(msg))


def test_tr322_refused_lines_do_not_count(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, IV077, dagtekening=date(2025, 10, 1))
    refused = iv077_line("P10", OCTOBER, 13)  # TR321: October allows 12
    assert one_line(aanbieder, refused) == {"P10": ["9321"]}
    aanbieder.send(declaratie(iv077_line("P11", NOVEMBER, 15), periode=NOVEMBER))
    one_granted(aanbieder, iv077_line("P12", DECEMBER, 15), periode=DECEMBER)


@pytest.mark.parametrize("einde", [None, date(2023, 12, 31)], ids=["open-ended", "with-end"])
def test_tr322_total_volume_allocation(
    einde: date | None, gemeente: Party, aanbieder: Party
) -> None:
    # Decision: a total (Frequentie 6) bounds even an open-ended allocation.
    allocate(gemeente, toegewezen(101, Einddatum=einde, Omvang=omvang(100, "01", "6")))
    aanbieder.send(declaratie(prestatie("P1", volume=60), periode=MARCH))
    assert one_line(aanbieder, prestatie("P2", begin=APRIL, volume=41)) == {"P2": ["9322"]}
    one_granted(aanbieder, prestatie("P3", begin=MAY, volume=40), periode=MAY)


# --- TR369: all lines on an allocation with a budget fit the budget ---------------------------


def euros(ref: str, cents: int, begin: date, **kwargs: Any) -> m.Prestatie:
    return prestatie(ref, begin=begin, volume=cents, eenheid="83", tarief=None, **kwargs)


@pytest.mark.parametrize(("cents", "ok"), [(4000, True), (4001, False)], ids=["fits", "one-over"])
def test_tr369_budget(cents: int, ok: bool, gemeente: Party, aanbieder: Party) -> None:
    # Decision: budget and amounts are both in euro cents.
    allocate(gemeente, toegewezen(101, Product=m.Product(Categorie="01"), **BUDGET))
    aanbieder.send(declaratie(euros("P1", 6000, MARCH), periode=MARCH))
    if ok:
        one_granted(aanbieder, euros("P2", cents, APRIL))
    else:
        assert one_line(aanbieder, euros("P2", cents, APRIL)) == {"P2": ["9369"]}


def test_tr369_credits_subtract(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Product=m.Product(Categorie="01"), **BUDGET))
    aanbieder.send(declaratie(euros("P1", 6000, MARCH), periode=MARCH))
    msg = declaratie(
        euros("C1", 6000, MARCH, credit_van="P1"), euros("P2", 10000, APRIL), periode=APRIL
    )
    assert granted(aanbieder.send(msg))


def test_tr369_counts_amounts_in_any_unit(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101, Product=m.Product(Categorie="01"), **BUDGET))
    aanbieder.send(declaratie(prestatie("P1", volume=100, tarief=60), periode=MARCH))  # 6000
    assert one_line(aanbieder, euros("P2", 4001, APRIL)) == {"P2": ["9369"]}


# --- TR346: the amount is the volume times the tariff -----------------------------------------


@pytest.mark.parametrize(
    ("volume", "eenheid", "tarief", "bedrag", "ok"),
    [
        (100, "01", 50, 5000, True),
        (100, "01", 50, 5001, False),
        (100, "01", 50, 4999, False),
        # Decision (IV081): minutes at an hourly tariff, rounded to whole cents.
        (50, "01", 6250, 5208, True),  # 5208.33
        (50, "01", 6250, 5209, False),
        (50, "01", 6250, 312500, True),  # the tariff taken per minute
        # In hours there is nothing to convert.
        (2, "04", 6250, 12500, True),
        (2, "04", 6250, 208, False),
    ],
)
def test_tr346_amount(
    volume: int,
    eenheid: str,
    tarief: int,
    bedrag: int,
    ok: bool,
    gemeente: Party,
    aanbieder: Party,
) -> None:
    unit = omvang(10, "01", "1") if eenheid == "01" else omvang(1, "04", "1")
    allocate(gemeente, toegewezen(101, Omvang=unit))
    line = prestatie("P1", volume=volume, eenheid=eenheid, tarief=tarief, bedrag=bedrag)
    if ok:
        one_granted(aanbieder, line)
    else:
        assert one_line(aanbieder, line) == {"P1": ["9346"]}


def test_tr346_half_a_cent_rounds_up(allocated: None, aanbieder: Party) -> None:
    # 3 minutes at 250 cents an hour is 12.5 cents.
    one_granted(aanbieder, prestatie("P1", volume=3, tarief=250, bedrag=13))


# --- the municipality's own answer (WMO325): TR337, TR376, TR371, TR366, TR367, TR304 ---------


@pytest.fixture
def sent(allocated: None, gemeente: Party, aanbieder: Party) -> m.WMO323:
    """A declaration for March: P1 and P2 for client BSN, P3 for OTHER_BSN. The hub's own
    answer refuses P2 (01A02 is not the allocation's code)."""
    allocate(gemeente, toegewezen(301), bsn=OTHER_BSN)
    msg = declaratie(
        prestatie("P1", volume=100),
        prestatie("P2", volume=50, code="01A02"),
        (OTHER_BSN, prestatie("P3", 301, volume=10)),
    )
    assert refused_lines(aanbieder.send(msg)) == {"P2": ["9340"]}
    return msg


def findings(r: Any, status: int = 422) -> set[tuple[str, str]]:
    assert r.status_code == status, r.text
    return {(f["rule"], f["return_code"]) for f in r.json()["findings"]}


def refused_answer(
    gemeente: Party, operator: Party, msg: m.WMO325, status: int = 422
) -> set[tuple[str, str]]:
    before = administratie(operator)
    found = findings(gemeente.send(msg), status)
    assert administratie(operator) == before
    return found


def test_own_answer_accepted_updates_the_verdicts(
    sent: m.WMO323, gemeente: Party, aanbieder: Party
) -> None:
    msg = declaratie_antwoord(sent, {"P3": ["9321"]})
    r = gemeente.send(msg)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert declared_lines(aanbieder) == {
        "P1": ("toegekend", []),
        "P2": ("toegekend", []),
        "P3": ("afgewezen", ["9321"]),
    }
    [d] = aanbieder.get("/v1/declaraties").json()["items"]
    assert d["totaal_toegekend"] == 5000 + 2500
    assert d["answer_message_id"] == r.json()["message_id"]
    assert r.json()["answers"] == d["message_id"]  # the receipt names the declaration


def test_a_partly_granted_declaration_is_partially_accepted(
    sent: m.WMO323, aanbieder: Party
) -> None:
    [row] = aanbieder.get("/v1/berichten", message_type="WMO323").json()["items"]
    assert row["status"] == "partially_accepted"


def test_a_wholly_refused_declaration_is_rejected(allocated: None, aanbieder: Party) -> None:
    r = aanbieder.send(declaratie(prestatie("P1", code="01A02")))
    assert refused_lines(r) == {"P1": ["9340"]}
    [row] = aanbieder.get("/v1/berichten", message_type="WMO323").json()["items"]
    assert row["status"] == "rejected"


def test_tr337_answer_to_no_declaration(sent: m.WMO323, gemeente: Party, operator: Party) -> None:
    msg = declaratie_antwoord(sent)
    msg.Header.DeclaratieIdentificatie.Identificatie = "UNKNOWN"
    assert refused_answer(gemeente, operator, msg, 403) == {("TR337", "")}


def test_tr337_answer_to_a_declaration_of_another_provider(
    app: Any, services: Services, sent: m.WMO323, gemeente: Party, operator: Party
) -> None:
    party(app, services, OTHER_AANBIEDER, "provider")
    msg = declaratie_antwoord(sent)
    msg.Header.Ontvanger = OTHER_AANBIEDER
    assert refused_answer(gemeente, operator, msg, 403) == {("TR337", "")}


def test_tr337_answer_naming_another_dagtekening(
    sent: m.WMO323, gemeente: Party, operator: Party
) -> None:
    msg = declaratie_antwoord(sent)
    msg.Header.DeclaratieIdentificatie.Dagtekening = date(2023, 4, 4)  # declared on the 5th
    assert refused_answer(gemeente, operator, msg, 403) == {("TR337", "")}


def test_tr376_other_declaratienummer(sent: m.WMO323, gemeente: Party, operator: Party) -> None:
    msg = declaratie_antwoord(sent)
    assert msg.DeclaratieAntwoord is not None
    msg.DeclaratieAntwoord.DeclaratieNummer = "OTHER"
    assert refused_answer(gemeente, operator, msg) == {("TR376", "")}


def test_tr371_other_xsd_version(sent: m.WMO323, gemeente: Party, operator: Party) -> None:
    msg = declaratie_antwoord(sent)
    msg.Header.XsdVersieDeclaratie.BerichtXsdVersie = "1.0.1"
    assert refused_answer(gemeente, operator, msg) == {("TR371", "")}


def test_tr366_a_line_that_was_not_declared(
    sent: m.WMO323, gemeente: Party, operator: Party
) -> None:
    msg = declaratie_antwoord(sent, {"P1": ["9321"]})
    assert msg.DeclaratieAntwoord is not None
    msg.DeclaratieAntwoord.Clienten[0].Prestaties[0].ProductReferentie.ReferentieNummer = "PX"
    assert refused_answer(gemeente, operator, msg) == {("TR366", "9366")}


@pytest.mark.parametrize(
    "change",
    [
        {"GeleverdVolume": 99},
        {"ProductCode": "01A02"},
        {"ProductCategorie": "02"},
        {"ToewijzingNummer": 102},
        {"Eenheid": "04"},
        {"ProductTarief": 51},
        {"ProductPeriode": m.GeslotenPeriode(Begindatum=MARCH, Einddatum=date(2023, 3, 30))},
    ],
    ids=lambda change: next(iter(change)),
)
def test_tr367_a_line_answered_with_other_values(
    change: dict[str, Any], sent: m.WMO323, gemeente: Party, operator: Party
) -> None:
    msg = declaratie_antwoord(sent, {"P1": ["9321"]})
    assert msg.DeclaratieAntwoord is not None
    line = msg.DeclaratieAntwoord.Clienten[0].Prestaties[0]
    for name, value in change.items():
        setattr(line, name, value)
    assert refused_answer(gemeente, operator, msg) == {("TR367", "9367")}


def test_tr367_a_line_answered_with_another_amount(
    sent: m.WMO323, gemeente: Party, operator: Party
) -> None:
    # The granted total follows, so the answer stays consistent within itself (TR342).
    msg = declaratie_antwoord(sent, {"P1": ["9321"]})
    assert msg.DeclaratieAntwoord is not None
    msg.DeclaratieAntwoord.Clienten[0].Prestaties[0].IngediendBedrag.Bedrag = 4000
    msg.DeclaratieAntwoord.TotaalToegekendBedrag.TotaalBedrag += 1000
    assert refused_answer(gemeente, operator, msg) == {("TR367", "9367")}


def test_tr304_a_line_answered_under_another_client(
    sent: m.WMO323, gemeente: Party, operator: Party
) -> None:
    msg = declaratie_antwoord(sent, {"P1": ["9321"]})
    assert msg.DeclaratieAntwoord is not None
    msg.DeclaratieAntwoord.Clienten[0].Bsn = OTHER_BSN
    assert refused_answer(gemeente, operator, msg) == {("TR304", "8187")}


def test_own_answer_refusing_the_whole_declaration(
    sent: m.WMO323, gemeente: Party, aanbieder: Party
) -> None:
    r = gemeente.send(declaratie_antwoord(sent, codes=["9333"]))
    assert r.status_code == 200, r.text
    assert {ref: status for ref, (status, _) in declared_lines(aanbieder).items()} == {
        "P1": "afgewezen",
        "P2": "afgewezen",
        "P3": "afgewezen",
    }
    [d] = aanbieder.get("/v1/declaraties").json()["items"]
    assert d["totaal_toegekend"] == 0
