"""The whole chain on the shipped Amersfoort configuration: a generic decision, a delegation
to a subcontractor, its start and stops relayed to the municipality at function level, and
the municipality's retours coming back. Every message on the way validates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app import retour
from app.findings import Finding
from app.services import Services
from app.standard import catalogue, codec, parsing
from app.standard import messages as m
from tests.administration.helpers import (
    BSN,
    Party,
    approved,
    retour_codes,
    start,
    stop,
    toegewezen,
    toewijzingen,
)
from tests.routing.conftest import keyed

TODAY = date(2027, 3, 1)
GEMEENTE, MAIN, SUB = "0307", "99000001", "99000002"
DECISION = 5001


@pytest.fixture
def clock(services: Services, monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(services.intake, "clock", lambda: TODAY)
    return TODAY


@pytest.fixture
def parties(app: Any, services: Services, region: Any, clock: date) -> dict[str, Party]:
    return {code: keyed(app, services, code) for code in (GEMEENTE, MAIN, SUB, "99000003")}


def valid(services: Services, body: bytes, name: str) -> Any:
    parsed = parsing.parse(body)
    assert parsed.message_type is catalogue.get(name)
    assert services.validator.check(body).findings == []
    return codec.decode(parsed.root)


def generic_decision(**changes: Any) -> m.WMO301:
    """Decision 5001 of 0307 to the main contractor: no product, a budget, 2027."""
    fields: dict[str, Any] = {
        "Product": None,
        "Omvang": None,
        "Budget": 1_500_000,
        "Toewijzingsdatum": date(2027, 1, 5),
        "Ingangsdatum": date(2027, 1, 1),
        "Einddatum": date(2027, 12, 31),
    }
    fields.update(changes)
    product = toegewezen(DECISION, **fields)
    return toewijzingen(product, gemeente=GEMEENTE, aanbieder=MAIN, dagtekening=date(2027, 1, 5))


def mailbox(who: Party) -> list[dict[str, Any]]:
    return who.get("/v1/mailbox").json()["items"]


def fetch(who: Party, item: dict[str, Any]) -> bytes:
    r = who.get(f"/v1/mailbox/{item['id']}")
    assert r.status_code == 200, r.text
    assert who.client.post(f"/v1/mailbox/{item['id']}/ack").status_code == 204
    return r.content


def _line(changes: dict[str, Any]) -> dict[str, Any]:
    """The subcontractor's delegated allocation 900000000 (begeleiding IN3 from 1 Feb)."""
    params: dict[str, Any] = {
        "nummer": 900_000_000,
        "begindatum": date(2027, 2, 3),
        "categorie": "02",
        "code": "02N03",
        "ingangsdatum": date(2027, 2, 1),
        "gemeente": GEMEENTE,
        "aanbieder": SUB,
    }
    params.update(changes)
    return params


def sub_start(**changes: Any) -> m.WMO305:
    msg = start(**_line(changes))
    msg.Header.BerichtIdentificatie.Dagtekening = TODAY
    return msg


def sub_stop(reden: str, einddatum: date, **changes: Any) -> m.WMO307:
    msg = stop(reden, einddatum, **_line(changes))
    msg.Header.BerichtIdentificatie.Dagtekening = TODAY
    return msg


def decided(parties: dict[str, Party]) -> int:
    assert approved(parties[GEMEENTE].send(generic_decision()))
    [decision] = parties[MAIN].get("/v1/decisions").json()["items"]
    return int(decision["id"])


def delegate(parties: dict[str, Party], decision_id: int, **body: Any) -> Any:
    payload = {
        "decision_id": decision_id,
        "function": "begeleiding-in3",
        "subcontractor": SUB,
        "begindatum": "2027-02-01",
    }
    payload.update(body)
    return parties[MAIN].client.post("/v1/delegations", json=payload)


# --- the scenario of the issue --------------------------------------------------------------


def test_the_whole_chain(services: Services, parties: dict[str, Party]) -> None:
    gemeente, main, sub = parties[GEMEENTE], parties[MAIN], parties[SUB]

    # 1. The municipality allocates a generic decision to the main contractor.
    r = gemeente.send(generic_decision())
    assert approved(r), gemeente.get("/v1/berichten/1").json()["findings"]
    valid(services, r.content, "WMO302")
    [decision] = main.get("/v1/decisions").json()["items"]
    assert (decision["contract"], decision["toewijzing_nummer"]) == (
        "amersfoort-begeleiding",
        DECISION,
    )
    [item] = mailbox(main)
    assert (item["kind"], item["message_type"], item["sender_code"]) == (
        "message",
        "WMO301",
        GEMEENTE,
    )
    fetch(main, item)

    # 2. The main contractor delegates begeleiding IN3 to a subcontractor.
    r = delegate(parties, decision["id"])
    assert r.status_code == 201, r.text
    delegation = r.json()
    assert (delegation["toewijzing_nummer"], delegation["code"], delegation["status"]) == (
        900_000_000,
        "02N03",
        "sent",
    )

    # 3. The subcontractor finds a standard WMO301 from the municipality in its mailbox.
    [item] = mailbox(sub)
    allocation = valid(services, fetch(sub, item), "WMO301")
    assert (allocation.Header.Afzender, allocation.Header.Ontvanger) == (GEMEENTE, SUB)
    assert allocation.Header.BerichtIdentificatie.Identificatie.startswith("IH")
    assert allocation.Client.Bsn == BSN
    [product] = allocation.Client.ToegewezenProducten
    assert (product.ToewijzingNummer, product.Product.Categorie, product.Product.Code) == (
        900_000_000,
        "02",
        "02N03",
    )
    assert (product.Ingangsdatum, product.Einddatum) == (date(2027, 2, 1), date(2027, 12, 31))

    # ... and answers it with its WMO302, which reaches the main contractor.
    r = sub.send(retour.build(allocation, dagtekening=TODAY))
    assert r.status_code == 200, r.text
    assert main.get(f"/v1/delegations/{delegation['id']}").json()["status"] == "confirmed"
    [item] = mailbox(main)
    assert (item["kind"], item["message_type"]) == ("retour", "WMO302")
    fetch(main, item)

    # 4. The subcontractor starts; the municipality receives the main contractor's start at
    #    function level, the main contractor a copy of the subcontractor's.
    r = sub.send(sub_start())
    assert approved(r)
    valid(services, r.content, "WMO306")
    relay_305 = _relayed(services, gemeente, main, "WMO305")
    [line] = relay_305.Client.StartProducten
    assert relay_305.Header.Afzender == MAIN
    assert (line.ToewijzingNummer, line.Product.Categorie, line.Product.Code) == (
        DECISION,
        "02",
        "02N03",
    )
    assert (line.ToewijzingIngangsdatum, line.Begindatum) == (date(2027, 1, 1), date(2027, 2, 3))
    r = gemeente.send(retour.build(relay_305, dagtekening=TODAY))
    assert r.status_code == 200, r.text
    [relay] = main.get("/v1/relays").json()["items"]
    assert relay["status"] == "accepted"
    assert sub.get("/v1/relays").json()["items"][0]["status"] == "accepted"
    [item] = mailbox(main)
    assert (item["kind"], item["message_type"]) == ("retour", "WMO306")
    fetch(main, item)

    # 5. A temporary stop, then a definitive one, each relayed and answered.
    for reden, einddatum in (("20", date(2027, 2, 20)), ("23", date(2027, 2, 20))):
        r = sub.send(sub_stop(reden, einddatum))
        assert approved(r), r.text
        valid(services, r.content, "WMO308")
        relay_307 = _relayed(services, gemeente, main, "WMO307")
        [line] = relay_307.Client.StopProducten
        assert (line.ToewijzingNummer, line.Product.Code, line.RedenBeeindiging) == (
            DECISION,
            "02N03",
            reden,
        )
        assert gemeente.send(retour.build(relay_307, dagtekening=TODAY)).status_code == 200
        fetch(main, mailbox(main)[0])

    # The administration holds both levels: the subcontractor's delivery on its own number,
    # the main contractor's at function level on the municipality's decision.
    deliveries = {
        (d["provider_code"], d["toewijzing_nummer"]): d
        for d in gemeente.get("/v1/leveringen").json()["items"]
    }
    function_level = deliveries[(MAIN, DECISION)]
    assert (function_level["product_code"], function_level["begindatum"]) == (
        "02N03",
        "2027-02-03",
    )
    assert [s["reden_beeindiging"] for s in function_level["stops"]] == ["20", "23"]
    assert [r["status"] for r in main.get("/v1/relays").json()["items"]] == ["accepted"] * 3

    # 6. The deployment report shows it: begeleiding IN3, delivered by the subcontractor.
    r = gemeente.get("/v1/reports/deployment", **{"from": "2027-01-01", "to": "2027-03-31"})
    assert r.status_code == 200, r.text
    [contract] = [c for c in r.json()["contracts"] if c["contract"] == "amersfoort-begeleiding"]
    [row] = contract["rows"]
    assert (row["function"], row["deliverer"], row["active_clients"], row["starts"]) == (
        "begeleiding-in3",
        SUB,
        1,
        1,
    )
    assert row["stops"] == {"20": 1, "23": 1}
    assert row["average_duration_days"] == 18  # 3 to 20 February


def _relayed(services: Services, gemeente: Party, main: Party, name: str) -> Any:
    [item] = mailbox(gemeente)
    assert (item["kind"], item["message_type"], item["sender_code"]) == ("message", name, MAIN)
    relayed = valid(services, fetch(gemeente, item), name)
    [copy] = mailbox(main)
    assert (copy["kind"], copy["message_type"], copy["sender_code"]) == ("copy", name, SUB)
    fetch(main, copy)
    return relayed


# --- refusals -------------------------------------------------------------------------------


def test_a_function_the_contract_does_not_allow_that_subcontractor(
    parties: dict[str, Party],
) -> None:
    r = delegate(parties, decided(parties), function="begeleiding-in4")  # not for 99000002
    assert r.status_code == 409  # the request fits its schema, not the contract
    assert r.json()["type"].endswith("function_not_allowed")
    assert mailbox(parties[SUB]) == []


def test_a_period_outside_the_decision(parties: dict[str, Party]) -> None:
    decision_id = decided(parties)
    r = delegate(parties, decision_id, begindatum="2026-12-01")
    assert r.status_code == 409  # the request fits its schema, not the decision
    assert "before the decision" in r.json()["detail"]
    r = delegate(parties, decision_id, einddatum="2028-03-31")
    assert r.status_code == 409
    assert "after the decision" in r.json()["detail"]


def test_overlapping_delegations_of_one_function(parties: dict[str, Party]) -> None:
    decision_id = decided(parties)
    assert delegate(parties, decision_id, einddatum="2027-06-30").status_code == 201
    r = delegate(parties, decision_id, subcontractor="99000003", begindatum="2027-06-30")
    assert r.status_code == 409
    assert "already delegated" in r.json()["detail"]
    # From the next day another subcontractor may take over.
    assert (
        delegate(
            parties, decision_id, subcontractor="99000003", begindatum="2027-07-01"
        ).status_code
        == 201
    )


def test_a_start_on_someone_elses_delegation(parties: dict[str, Party]) -> None:
    assert delegate(parties, decided(parties)).status_code == 201
    other = sub_start(aanbieder="99000003")
    r = parties["99000003"].send(other)
    assert retour_codes(r.content)["/Bericht/Client/StartProducten/StartProduct[1]"] == ["9019"]
    assert mailbox(parties[GEMEENTE]) == []  # a refused start is not relayed


def test_a_relay_the_municipality_rejects_is_visible_and_can_be_resent(
    services: Services, parties: dict[str, Party], operator: Party
) -> None:
    gemeente, main, sub = parties[GEMEENTE], parties[MAIN], parties[SUB]
    assert delegate(parties, decided(parties)).status_code == 201
    assert approved(sub.send(sub_start()))
    [item] = [i for i in mailbox(gemeente) if i["message_type"] == "WMO305"]
    relayed = codec.decode(parsing.parse(fetch(gemeente, item)).root)
    path = "/Bericht/Client/StartProducten/StartProduct[1]"
    refusal = retour.build(relayed, [Finding("TR019", "9019", path, "unknown")], dagtekening=TODAY)
    assert gemeente.send(refusal).status_code == 200
    [relay] = sub.get("/v1/relays", status="rejected").json()["items"]
    assert relay["retourcodes"] == ["9019"]
    assert operator.get("/v1/relays", status="rejected").json()["items"] == [relay]

    r = main.client.post(f"/v1/relays/{relay['id']}/resend")
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["status"] == "sent"
    assert main.get(f"/v1/relays/{relay['id']}").json()["status"] == "resent"
    [item] = [i for i in mailbox(gemeente) if i["message_type"] == "WMO305"]
    resent = valid(services, fetch(gemeente, item), "WMO305")
    assert (
        resent.Header.BerichtIdentificatie.Identificatie
        != relayed.Header.BerichtIdentificatie.Identificatie
    )
    assert resent.Client.StartProducten == relayed.Client.StartProducten
    assert gemeente.send(retour.build(resent, dagtekening=TODAY)).status_code == 200
    assert main.get(f"/v1/relays/{again['id']}").json()["status"] == "accepted"
    # Only a rejected relay is resent.
    assert main.client.post(f"/v1/relays/{again['id']}/resend").status_code == 409
