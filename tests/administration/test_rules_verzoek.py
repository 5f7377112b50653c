"""Rules on requests (WMO315 for an allocation, WMO317 for a change) and the municipality's
answers (WMO319) against the administration."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.services import Services
from app.standard import messages as m
from tests.administration.helpers import (
    OTHER_AANBIEDER,
    OTHER_BSN,
    Party,
    aangevraagd,
    accepted,
    administratie,
    antwoord,
    approved,
    nieuw_product,
    omvang,
    party,
    retour_codes,
    te_wijzigen,
    toegewezen,
    toewijzingen,
    verwijderd,
    verzoek_om_toewijzing,
    verzoek_om_wijziging,
)

CLIENT = "/Bericht/Client"
REQUESTED = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]"
VERZOEK = "/Bericht/Client/Verzoek"
UNCHANGED = VERZOEK + "/OngewijzigdeProducten/OngewijzigdProduct[1]"
CHANGED = VERZOEK + "/TeWijzigenProducten/TeWijzigenProduct[1]"
NEW = VERZOEK + "/NieuweProducten/NieuwProduct[1]"
ANTWOORD = "/Bericht/Antwoord"
DAGTEKENING = date(2023, 8, 20)  # of every change request below


def wijziging(referentie: str = "W1", **kwargs: Any) -> m.WMO317:
    """A change request for allocation 101 from October: 20 instead of 10 minutes a day."""
    kwargs.setdefault("wijzigen", (te_wijzigen(101, volume=omvang(20)),))
    return verzoek_om_wijziging(referentie, **kwargs)


def statuses(who: Party) -> dict[str, str]:
    return {
        v["referentie_aanbieder"]: v["status"] for v in who.get("/v1/verzoeken").json()["items"]
    }


def codes(r: Any) -> dict[str, list[str]]:
    assert r.status_code == 200, r.text
    return retour_codes(r.content)


APPROVED = ["approved"]


def judged(r: Any, path: str) -> list[str]:
    """The codes at ``path``; APPROVED when the retour is the header alone (IV028)."""
    found = codes(r)
    return found[path] if found else APPROVED


def refused(who: Party, operator: Party, msg: Any) -> dict[str, list[str]]:
    """Send a message expected to be refused; check it changed nothing."""
    before = administratie(operator)
    found = codes(who.send(msg))
    assert administratie(operator) == before
    return found


@pytest.fixture
def allocated(gemeente: Party, aanbieder: Party) -> None:
    """Allocation 101 of client BSN: 01/01A01, 2023, 10 minutes a day."""
    assert accepted(gemeente.send(toewijzingen(toegewezen(101))).content)


def allocate(gemeente: Party, *products: m.ToegewezenProduct, **kwargs: Any) -> None:
    assert accepted(gemeente.send(toewijzingen(*products, **kwargs)).content)


# --- TR374: a request only when no earlier request of the provider for the client is pending --


def test_tr374_request_while_a_request_is_open(
    aanbieder: Party, operator: Party, gemeente: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    found = refused(aanbieder, operator, verzoek_om_toewijzing("R2"))
    assert found[CLIENT] == ["9374"]
    assert found[REQUESTED] == ["0233"]  # not judged below a refused client
    assert found["/Bericht/Header"] == ["0200"]


def test_tr374_change_request_while_a_request_is_open(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    found = refused(aanbieder, operator, wijziging("W1"))
    assert (found[CLIENT], found[VERZOEK], found[CHANGED]) == (["9374"], ["0233"], ["0233"])


def test_tr374_request_while_a_change_request_is_open(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    assert accepted(aanbieder.send(wijziging("W1")).content)
    assert refused(aanbieder, operator, verzoek_om_toewijzing("R1"))[CLIENT] == ["9374"]


def test_tr374_a_request_under_review_is_still_pending(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(antwoord("R1", "2"))
    assert refused(aanbieder, operator, verzoek_om_toewijzing("R2"))[CLIENT] == ["9374"]


def test_tr374_every_requested_product_is_pending_until_answered(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    # Each requested product has its own reference: granting one leaves the other pending.
    aanbieder.send(verzoek_om_toewijzing("R1", "R2"))
    gemeente.send(toewijzingen(toegewezen(101, ReferentieAanbieder="R2")))
    assert statuses(operator) == {"R1": "open", "R2": "toegewezen"}
    assert refused(aanbieder, operator, verzoek_om_toewijzing("R3"))[CLIENT] == ["9374"]


def test_tr374_request_after_a_rejection(gemeente: Party, aanbieder: Party) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(antwoord("R1", "1"))
    assert accepted(aanbieder.send(verzoek_om_toewijzing("R2")).content)


def test_tr374_request_after_a_grant(gemeente: Party, aanbieder: Party, operator: Party) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(toewijzingen(toegewezen(101, ReferentieAanbieder="R1")))
    assert accepted(aanbieder.send(wijziging("W1")).content)
    assert statuses(operator) == {"R1": "toegewezen", "W1": "open"}


def test_tr374_another_providers_pending_request_does_not_count(
    app: Any, services: Services, aanbieder: Party, gemeente: Party
) -> None:
    # Decision: only requests of this provider for this client count.
    other = party(app, services, OTHER_AANBIEDER, "provider")
    assert accepted(other.send(verzoek_om_toewijzing("R1", aanbieder=OTHER_AANBIEDER)).content)
    assert accepted(aanbieder.send(verzoek_om_toewijzing("R2")).content)


def test_tr374_another_clients_pending_request_does_not_count(
    aanbieder: Party, gemeente: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1", bsn=OTHER_BSN))
    assert accepted(aanbieder.send(verzoek_om_toewijzing("R2")).content)


# --- TR347: a ReferentieAanbieder is used once by a provider ----------------------------------


def test_tr347_request_reusing_a_reference(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(antwoord("R1", "1"))  # no longer pending, so only the reference is wrong
    found = refused(aanbieder, operator, verzoek_om_toewijzing("R1"))
    assert (found[CLIENT], found[REQUESTED]) == (["0200"], ["9347"])


def test_tr347_change_request_reusing_a_requests_reference(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(toewijzingen(toegewezen(101, ReferentieAanbieder="R1")))
    found = refused(aanbieder, operator, wijziging("R1"))
    assert (found[CLIENT], found[VERZOEK], found[CHANGED]) == (["0200"], ["9347"], ["0233"])


def test_tr347_reference_of_another_client_counts_too(
    aanbieder: Party, operator: Party, gemeente: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1", bsn=OTHER_BSN))
    assert refused(aanbieder, operator, verzoek_om_toewijzing("R1"))[REQUESTED] == ["9347"]


def test_tr347_another_provider_may_use_the_same_reference(
    app: Any, services: Services, aanbieder: Party, operator: Party, gemeente: Party
) -> None:
    other = party(app, services, OTHER_AANBIEDER, "provider")
    aanbieder.send(verzoek_om_toewijzing("R1"))
    r = other.send(verzoek_om_toewijzing("R1", aanbieder=OTHER_AANBIEDER))
    assert accepted(r.content)
    assert [v["referentie_aanbieder"] for v in operator.get("/v1/verzoeken").json()["items"]] == [
        "R1",
        "R1",
    ]


# --- TR304 (317): the client has an allocation at this provider -------------------------------


def test_tr304_change_request_for_a_client_without_allocation_here(
    app: Any, services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    # The client's allocation 201 is at another provider. The client is refused (TR304), so
    # what lies below it is not judged (0233), though the unchanged product would be no
    # current allocation of this provider either (TR350).
    party(app, services, OTHER_AANBIEDER, "provider")
    allocate(gemeente, toegewezen(201), bsn=OTHER_BSN, aanbieder=OTHER_AANBIEDER)
    msg = wijziging("W1", bsn=OTHER_BSN, ongewijzigd=(201,), wijzigen=(), nieuw=(nieuw_product(),))
    found = refused(aanbieder, operator, msg)
    assert (found[CLIENT], found[VERZOEK], found[UNCHANGED]) == (["8187"], ["0233"], ["0233"])


def test_tr304_change_request_for_a_client_with_allocation_here(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    assert accepted(aanbieder.send(wijziging("W1")).content)
    [request] = operator.get("/v1/verzoeken").json()["items"]
    assert (request["kind"], request["status"]) == ("VOW", "open")
    assert request["details"]["TeWijzigenProducten"][0]["Omvang"]["Volume"] == 20


# --- TR349, TR350, TR351: the current allocations, and only those -----------------------------


def second_allocation(**changes: Any) -> m.ToegewezenProduct:
    return toegewezen(102, Product=m.Product(Categorie="02", Code="02A01"), **changes)


def test_tr349_a_current_allocation_is_missing(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    allocate(gemeente, toegewezen(101), second_allocation())
    found = refused(aanbieder, operator, wijziging("W1"))
    assert (found[CLIENT], found[VERZOEK], found[CHANGED]) == (["0200"], ["9349"], ["0233"])


def test_tr349_every_current_allocation_listed(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101), second_allocation())
    assert accepted(aanbieder.send(wijziging("W1", ongewijzigd=(102,))).content)


@pytest.mark.parametrize(
    ("changes", "current"),
    [
        ({"Einddatum": DAGTEKENING}, True),  # valid on the Dagtekening itself
        ({"Einddatum": date(2023, 8, 19)}, False),
        ({"Ingangsdatum": date(2024, 1, 1), "Einddatum": date(2024, 12, 31)}, True),  # future
    ],
    ids=["ends-on-dagtekening", "ended-the-day-before", "starts-later"],
)
def test_tr349_current_is_judged_on_the_dagtekening(
    changes: dict[str, Any], current: bool, gemeente: Party, aanbieder: Party
) -> None:
    # Decision: current means ending on or after the request's Dagtekening, or starting later.
    allocate(gemeente, toegewezen(101), second_allocation(**changes))
    r = aanbieder.send(wijziging("W1"))
    assert judged(r, VERZOEK) == (["9349"] if current else APPROVED)


def test_tr349_a_deleted_allocation_is_not_current(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101), second_allocation())
    allocate(
        gemeente, toegewezen(101), verwijderd(102, Product=m.Product(Categorie="02", Code="02A01"))
    )
    assert accepted(aanbieder.send(wijziging("W1")).content)


@pytest.mark.parametrize("nummer", [555, 102, 201], ids=["unknown", "ended", "other-client"])
def test_tr350_unchanged_product_that_is_no_current_allocation(
    nummer: int, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    allocate(gemeente, toegewezen(101), second_allocation(Einddatum=date(2023, 6, 30)))
    allocate(gemeente, toegewezen(201), bsn=OTHER_BSN)
    found = refused(aanbieder, operator, wijziging("W1", ongewijzigd=(nummer,)))
    assert (found[VERZOEK], found[UNCHANGED]) == (["0200"], ["9350"])


def test_tr350_unchanged_product_that_is_current(gemeente: Party, aanbieder: Party) -> None:
    allocate(gemeente, toegewezen(101), second_allocation())
    assert accepted(aanbieder.send(wijziging("W1", ongewijzigd=(102,))).content)


@pytest.mark.parametrize("nummer", [555, 102, 201], ids=["unknown", "ended", "other-client"])
def test_tr351_product_to_change_that_is_no_current_allocation(
    nummer: int, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    allocate(gemeente, toegewezen(101), second_allocation(Einddatum=date(2023, 6, 30)))
    allocate(gemeente, toegewezen(201), bsn=OTHER_BSN)
    msg = wijziging("W1", ongewijzigd=(101,), wijzigen=(te_wijzigen(nummer, volume=omvang(20)),))
    found = refused(aanbieder, operator, msg)
    assert (found[VERZOEK], found[CHANGED]) == (["0200"], ["9351"])


# --- TR357: a change that starts on or before the Dagtekening covers the whole allocation ------


@pytest.mark.parametrize(
    ("ingang", "expected"),
    [
        (DAGTEKENING, ["9357"]),
        (date(2023, 3, 1), ["9357"]),
        (date(2023, 8, 21), APPROVED),  # the day after: a change from the future on
        (date(2023, 1, 1), APPROVED),  # the allocation's Ingangsdatum: the whole period
    ],
    ids=["on-dagtekening", "in-the-past", "day-after-dagtekening", "allocation-start"],
)
def test_tr357_change_starting_on_or_before_the_dagtekening(
    ingang: date, expected: list[str], allocated: None, aanbieder: Party
) -> None:
    msg = wijziging("W1", wijzigen=(te_wijzigen(101, ingang, volume=omvang(20)),))
    assert judged(aanbieder.send(msg), CHANGED) == expected


# --- TR361: products of a change request do not overlap for the same product ------------------


@pytest.mark.parametrize(
    ("ingang", "expected"),
    [(date(2023, 12, 31), ["9361"]), (date(2024, 1, 1), APPROVED)],
    ids=["shares-the-last-day", "starts-the-day-after"],
)
def test_tr361_new_product_against_an_unchanged_one(
    ingang: date, expected: list[str], allocated: None, aanbieder: Party
) -> None:
    new = nieuw_product("01", "01A01", ingang, date(2024, 6, 30))
    msg = wijziging("W1", ongewijzigd=(101,), wijzigen=(), nieuw=(new,))
    assert judged(aanbieder.send(msg), NEW) == expected


@pytest.mark.parametrize(
    ("eind", "expected"),
    [(None, ["9361"]), (date(2023, 9, 30), APPROVED)],
    ids=["keeps-its-end", "shortened"],
)
def test_tr361_product_to_change_runs_to_its_new_end(
    eind: date | None, expected: list[str], allocated: None, aanbieder: Party
) -> None:
    # Decision: a product to change runs to its new Einddatum, else to the allocation's.
    changed = te_wijzigen(101, date(2023, 1, 1), eind, volume=omvang(10))
    new = nieuw_product("01", "01A01", date(2023, 10, 1), date(2023, 12, 31))
    msg = wijziging("W1", wijzigen=(changed,), nieuw=(new,))
    assert judged(aanbieder.send(msg), NEW) == expected


def test_tr361_other_products_may_overlap(allocated: None, aanbieder: Party) -> None:
    msg = wijziging("W1", ongewijzigd=(101,), wijzigen=(), nieuw=(nieuw_product("02", "02A01"),))
    assert accepted(aanbieder.send(msg).content)


# --- TR373: a changed budget or total volume applies from the allocation's start --------------


BUDGET = toegewezen(101, Product=m.Product(Categorie="01"), Omvang=None, Budget=100000)
TOTAL = toegewezen(101, Omvang=omvang(600, "01", "6"))


@pytest.mark.parametrize(
    ("allocation", "change"),
    [
        (BUDGET, {"budget": 120000, "eind": date(2023, 12, 31)}),
        (TOTAL, {"volume": omvang(700, "01", "6")}),
    ],
    ids=["budget", "total-volume"],
)
@pytest.mark.parametrize(
    ("ingang", "expected"),
    [(date(2023, 10, 1), ["9373"]), (date(2023, 1, 1), APPROVED)],
    ids=["later", "from-the-start"],
)
def test_tr373_budget_or_total_changes_from_the_allocations_start(
    allocation: m.ToegewezenProduct,
    change: dict[str, Any],
    ingang: date,
    expected: list[str],
    gemeente: Party,
    aanbieder: Party,
) -> None:
    allocate(gemeente, allocation)
    msg = wijziging("W1", wijzigen=(te_wijzigen(101, ingang, **change),))
    assert judged(aanbieder.send(msg), CHANGED) == expected


@pytest.mark.parametrize(
    ("allocation", "change"),
    [
        (BUDGET, {"budget": 100000, "eind": date(2023, 11, 30)}),  # same budget, shorter
        (toegewezen(101), {"volume": omvang(20)}),  # per day, not a total
    ],
    ids=["budget-unchanged", "volume-per-day"],
)
def test_tr373_other_changes_may_start_later(
    allocation: m.ToegewezenProduct, change: dict[str, Any], gemeente: Party, aanbieder: Party
) -> None:
    allocate(gemeente, allocation)
    msg = wijziging("W1", wijzigen=(te_wijzigen(101, date(2023, 10, 1), **change),))
    assert accepted(aanbieder.send(msg).content)


def test_tr373_total_allocation_changed_to_a_volume_per_day_later(
    gemeente: Party, aanbieder: Party
) -> None:
    allocate(gemeente, TOTAL)
    change = te_wijzigen(101, date(2023, 10, 1), volume=omvang(20, "01", "1"))
    assert codes(aanbieder.send(wijziging("W1", wijzigen=(change,))))[CHANGED] == ["9373"]


# --- TR375, TR411, TR412: Omvang of a product to change, by the allocation's Product -----------

GENERIC = {"Product": None, "Omvang": None, "Budget": 100000}  # no Product at all
CATEGORY_ONLY = {"Product": m.Product(Categorie="01"), "Omvang": None, "Budget": 100000}


@pytest.mark.parametrize(
    ("allocation", "expected"),
    [(GENERIC, ["9375"]), (CATEGORY_ONLY, ["9412"])],
    ids=["no-product", "category-without-code"],
)
def test_tr375_tr412_no_omvang_without_a_product_code(
    allocation: dict[str, Any],
    expected: list[str],
    gemeente: Party,
    aanbieder: Party,
    operator: Party,
) -> None:
    # Decision: TR375 is for an allocation without Product, TR412 for one with a category
    # but no code; never both.
    allocate(gemeente, toegewezen(101, **allocation))
    msg = wijziging("W1", wijzigen=(te_wijzigen(101, volume=omvang(20)),))
    assert refused(aanbieder, operator, msg)[CHANGED] == expected


@pytest.mark.parametrize("allocation", [GENERIC, CATEGORY_ONLY], ids=["no-product", "no-code"])
def test_tr375_tr412_budget_change_without_omvang(
    allocation: dict[str, Any], gemeente: Party, aanbieder: Party
) -> None:
    allocate(gemeente, toegewezen(101, **allocation))
    change = te_wijzigen(101, date(2023, 1, 1), date(2023, 12, 31), budget=150000)
    assert accepted(aanbieder.send(wijziging("W1", wijzigen=(change,))).content)


@pytest.mark.parametrize(
    ("allocation", "expected"), [(GENERIC, "9375"), (CATEGORY_ONLY, "9412")], ids=["9375", "9412"]
)
@pytest.mark.parametrize(
    ("eind", "refused_"),
    [(None, False), (date(2021, 1, 31), True)],
    ids=["ends-2020-12-31", "runs-into-2021"],
)
def test_tr375_tr412_apply_only_past_2020(
    allocation: dict[str, Any],
    expected: str,
    eind: date | None,
    refused_: bool,
    gemeente: Party,
    aanbieder: Party,
) -> None:
    # An allocation of 2020 keeps its own end unless the change gives a new one.
    allocate(
        gemeente,
        toegewezen(
            101,
            Ingangsdatum=date(2020, 1, 1),
            Einddatum=date(2020, 12, 31),
            Toewijzingsdatum=date(2020, 1, 1),
            **allocation,
        ),
    )
    change = te_wijzigen(101, date(2020, 1, 1), eind, volume=omvang(20))
    msg = wijziging("W1", wijzigen=(change,), dagtekening=date(2020, 12, 1))
    assert judged(aanbieder.send(msg), CHANGED) == ([expected] if refused_ else APPROVED)


def test_tr411_no_omvang_for_an_allocation_with_a_code(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    msg = wijziging("W1", wijzigen=(te_wijzigen(101, eind=date(2023, 11, 30)),))
    assert refused(aanbieder, operator, msg)[CHANGED] == ["9411"]


def test_tr411_omvang_for_an_allocation_with_a_code(allocated: None, aanbieder: Party) -> None:
    change = te_wijzigen(101, eind=date(2023, 11, 30), volume=omvang(10))
    assert accepted(aanbieder.send(wijziging("W1", wijzigen=(change,))).content)


# --- answers (319): TR355, TR359, TR360, TR365 ------------------------------------------------


def answer_codes(gemeente: Party, operator: Party, msg: m.WMO319) -> list[str]:
    """Send an answer expected to be refused; return the Antwoord's codes."""
    return refused(gemeente, operator, msg)[ANTWOORD]


def answers(who: Party) -> list[tuple[str, str]]:
    return [
        (v["referentie_aanbieder"], a["verzoek_antwoord"])
        for v in who.get("/v1/verzoeken").json()["items"]
        for a in v["answers"]
    ]


def test_tr355_answer_to_no_request(gemeente: Party, aanbieder: Party, operator: Party) -> None:
    assert answer_codes(gemeente, operator, antwoord("R1")) == ["9355"]


def test_tr355_answer_to_another_providers_request(
    app: Any, services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    other = party(app, services, OTHER_AANBIEDER, "provider")
    other.send(verzoek_om_toewijzing("R1", aanbieder=OTHER_AANBIEDER))
    assert answer_codes(gemeente, operator, antwoord("R1")) == ["9355"]


def test_tr355_answer_to_a_request_sent_to_another_municipality(
    app: Any, services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    party(app, services, "0363", "municipality")
    assert accepted(aanbieder.send(verzoek_om_toewijzing("R1", gemeente="0363")).content)
    assert answer_codes(gemeente, operator, antwoord("R1")) == ["9355"]


@pytest.mark.parametrize("kind", ["315", "317"])
def test_tr355_answer_to_a_request(kind: str, gemeente: Party, aanbieder: Party) -> None:
    if kind == "315":
        aanbieder.send(verzoek_om_toewijzing("R1"))
    else:
        allocate(gemeente, toegewezen(101))
        aanbieder.send(wijziging("R1"))
    assert approved(gemeente.send(antwoord("R1")))
    assert answers(gemeente) == [("R1", "1")]


def test_tr359_answer_after_the_request_was_granted(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(toewijzingen(toegewezen(101, ReferentieAanbieder="R1")))
    assert answer_codes(gemeente, operator, antwoord("R1")) == ["9359"]
    assert statuses(operator) == {"R1": "toegewezen"}


def test_tr359_answer_before_the_request_was_granted(gemeente: Party, aanbieder: Party) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    assert accepted(gemeente.send(antwoord("R1", "2")).content)
    assert accepted(gemeente.send(toewijzingen(toegewezen(101, ReferentieAanbieder="R1"))).content)


@pytest.mark.parametrize(
    ("earlier", "expected"),
    [("2", ["9360"]), ("1", ["9360", "9365"])],
    ids=["after-under-review", "after-rejection"],
)
def test_tr360_under_review_only_as_the_first_answer(
    earlier: str, expected: list[str], gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(antwoord("R1", earlier))
    assert answer_codes(gemeente, operator, antwoord("R1", "2")) == expected


def test_tr360_under_review_as_the_first_answer(gemeente: Party, aanbieder: Party) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    assert approved(gemeente.send(antwoord("R1", "2")))
    assert answers(gemeente) == [("R1", "2")]


def test_tr365_no_answer_after_a_rejection(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(antwoord("R1", "1"))
    assert answer_codes(gemeente, operator, antwoord("R1", "1")) == ["9365"]


def test_tr365_rejection_after_under_review(gemeente: Party, aanbieder: Party) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(antwoord("R1", "2"))
    assert approved(gemeente.send(antwoord("R1", "1")))
    assert answers(gemeente) == [("R1", "2"), ("R1", "1")]
    assert statuses(gemeente) == {"R1": "afgewezen"}


def test_requested_product_details_are_recorded(aanbieder: Party, gemeente: Party) -> None:
    product = aangevraagd("R1", "02", "02A01", date(2023, 9, 1), None)
    assert accepted(aanbieder.send(verzoek_om_toewijzing(product)).content)
    [request] = aanbieder.get("/v1/verzoeken").json()["items"]
    assert request["details"]["Product"] == {"Categorie": "02", "Code": "02A01"}
    assert request["details"]["ToewijzingEinddatum"] is None
