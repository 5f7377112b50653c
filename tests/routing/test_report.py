"""The deployment report: the arithmetic on plain records, and the endpoint on data built
through the API on the shipped Amersfoort region (as in ``test_chain``)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest

from app.routing.directory import ContractView, FunctionDef
from app.routing.report import (
    Delivery,
    Period,
    ReportError,
    Scope,
    StopRecord,
    compute,
    compute_by_month,
    cost_cents,
    months,
    period,
    period_budget,
    round_half_up,
)
from app.services import Services
from tests.administration.helpers import Party, approved, start
from tests.routing.conftest import keyed
from tests.routing.test_chain import (
    DECISION,
    GEMEENTE,
    MAIN,
    SUB,
    TODAY,
    clock,  # noqa: F401
    decided,
    delegate,
    parties,  # noqa: F401
    sub_start,
    sub_stop,
)

# --- the arithmetic, without a database -------------------------------------------------------

Q1 = Period(date(2027, 1, 1), date(2027, 3, 31))  # 90 days
F1 = FunctionDef("f1", "Function 1", "02", "02N01")
F2 = FunctionDef("f2", "Function 2", "02", "02N02")


def view(**changes: Any) -> ContractView:
    fields: dict[str, Any] = {
        "id": 1,
        "key": "c1",
        "name": "Contract 1",
        "main_contractor": "M",
        "variant": "taakgericht",
        "begindatum": date(2027, 1, 1),
        "einddatum": None,
        "catalogue": "cat@1",
        "municipalities": frozenset({"0307", "0308"}),
        "functions": {"f1": F1, "f2": F2},
        "subcontractors": {"S": frozenset({"f1", "f2"})},
        "budgets": {"0307": {2027: 3_650_000}, "0308": {2027: 365_000}},
        "tariffs": {"f1": 36_500},
    }
    fields.update(changes)
    return ContractView(**fields)


def delivery(begin: date, *stops: tuple[str, date], client: int = 1, **changes: Any) -> Delivery:
    fields: dict[str, Any] = {
        "contract_id": 1,
        "municipality": "0307",
        "client_id": client,
        "deliverer": "S",
        "categorie": "02",
        "code": "02N01",
        "begindatum": begin,
        "stops": tuple(StopRecord(r, d) for r, d in stops),
    }
    fields.update(changes)
    return Delivery(**fields)


def rows(
    *deliveries: Delivery, days: Period = Q1, contract: ContractView | None = None, **scope: Any
) -> dict[tuple[str | None, str], Any]:
    c = contract or view()
    scope.setdefault("municipalities", frozenset({"0307"}))
    [found] = compute([Scope(c, **scope)], deliveries, days)
    return {(r.function, r.deliverer): r for r in found.rows}


def test_a_period_is_checked() -> None:
    with pytest.raises(ReportError, match="before"):
        period(date(2027, 2, 1), date(2027, 1, 31))
    with pytest.raises(ReportError, match="5 years"):
        period(date(2027, 1, 1), date(2032, 1, 2))
    assert period(date(2027, 1, 1), date(2032, 1, 1)).days == 1827
    assert period(date(2028, 2, 29), date(2033, 2, 28)).end == date(2033, 2, 28)
    with pytest.raises(ReportError):
        period(date(2028, 2, 29), date(2033, 3, 1))
    assert period(date(2027, 5, 1), date(2027, 5, 1)).days == 1


def test_deliveries_at_the_edges_of_the_period() -> None:
    found = rows(
        delivery(date(2026, 11, 1), client=1),  # open, from before: all 90 days, no start
        delivery(date(2027, 3, 1), ("23", date(2027, 4, 30)), client=2),  # 31 days, stop later
        delivery(date(2026, 6, 1), ("23", date(2026, 12, 31)), client=3),  # over before
        delivery(date(2026, 12, 1), ("02", date(2027, 1, 1)), client=4),  # ends on 'from'
        delivery(date(2027, 3, 31), client=5),  # begins on 'to'
        delivery(date(2027, 4, 1), client=6),  # begins after 'to'
    )
    row = found[("f1", "S")]
    assert row.active_clients == 4  # 1, 2, 4, 5
    assert row.client_days == 90 + 31 + 1 + 1
    assert row.starts == 2  # 2 and 5
    assert row.stops == {"02": 1}  # only client 4's stop ends in the period
    assert row.average_duration_days == 32.0  # 1 Dec to 1 Jan, both days counted


def test_nothing_in_the_period_is_no_row() -> None:
    assert rows(delivery(date(2026, 6, 1), ("23", date(2026, 12, 31)))) == {}
    assert rows(delivery(date(2027, 4, 1))) == {}


def test_a_temporary_stop_does_not_end_a_delivery() -> None:
    temporary = delivery(date(2027, 1, 10), ("20", date(2027, 1, 20)))
    row = rows(temporary, days=Period(date(2027, 2, 1), date(2027, 2, 28)))[("f1", "S")]
    assert (row.active_clients, row.client_days, row.stops) == (1, 28, {})
    assert row.average_duration_days is None
    # In January the temporary stop is counted as a stop, but the delivery goes on.
    row = rows(temporary, days=Period(date(2027, 1, 1), date(2027, 1, 31)))[("f1", "S")]
    assert (row.client_days, row.stops, row.average_duration_days) == (22, {"20": 1}, None)
    # The definitive stop after it ends the delivery; its duration runs from Begindatum.
    stopped = delivery(date(2027, 1, 10), ("20", date(2027, 1, 20)), ("23", date(2027, 2, 9)))
    row = rows(stopped)[("f1", "S")]
    assert (row.client_days, row.stops, row.average_duration_days) == (
        31,
        {"20": 1, "23": 1},
        31.0,
    )


def test_a_restart_after_a_temporary_stop_is_not_counted_twice() -> None:
    paused = delivery(date(2027, 1, 1), ("20", date(2027, 1, 31)))
    restarted = delivery(date(2027, 2, 15))
    row = rows(paused, restarted)[("f1", "S")]
    assert row.active_clients == 1
    assert row.starts == 2
    assert row.client_days == 90  # the paused delivery still runs: days are not doubled
    assert row.cost == cost_cents(36_500, 90)


def test_average_duration_of_definitive_stops_in_the_period() -> None:
    found = rows(
        delivery(date(2027, 1, 1), ("23", date(2027, 1, 10)), client=1),  # 10 days
        delivery(date(2026, 12, 31), ("02", date(2027, 1, 20)), client=2),  # 21 days
        delivery(date(2027, 2, 1), ("23", date(2027, 2, 1)), client=3),  # 1 day
        delivery(date(2027, 1, 5), ("23", date(2027, 4, 1)), client=4),  # stopped later
    )
    row = found[("f1", "S")]
    assert row.average_duration_days == round((10 + 21 + 1) / 3, 1) == 10.7
    assert row.stops == {"02": 1, "23": 2}


def test_the_decision_end_caps_an_open_delivery() -> None:
    capped = delivery(date(2027, 1, 1), allocation_end=date(2027, 1, 31))
    assert rows(capped)[("f1", "S")].client_days == 31
    assert rows(capped, days=Period(date(2027, 2, 1), date(2027, 2, 28))) == {}
    # ... but the duration of a definitive stop is what the stop says.
    stopped = delivery(date(2027, 1, 1), ("23", date(2027, 1, 20)), allocation_end=date(2027, 3, 1))
    row = rows(stopped)[("f1", "S")]
    assert (row.client_days, row.average_duration_days) == (20, 20.0)


def test_rows_by_function_and_deliverer() -> None:
    found = rows(
        delivery(date(2027, 1, 1), client=1, deliverer="M"),
        delivery(date(2027, 1, 1), client=2, code="02N02"),
        delivery(date(2027, 1, 1), client=3, code="02N09"),  # none of the contract's
        delivery(date(2027, 1, 1), client=4, municipality="0308"),  # outside the scope
        delivery(date(2027, 1, 1), client=5, contract_id=2),  # another contract
    )
    assert list(found) == [("f1", "M"), ("f2", "S"), (None, "S")]
    assert found[("f1", "M")].deliverer_role == "main_contractor"
    assert found[("f2", "S")].deliverer_role == "subcontractor"
    assert found[(None, "S")].product_code == "02N09"
    assert all(r.active_clients == 1 for r in found.values())
    assert all(r.municipalities == ("0307",) for r in found.values())
    # A subcontractor's scope holds its own deliveries only.
    assert list(rows(*[delivery(date(2027, 1, 1), deliverer=d) for d in "MS"], deliverer="S")) == [
        ("f1", "S")
    ]


def test_budget_prorated_across_a_year_boundary() -> None:
    budgets = {"0307": {2027: 365_000, 2028: 732_000}, "0308": {2027: 36_500, 2028: 36_600}}
    winter = Period(date(2027, 12, 1), date(2028, 1, 31))  # 31 days in each year
    assert period_budget(budgets, ["0307"], winter) == (31_000 + 62_000, ())
    assert period_budget(budgets, ["0307", "0308"], winter) == (93_000 + 3_100 + 3_100, ())
    # A leap year is 366 days: one day of 2028 is 1/366 of the budget.
    assert period_budget(budgets, ["0308"], Period(date(2028, 2, 29), date(2028, 2, 29))) == (
        100,
        (),
    )
    # Without a budget for one of the years there is no budget for the period.
    del budgets["0308"][2028]
    assert period_budget(budgets, ["0307", "0308"], winter) == (None, ("0308:2028",))
    assert period_budget(budgets, [], winter) == (None, ())


def test_the_budget_counts_only_days_the_contract_runs() -> None:
    c = view(budgets={"0307": {2027: 365_000}})
    [found] = compute(
        [Scope(c, frozenset({"0307"}))], [], Period(date(2026, 12, 1), date(2027, 1, 31))
    )
    assert found.totals.budget == 31_000  # December 2026: no contract, no budget needed
    assert found.totals.missing_budgets == ()
    assert (found.totals.cost, found.totals.budget_share) == (0, 0.0)


def test_cost_with_and_without_a_tariff() -> None:
    c = view(budgets={"0307": {2027: 3_650_000}})  # 900_000 for the 90 days of Q1
    found = rows(
        delivery(date(2027, 1, 1), client=1),  # f1: 90 days
        delivery(date(2027, 3, 22), client=2),  # f1: 10 days
        delivery(date(2027, 1, 1), client=3, code="02N02"),  # f2: no tariff
        contract=c,
    )
    f1, f2 = found[("f1", "S")], found[("f2", "S")]
    # 36_500 cents a month x 100 days x 12 / 365 = 120_000 cents
    assert (f1.tariff, f1.client_days, f1.cost) == (36_500, 100, 120_000)
    assert f1.budget_share == round(120_000 / 900_000, 6)
    assert (f2.tariff, f2.cost, f2.budget_share) == (None, None, None)
    [report] = compute(
        [Scope(c, frozenset({"0307"}))],
        [delivery(date(2027, 1, 1), client=1), delivery(date(2027, 1, 1), code="02N02")],
        Q1,
    )
    assert report.totals.budget == 900_000
    assert report.totals.cost == 108_000  # f2 is not priced, so not in the sum
    assert report.totals.unpriced_functions == ("f2",)
    assert report.totals.budget_share == 0.12


def test_cost_is_rounded_to_the_cent() -> None:
    assert cost_cents(15_000, 1) == 493  # 493.15...
    assert cost_cents(50_000, 18) == 29_589  # 29_589.04...
    assert cost_cents(73, 5) == 12  # 11.99...
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(7, 4)) == 2


def test_no_budget_no_share() -> None:
    c = view(budgets={})
    [report] = compute([Scope(c, frozenset({"0307"}))], [delivery(date(2027, 1, 1))], Q1)
    [row] = report.rows
    assert row.cost == cost_cents(36_500, 90)
    assert row.budget_share is None
    assert report.totals.budget is None
    assert report.totals.missing_budgets == ("0307:2027",)
    assert report.totals.cost == row.cost
    assert report.totals.budget_share is None


def test_an_effort_based_contract_has_no_cost() -> None:
    c = view(variant="inspanningsgericht")
    [report] = compute([Scope(c, frozenset({"0307"}))], [delivery(date(2027, 1, 1))], Q1)
    [row] = report.rows
    assert (row.tariff, row.cost, row.budget_share) == (None, None, None)
    assert (report.totals.cost, report.totals.budget_share) == (None, None)
    assert report.totals.unpriced_functions == ()
    assert row.client_days == 90


# --- through the API --------------------------------------------------------------------------

REPORT_URL = "/v1/reports/deployment"
FIRST_QUARTER = {"from": "2027-01-01", "to": "2027-03-31"}
REGION_BUDGET_2027 = 1_800_000_000  # the six municipalities of the begeleiding contract


def main_start(begindatum: date, **changes: Any) -> Any:
    """The main contractor's own start at function level on the decision (begeleiding IN1)."""
    params: dict[str, Any] = {
        "nummer": DECISION,
        "categorie": "02",
        "code": "02N01",
        "ingangsdatum": date(2027, 1, 1),
        "gemeente": GEMEENTE,
        "aanbieder": MAIN,
        "begindatum": begindatum,
    }
    params.update(changes)
    msg = start(**params)
    msg.Header.BerichtIdentificatie.Dagtekening = TODAY
    return msg


@pytest.fixture
def delivered(parties: dict[str, Party]) -> dict[str, Party]:  # noqa: F811
    """A decision; begeleiding IN3 delegated to the subcontractor, who starts on 3 February
    and stops temporarily, then definitively, on 20 February; the main contractor's own
    start of begeleiding IN1 on 10 January."""
    main, sub = parties[MAIN], parties[SUB]
    assert delegate(parties, decided(parties)).status_code == 201
    assert approved(sub.send(sub_start()))
    for reden in ("20", "23"):
        assert approved(sub.send(sub_stop(reden, date(2027, 2, 20))))
    assert approved(main.send(main_start(date(2027, 1, 10))))
    return parties


def report(who: Party, **params: Any) -> Any:
    r = who.get(REPORT_URL, **{**FIRST_QUARTER, **params})
    assert r.status_code == 200, r.text
    return r.json()


def begeleiding(body: dict[str, Any]) -> dict[str, Any]:
    [found] = [c for c in body["contracts"] if c["contract"] == "amersfoort-begeleiding"]
    return found


def by_deliverer(contract: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["function"], r["deliverer"]): r for r in contract["rows"]}


def test_a_subcontractors_delivery_counts_once_under_the_subcontractor(
    delivered: dict[str, Party], operator: Party
) -> None:
    # The administration holds the subcontractor's start twice: on its own allocation and,
    # relayed, on the decision.
    deliveries = operator.get("/v1/leveringen").json()["items"]
    assert sorted(
        (d["provider_code"], d["toewijzing_nummer"], d["product_code"]) for d in deliveries
    ) == [
        (MAIN, DECISION, "02N01"),
        (MAIN, DECISION, "02N03"),
        (SUB, 900_000_000, "02N03"),
    ]
    body = report(operator)
    assert (body["from"], body["to"], body["municipality"]) == ("2027-01-01", "2027-03-31", None)
    contract = begeleiding(body)
    rows = by_deliverer(contract)
    assert list(rows) == [("begeleiding-in1", MAIN), ("begeleiding-in3", SUB)]
    sub = rows[("begeleiding-in3", SUB)]
    assert sub["deliverer_role"] == "subcontractor"
    assert sub["deliverer_name"] == "Subcontractor A: ambulant support"
    assert (sub["product_categorie"], sub["product_code"]) == ("02", "02N03")
    assert (sub["active_clients"], sub["starts"], sub["stops"]) == (1, 1, {"20": 1, "23": 1})
    assert sub["client_days"] == 18  # 3 to 20 February
    assert sub["average_duration_days"] == 18.0
    assert (sub["tariff"], sub["cost"]) == (50_000, cost_cents(50_000, 18))
    assert sub["municipalities"] == ["0307", "0308", "0313", "0327", "0342", "0351"]
    budget = round_half_up(Fraction(REGION_BUDGET_2027 * 90, 365))
    assert contract["totals"]["budget"] == budget
    assert sub["budget_share"] == round(cost_cents(50_000, 18) / budget, 6)


def test_the_main_contractors_own_start_counts_under_the_main_contractor(
    delivered: dict[str, Party], operator: Party
) -> None:
    contract = begeleiding(report(operator))
    main = by_deliverer(contract)[("begeleiding-in1", MAIN)]
    assert main["deliverer_role"] == "main_contractor"
    assert (main["active_clients"], main["starts"], main["stops"]) == (1, 1, {})
    assert main["client_days"] == 22 + 28 + 31  # 10 January, open to the end of March
    assert main["average_duration_days"] is None
    assert main["cost"] == cost_cents(15_000, 81)
    totals = contract["totals"]
    assert totals["cost"] == cost_cents(15_000, 81) + cost_cents(50_000, 18)
    assert totals["budget_share"] == round(totals["cost"] / totals["budget"], 6)
    assert totals["missing_budgets"] == []
    # The effort-based contract is there, without rows, cost or budget.
    [other] = [c for c in report(operator)["contracts"] if c["contract"] != contract["contract"]]
    assert (other["variant"], other["rows"]) == ("inspanningsgericht", [])
    assert other["totals"]["cost"] is None


def test_withdrawn_starts_and_stops_do_not_count(
    delivered: dict[str, Party], operator: Party
) -> None:
    sub, main = delivered[SUB], delivered[MAIN]
    assert approved(sub.send(sub_stop("23", date(2027, 2, 20), status="3")))
    assert approved(main.send(main_start(date(2027, 1, 10), status="3")))
    contract = begeleiding(report(operator))
    [row] = contract["rows"]
    assert (row["function"], row["deliverer"]) == ("begeleiding-in3", SUB)
    assert row["stops"] == {"20": 1}
    assert row["average_duration_days"] is None
    assert row["client_days"] == 26 + 31  # open again after the temporary stop


def test_a_municipality_sees_its_own_clients_only(
    app: Any, services: Services, delivered: dict[str, Party]
) -> None:
    gemeente = delivered[GEMEENTE]
    body = report(gemeente)
    assert body["municipality"] == GEMEENTE
    contract = begeleiding(body)
    assert contract["municipalities"] == [GEMEENTE]
    assert len(contract["rows"]) == 2
    assert all(r["municipalities"] == [GEMEENTE] for r in contract["rows"])
    assert contract["totals"]["budget"] == round_half_up(Fraction(990_000_000 * 90, 365))
    assert report(gemeente, municipality=GEMEENTE) == body

    r = gemeente.get(REPORT_URL, **FIRST_QUARTER, municipality="0308")
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"

    baarn = keyed(app, services, "0308")
    contract = begeleiding(report(baarn))
    assert (contract["municipalities"], contract["rows"]) == (["0308"], [])
    assert contract["totals"]["budget"] == round_half_up(Fraction(175_000_000 * 90, 365))


def test_an_operator_may_ask_for_one_municipality(
    delivered: dict[str, Party], operator: Party
) -> None:
    assert begeleiding(report(operator, municipality="0308"))["rows"] == []
    assert len(begeleiding(report(operator, municipality=GEMEENTE))["rows"]) == 2


def test_a_subcontractor_sees_its_own_rows_only(
    delivered: dict[str, Party], operator: Party
) -> None:
    contract = begeleiding(report(delivered[SUB]))
    assert [(r["function"], r["deliverer"]) for r in contract["rows"]] == [("begeleiding-in3", SUB)]
    assert begeleiding(report(delivered["99000003"]))["rows"] == []
    # The main contractor sees everything under its contracts.
    assert report(delivered[MAIN]) == report(operator)


def test_a_subcontractor_sees_no_money(delivered: dict[str, Party], operator: Party) -> None:
    """Budgets, tariffs and costs are for operators, the municipality (its own) and the
    main contractor: a subcontractor works at the main contractor's rates."""
    [row] = begeleiding(report(delivered[SUB]))["rows"]
    assert (row["tariff"], row["cost"], row["budget_share"]) == (None, None, None)
    totals = begeleiding(report(delivered[SUB]))["totals"]
    assert totals == {
        "budget": None,
        "missing_budgets": [],
        "cost": None,
        "budget_share": None,
        "unpriced_functions": [],
    }
    r = delivered[SUB].client.get(REPORT_URL, params=FIRST_QUARTER, headers={"accept": "text/csv"})
    assert r.status_code == 200
    [line] = list(csv.DictReader(io.StringIO(r.text)))
    assert {line[k] for k in ("tariff_eur", "cost_eur", "budget_eur", "budget_share")} == {""}
    # What the operator sees of the same row has the figures.
    [full] = [
        r
        for r in begeleiding(report(operator))["rows"]
        if (r["function"], r["deliverer"]) == ("begeleiding-in3", SUB)
    ]
    assert (full["tariff"], full["cost"]) == (50_000, cost_cents(50_000, 18))
    # The main contractor sees everything under its contracts.
    assert report(delivered[MAIN]) == report(operator)


def test_others_are_refused(delivered: dict[str, Party], aanbieder: Party) -> None:
    r = aanbieder.get(REPORT_URL, **FIRST_QUARTER)  # a provider outside the contracts
    assert r.status_code == 403
    r = delivered[GEMEENTE].client.get(
        REPORT_URL, params=FIRST_QUARTER, headers={"authorization": ""}
    )
    assert r.status_code == 401


def test_one_contract(delivered: dict[str, Party], operator: Party) -> None:
    body = report(operator, contract="amersfoort-begeleiding")
    assert [c["contract"] for c in body["contracts"]] == ["amersfoort-begeleiding"]
    assert body["contract"] == "amersfoort-begeleiding"
    r = operator.get(REPORT_URL, **FIRST_QUARTER, contract="elsewhere")
    assert r.status_code == 404


def test_a_later_period_after_the_decision_ended(
    delivered: dict[str, Party], operator: Party
) -> None:
    # The decision runs to the end of 2027: the main contractor's open start ends with it.
    contract = begeleiding(report(operator, **{"from": "2027-12-01", "to": "2028-01-31"}))
    [row] = contract["rows"]
    assert (row["deliverer"], row["client_days"], row["starts"]) == (MAIN, 31, 0)
    assert contract["totals"]["budget"] is None  # no 2028 budgets in the region file yet
    assert "0307:2028" in contract["totals"]["missing_budgets"]
    assert row["budget_share"] is None


def test_csv_matches_the_json(delivered: dict[str, Party], operator: Party) -> None:
    body = report(operator)
    r = operator.client.get(REPORT_URL, params=FIRST_QUARTER, headers={"accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="deployment-2027-01-01-2027-03-31.csv"'
    )
    lines = list(csv.reader(io.StringIO(r.text)))
    assert lines[0] == [
        "contract", "variant", "municipalities", "from", "to", "function", "function_name",
        "product_categorie", "product_code", "deliverer", "deliverer_name", "deliverer_role",
        "active_clients", "client_days", "starts", "stops_20", "stops_23",
        "average_duration_days", "tariff_eur", "cost_eur", "budget_eur", "budget_share",
    ]  # fmt: skip
    parsed = list(csv.DictReader(io.StringIO(r.text)))
    contract = begeleiding(body)
    assert len(parsed) == len(contract["rows"]) == 2
    for line, row in zip(parsed, contract["rows"], strict=True):
        assert (line["contract"], line["function"], line["deliverer"]) == (
            row["contract"],
            row["function"],
            row["deliverer"],
        )
        assert line["municipalities"].split() == row["municipalities"]
        assert (line["from"], line["to"], line["variant"]) == (
            "2027-01-01",
            "2027-03-31",
            "taakgericht",
        )
        assert int(line["active_clients"]) == row["active_clients"]
        assert int(line["client_days"]) == row["client_days"]
        assert int(line["starts"]) == row["starts"]
        for reason in ("20", "23"):
            assert int(line[f"stops_{reason}"]) == row["stops"].get(reason, 0)
        assert line["cost_eur"] == f"{row['cost'] // 100}.{row['cost'] % 100:02d}"
        assert line["tariff_eur"] == f"{row['tariff'] // 100}.{row['tariff'] % 100:02d}"
        budget = contract["totals"]["budget"]
        assert line["budget_eur"] == f"{budget // 100}.{budget % 100:02d}"
        assert float(line["budget_share"]) == pytest.approx(row["budget_share"])
        duration = row["average_duration_days"]
        assert line["average_duration_days"] == ("" if duration is None else str(duration))
    assert parsed[1]["cost_eur"] == "295.89"
    assert parsed[1]["average_duration_days"] == "18.0"
    assert parsed[0]["average_duration_days"] == ""


def test_csv_for_a_municipality_names_it(delivered: dict[str, Party]) -> None:
    r = delivered[GEMEENTE].client.get(
        REPORT_URL, params=FIRST_QUARTER, headers={"accept": "text/csv;q=0.9"}
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert "2027-03-31-0307.csv" in r.headers["content-disposition"]
    assert {line["municipalities"] for line in csv.DictReader(io.StringIO(r.text))} == {"0307"}
    # JSON preferred, or anything: JSON.
    for accept in ("application/json, text/csv;q=0.5", "*/*", ""):
        r = delivered[GEMEENTE].client.get(
            REPORT_URL, params=FIRST_QUARTER, headers={"accept": accept}
        )
        assert r.headers["content-type"] == "application/json", accept


@pytest.mark.parametrize(
    "params, status",
    [
        # No report for the period: a relation between two parameters no schema states.
        ({"from": "2027-04-01", "to": "2027-03-31"}, 404),  # to before from
        ({"from": "2027-01-01", "to": "2032-01-02"}, 404),  # more than five years
        # Not what the schema states.
        ({"from": "2027-01-01"}, 422),  # no 'to'
        ({"from": "2027-13-01", "to": "2027-12-31"}, 422),  # not a date
        ({"from": "2027-01-01", "to": "2027-03-31", "municipality": "307"}, 422),
    ],
)
def test_bad_parameters(
    parties: dict[str, Party],  # noqa: F811
    operator: Party,
    params: Any,
    status: int,
) -> None:
    r = operator.get(REPORT_URL, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    kind = "invalid_period" if status == 404 else "invalid_request"
    assert r.json()["type"] == f"urn:iwmo-hub:problem:{kind}"


def test_the_openapi_description(operator: Party) -> None:
    spec = operator.get("/openapi.json").json()
    op = spec["paths"]["/v1/reports/deployment"]["get"]
    assert op["tags"] == ["reports"]
    assert op["summary"]
    assert "temporary stop (20) does not end it" in op["description"]
    content = op["responses"]["200"]["content"]
    assert content["application/json"]["example"]["contracts"][0]["rows"]
    assert content["text/csv"]["example"].startswith("contract,variant,municipalities,")
    assert {p["name"] for p in op["parameters"]} == {
        "from", "to", "municipality", "contract", "by"
    }  # fmt: skip
    assert "`by=month`" in op["description"]
    schema = spec["components"]["schemas"]["DeploymentReportOut"]
    assert {"from", "to", "contracts", "months"} <= set(schema["properties"])


# --- by month -------------------------------------------------------------------------------


def test_months_of_a_period() -> None:
    found = months(Period(date(2027, 1, 15), date(2027, 3, 3)))
    assert [(m.start, m.end) for m in found] == [
        (date(2027, 1, 15), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2027, 3, 3)),
    ]
    leap = months(Period(date(2028, 2, 1), date(2028, 2, 29)))
    assert [(m.start, m.end) for m in leap] == [(date(2028, 2, 1), date(2028, 2, 29))]


def random_deliveries(seed: int, n: int = 300) -> list[Delivery]:
    """Deliveries around 2027 of two contracts, three municipalities, three deliverers and
    three products (one none of the contract's functions), with temporary and definitive
    stops, withdrawn-free, some capped by their allocation's end."""
    rng = random.Random(seed)
    found = []
    for _ in range(n):
        begin = date(2026, 10, 1) + timedelta(days=rng.randrange(500))
        stops = []
        for _ in range(rng.choice((0, 0, 1, 2))):
            end = begin + timedelta(days=rng.randrange(-5, 200))
            stops.append((rng.choice(("20", "20", "23", "02")), end))
        allocation_end = rng.choice((None, None, begin + timedelta(days=rng.randrange(400))))
        found.append(
            delivery(
                begin,
                *stops,
                client=rng.randrange(60),
                contract_id=rng.choice((1, 1, 2)),
                municipality=rng.choice(("0307", "0308", "0309")),
                deliverer=rng.choice(("M", "S", "T")),
                code=rng.choice(("02N01", "02N02", "02N09")),
                allocation_end=allocation_end,
            )
        )
    return found


@pytest.mark.parametrize(
    "days",
    [
        Period(date(2027, 1, 1), date(2027, 12, 31)),
        Period(date(2027, 1, 15), date(2027, 3, 3)),
        Period(date(2026, 11, 20), date(2028, 2, 29)),
        Period(date(2027, 6, 5), date(2027, 6, 5)),
    ],
)
@pytest.mark.parametrize("deliverer", [None, "S", "M"])
def test_the_one_pass_breakdown_equals_each_months_report(
    days: Period, deliverer: str | None
) -> None:
    scopes = [
        Scope(view(), frozenset({"0307", "0308"}), deliverer=deliverer),
        Scope(
            view(id=2, key="c0", variant="inspanningsgericht", begindatum=date(2027, 2, 1)),
            frozenset({"0307", "0309"}),
            deliverer=deliverer,
        ),
    ]
    names = {"M": "Main", "S": "Sub"}
    for seed in range(3):
        deliveries = random_deliveries(seed)
        whole, monthly = compute_by_month(scopes, deliveries, days, names)
        assert whole == compute(scopes, deliveries, days, names)
        assert [m.month for m in monthly] == months(days)
        for m in monthly:
            assert m.contracts == compute(scopes, deliveries, m.month, names)
        assert any(r.rows for m in monthly for r in m.contracts)


def test_the_report_by_month(delivered: dict[str, Party], operator: Party) -> None:
    whole = report(operator)
    assert "months" not in whole  # only when asked for
    body = report(operator, by="month")
    assert body["contracts"] == whole["contracts"]
    assert [(m["from"], m["to"]) for m in body["months"]] == [
        ("2027-01-01", "2027-01-31"),
        ("2027-02-01", "2027-02-28"),
        ("2027-03-01", "2027-03-31"),
    ]
    rows = [by_deliverer(begeleiding(m)) for m in body["months"]]
    # The main contractor's own IN1 from 10 January runs on; the subcontractor's IN3
    # from 3 to 20 February is in February only.
    own = ("begeleiding-in1", MAIN)
    assert [r[own]["client_days"] for r in rows] == [22, 28, 31]
    assert ("begeleiding-in3", SUB) not in rows[0] and ("begeleiding-in3", SUB) not in rows[2]
    february = rows[1][("begeleiding-in3", SUB)]
    assert (february["starts"], february["stops"], february["active_clients"]) == (
        1,
        {"20": 1, "23": 1},
        1,
    )
    # The months add up to the whole period's days; each month has its own budget.
    total = by_deliverer(begeleiding(whole))
    assert sum(r[own]["client_days"] for r in rows) == total[own]["client_days"]
    budgets = [begeleiding(m)["totals"]["budget"] for m in body["months"]]
    assert budgets[0] > budgets[1]  # 31 days against 28
    assert sum(budgets) == pytest.approx(begeleiding(whole)["totals"]["budget"], abs=3)


def test_a_subcontractor_by_month_sees_no_money(delivered: dict[str, Party]) -> None:
    body = report(delivered[SUB], by="month")
    for month in body["months"]:
        for c in month["contracts"]:
            assert c["totals"]["budget"] is None
            assert all(r["deliverer"] == SUB and r["cost"] is None for r in c["rows"])


def test_csv_by_month(delivered: dict[str, Party], operator: Party) -> None:
    r = operator.client.get(
        REPORT_URL, params={**FIRST_QUARTER, "by": "month"}, headers={"accept": "text/csv"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == (
        'attachment; filename="deployment-2027-01-01-2027-03-31-by-month.csv"'
    )
    parsed = list(csv.DictReader(io.StringIO(r.text)))
    periods = [(line["from"], line["to"], line["function"]) for line in parsed]
    assert ("2027-02-01", "2027-02-28", "begeleiding-in3") in periods
    assert {(f, t) for f, t, _ in periods} == {
        ("2027-01-01", "2027-01-31"),
        ("2027-02-01", "2027-02-28"),
        ("2027-03-01", "2027-03-31"),
    }


def test_an_unknown_breakdown_is_refused(operator: Party) -> None:
    r = operator.client.get(REPORT_URL, params={**FIRST_QUARTER, "by": "week"})
    assert r.status_code == 422
