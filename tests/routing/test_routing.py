# ruff: noqa: F811  (the chain's fixtures, imported from test_chain, are parameters here)
"""Routing beyond the main chain: the service's own checks (RT001-RT004), decisions that
change, ending and withdrawing delegations, a relay the service itself refuses, the main
contractor's own traffic, the direct model, and TR418 against contract tariffs."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from app import retour
from app.findings import Finding
from app.services import Services
from app.standard import codec, parsing
from app.standard import messages as m
from tests.administration.helpers import (
    BSN,
    OTHER_BSN,
    Party,
    antwoord,
    approved,
    declaratie,
    prestatie,
    retour_codes,
    start,
    toegewezen,
    toewijzingen,
    verzoek_om_toewijzing,
)
from tests.routing.test_chain import (
    DECISION,
    GEMEENTE,
    MAIN,
    SUB,
    TODAY,
    clock,  # noqa: F401
    decided,
    delegate,
    fetch,
    generic_decision,
    mailbox,
    parties,  # noqa: F401
    sub_start,
)

OTHER_SUB = "99000003"
PRODUCT = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]"
START = "/Bericht/Client/StartProducten/StartProduct[1]"


def last_findings(who: Party, message_type: str) -> list[tuple[str, str]]:
    rows = who.get("/v1/berichten", message_type=message_type, limit=500).json()["items"]
    incoming = [r for r in rows if r["direction"] == "in"]
    detail = who.get(f"/v1/berichten/{incoming[-1]['id']}").json()
    return [(f["rule"], f["return_code"]) for f in detail["findings"]]


def items_of(who: Party, message_type: str) -> list[dict[str, Any]]:
    return [i for i in mailbox(who) if i["message_type"] == message_type]


# --- RT001: a generic decision fits a contract ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Ingangsdatum": date(2026, 12, 1)}, "runs on 2026-12-01"),
        ({"Einddatum": date(2036, 6, 30)}, "by the contract's end"),
        ({"Product": m.Product(Categorie="07", Code=None), "Budget": None}, "category 07"),
    ],
    ids=["before-the-contract", "after-the-contract", "category-without-functions"],
)
def test_rt001_a_decision_outside_the_contract(
    changes: dict[str, Any], reason: str, parties: dict[str, Party]
) -> None:
    r = parties[GEMEENTE].send(generic_decision(**changes))
    assert retour_codes(r.content) == {"/Bericht/Header": ["0001"]}
    [(rule, code)] = last_findings(parties[GEMEENTE], "WMO301")
    assert (rule, code) == ("RT001", "0001")
    detail = parties[GEMEENTE].get("/v1/berichten", message_type="WMO301").json()["items"][-1]
    message = parties[GEMEENTE].get(f"/v1/berichten/{detail['id']}").json()
    assert reason in message["findings"][0]["message"]
    assert parties[MAIN].get("/v1/decisions").json()["items"] == []
    assert mailbox(parties[MAIN]) == []


def test_rt001_an_aspecific_decision_picks_the_contract_by_category(
    parties: dict[str, Party],
) -> None:
    aspecific = generic_decision(Product=m.Product(Categorie="15", Code=None), Budget=None)
    assert approved(parties[GEMEENTE].send(aspecific))
    [decision] = parties[MAIN].get("/v1/decisions").json()["items"]
    assert (decision["contract"], decision["product_categorie"]) == (
        "amersfoort-beschermd-wonen",
        "15",
    )
    # Under it, only functions of its category.
    r = delegate(parties, decision["id"], function="beschermd-wonen", subcontractor=MAIN)
    assert r.status_code == 201, r.text


def test_a_specific_allocation_to_the_main_contractor_is_no_decision(
    parties: dict[str, Party],
) -> None:
    specific = toegewezen(
        DECISION,
        Product=m.Product(Categorie="15", Code="15N01"),
        Toewijzingsdatum=date(2027, 1, 5),
        Ingangsdatum=date(2027, 1, 1),
        Einddatum=date(2027, 12, 31),
    )
    msg = toewijzingen(specific, gemeente=GEMEENTE, aanbieder=MAIN, dagtekening=date(2027, 1, 5))
    assert approved(parties[GEMEENTE].send(msg))
    assert parties[MAIN].get("/v1/decisions").json()["items"] == []
    assert [i["message_type"] for i in mailbox(parties[MAIN])] == ["WMO301"]


# --- RT002: the service's own numbers ----------------------------------------------------------


def test_rt002_a_municipality_may_not_use_the_services_numbers(parties: dict[str, Party]) -> None:
    msg = generic_decision()
    msg.Client.ToegewezenProducten[0].ToewijzingNummer = 900_000_123
    r = parties[GEMEENTE].send(msg)
    assert retour_codes(r.content)[PRODUCT] == ["9332"]
    assert last_findings(parties[GEMEENTE], "WMO301") == [("RT002", "9332")]


def test_rt002_the_other_products_are_judged_all_the_same(parties: dict[str, Party]) -> None:
    """A product refused by the service's own check does not leave the others unjudged:
    each gets its own verdict, and nothing is applied."""
    assert approved(parties[GEMEENTE].send(generic_decision()))
    msg = generic_decision()
    msg.Client.Bsn = OTHER_BSN
    reserved = copy.deepcopy(msg.Client.ToegewezenProducten[0])
    reserved.ToewijzingNummer = 900_000_123
    reserved.Einddatum = date(2027, 1, 31)
    # DECISION belongs to the first client already (TR332), which only judging finds.
    msg.Client.ToegewezenProducten[0].Ingangsdatum = date(2027, 2, 1)
    msg.Client.ToegewezenProducten.insert(0, reserved)
    codes = retour_codes(parties[GEMEENTE].send(msg).content)
    assert codes[PRODUCT] == ["9332"]
    assert codes[PRODUCT.replace("[1]", "[2]")] == ["9332"]
    assert [f[0] for f in last_findings(parties[GEMEENTE], "WMO301")] == ["RT002", "TR332"]
    assert len(parties[MAIN].get("/v1/decisions").json()["items"]) == 1


# --- RT003 / RT004: what a start or stop may name ----------------------------------------------


def test_rt004_the_main_contractors_own_start_names_a_function(
    services: Services, parties: dict[str, Party]
) -> None:
    decided(parties)
    main, gemeente = parties[MAIN], parties[GEMEENTE]
    own = start(
        nummer=DECISION,
        categorie="02",
        code="02N01",
        ingangsdatum=date(2027, 1, 1),
        begindatum=date(2027, 2, 1),
        gemeente=GEMEENTE,
        aanbieder=MAIN,
    )
    own.Header.BerichtIdentificatie.Dagtekening = TODAY
    assert approved(main.send(own))
    [item] = items_of(gemeente, "WMO305")
    assert (item["kind"], item["sender_code"]) == ("message", MAIN)
    # A product that is no function of the contract is refused.
    stray = start(
        nummer=DECISION,
        categorie="02",
        code="02A01",
        ingangsdatum=date(2027, 1, 1),
        begindatum=date(2027, 2, 2),
        gemeente=GEMEENTE,
        aanbieder=MAIN,
    )
    stray.Header.BerichtIdentificatie.Dagtekening = TODAY
    r = main.send(stray)
    assert retour_codes(r.content)[START] == ["S329"]
    # Judged all the same: the code is not in the product code list either (TR381).
    assert last_findings(main, "WMO305") == [("RT004", "S329"), ("TR381", "S329")]


def test_rt003_delegated_and_other_lines_are_not_mixed(parties: dict[str, Party]) -> None:
    assert delegate(parties, decided(parties)).status_code == 201
    msg = sub_start()
    other = sub_start(nummer=77).Client.StartProducten[0]
    msg.Client.StartProducten.append(other)
    r = parties[SUB].send(msg)
    assert retour_codes(r.content) == {"/Bericht/Header": ["0001"]}
    assert last_findings(parties[SUB], "WMO305") == [("RT003", "0001")]


# --- the service refuses a relay: the subcontractor's message is refused with it --------------


def test_a_relay_the_service_refuses_refuses_the_subcontractors_message(
    parties: dict[str, Party], operator: Party
) -> None:
    decision_id = decided(parties)
    assert delegate(parties, decision_id, einddatum="2027-02-19").status_code == 201
    assert approved(parties[SUB].send(sub_start()))
    # The function passes to another subcontractor, but the first never stopped. (A start
    # is reported once it began: TR134 refuses a Begindatum after the Dagtekening.)
    r = delegate(parties, decision_id, subcontractor=OTHER_SUB, begindatum="2027-02-20")
    assert r.status_code == 201, r.text
    second = start(
        nummer=r.json()["toewijzing_nummer"],
        categorie="02",
        code="02N03",
        ingangsdatum=date(2027, 2, 20),
        begindatum=date(2027, 2, 21),
        gemeente=GEMEENTE,
        aanbieder=OTHER_SUB,
    )
    second.Header.BerichtIdentificatie.Dagtekening = TODAY
    before = operator.get("/v1/leveringen").json()["items"]
    r = parties[OTHER_SUB].send(second)
    # At function level the municipality's allocation still has a running start (TR326).
    assert retour_codes(r.content)[START] == ["9326"]
    [(rule, code)] = last_findings(parties[OTHER_SUB], "WMO305")
    assert (rule, code) == ("TR326", "9326")
    assert operator.get("/v1/leveringen").json()["items"] == before  # nothing applied
    assert len(operator.get("/v1/relays").json()["items"]) == 1


# --- decisions that change --------------------------------------------------------------------


def test_a_shortened_decision_shortens_the_delegations_under_it(
    services: Services, parties: dict[str, Party]
) -> None:
    decision_id = decided(parties)
    r = delegate(parties, decision_id)
    assert r.status_code == 201
    delegation = r.json()
    [first] = mailbox(parties[SUB])
    fetch(parties[SUB], first)
    shorter = generic_decision(
        Einddatum=date(2027, 6, 30), RedenWijziging="05", Toewijzingsdatum=date(2027, 2, 20)
    )
    shorter.Header.BerichtIdentificatie.Dagtekening = TODAY
    assert approved(parties[GEMEENTE].send(shorter))
    after = parties[MAIN].get(f"/v1/delegations/{delegation['id']}").json()
    assert (after["einddatum"], after["status"]) == ("2027-06-30", "sent")
    [item] = mailbox(parties[SUB])
    changed = codec.decode(parsing.parse(fetch(parties[SUB], item)).root)
    [product] = changed.Client.ToegewezenProducten
    assert (product.ToewijzingNummer, product.Einddatum, product.RedenWijziging) == (
        delegation["toewijzing_nummer"],
        date(2027, 6, 30),
        "05",
    )


def test_a_withdrawn_decision_withdraws_the_delegations_under_it(
    parties: dict[str, Party],
) -> None:
    decision_id = decided(parties)
    delegation = delegate(parties, decision_id).json()
    fetch(parties[SUB], mailbox(parties[SUB])[0])
    withdrawn = generic_decision(
        Einddatum=date(2027, 1, 1), RedenWijziging="13", Toewijzingsdatum=date(2027, 2, 20)
    )
    withdrawn.Header.BerichtIdentificatie.Dagtekening = TODAY
    assert approved(parties[GEMEENTE].send(withdrawn))
    after = parties[MAIN].get(f"/v1/delegations/{delegation['id']}").json()
    assert (after["status"], after["einddatum"]) == ("withdrawn", "2027-02-01")
    [item] = mailbox(parties[SUB])
    changed = codec.decode(parsing.parse(fetch(parties[SUB], item)).root)
    assert changed.Client.ToegewezenProducten[0].RedenWijziging == "13"
    [decision] = parties[MAIN].get("/v1/decisions").json()["items"]
    assert decision["withdrawn"] is True
    assert delegate(parties, decision_id).status_code == 409


# --- ending and withdrawing a delegation --------------------------------------------------------


def test_ending_a_delegation_early(parties: dict[str, Party]) -> None:
    delegation = delegate(parties, decided(parties)).json()
    url = f"/v1/delegations/{delegation['id']}"
    r = parties[MAIN].client.patch(url, json={"einddatum": "2027-05-31", "reden_wijziging": "09"})
    assert r.status_code == 200, r.text
    assert r.json()["einddatum"] == "2027-05-31"
    last = mailbox(parties[SUB])[-1]
    changed = codec.decode(
        parsing.parse(parties[SUB].get(f"/v1/mailbox/{last['id']}").content).root
    )
    assert changed.Client.ToegewezenProducten[0].RedenWijziging == "09"
    # Only earlier, only with a reason that ends an allocation, only by the main contractor.
    # (Not earlier than what is there: 409. A reason the schema does not list: 422.)
    later = parties[MAIN].client.patch(url, json={"einddatum": "2027-06-30"})
    assert (later.status_code, later.json()["type"]) == (409, "urn:iwmo-hub:problem:not_earlier")
    bad = parties[MAIN].client.patch(url, json={"einddatum": "2027-04-30", "reden_wijziging": "13"})
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [["body", "reden_wijziging"]]
    # The subcontractor sees its delegation but may not change it.
    assert parties[SUB].client.patch(url, json={"einddatum": "2027-04-30"}).status_code == 403
    assert parties[GEMEENTE].client.patch(url, json={"einddatum": "2027-04-30"}).status_code == 403


def test_withdrawing_a_delegation_before_and_after_a_start(parties: dict[str, Party]) -> None:
    decision_id = decided(parties)
    first = delegate(parties, decision_id, einddatum="2027-03-31").json()
    r = parties[MAIN].client.delete(f"/v1/delegations/{first['id']}")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["einddatum"]) == ("withdrawn", "2027-02-01")
    # Withdrawn, the function is free again for the period.
    second = delegate(parties, decision_id).json()
    assert second["toewijzing_nummer"] == first["toewijzing_nummer"] + 1
    assert approved(parties[SUB].send(sub_start(nummer=second["toewijzing_nummer"])))
    r = parties[MAIN].client.delete(f"/v1/delegations/{second['id']}")
    assert r.status_code == 409
    assert r.json()["type"].endswith("already_started")


def test_a_subcontractor_refusing_its_allocation(parties: dict[str, Party]) -> None:
    delegation = delegate(parties, decided(parties)).json()
    [item] = mailbox(parties[SUB])
    allocation = codec.decode(parsing.parse(fetch(parties[SUB], item)).root)
    refusal = retour.build(allocation, [Finding("TR332", "9332", PRODUCT, "x")], dagtekening=TODAY)
    assert parties[SUB].send(refusal).status_code == 200
    after = parties[MAIN].get(f"/v1/delegations/{delegation['id']}").json()
    assert (after["status"], after["retourcodes"]) == ("refused", ["9332"])
    assert parties[MAIN].get("/v1/delegations", status="refused").json()["items"] == [after]


def test_who_sees_delegations(parties: dict[str, Party], operator: Party) -> None:
    delegation = delegate(parties, decided(parties)).json()
    for code in (GEMEENTE, MAIN, SUB):
        assert [d["id"] for d in parties[code].get("/v1/delegations").json()["items"]] == [
            delegation["id"]
        ]
    assert parties[OTHER_SUB].get("/v1/delegations").json()["items"] == []
    assert parties[OTHER_SUB].get(f"/v1/delegations/{delegation['id']}").status_code == 404
    assert parties[SUB].get("/v1/decisions").json()["items"] == []
    assert len(operator.get("/v1/delegations").json()["items"]) == 1
    # Only a main contractor delegates.
    r = parties[SUB].client.post(
        "/v1/delegations",
        json={
            "decision_id": 1,
            "function": "begeleiding-in1",
            "subcontractor": SUB,
            "begindatum": "2027-02-01",
        },
    )
    assert r.status_code == 404


# --- the main contractor's own requests, and the direct model ---------------------------------


def test_requests_and_answers_pass_between_main_contractor_and_municipality(
    parties: dict[str, Party],
) -> None:
    main, gemeente = parties[MAIN], parties[GEMEENTE]
    request = verzoek_om_toewijzing("R1", gemeente=GEMEENTE, aanbieder=MAIN)
    request.Header.BerichtIdentificatie.Dagtekening = TODAY
    assert approved(main.send(request))
    [item] = items_of(gemeente, "WMO315")
    assert item["sender_code"] == MAIN
    sent = codec.decode(parsing.parse(fetch(gemeente, item)).root)
    # The municipality's software answers with its own retour, then with a 319.
    assert gemeente.send(retour.build(sent, dagtekening=TODAY)).status_code == 200
    [item] = items_of(main, "WMO316")
    assert item["kind"] == "retour"
    answer = antwoord("R1", "2", gemeente=GEMEENTE, aanbieder=MAIN)
    answer.Header.BerichtIdentificatie.Dagtekening = TODAY
    assert approved(gemeente.send(answer))
    assert [i["message_type"] for i in items_of(main, "WMO319")] == ["WMO319"]


def test_the_direct_model_needs_no_contract(gemeente: Party, aanbieder: Party) -> None:
    """Nijmegen-style: a municipality allocates a product with a volume to a provider,
    which reports its own start; both find the other's messages in their mailboxes."""
    assert approved(gemeente.send(toewijzingen(toegewezen(101))))
    [item] = mailbox(aanbieder)
    allocation = codec.decode(parsing.parse(fetch(aanbieder, item)).root)
    assert aanbieder.send(retour.build(allocation)).status_code == 200
    assert [i["kind"] for i in mailbox(gemeente)] == ["retour"]
    assert approved(aanbieder.send(start()))
    assert [i["message_type"] for i in mailbox(gemeente)] == ["WMO302", "WMO305"]


# --- TR418: the contract's tariff ----------------------------------------------------------------


def test_tr418_the_contract_tariff(parties: dict[str, Party]) -> None:
    specific = toegewezen(
        777,
        Product=m.Product(Categorie="15", Code="15N01"),
        Toewijzingsdatum=date(2027, 1, 5),
        Ingangsdatum=date(2027, 1, 1),
        Einddatum=date(2027, 12, 31),
        Omvang=m.Omvang(Volume=7, Eenheid="14", Frequentie="2"),
    )
    msg = toewijzingen(specific, gemeente=GEMEENTE, aanbieder=MAIN, dagtekening=date(2027, 1, 5))
    assert approved(parties[GEMEENTE].send(msg)), last_findings(parties[GEMEENTE], "WMO301")
    tariff = _beschermd_wonen_tariff(parties)

    def line(ref: str, tarief: int, begin: date) -> m.Prestatie:
        return prestatie(
            ref,
            777,
            begin=begin,
            volume=28,
            eenheid="14",
            tarief=tarief,
            categorie="15",
            code="15N01",
        )

    def declared(ref: str, tarief: int, month: int) -> Any:
        msg = declaratie(
            line(ref, tarief, date(2027, month, 1)),
            periode=date(2027, month, 1),
            gemeente=GEMEENTE,
            aanbieder=MAIN,
            dagtekening=TODAY,
        )
        r = parties[MAIN].send(msg)
        return codec.decode(parsing.parse(r.content).root).DeclaratieAntwoord

    assert declared("P1", tariff, 1).RetourCodes == ["8001"]
    wrong = declared("P2", tariff + 1, 2)
    assert [p.RetourCodes for c in wrong.Clienten for p in c.Prestaties] == [["0611"]]


def _beschermd_wonen_tariff(parties: dict[str, Party]) -> int:
    contract = parties[MAIN].get("/v1/contracts/amersfoort-beschermd-wonen").json()
    return int(contract["product_tariffs"]["15N01"])


def test_bsn_never_leaves_in_a_url(parties: dict[str, Party]) -> None:
    assert delegate(parties, decided(parties)).status_code == 201
    for row in parties[MAIN].get("/v1/delegations").json()["items"]:
        assert BSN not in str(row)


def test_tr019_task_based_main_contractor_may_omit_the_number_a_subcontractor_may_not(
    parties: dict[str, Party],
) -> None:
    decided(parties)

    def numberless(aanbieder: str) -> m.WMO305:
        msg = start(
            categorie="02",
            code="02N01",
            begindatum=date(2027, 2, 1),
            gemeente=GEMEENTE,
            aanbieder=aanbieder,
        )
        msg.Header.BerichtIdentificatie.Dagtekening = TODAY
        line = msg.Client.StartProducten[0]
        line.ToewijzingNummer, line.ToewijzingIngangsdatum = None, None
        return msg

    assert approved(parties[MAIN].send(numberless(MAIN)))  # taakgericht (TR019's decision)
    r = parties[SUB].send(numberless(SUB))
    assert retour_codes(r.content)[START] == ["9019"]
