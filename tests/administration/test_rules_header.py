"""Header rules (TR056, TR135, TR378): a finding refuses the whole message before its content
is judged; the retour (or WMO325) is the header only, carrying the code, and nothing of the
message is applied.

Each outbound message type gets a pair of messages from the same sender: ``first`` is sent
before, ``second`` would be accepted on its own (checked below), so any refusal of
``second`` comes from the header rule under test."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from app.services import Services
from tests.administration.helpers import (
    GEMEENTE,
    OTHER_AANBIEDER,
    OTHER_BSN,
    Party,
    accepted,
    administratie,
    antwoord,
    approved,
    declaratie,
    declaratie_antwoord,
    ident,
    omvang,
    party,
    prestatie,
    retour_codes,
    start,
    stop,
    te_wijzigen,
    toewijzing,
    unlisted_municipality,
    verzoek_om_toewijzing,
    verzoek_om_wijziging,
    xml,
)

HEADER = "/Bericht/Header"
TODAY = date(2023, 9, 1)  # the hub's clock in these tests
OUTBOUND = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323"]


def allocation() -> Any:
    return toewijzing(ReferentieAanbieder=None)


def wijziging(referentie: str, **kwargs: Any) -> Any:
    return verzoek_om_wijziging(
        referentie, wijzigen=(te_wijzigen(101, volume=omvang(20)),), **kwargs
    )


# name -> (setup, first, second)
CASES: dict[str, Callable[[], tuple[list[Any], Any, Any]]] = {
    "WMO301": lambda: (
        [],
        allocation(),
        toewijzing(ReferentieAanbieder=None, Einddatum=date(2023, 11, 30)),
    ),
    # The first start is refused (no allocation 999): refused messages use up their
    # identification as well, they were received and answered.
    "WMO305": lambda: ([allocation()], start(nummer=999), start()),
    "WMO307": lambda: (
        [allocation(), start()],
        stop("20", date(2023, 3, 1)),
        stop("23", date(2023, 6, 20)),
    ),
    "WMO315": lambda: (
        [],
        verzoek_om_toewijzing("R1"),
        verzoek_om_toewijzing("R2", bsn=OTHER_BSN),
    ),
    "WMO317": lambda: ([allocation()], wijziging("W1", bsn=OTHER_BSN), wijziging("W2")),
    "WMO319": lambda: ([verzoek_om_toewijzing("R1")], antwoord("R1", "2"), antwoord("R1", "1")),
    "WMO323": lambda: (
        [allocation()],
        declaratie(prestatie("P1")),
        declaratie(prestatie("P2", begin=date(2023, 4, 1)), periode=date(2023, 4, 1)),
    ),
}


@pytest.fixture
def post(gemeente: Party, aanbieder: Party) -> Callable[[Any], Any]:
    """Send a message as the participant it names as Afzender."""
    parties = {GEMEENTE: gemeente, aanbieder.code: aanbieder}

    def send(msg: Any) -> Any:
        return parties[msg.Header.Afzender].send(msg)

    return send


@pytest.fixture
def clock(services: Services, monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(services.intake, "clock", lambda: TODAY)
    return TODAY


def prepare(post: Callable[[Any], Any], name: str) -> tuple[Any, Any]:
    setup, first, second = CASES[name]()
    for msg in setup:
        assert accepted(post(msg).content)
    assert post(first).status_code == 200
    return first, second


def same_identification(msg: Any, other: Any) -> Any:
    msg.Header.BerichtIdentificatie.Identificatie = other.Header.BerichtIdentificatie.Identificatie
    return msg


# --- TR056: an Identificatie is used once per sender and message type --------------------------


@pytest.mark.parametrize("name", OUTBOUND)
def test_tr056_second_message_with_a_used_identification_is_refused_whole(
    name: str, post: Callable[[Any], Any], operator: Party
) -> None:
    first, second = prepare(post, name)
    before = administratie(operator)
    r = post(same_identification(second, first))
    assert r.status_code == 200
    assert retour_codes(r.content) == {HEADER: ["9056"]}
    assert administratie(operator) == before
    rejected = operator.get("/v1/berichten", message_type=name).json()["items"][-1]
    assert rejected["status"] == "rejected"
    assert [f["rule"] for f in rejected["findings"]] == ["TR056"]


@pytest.mark.parametrize("name", OUTBOUND)
def test_tr056_the_same_message_with_its_own_identification_is_accepted(
    name: str, post: Callable[[Any], Any], operator: Party
) -> None:
    _, second = prepare(post, name)
    before = administratie(operator)
    r = post(second)
    assert accepted(r.content), retour_codes(r.content)
    assert administratie(operator) != before


def test_tr056_counts_only_schema_valid_messages(gemeente: Party, aanbieder: Party) -> None:
    # Decision: a message the schema refused never reached the receiver.
    msg = allocation()
    invalid = xml(msg).replace(b"<iwmo:Volume>10<", b"<iwmo:Volume>ten<")
    assert gemeente.send(invalid).status_code == 422
    r = gemeente.send(msg)
    assert accepted(r.content), retour_codes(r.content)
    assert len(gemeente.get("/v1/toewijzingen").json()["items"]) == 1


def test_tr056_is_per_sender(
    app: Any, services: Services, gemeente: Party, aanbieder: Party
) -> None:
    other = party(app, services, OTHER_AANBIEDER, "provider")
    mine = verzoek_om_toewijzing("R1")
    assert accepted(aanbieder.send(mine).content)
    theirs = same_identification(verzoek_om_toewijzing("R1", aanbieder=OTHER_AANBIEDER), mine)
    assert accepted(other.send(theirs).content)


def test_tr056_is_per_message_type(gemeente: Party, aanbieder: Party) -> None:
    request = verzoek_om_toewijzing("R1")
    assert accepted(aanbieder.send(request).content)
    assert accepted(gemeente.send(allocation()).content)
    r = aanbieder.send(same_identification(start(), request))  # a 305, not a 315
    assert accepted(r.content), retour_codes(r.content)


def test_tr056_same_bytes_again_get_the_stored_answer(gemeente: Party, aanbieder: Party) -> None:
    # Decision: the same bytes are not a new message, so no 9056 on a retry.
    body = xml(allocation())
    first = gemeente.send(body)
    again = gemeente.send(body)
    assert again.content == first.content
    assert approved(again)


# --- TR135: the Dagtekening is not in the future ---------------------------------------------


def dated(msg: Any, day: date) -> Any:
    msg.Header.BerichtIdentificatie.Dagtekening = day
    return msg


@pytest.mark.parametrize("name", OUTBOUND)
def test_tr135_dagtekening_after_today_is_refused_whole(
    name: str, clock: date, post: Callable[[Any], Any], operator: Party
) -> None:
    _, second = prepare(post, name)
    before = administratie(operator)
    r = post(dated(second, clock + timedelta(days=1)))
    assert retour_codes(r.content) == {HEADER: ["8848"]}
    assert administratie(operator) == before


@pytest.mark.parametrize("name", OUTBOUND)
def test_tr135_dagtekening_today_is_accepted(
    name: str, clock: date, post: Callable[[Any], Any]
) -> None:
    _, second = prepare(post, name)
    r = post(dated(second, clock))
    assert accepted(r.content), retour_codes(r.content)


def test_tr135_the_retour_is_dated_by_the_hub_clock(
    clock: date, gemeente: Party, aanbieder: Party
) -> None:
    r = gemeente.send(dated(allocation(), clock + timedelta(days=1)))
    assert f"<wmo302:DagtekeningRetour>{clock}<".encode() in r.content


# --- TR378: the municipality code is in the CBS list -----------------------------------------

UNKNOWN = "0999"  # four digits, schema-valid, no CBS municipality
WEESP = "0457"  # merged into Amsterdam (0363) in 2022: not on the 2026 list


def to_municipality(msg: Any, code: str) -> Any:
    field = "Afzender" if msg.Header.Afzender == GEMEENTE else "Ontvanger"
    setattr(msg.Header, field, code)
    return msg


@pytest.mark.parametrize("name", OUTBOUND)
def test_tr378_unknown_municipality_code_is_refused_whole(
    name: str, app: Any, services: Services, post: Callable[[Any], Any], operator: Party
) -> None:
    unknown = unlisted_municipality(app, services, UNKNOWN)
    _, second = prepare(post, name)
    before = administratie(operator)
    msg = to_municipality(second, UNKNOWN)
    r = unknown.send(msg) if msg.Header.Afzender == UNKNOWN else post(msg)
    assert r.status_code == 200, r.text
    assert retour_codes(r.content) == {HEADER: ["S300"]}
    assert administratie(operator) == before


def test_tr378_reorganised_municipality_is_refused_unless_the_operator_adds_it(
    app: Any,
    services: Services,
    aanbieder: Party,
    operator: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Decision: the 2026 CBS list, plus codes an operator adds for reorganised municipalities
    # (the standard allows the list in force on the allocation's Ingangsdatum).
    weesp = unlisted_municipality(app, services, WEESP)
    msg = to_municipality(toewijzing(ReferentieAanbieder=None), WEESP)
    product = msg.Client.ToegewezenProducten[0]
    product.Ingangsdatum, product.Einddatum = date(2022, 1, 1), date(2022, 12, 31)
    assert retour_codes(weesp.send(msg).content) == {HEADER: ["S300"]}
    assert operator.get("/v1/toewijzingen").json()["items"] == []

    extra_codes(services, monkeypatch, WEESP)  # IWMO_EXTRA_MUNICIPALITY_CODES
    r = weesp.send(ident(copy.deepcopy(msg)))
    assert accepted(r.content), retour_codes(r.content)
    [allocation_] = operator.get("/v1/toewijzingen").json()["items"]
    assert allocation_["municipality_code"] == WEESP


# --- WMO325: the standard applies the three header rules to declaration answers too ----------


@pytest.fixture
def declared(post: Callable[[Any], Any]) -> Any:
    assert accepted(post(allocation()).content)
    msg = declaratie(prestatie("P1"))
    assert accepted(post(msg).content)
    return msg


def test_tr135_declaration_answer_dated_in_the_future(
    clock: date, gemeente: Party, declared: Any
) -> None:
    r = gemeente.send(declaratie_antwoord(declared, dagtekening=clock + timedelta(days=1)))
    assert r.status_code == 422
    assert ("TR135", "8848") in {(f["rule"], f["return_code"]) for f in r.json()["findings"]}


def test_declaration_answer_dated_today_is_accepted(
    clock: date, gemeente: Party, declared: Any
) -> None:
    r = gemeente.send(declaratie_antwoord(declared, dagtekening=clock))
    assert r.status_code == 200, r.text


def test_tr056_declaration_answer_reusing_an_identification(
    post: Callable[[Any], Any], gemeente: Party, declared: Any
) -> None:
    first = declaratie_antwoord(declared)
    assert gemeente.send(first).status_code == 200
    later = declaratie(prestatie("P2", begin=date(2023, 4, 1)), periode=date(2023, 4, 1))
    assert accepted(post(later).content)
    r = gemeente.send(same_identification(declaratie_antwoord(later), first))
    assert r.status_code == 422
    assert ("TR056", "9056") in {(f["rule"], f["return_code"]) for f in r.json()["findings"]}


def test_tr378_declaration_answer_from_an_unknown_municipality(
    app: Any, services: Services, aanbieder: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = unlisted_municipality(app, services, UNKNOWN)
    extra_codes(services, monkeypatch, UNKNOWN)
    assert accepted(unknown.send(to_municipality(allocation(), UNKNOWN)).content)
    msg = to_municipality(declaratie(prestatie("P1")), UNKNOWN)
    assert accepted(aanbieder.send(msg).content)
    extra_codes(services, monkeypatch)
    r = unknown.send(declaratie_antwoord(msg))
    assert r.status_code == 422
    assert ("TR378", "S300") in {(f["rule"], f["return_code"]) for f in r.json()["findings"]}


def extra_codes(services: Services, monkeypatch: pytest.MonkeyPatch, *codes: str) -> None:
    """The service as started with IWMO_EXTRA_MUNICIPALITY_CODES set to ``codes``."""
    settings = services.validator.settings.replace(extra_municipality_codes=codes)
    monkeypatch.setattr(services.validator, "settings", settings)
