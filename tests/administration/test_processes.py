"""The process steps end to end, as the read API shows them: allocation versions, deleting an
allocation, requests answered and honoured, and a declaration with refused lines, a credit and
the municipality's own answer."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest

from app.services import Services
from app.standard import catalogue, parsing
from app.standard import messages as m
from tests.administration.helpers import (
    Party,
    accepted,
    afgewezen,
    antwoord,
    approved,
    declaratie,
    declaratie_antwoord,
    declared_lines,
    decode,
    omvang,
    prestatie,
    retour_codes,
    te_wijzigen,
    toegewezen,
    toewijzingen,
    verwijderd,
    verzoek_om_toewijzing,
    verzoek_om_wijziging,
)

PRODUCT = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[{}]"


def valid(services: Services, body: bytes, name: str) -> None:
    parsed = parsing.parse(body)
    assert parsed.message_type is catalogue.get(name)
    assert services.validator.schemas.validate(parsed.root, parsed.message_type) == []


def the_allocation(who: Party, nummer: int = 101, **params: Any) -> dict[str, Any]:
    [found] = [a for a in who.get("/v1/toewijzingen").json()["items"] if a["nummer"] == nummer]
    return who.get(f"/v1/toewijzingen/{found['id']}", **params).json()


def requests(who: Party) -> list[dict[str, Any]]:
    return who.get("/v1/verzoeken").json()["items"]


# --- allocations ----------------------------------------------------------------------------


def test_a_changed_allocation_is_a_new_version(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    assert accepted(gemeente.send(toewijzingen(toegewezen(101))).content)
    changed = toegewezen(
        101,
        Toewijzingsdatum=date(2023, 9, 1),
        Toewijzingstijd=time(9, 0),
        RedenWijziging="04",
        Omvang=omvang(20),
    )
    r = gemeente.send(toewijzingen(changed, dagtekening=date(2023, 9, 1)))
    valid(services, r.content, "WMO302")
    assert approved(r)

    allocation = the_allocation(aanbieder)
    assert (allocation["version"], allocation["volume"]) == (2, 20)
    assert [(v["version"], v["volume"], v["toewijzingsdatum"]) for v in allocation["versions"]] == [
        (1, 10, "2023-08-13"),
        (2, 20, "2023-09-01"),
    ]
    assert allocation["versions"][0]["message_id"] != allocation["versions"][1]["message_id"]


@pytest.mark.parametrize(
    ("peildatum", "version"),
    [("2023-08-12", None), ("2023-08-13", 1), ("2023-08-31", 1), ("2023-09-01", 2)],
)
def test_peildatum_picks_the_version_by_toewijzingsdatum(
    peildatum: str, version: int | None, gemeente: Party, aanbieder: Party
) -> None:
    gemeente.send(toewijzingen(toegewezen(101)))
    later = toegewezen(101, Toewijzingsdatum=date(2023, 9, 1), Omvang=omvang(20))
    gemeente.send(toewijzingen(later, dagtekening=date(2023, 9, 1)))
    as_of = the_allocation(gemeente, peildatum=peildatum)["as_of"]
    assert (as_of["version"] if as_of else None) == version


def test_an_unchanged_allocation_repeated_makes_no_new_version(
    gemeente: Party, aanbieder: Party
) -> None:
    # Every 301 repeats the client's current allocations; only what changed is a version.
    gemeente.send(toewijzingen(toegewezen(101)))
    second = toegewezen(102, Product=m.Product(Categorie="02", Code="02A01"))
    r = gemeente.send(toewijzingen(toegewezen(101), second))
    assert approved(r)
    assert [v["version"] for v in the_allocation(gemeente, 101)["versions"]] == [1]
    assert [v["version"] for v in the_allocation(gemeente, 102)["versions"]] == [1]


def test_a_changed_allocation_repeated_without_its_reason_is_no_new_version(
    gemeente: Party, aanbieder: Party
) -> None:
    """IV099: RedenWijziging is empty on an allocation unchanged since it was last sent;
    the repeat says nothing new."""
    gemeente.send(toewijzingen(toegewezen(101)))
    changed = {"Toewijzingsdatum": date(2023, 9, 1), "Omvang": omvang(20)}
    later = date(2023, 9, 1)
    gemeente.send(toewijzingen(toegewezen(101, RedenWijziging="04", **changed), dagtekening=later))
    r = gemeente.send(toewijzingen(toegewezen(101, **changed), dagtekening=later))
    assert approved(r)
    allocation = the_allocation(aanbieder)
    assert [(v["version"], v["reden_wijziging"]) for v in allocation["versions"]] == [
        (1, None),
        (2, "04"),
    ]
    assert allocation["reden_wijziging"] == "04"


def test_a_deleted_allocation_repeated_without_its_reason_stays_deleted(
    gemeente: Party, aanbieder: Party
) -> None:
    gemeente.send(toewijzingen(toegewezen(101)))
    gemeente.send(toewijzingen(verwijderd(101)))
    repeated = verwijderd(101)
    repeated.RedenWijziging = None
    assert approved(gemeente.send(toewijzingen(repeated)))
    allocation = the_allocation(aanbieder)
    assert (allocation["deleted"], len(allocation["versions"])) == (True, 2)


def test_an_older_decision_received_late_does_not_replace_the_current_one(
    gemeente: Party, aanbieder: Party
) -> None:
    """The allocation with the latest Toewijzingsdatum and -tijd is the current one, in
    whatever order they arrive (IV013, OP080); the late one joins the history."""
    newer = toegewezen(101, Toewijzingsdatum=date(2023, 9, 1), Toewijzingstijd=time(9, 0))
    gemeente.send(toewijzingen(newer, dagtekening=date(2023, 9, 1)))
    older = toegewezen(
        101,
        Toewijzingsdatum=date(2023, 8, 20),
        Einddatum=date(2023, 6, 30),
        RedenWijziging="05",
    )
    assert approved(gemeente.send(toewijzingen(older, dagtekening=date(2023, 9, 2))))
    allocation = the_allocation(aanbieder)
    assert (allocation["einddatum"], allocation["toewijzingsdatum"]) == (
        "2023-12-31",
        "2023-09-01",
    )
    assert [(v["version"], v["toewijzingsdatum"]) for v in allocation["versions"]] == [
        (1, "2023-09-01"),
        (2, "2023-08-20"),
    ]
    # On a day between the two decisions, the older one was the allocation in force.
    as_of = the_allocation(aanbieder, peildatum="2023-08-25")["as_of"]
    assert (as_of["version"], as_of["einddatum"]) == (2, "2023-06-30")


def test_deleting_an_allocation(gemeente: Party, aanbieder: Party) -> None:
    gemeente.send(toewijzingen(toegewezen(101)))
    r = gemeente.send(toewijzingen(verwijderd(101)))
    assert approved(r)
    allocation = the_allocation(aanbieder)
    assert (allocation["deleted"], allocation["reden_wijziging"]) == (True, "13")
    assert (allocation["ingangsdatum"], allocation["einddatum"]) == ("2023-01-01", "2023-01-01")
    assert [(v["version"], v["reden_wijziging"]) for v in allocation["versions"]] == [
        (1, None),
        (2, "13"),
    ]
    assert aanbieder.get("/v1/toewijzingen", current_on="2023-06-01").json()["items"] == []


def test_a_deleted_allocation_is_not_current_on_its_one_day(
    gemeente: Party, aanbieder: Party
) -> None:
    gemeente.send(toewijzingen(toegewezen(101)))
    gemeente.send(toewijzingen(verwijderd(101)))
    assert aanbieder.get("/v1/toewijzingen", current_on="2023-01-01").json()["items"] == []


# --- requests -------------------------------------------------------------------------------


def test_request_under_review_then_honoured(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    r = aanbieder.send(verzoek_om_toewijzing("R1"))
    valid(services, r.content, "WMO316")
    assert accepted(r.content)
    assert [(v["kind"], v["status"]) for v in requests(gemeente)] == [("VOT", "open")]

    r = gemeente.send(antwoord("R1", "2"))
    valid(services, r.content, "WMO320")
    assert approved(r)
    assert requests(aanbieder)[0]["status"] == "in_onderzoek"

    r = gemeente.send(toewijzingen(toegewezen(101, ReferentieAanbieder="R1")))
    assert approved(r)
    [request] = requests(aanbieder)
    assert request["status"] == "toegewezen"
    assert [(a["verzoek_antwoord"], a["reden_afwijzing"]) for a in request["answers"]] == [
        ("2", None)
    ]
    assert the_allocation(aanbieder)["referentie_aanbieder"] == "R1"


def test_change_request_rejected(services: Services, gemeente: Party, aanbieder: Party) -> None:
    gemeente.send(toewijzingen(toegewezen(101)))
    vow = verzoek_om_wijziging("W1", wijzigen=(te_wijzigen(101, volume=omvang(20)),))
    r = aanbieder.send(vow)
    valid(services, r.content, "WMO318")
    assert accepted(r.content)

    r = gemeente.send(antwoord("W1", "1"))
    assert approved(r)
    [request] = requests(aanbieder)
    assert (request["kind"], request["status"], request["reden_afwijzing"]) == (
        "VOW",
        "afgewezen",
        "7",
    )
    assert [a["verzoek_antwoord"] for a in request["answers"]] == ["1"]
    # The allocation is untouched, and the provider may ask again.
    assert the_allocation(aanbieder)["volume"] == 10
    again = verzoek_om_wijziging("W2", wijzigen=(te_wijzigen(101, volume=omvang(20)),))
    assert accepted(aanbieder.send(again).content)


# --- declarations ---------------------------------------------------------------------------


def test_declaration_with_refused_lines_a_credit_and_the_municipalitys_answer(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    second = toegewezen(102, Product=m.Product(Categorie="02", Code="02A01"))
    gemeente.send(toewijzingen(toegewezen(101), second))

    # March: P1 fits; P2 declares 311 minutes where 310 are allocated; P3 names no allocation.
    march = declaratie(
        prestatie("P1", 101, volume=300),
        prestatie("P2", 102, volume=311, categorie="02", code="02A01"),
        prestatie("P3", 999, volume=10),
    )
    r = aanbieder.send(march)
    valid(services, r.content, "WMO325")
    a = decode(r.content).DeclaratieAntwoord
    assert afgewezen(r.content) == {"P2": ["9321"], "P3": ["9338"]}
    assert (a.TotaalIngediendBedrag.TotaalBedrag, a.TotaalToegekendBedrag.TotaalBedrag) == (
        (300 + 311 + 10) * 50,
        300 * 50,
    )
    assert declared_lines(aanbieder) == {
        "P1": ("toegekend", []),
        "P2": ("afgewezen", ["9321"]),
        "P3": ("afgewezen", ["9338"]),
    }

    # April: P1 credited and declared again at 310 minutes, and April's own care.
    april = declaratie(
        prestatie("C1", 101, volume=300, credit_van="P1"),
        prestatie("P4", 101, volume=310),
        prestatie("P5", 101, begin=date(2023, 4, 1), volume=200),
        periode=date(2023, 4, 1),
    )
    r = aanbieder.send(april)
    a = decode(r.content).DeclaratieAntwoord
    assert (a.RetourCodes, a.Clienten) == (["8001"], [])
    assert a.TotaalToegekendBedrag.TotaalBedrag == (-300 + 310 + 200) * 50

    # The municipality's own answer refuses April's care after all.
    r = gemeente.send(declaratie_antwoord(april, {"P5": ["9321"]}))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert declared_lines(aanbieder) == {
        "P1": ("toegekend", []),
        "P2": ("afgewezen", ["9321"]),
        "P3": ("afgewezen", ["9338"]),
        "C1": ("toegekend", []),
        "P4": ("toegekend", []),
        "P5": ("afgewezen", ["9321"]),
    }
    declarations = {
        d["declaratienummer"]: d for d in aanbieder.get("/v1/declaraties").json()["items"]
    }
    answered = declarations[april.Declaratie.DeclaratieNummer]
    assert (answered["totaal_ingediend"], answered["totaal_toegekend"]) == (
        (-300 + 310 + 200) * 50,
        (-300 + 310) * 50,
    )
    assert answered["answer_message_id"] == r.json()["message_id"]
    assert declarations[march.Declaratie.DeclaratieNummer]["totaal_toegekend"] == 300 * 50

    # P1 was credited, but P4 still stands: the allocation cannot be deleted (TR385).
    r = gemeente.send(toewijzingen(verwijderd(101), second))
    assert retour_codes(r.content)[PRODUCT.format(1)] == ["9385"]
