"""Only the party a message was delivered to may answer it.

A retour (302, 306, 308, 316, 318, 320) names its original by the original's Afzender and
identification; a WMO325 names the declaration it answers. Anyone who knows such an
identification could otherwise answer in the receiver's place: refuse another
municipality's relay, another subcontractor's delegation, or put a retour in a
municipality's mailbox. Every such answer is refused with the same 403, whether the
original exists or not, and changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from app import retour
from tests.administration.helpers import (
    OTHER_BSN,
    antwoord,
    approved,
    declaratie_antwoord,
    decode,
    nieuw_product,
    stop,
    toegewezen,
    toewijzingen,
    verzoek_om_toewijzing,
    verzoek_om_wijziging,
)
from tests.api.conftest import (
    DIRECT,
    GEMEENTE,
    PROVIDER,
    SUB,
    TODAY,
    World,
    _fetch,
    _mailbox,
)

REFUSE = ["0001"]


def _refusing(original: Any) -> Any:
    """A retour that refuses ``original`` as a whole (the worst a forger can do)."""
    built = retour.build(original, dagtekening=TODAY)
    built.Header.RetourCodes = list(REFUSE)
    return built


def _posted_by(answer: Any, code: str) -> Any:
    """The answer as ``code`` must post it: the poster of a retour is its Ontvanger, of a
    WMO325 its Afzender."""
    forged = copy.deepcopy(answer)
    if type(forged).__name__ == "WMO325":
        forged.Header.Afzender = code
    else:
        forged.Header.Ontvanger = code
    return forged


def _mailboxes(world: World) -> dict[str, list[int]]:
    return {
        role: [item["id"] for item in _mailbox(world[role])]
        for role in ("gemeente", "gemeente2", "main", "sub", "sub2", "provider")
    }


def _state(world: World) -> dict[str, Any]:
    """What an answer may change: relays, delegations, declaration verdicts, mailboxes."""
    ops = world["operator"]
    return {
        "relays": ops.get("/v1/relays").json()["items"],
        "delegations": ops.get("/v1/delegations").json()["items"],
        "declaraties": [
            ops.get(f"/v1/declaraties/{d['id']}").json()
            for d in ops.get("/v1/declaraties").json()["items"]
        ],
        "verzoeken": ops.get("/v1/verzoeken").json()["items"],
        "mailboxes": _mailboxes(world),
    }


def _forbidden(r: Any) -> dict[str, Any]:
    assert r.status_code == 403, r.text
    body: dict[str, Any] = r.json()
    assert body["type"] == "urn:iwmo-hub:problem:forbidden"
    return body


def _without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k not in ("instance", "message_id")}


# --- the originals, each with the party that received it ------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    # (world) -> (the original as its receiver got it, the receiver's role)
    original: Callable[[World], tuple[Any, str]]
    forger: str  # role of a party that did not receive it


def _from_mailbox(role: str, message_type: str) -> Callable[[World], tuple[Any, str]]:
    def find(world: World) -> tuple[Any, str]:
        for item in _mailbox(world[role]):
            msg = _fetch(world[role], item)
            if type(msg).__name__ == message_type:
                return msg, role
        raise AssertionError(f"no {message_type} in the mailbox of {role}")

    return find


def _relayed_stop(world: World) -> tuple[Any, str]:
    """The subcontractor stops; the stop is relayed to the municipality."""
    sub_stop = stop(
        "02",
        date(2027, 2, 20),
        nummer=900_000_000,
        begindatum=date(2027, 2, 3),
        categorie="02",
        code="02N03",
        ingangsdatum=date(2027, 2, 1),
        gemeente=GEMEENTE,
        aanbieder=SUB,
    )
    sub_stop.Header.BerichtIdentificatie.Dagtekening = TODAY
    assert approved(world["sub"].send(sub_stop))
    return _from_mailbox("gemeente", "WMO307")(world)


def _request(world: World) -> tuple[Any, str]:
    request = verzoek_om_toewijzing(
        "R1", bsn=OTHER_BSN, gemeente=GEMEENTE, aanbieder=PROVIDER, dagtekening=TODAY
    )
    assert approved(world["provider"].send(request))
    return _from_mailbox("gemeente", "WMO315")(world)


def _change_request(world: World) -> tuple[Any, str]:
    current = toewijzingen(
        toegewezen(
            DIRECT + 1,
            Ingangsdatum=date(2027, 1, 1),
            Einddatum=date(2027, 12, 31),
            Toewijzingsdatum=date(2027, 2, 1),
        ),
        bsn=OTHER_BSN,
        gemeente=GEMEENTE,
        aanbieder=PROVIDER,
        dagtekening=date(2027, 2, 1),
    )
    assert approved(world["gemeente"].send(current))
    request = verzoek_om_wijziging(
        "W1",
        ongewijzigd=(DIRECT + 1,),
        nieuw=(nieuw_product("03", "03A01", date(2027, 4, 1), date(2027, 12, 31)),),
        bsn=OTHER_BSN,
        gemeente=GEMEENTE,
        aanbieder=PROVIDER,
        dagtekening=TODAY,
    )
    r = world["provider"].send(request)
    assert approved(r), world["provider"].get(r.headers["location"]).json()["findings"]
    return _from_mailbox("gemeente", "WMO317")(world)


def _answer_to_request(world: World) -> tuple[Any, str]:
    _request(world)
    answer = antwoord("R1", "2", gemeente=GEMEENTE, aanbieder=PROVIDER, dagtekening=TODAY)
    assert approved(world["gemeente"].send(answer))
    return _from_mailbox("provider", "WMO319")(world)


CASES = [
    # A provider answers the municipality's allocation to another provider.
    Case("302-direct-allocation", _from_mailbox("provider", "WMO301"), "main"),
    # A subcontractor refuses a delegation sent to another subcontractor.
    Case("302-delegation", _from_mailbox("sub", "WMO301"), "sub2"),
    # A municipality refuses the start relayed to another municipality.
    Case("306-relay", _from_mailbox("gemeente", "WMO305"), "gemeente2"),
    Case("308-relay", _relayed_stop, "gemeente2"),
    Case("316-request", _request, "gemeente2"),
    Case("318-change-request", _change_request, "gemeente2"),
    Case("320-answer", _answer_to_request, "main"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_retour_from_a_party_that_did_not_receive_the_original_is_refused(
    world: World, case: Case
) -> None:
    original, receiver = case.original(world)
    forger = world[case.forger]
    before = _state(world)

    r = forger.send(_posted_by(_refusing(original), forger.code))

    problem = _forbidden(r)
    assert "sent to you" in problem["detail"]
    assert _state(world) == before, "a refused answer changes nothing"
    # Stored, visible to its poster and operators only, with status forbidden.
    seen = forger.get(f"/v1/berichten/{problem['message_id']}")
    assert seen.status_code == 200 and seen.json()["status"] == "forbidden"
    assert world[receiver].get(f"/v1/berichten/{problem['message_id']}").status_code == 404
    # The party that did receive the original can still answer it.
    legit = world[receiver].send(retour.build(original, dagtekening=TODAY))
    assert legit.status_code == 200, legit.text
    assert legit.json()["status"] == "accepted"


def test_an_unknown_identification_is_refused_like_one_that_is_not_yours(world: World) -> None:
    original, _ = _from_mailbox("gemeente", "WMO305")(world)
    forger = world["gemeente2"]
    not_yours = _forbidden(forger.send(_posted_by(_refusing(original), forger.code)))
    unknown = _refusing(original)
    unknown.Header.BerichtIdentificatie.Identificatie = "NOSUCHID0001"
    unknown = _posted_by(unknown, forger.code)
    nothing = _forbidden(forger.send(unknown))
    assert _without_instance(nothing) == _without_instance(not_yours)


def test_a_refused_original_cannot_be_answered(world: World) -> None:
    """A message the service refused never reached its receiver: nothing to answer."""
    refused = toewijzingen(
        toegewezen(DIRECT, Einddatum=date(2022, 1, 1)),  # ends before it starts (CS003)
        bsn=OTHER_BSN,
        gemeente=GEMEENTE,
        aanbieder=PROVIDER,
    )
    r = world["gemeente"].send(refused)
    assert r.status_code == 200 and not approved(r)
    answer = retour.build(refused, dagtekening=TODAY)
    _forbidden(world["provider"].send(answer))


def test_a_declaration_answer_from_another_municipality_is_refused(world: World) -> None:
    ops = world["operator"]
    [declaration] = ops.get("/v1/declaraties").json()["items"]
    stored = ops.get(f"/v1/berichten/{declaration['message_id']}/xml")
    assert stored.status_code == 200
    declaration_msg = decode(stored.content)
    before = _state(world)

    refusing = declaratie_antwoord(declaration_msg, codes=["0001"], dagtekening=TODAY)
    forger = world["gemeente2"]
    problem = _forbidden(forger.send(_posted_by(refusing, forger.code)))
    assert "WMO323" in problem["detail"]
    assert _state(world) == before, "the declaration's verdicts stay as they were"

    # Its own municipality may answer it.
    r = world["gemeente"].send(declaratie_antwoord(declaration_msg, dagtekening=TODAY))
    assert r.status_code == 200, r.text


def test_a_declaration_answer_for_an_unknown_declaration_is_refused_alike(world: World) -> None:
    ops = world["operator"]
    [declaration] = ops.get("/v1/declaraties").json()["items"]
    declaration_msg = decode(ops.get(f"/v1/berichten/{declaration['message_id']}/xml").content)
    forger = world["gemeente2"]
    not_yours = _forbidden(
        forger.send(_posted_by(declaratie_antwoord(declaration_msg, dagtekening=TODAY), "0308"))
    )
    unknown_msg = copy.deepcopy(declaration_msg)
    unknown_msg.Header.BerichtIdentificatie.Identificatie = "NOSUCHID0002"
    unknown = declaratie_antwoord(unknown_msg, dagtekening=TODAY)
    nothing = _forbidden(forger.send(_posted_by(unknown, "0308")))
    assert _without_instance(nothing) == _without_instance(not_yours)
