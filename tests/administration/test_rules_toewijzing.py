"""Rules on allocations (WMO301) against the administration (TR332, TR379, TR385) and the
product code list (TR381, on every message type that names a product)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.services import Services
from app.standard import messages as m
from tests.administration.helpers import (
    GEMEENTE,
    OTHER_AANBIEDER,
    OTHER_BSN,
    Party,
    aangevraagd,
    accepted,
    add_product_codes,
    administratie,
    antwoord,
    approved,
    declaratie,
    nieuw_product,
    party,
    prestatie,
    retour_codes,
    start,
    stop,
    toegewezen,
    toewijzingen,
    verwijderd,
    verzoek_om_toewijzing,
    verzoek_om_wijziging,
)

PRODUCT = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]"


def allocation_codes(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return retour_codes(r.content)[PRODUCT]


def allocations(who: Party) -> list[dict[str, Any]]:
    return [
        who.get(f"/v1/toewijzingen/{a['id']}").json()
        for a in who.get("/v1/toewijzingen").json()["items"]
    ]


def requests(who: Party) -> dict[str, str]:
    return {
        v["referentie_aanbieder"]: v["status"] for v in who.get("/v1/verzoeken").json()["items"]
    }


@pytest.fixture
def allocated(gemeente: Party, aanbieder: Party) -> None:
    assert approved(gemeente.send(toewijzingen(toegewezen(101))))


# --- TR332: an allocation number belongs to one client and one provider per municipality -----


def test_tr332_number_used_for_another_client(
    allocated: None, gemeente: Party, operator: Party
) -> None:
    before = administratie(operator)
    r = gemeente.send(toewijzingen(toegewezen(101), bsn=OTHER_BSN))
    assert allocation_codes(r) == ["9332"]
    assert administratie(operator) == before


def test_tr332_number_used_for_another_provider(
    app: Any, services: Services, allocated: None, gemeente: Party, operator: Party
) -> None:
    party(app, services, OTHER_AANBIEDER, "provider")
    before = administratie(operator)
    r = gemeente.send(toewijzingen(toegewezen(101), aanbieder=OTHER_AANBIEDER))
    assert allocation_codes(r) == ["9332"]
    assert administratie(operator) == before


def test_tr332_same_number_same_client_and_provider_is_a_new_version(
    allocated: None, gemeente: Party
) -> None:
    r = gemeente.send(toewijzingen(toegewezen(101, Einddatum=date(2023, 11, 30))))
    assert approved(r)
    [allocation] = allocations(gemeente)
    assert [v["einddatum"] for v in allocation["versions"]] == ["2023-12-31", "2023-11-30"]


@pytest.mark.parametrize(
    "product",
    [m.Product(Categorie="01", Code="01A02"), m.Product(Categorie="02", Code="02A01"), None],
    ids=["other-code", "other-category", "no-product"],
)
def test_tr332_a_known_number_for_another_product(
    product: m.Product | None, allocated: None, gemeente: Party, operator: Party
) -> None:
    before = administratie(operator)
    changes: dict[str, Any] = {"Product": product}
    if product is None:  # a generic allocation: a budget instead of a volume
        changes.update(Omvang=None, Budget=10_000)
    r = gemeente.send(toewijzingen(toegewezen(101, **changes)))
    assert allocation_codes(r) == ["9332"]
    assert administratie(operator) == before


def test_tr332_another_municipality_may_use_the_same_number(
    app: Any, services: Services, allocated: None, operator: Party
) -> None:
    amsterdam = party(app, services, "0363", "municipality")
    r = amsterdam.send(toewijzingen(toegewezen(101), bsn=OTHER_BSN, gemeente="0363"))
    assert approved(r)
    assert sorted((a["municipality_code"], a["nummer"]) for a in allocations(operator)) == [
        ("0363", 101),
        (GEMEENTE, 101),
    ]


# --- TR379: ReferentieAanbieder refers to a request for this client --------------------------


def honouring(referentie: str, **kwargs: Any) -> m.WMO301:
    return toewijzingen(toegewezen(101, ReferentieAanbieder=referentie), **kwargs)


def test_tr379_reference_to_no_request(gemeente: Party, aanbieder: Party, operator: Party) -> None:
    r = gemeente.send(honouring("R1"))
    assert allocation_codes(r) == ["9379"]
    assert allocations(operator) == []


def test_tr379_reference_to_a_request_for_another_client(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1", bsn=OTHER_BSN))
    assert allocation_codes(gemeente.send(honouring("R1"))) == ["9379"]
    assert allocations(operator) == []
    assert requests(operator) == {"R1": "open"}


def test_tr379_reference_to_another_providers_request(
    app: Any, services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    other = party(app, services, OTHER_AANBIEDER, "provider")
    assert accepted(other.send(verzoek_om_toewijzing("R1", aanbieder=OTHER_AANBIEDER)).content)
    assert allocation_codes(gemeente.send(honouring("R1"))) == ["9379"]
    assert allocations(operator) == []


def test_tr379_reference_to_a_rejected_request(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    assert accepted(gemeente.send(antwoord("R1", "1")).content)
    assert allocation_codes(gemeente.send(honouring("R1"))) == ["9379"]
    assert requests(operator) == {"R1": "afgewezen"}


def test_tr379_reference_to_an_open_request_grants_it(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    assert approved(gemeente.send(honouring("R1")))
    assert requests(operator) == {"R1": "toegewezen"}
    assert allocations(operator)[0]["referentie_aanbieder"] == "R1"


def test_tr379_reference_to_a_change_request(
    allocated: None, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    # Honouring a 317: every allocated product carries the request's reference.
    vow = verzoek_om_wijziging("W1", ongewijzigd=(101,), nieuw=(nieuw_product(),))
    assert accepted(aanbieder.send(vow).content)
    new = toegewezen(
        102,
        ReferentieAanbieder="W1",
        Product=m.Product(Categorie="02", Code="02A01"),
        Ingangsdatum=date(2023, 10, 1),
    )
    msg = toewijzingen(toegewezen(101, ReferentieAanbieder="W1"), new)
    assert accepted(gemeente.send(msg).content)
    assert requests(operator) == {"W1": "toegewezen"}


def test_tr379_a_later_change_may_not_carry_the_honoured_reference(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    """IV097: a change on the municipality's initiative carries no ReferentieAanbieder,
    "ook niet als in een eerder bericht ... wel een gevuld element ReferentieAanbieder had"."""
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(honouring("R1"))
    before = administratie(operator)
    changed = toewijzingen(toegewezen(101, ReferentieAanbieder="R1", Einddatum=date(2023, 11, 30)))
    assert allocation_codes(gemeente.send(changed)) == ["9379"]
    assert administratie(operator) == before


def test_tr379_a_later_change_without_the_reference(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(honouring("R1"))
    changed = toewijzingen(toegewezen(101, Einddatum=date(2023, 11, 30)))
    assert approved(gemeente.send(changed))
    [allocation] = allocations(operator)
    assert [v["referentie_aanbieder"] for v in allocation["versions"]] == ["R1", None]


def test_tr379_an_unchanged_repeat_may_keep_the_reference(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(verzoek_om_toewijzing("R1"))
    gemeente.send(honouring("R1"))
    assert approved(gemeente.send(honouring("R1")))
    [allocation] = allocations(operator)
    assert len(allocation["versions"]) == 1


# --- TR385: no deletion of an allocation with granted, uncredited declaration lines ----------


def test_tr385_deleting_an_allocation_with_a_granted_line(
    allocated: None, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    assert accepted(aanbieder.send(declaratie(prestatie("P1"))).content)
    before = administratie(operator)
    assert allocation_codes(gemeente.send(toewijzingen(verwijderd(101)))) == ["9385"]
    assert administratie(operator) == before


def test_tr385_deleting_after_the_line_was_credited(
    allocated: None, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(declaratie(prestatie("P1")))
    credit = declaratie(prestatie("C1", credit_van="P1"), periode=date(2023, 4, 1))
    assert accepted(aanbieder.send(credit).content)
    assert approved(gemeente.send(toewijzingen(verwijderd(101))))
    [allocation] = allocations(operator)
    assert (allocation["reden_wijziging"], allocation["deleted"]) == ("13", True)


def test_tr385_refused_lines_do_not_count(
    allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    refused = prestatie("P1", volume=311, tarief=50)  # more than 31 x 10 minutes (TR321)
    r = aanbieder.send(declaratie(refused))
    assert (
        "9321"
        in retour_codes(r.content)[
            "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[1]"
        ]
    )
    assert approved(gemeente.send(toewijzingen(verwijderd(101))))


def test_tr385_other_changes_to_an_allocation_with_granted_lines(
    allocated: None, gemeente: Party, aanbieder: Party
) -> None:
    aanbieder.send(declaratie(prestatie("P1")))
    shorter = toewijzingen(toegewezen(101, Einddatum=date(2023, 6, 30), RedenWijziging="05"))
    assert approved(gemeente.send(shorter))


# --- TR381: a product code belongs to its category in the product code list ------------------

LISTED, UNLISTED = "01A02", "01A99"
START = "/Bericht/Client/StartProducten/StartProduct[1]"
STOP = "/Bericht/Client/StopProducten/StopProduct[1]"
REQUESTED = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]"
NEW = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]"
LINE = "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[1]"


def with_product(code: str) -> m.WMO301:
    return toewijzingen(toegewezen(101, Product=m.Product(Categorie="01", Code=code)))


# name -> code -> (sent before the list is filled, message judged, level of its product)
TR381_CASES: dict[str, Callable[[str], tuple[list[Any], Any, str]]] = {
    "WMO301": lambda code: ([], with_product(code), PRODUCT),
    "WMO305": lambda code: ([toewijzingen(toegewezen(101))], start(code=code), START),
    "WMO307": lambda code: (
        [toewijzingen(toegewezen(101)), start(code=code)],
        stop("23", date(2023, 6, 20), code=code),
        STOP,
    ),
    "WMO315": lambda code: ([], verzoek_om_toewijzing(aangevraagd("R1", "01", code)), REQUESTED),
    "WMO317": lambda code: (
        [toewijzingen(toegewezen(101))],
        verzoek_om_wijziging(
            "W1",
            ongewijzigd=(101,),
            nieuw=(nieuw_product("01", code, date(2024, 1, 1), date(2024, 12, 31)),),
        ),
        NEW,
    ),
    "WMO323": lambda code: (
        [with_product(code)],
        declaratie(prestatie("P1", code=code)),
        LINE,
    ),
}


def run_tr381(
    name: str, code: str, services: Services, parties: dict[str, Party], operator: Party
) -> tuple[Any, str, dict[str, Any]]:
    """Send the case's message once the list holds 01A01 and 01A02 for category 01; return
    the answer, the level of the product and the administration just before."""
    before_list, msg, path = TR381_CASES[name](code)
    for earlier in before_list:
        assert accepted(parties[earlier.Header.Afzender].send(earlier).content)
    add_product_codes(services, "01", "01A01", LISTED)
    before = administratie(operator)
    return parties[msg.Header.Afzender].send(msg), path, before


@pytest.fixture
def parties(gemeente: Party, aanbieder: Party) -> dict[str, Party]:
    return {GEMEENTE: gemeente, aanbieder.code: aanbieder}


@pytest.mark.parametrize("name", list(TR381_CASES))
def test_tr381_code_outside_the_listed_category(
    name: str, services: Services, parties: dict[str, Party], operator: Party
) -> None:
    r, path, before = run_tr381(name, UNLISTED, services, parties, operator)
    assert retour_codes(r.content)[path] == ["S329"]
    if name == "WMO323":
        # A declaration keeps its refused lines on record, with their codes.
        [d] = administratie(operator)["declaraties"]
        assert [(x["status"], x["retourcodes"]) for x in d["lines"]] == [("afgewezen", ["S329"])]
    else:
        assert administratie(operator) == before


@pytest.mark.parametrize("name", list(TR381_CASES))
def test_tr381_code_listed_for_its_category(
    name: str, services: Services, parties: dict[str, Party], operator: Party
) -> None:
    r, _, before = run_tr381(name, LISTED, services, parties, operator)
    assert accepted(r.content), retour_codes(r.content)
    assert administratie(operator) != before


def test_tr381_category_without_listed_codes_is_not_judged(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    # Decision: only categories the list holds codes for are judged.
    add_product_codes(services, "01", "01A01")
    product = m.Product(Categorie="02", Code="ZZZZZ")
    r = gemeente.send(toewijzingen(toegewezen(101, Product=product)))
    assert approved(r)
