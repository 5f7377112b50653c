"""Rules on starts (WMO305) and stops (WMO307) of delivery against the administration:
TR019, TR063, TR069, TR071, TR074, TR326, TR382, TR413, TR414, TR415."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.services import Services
from tests.administration.helpers import (
    OTHER_AANBIEDER,
    OTHER_BSN,
    Party,
    administratie,
    approved,
    party,
    retour_codes,
    start,
    stop,
    toegewezen,
    toewijzing,
    toewijzingen,
    verwijderd,
)

START = "/Bericht/Client/StartProducten/StartProduct[1]"
STOP = "/Bericht/Client/StopProducten/StopProduct[1]"


@pytest.fixture
def allocated(gemeente: Party, aanbieder: Party) -> None:
    """Allocation 101 of client BSN at provider 42420001 (01/01A01, 2023)."""
    assert approved(gemeente.send(toewijzing(ReferentieAanbieder=None)))


@pytest.fixture
def started(allocated: None, aanbieder: Party) -> None:
    """Delivery on allocation 101 started on 2023-01-05."""
    assert approved(aanbieder.send(start()))


def codes(r: Any, path: str) -> list[str]:
    assert r.status_code == 200, r.text
    return retour_codes(r.content)[path]


def deliveries(who: Party) -> list[dict[str, Any]]:
    return who.get("/v1/leveringen").json()["items"]


def refused_unchanged(who: Party, operator: Party, msg: Any, path: str) -> list[str]:
    """Send a message expected to be refused; return its codes at ``path`` and check the
    administration did not change."""
    before = administratie(operator)
    found = codes(who.send(msg), path)
    assert administratie(operator) == before
    return found


# --- TR019: a start or stop refers to an allocation of this client ----------------------------


def test_tr019_start_on_an_unknown_allocation(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    assert refused_unchanged(aanbieder, operator, start(nummer=999), START) == ["9019"]


def test_tr019_start_on_another_clients_allocation(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    assert refused_unchanged(aanbieder, operator, start(bsn=OTHER_BSN), START) == ["9019"]


def test_tr019_start_on_another_providers_allocation(
    app: Any, services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    party(app, services, OTHER_AANBIEDER, "provider")
    gemeente.send(toewijzingen(toegewezen(101), aanbieder=OTHER_AANBIEDER))
    assert len(operator.get("/v1/toewijzingen").json()["items"]) == 1
    assert refused_unchanged(aanbieder, operator, start(), START) == ["9019"]


def test_tr019_start_on_a_deleted_allocation(
    allocated: None, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    assert approved(gemeente.send(toewijzingen(verwijderd(101))))
    assert refused_unchanged(aanbieder, operator, start(), START) == ["9019"]


def test_tr019_start_without_toewijzingnummer_outside_task_based_work(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    # Decision: the number may only be left out under task-based funding; without a
    # contract the hub assumes effort-based.
    msg = start()
    msg.Client.StartProducten[0].ToewijzingNummer = None
    assert refused_unchanged(aanbieder, operator, msg, START) == ["9019"]


def test_tr019_stop_on_an_unknown_allocation(
    started: None, aanbieder: Party, operator: Party
) -> None:
    # No start either: TR069 shares the verdict.
    msg = stop("23", date(2023, 6, 20), nummer=999)
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9019", "9069"]


def test_tr019_stop_after_the_allocation_was_deleted(
    started: None, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    gemeente.send(toewijzingen(verwijderd(101)))
    msg = stop("23", date(2023, 6, 20))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9019"]


def test_tr019_start_and_stop_on_the_clients_allocation_are_accepted(
    started: None, aanbieder: Party
) -> None:
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20))))
    [delivery] = deliveries(aanbieder)
    assert delivery["toewijzing_nummer"] == 101
    assert [s["reden_beeindiging"] for s in delivery["stops"]] == ["23"]


def test_tr019_does_not_judge_a_withdrawal(
    started: None, gemeente: Party, aanbieder: Party
) -> None:
    # TR063: a withdrawal (3) corrects, so no other content checks apply to it.
    gemeente.send(toewijzingen(verwijderd(101)))
    assert approved(aanbieder.send(start(status="3")))
    [delivery] = deliveries(aanbieder)
    assert delivery["deleted"] is True


# --- TR063: a withdrawal refers to an earlier delivery with the same key ----------------------


def test_tr063_withdrawing_a_start_never_sent(
    allocated: None, aanbieder: Party, operator: Party
) -> None:
    # The published example of IV028: header and client fine, the start refused.
    r = aanbieder.send(start(status="3"))
    assert retour_codes(r.content) == {
        "/Bericht/Header": ["0200"],
        "/Bericht/Client": ["0200"],
        START: ["9063"],
    }
    assert deliveries(operator) == []


@pytest.mark.parametrize(
    "changes",
    [{"begindatum": date(2023, 1, 6)}, {"code": "01A02"}, {"categorie": "02", "code": "02A01"}],
    ids=["other-begindatum", "other-code", "other-category"],
)
def test_tr063_withdrawing_a_start_with_another_key(
    changes: dict[str, Any], started: None, aanbieder: Party, operator: Party
) -> None:
    # The start's key is ToewijzingNummer, Product and Begindatum (the published table of
    # key elements).
    msg = start(status="3", **changes)
    assert refused_unchanged(aanbieder, operator, msg, START) == ["9063"]


def test_tr063_toewijzingingangsdatum_is_not_part_of_the_key(
    started: None, aanbieder: Party
) -> None:
    msg = start(status="3", ingangsdatum=date(2023, 1, 2))
    assert approved(aanbieder.send(msg))
    assert deliveries(aanbieder)[0]["deleted"] is True


def test_tr063_withdrawing_the_start_sent(started: None, aanbieder: Party) -> None:
    assert approved(aanbieder.send(start(status="3")))
    [delivery] = deliveries(aanbieder)
    assert delivery["deleted"] is True
    assert [(e["kind"], e["status_aanlevering"]) for e in delivery["history"]] == [
        ("start", "1"),
        ("start", "3"),
    ]


def test_tr063_withdrawing_a_stop_never_sent(
    started: None, aanbieder: Party, operator: Party
) -> None:
    msg = stop("23", date(2023, 6, 20), status="3")
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9063"]


def test_tr063_withdrawing_a_stop_with_another_reason(
    started: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(stop("23", date(2023, 6, 20)))
    msg = stop("22", date(2023, 6, 20), status="3")
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9063"]


def test_tr063_withdrawing_the_stop_sent(started: None, aanbieder: Party) -> None:
    aanbieder.send(stop("23", date(2023, 6, 20)))
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20), status="3")))
    [delivery] = deliveries(aanbieder)
    assert [(s["reden_beeindiging"], s["deleted"]) for s in delivery["stops"]] == [("23", True)]


# --- TR069 and TR382: a stop refers to a current start, repeating its key --------------------


def test_tr069_stop_without_a_start_on_that_begindatum(
    started: None, aanbieder: Party, operator: Party
) -> None:
    msg = stop("23", date(2023, 6, 20), begindatum=date(2023, 1, 6))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9069"]


def test_tr069_stop_of_a_withdrawn_start(started: None, aanbieder: Party, operator: Party) -> None:
    aanbieder.send(start(status="3"))
    msg = stop("23", date(2023, 6, 20))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9069"]


def test_tr069_stop_of_the_current_start(started: None, aanbieder: Party) -> None:
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20))))


def test_tr069_after_a_restart_a_stop_refers_to_the_latest_start(
    started: None, aanbieder: Party, operator: Party
) -> None:
    """OP155: a stop refers to the last start. Stopped temporarily on 1 March and restarted
    on 1 April, the delivery that began on 5 January is no longer current."""
    aanbieder.send(stop("20", date(2023, 3, 1)))
    assert approved(aanbieder.send(start(begindatum=date(2023, 4, 1))))
    stale = stop("23", date(2023, 6, 20))  # Begindatum 5 January
    assert refused_unchanged(aanbieder, operator, stale, STOP) == ["9069"]
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20), begindatum=date(2023, 4, 1))))


@pytest.mark.parametrize(
    "changes",
    [{"code": "01A02"}, {"categorie": "02", "code": "02A01"}],
    ids=["other-code", "other-category"],
)
def test_tr382_stop_changing_the_starts_key(
    changes: dict[str, Any], started: None, aanbieder: Party, operator: Party
) -> None:
    # Decision: the start is found by number and Begindatum; its Product must then be
    # repeated exactly. TR382 shares code 9069.
    msg = stop("23", date(2023, 6, 20), **changes)
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9069"]


def test_tr382_toewijzingingangsdatum_is_no_key_element(started: None, aanbieder: Party) -> None:
    # The standard's key elements of StartProduct are ToewijzingNummer, Product and
    # Begindatum; a stop naming another ToewijzingIngangsdatum still stops the start.
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20), ingangsdatum=date(2023, 1, 2))))


# --- TR071: a start cannot be withdrawn once stopped ------------------------------------------


@pytest.mark.parametrize("reden", ["20", "23"])
def test_tr071_withdrawing_a_stopped_start(
    reden: str, started: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(stop(reden, date(2023, 6, 20)))
    assert refused_unchanged(aanbieder, operator, start(status="3"), START) == ["9071"]
    [delivery] = deliveries(aanbieder)
    assert delivery["deleted"] is False


def test_tr071_withdrawing_a_start_not_yet_stopped(started: None, aanbieder: Party) -> None:
    assert approved(aanbieder.send(start(status="3")))


# --- TR074: a first delivery (1) is no repeat of an earlier one --------------------------------


def test_tr074_the_same_start_again(started: None, aanbieder: Party, operator: Party) -> None:
    # Stopped first, so the repeat is not also refused as a second current start (TR326).
    aanbieder.send(stop("20", date(2023, 3, 1)))
    assert refused_unchanged(aanbieder, operator, start(), START) == ["9074"]


@pytest.mark.parametrize(("reden", "also"), [("20", "9413"), ("23", "9415")])
def test_tr074_the_same_stop_again(
    reden: str, also: str, started: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(stop(reden, date(2023, 6, 20)))
    msg = stop(reden, date(2023, 6, 20))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9074", also]


def test_tr074_a_withdrawn_start_may_be_sent_again(started: None, aanbieder: Party) -> None:
    # A withdrawal makes the earlier delivery count as never sent (OP033).
    aanbieder.send(start(status="3"))
    assert approved(aanbieder.send(start()))
    assert [d["deleted"] for d in deliveries(aanbieder)] == [True, False]


def test_tr074_a_withdrawn_stop_may_be_sent_again(started: None, aanbieder: Party) -> None:
    aanbieder.send(stop("23", date(2023, 6, 20)))
    aanbieder.send(stop("23", date(2023, 6, 20), status="3"))
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20))))
    [delivery] = deliveries(aanbieder)
    assert [s["deleted"] for s in delivery["stops"]] == [True, False]


# --- TR326: a new start only when the previous delivery was stopped ---------------------------


def test_tr326_second_start_while_delivery_runs(
    started: None, aanbieder: Party, operator: Party
) -> None:
    msg = start(begindatum=date(2023, 2, 1))
    assert refused_unchanged(aanbieder, operator, msg, START) == ["9326"]


def test_tr326_a_second_start_naming_another_product_is_no_way_round(
    started: None, aanbieder: Party, operator: Party
) -> None:
    """Allocation 101 is for 01/01A01: one delivery at a time on it, whatever product a
    second start names."""
    msg = start(begindatum=date(2023, 2, 1), code="01A02")
    assert "9326" in refused_unchanged(aanbieder, operator, msg, START)


@pytest.mark.parametrize("reden", ["20", "23"])
def test_tr326_restart_after_a_temporary_or_definitive_stop(
    reden: str, started: None, aanbieder: Party
) -> None:
    # Decision: after either kind of stop the delivery may start again.
    aanbieder.send(stop(reden, date(2023, 3, 1)))
    assert approved(aanbieder.send(start(begindatum=date(2023, 4, 1))))
    assert [d["begindatum"] for d in deliveries(aanbieder)] == ["2023-01-05", "2023-04-01"]


def test_tr326_restart_after_the_start_was_withdrawn(started: None, aanbieder: Party) -> None:
    aanbieder.send(start(status="3"))
    assert approved(aanbieder.send(start(begindatum=date(2023, 2, 1))))


def test_tr326_a_withdrawn_stop_makes_the_start_current_again(
    started: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(stop("20", date(2023, 3, 1)))
    aanbieder.send(stop("20", date(2023, 3, 1), status="3"))
    msg = start(begindatum=date(2023, 4, 1))
    assert refused_unchanged(aanbieder, operator, msg, START) == ["9326"]


def test_tr326_lines_see_earlier_lines_of_the_same_message(
    started: None, aanbieder: Party, operator: Party
) -> None:
    # Withdraw the start and start again in one message: the second line is judged against
    # the administration as the first left it.
    msg = start(status="3")
    msg.Client.StartProducten.append(start(begindatum=date(2023, 1, 9)).Client.StartProducten[0])
    r = aanbieder.send(msg)
    assert approved(r)
    assert [(d["begindatum"], d["deleted"]) for d in deliveries(aanbieder)] == [
        ("2023-01-05", True),
        ("2023-01-09", False),
    ]


# Regional reading: on a generic decision (no product) delivery starts and stops at
# function level, one delivery per function at a time, several functions at once.


@pytest.fixture
def generic(gemeente: Party, aanbieder: Party) -> None:
    """A generic allocation 101 of client BSN: no product, a budget, 2023."""
    decision = toegewezen(101, Product=None, Omvang=None, Budget=1_500_000)
    assert approved(gemeente.send(toewijzingen(decision)))


def function_start(code: str, begindatum: date) -> Any:
    return start(categorie="02", code=code, begindatum=begindatum)


def test_tr326_a_generic_decision_runs_several_functions_at_once(
    generic: None, aanbieder: Party
) -> None:
    assert approved(aanbieder.send(function_start("02N01", date(2023, 1, 5))))
    assert approved(aanbieder.send(function_start("02N02", date(2023, 1, 9))))
    assert sorted(d["product_code"] for d in deliveries(aanbieder)) == ["02N01", "02N02"]


def test_tr326_a_generic_decision_runs_one_delivery_per_function(
    generic: None, aanbieder: Party, operator: Party
) -> None:
    assert approved(aanbieder.send(function_start("02N01", date(2023, 1, 5))))
    msg = function_start("02N01", date(2023, 2, 1))
    assert refused_unchanged(aanbieder, operator, msg, START) == ["9326"]
    stopped = stop("23", date(2023, 1, 31), categorie="02", code="02N01")
    assert approved(aanbieder.send(stopped))
    assert approved(aanbieder.send(function_start("02N01", date(2023, 2, 1))))


# --- TR413, TR414, TR415: what may follow a stop ----------------------------------------------


def test_tr413_a_second_temporary_stop(started: None, aanbieder: Party, operator: Party) -> None:
    aanbieder.send(stop("20", date(2023, 3, 1)))
    msg = stop("20", date(2023, 3, 8))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9413"]


def test_tr413_a_definitive_stop_after_a_temporary_one(started: None, aanbieder: Party) -> None:
    aanbieder.send(stop("20", date(2023, 3, 1)))
    assert approved(aanbieder.send(stop("23", date(2023, 3, 8))))


def test_tr413_a_temporary_stop_after_the_first_was_withdrawn(
    started: None, aanbieder: Party
) -> None:
    aanbieder.send(stop("20", date(2023, 3, 1)))
    aanbieder.send(stop("20", date(2023, 3, 1), status="3"))
    assert approved(aanbieder.send(stop("20", date(2023, 3, 8))))


def test_tr414_a_further_stop_ending_before_the_current_one(
    started: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(stop("20", date(2023, 6, 20)))
    msg = stop("23", date(2023, 6, 19))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9414"]


def test_tr414_a_further_stop_ending_on_the_same_day(started: None, aanbieder: Party) -> None:
    aanbieder.send(stop("20", date(2023, 6, 20)))
    assert approved(aanbieder.send(stop("23", date(2023, 6, 20))))


@pytest.mark.parametrize("reden", ["20", "23"])
def test_tr415_nothing_after_a_definitive_stop(
    reden: str, started: None, aanbieder: Party, operator: Party
) -> None:
    aanbieder.send(stop("23", date(2023, 6, 20)))
    msg = stop(reden, date(2023, 6, 27))
    assert refused_unchanged(aanbieder, operator, msg, STOP) == ["9415"]


def test_tr415_a_stop_after_the_definitive_one_was_withdrawn(
    started: None, aanbieder: Party
) -> None:
    aanbieder.send(stop("23", date(2023, 6, 20)))
    aanbieder.send(stop("23", date(2023, 6, 20), status="3"))
    assert approved(aanbieder.send(stop("19", date(2023, 6, 27))))
