"""Reports: the deployment report ("Insight") — which party delivers which function, for how
many clients, and under task-based funding what that is worth against the budget.

The computation is in ``app.routing.report``; this module decides what the caller may see
and renders JSON or CSV.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app import access
from app.access import Party
from app.api.deps import Caller, Forbidden, caller, services
from app.api.fields import CBS_CODE, KEY, Day
from app.api.problems import AUTHENTICATED, NotFound, Refused, forbidden, problem
from app.routing import report
from app.routing.directory import ContractView
from app.services import Services

router = APIRouter(tags=["reports"], responses=AUTHENTICATED)

CSV = "text/csv"

# --- models -----------------------------------------------------------------------------------


class ReportRowOut(BaseModel):
    contract: str = Field(examples=["amersfoort-begeleiding"])
    municipalities: list[str] = Field(
        description="the municipalities (CBS codes) the numbers cover", examples=[["0307"]]
    )
    function: str | None = Field(
        description="the contract's function key; null when the product is none of the "
        "contract's functions",
        examples=["begeleiding-in3"],
    )
    function_name: str | None = Field(examples=["Begeleiding, intervention level 3"])
    product_categorie: str | None = Field(examples=["02"])
    product_code: str | None = Field(examples=["02N03"])
    deliverer: str = Field(
        description="AGB code of the party that delivers: the subcontractor whose start was "
        "relayed, or the main contractor for its own starts",
        examples=["99000002"],
    )
    deliverer_name: str | None = Field(examples=["Subcontractor A: ambulant support"])
    deliverer_role: Literal["main_contractor", "subcontractor"] = Field(examples=["subcontractor"])
    active_clients: int = Field(
        description="distinct clients with a delivery overlapping the period", examples=[1]
    )
    client_days: int = Field(
        description="days within the period on which a client received the function from "
        "this deliverer, summed over clients",
        examples=[18],
    )
    starts: int = Field(description="starts with Begindatum in the period", examples=[1])
    stops: dict[str, int] = Field(
        description="stops with Einddatum in the period, by RedenBeeindiging (20 = temporary)",
        examples=[{"20": 1, "23": 1}],
    )
    average_duration_days: float | None = Field(
        description="mean length in days (both ends included) of the deliveries stopped "
        "definitively in the period; null when none was",
        examples=[18.0],
    )
    tariff: int | None = Field(
        description="internal tariff, euro cents per client per month (task-based only)",
        examples=[50_000],
    )
    cost: int | None = Field(
        description="tariff x client-months (client_days x 12 / 365), euro cents; null when "
        "the contract is not task-based or has no tariff for the function",
        examples=[29_589],
    )
    budget_share: float | None = Field(
        description="cost / the budget for the period (a fraction); null without cost or budget",
        examples=[0.000121],
    )


class TotalsOut(BaseModel):
    budget: int | None = Field(
        description="the municipalities' budget for the days of the period the contract "
        "runs, each yearly budget prorated by days; euro cents; null when a year's budget is "
        "missing (see missing_budgets)",
        examples=[244_109_589],
    )
    missing_budgets: list[str] = Field(
        description="municipality:year pairs without a budget", examples=[[]]
    )
    cost: int | None = Field(
        description="the rows' costs summed, euro cents (task-based only)", examples=[58_685]
    )
    budget_share: float | None = Field(examples=[0.00024])
    unpriced_functions: list[str] = Field(
        description="functions delivered in the period that have no tariff, so are not in cost",
        examples=[[]],
    )


class ContractReportOut(BaseModel):
    contract: str = Field(examples=["amersfoort-begeleiding"])
    name: str = Field(examples=["Amersfoort region: Wmo begeleiding (task-based)"])
    variant: str = Field(examples=["taakgericht"])
    main_contractor: str = Field(examples=["99000001"])
    municipalities: list[str] = Field(examples=[["0307"]])
    rows: list[ReportRowOut]
    totals: TotalsOut


class MonthReportOut(BaseModel):
    period_from: date = Field(serialization_alias="from", examples=["2027-01-01"])
    period_to: date = Field(serialization_alias="to", examples=["2027-01-31"])
    contracts: list[ContractReportOut]


class DeploymentReportOut(BaseModel):
    period_from: date = Field(serialization_alias="from", examples=["2027-01-01"])
    period_to: date = Field(serialization_alias="to", examples=["2027-03-31"])
    municipality: str | None = Field(
        description="the municipality asked for (always yours if you are one)",
        examples=["0307"],
    )
    contract: str | None = Field(description="the contract asked for", examples=[None])
    contracts: list[ContractReportOut]
    months: list[MonthReportOut] | None = Field(
        default=None,
        description="with `by=month`: the same report for each calendar month of the "
        "period (the first and last cut to the period), oldest first; absent otherwise",
    )


_JSON_EXAMPLE: dict[str, Any] = {
    "from": "2027-01-01",
    "to": "2027-03-31",
    "municipality": "0307",
    "contract": None,
    "contracts": [
        {
            "contract": "amersfoort-begeleiding",
            "name": "Amersfoort region: Wmo begeleiding (task-based)",
            "variant": "taakgericht",
            "main_contractor": "99000001",
            "municipalities": ["0307"],
            "rows": [
                {
                    "contract": "amersfoort-begeleiding",
                    "municipalities": ["0307"],
                    "function": "begeleiding-in1",
                    "function_name": "Begeleiding, intervention level 1",
                    "product_categorie": "02",
                    "product_code": "02N01",
                    "deliverer": "99000001",
                    "deliverer_name": "Contract partner (main contractor)",
                    "deliverer_role": "main_contractor",
                    "active_clients": 1,
                    "client_days": 59,
                    "starts": 1,
                    "stops": {},
                    "average_duration_days": None,
                    "tariff": 15_000,
                    "cost": 29_096,
                    "budget_share": 0.000119,
                },
                {
                    "contract": "amersfoort-begeleiding",
                    "municipalities": ["0307"],
                    "function": "begeleiding-in3",
                    "function_name": "Begeleiding, intervention level 3",
                    "product_categorie": "02",
                    "product_code": "02N03",
                    "deliverer": "99000002",
                    "deliverer_name": "Subcontractor A: ambulant support",
                    "deliverer_role": "subcontractor",
                    "active_clients": 1,
                    "client_days": 18,
                    "starts": 1,
                    "stops": {"20": 1, "23": 1},
                    "average_duration_days": 18.0,
                    "tariff": 50_000,
                    "cost": 29_589,
                    "budget_share": 0.000121,
                },
            ],
            "totals": {
                "budget": 244_109_589,
                "missing_budgets": [],
                "cost": 58_685,
                "budget_share": 0.00024,
                "unpriced_functions": [],
            },
        }
    ],
}

COLUMNS_BEFORE_STOPS = (
    "contract",
    "variant",
    "municipalities",
    "from",
    "to",
    "function",
    "function_name",
    "product_categorie",
    "product_code",
    "deliverer",
    "deliverer_name",
    "deliverer_role",
    "active_clients",
    "client_days",
    "starts",
)
COLUMNS_AFTER_STOPS = (
    "average_duration_days",
    "tariff_eur",
    "cost_eur",
    "budget_eur",
    "budget_share",
)

_CSV_EXAMPLE = (
    ",".join((*COLUMNS_BEFORE_STOPS, "stops_20", "stops_23", *COLUMNS_AFTER_STOPS))
    + "\r\n"
    + "amersfoort-begeleiding,taakgericht,0307,2027-01-01,2027-03-31,begeleiding-in1,"
    '"Begeleiding, intervention level 1",02,02N01,99000001,'
    "Contract partner (main contractor),main_contractor,1,59,1,0,0,,150.00,290.96,"
    "2441095.89,0.000119\r\n"
    "amersfoort-begeleiding,taakgericht,0307,2027-01-01,2027-03-31,begeleiding-in3,"
    '"Begeleiding, intervention level 3",02,02N03,99000002,'
    "Subcontractor A: ambulant support,subcontractor,1,18,1,1,1,18.0,500.00,295.89,"
    "2441095.89,0.000121\r\n"
)

_DESCRIPTION = """
Per contract, function and deliverer (a subcontractor, or the main contractor when it
delivers itself): the clients served, starts, stops and durations in the period and, under
task-based funding, an internal value (the contract's tariff per client per month) set
against the municipalities' budget for the period.

* **One source, no double counting.** Only the function-level starts on the
  municipalities' decisions count. A subcontractor's start is recorded on its delegated
  allocation and, relayed, on the decision: it counts once, under the subcontractor. A start
  the main contractor sent itself counts under the main contractor. Withdrawn starts and
  stops do not count.
* **A delivery** runs from Begindatum to the Einddatum of its definitive stop (any
  RedenBeeindiging but 20), at the latest the decision's Einddatum, else it is open. A
  **temporary stop (20) does not end it** (it is counted in `stops`, though).
* `active_clients`: distinct clients with a delivery overlapping the period; `starts`:
  Begindatum in the period; `stops`: Einddatum in the period, per RedenBeeindiging;
  `average_duration_days`: deliveries stopped definitively in the period, both ends counted.
* `cost` = tariff x `client_days` x 12 / 365 (euro cents); `budget_share` = cost / budget,
  the budget being each municipality's yearly budget prorated by the days of the period in
  that year (only days on which the contract runs).

Visibility: operators see everything; a municipality its own clients only (asking for
another municipality is refused with 403); a main contractor everything under its
contracts; a subcontractor only its own rows. Every row names the municipalities it covers.

Send `Accept: text/csv` for CSV: one row per contract, function and deliverer, columns in
the order of the example, one `stops_<reason>` column per reason that occurs, money in
euros with two decimals, an empty cell for null.

`by=month` adds `months`: the same report for each calendar month of the period (the
first and the last month cut to the period), each with its own budget for those days; a
client active in two months counts in each. As CSV, `by=month` gives the monthly rows
only, each with its month in `from` and `to`.
"""


# --- endpoint ---------------------------------------------------------------------------------


@router.get(
    "/reports/deployment",
    response_model=DeploymentReportOut,
    summary="Deployment report: who delivers which function, and at what share of the budget",
    description=_DESCRIPTION,
    responses={
        200: {
            "description": "the report, as JSON or (with `Accept: text/csv`) as CSV",
            "content": {
                "application/json": {"example": _JSON_EXAMPLE},
                CSV: {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
        },
        403: forbidden(
            "another municipality, or not a party to any contract",
            "a municipality sees only its own clients",
        ),
        404: problem(
            404,
            "no such contract of yours (`type` not_found), or no report for the period asked "
            "(`type` invalid_period): `to` before `from`, or more than five years after it",
            "invalid_period",
            "the period is not valid",
            "'to' (2027-01-01) is before 'from' (2027-03-31)",
        ),
        422: problem(
            422,
            "`from` or `to` missing or not a date, or another parameter not valid",
            "invalid_request",
            "the request is not valid",
            errors=[{"loc": ["query", "from"], "msg": "Input should be a date: YYYY-MM-DD"}],
        ),
    },
)
def deployment_report(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    period_from: Annotated[
        Day, Query(alias="from", description="first day (ISO date)", examples=["2027-01-01"])
    ],
    period_to: Annotated[
        Day,
        Query(
            alias="to",
            description="last day (ISO date), at most five years after `from`",
            examples=["2027-03-31"],
        ),
    ],
    municipality: Annotated[
        str | None,
        Query(pattern=CBS_CODE, description="CBS code; default all", examples=["0307"]),
    ] = None,
    contract: Annotated[
        str | None,
        Query(
            pattern=KEY,
            description="a contract key; default all",
            examples=["amersfoort-begeleiding"],
        ),
    ] = None,
    by: Annotated[
        Literal["month"] | None,
        Query(description="`month`: add the report of each calendar month (`months`)"),
    ] = None,
) -> Any:
    try:
        days = report.period(period_from, period_to)
    except report.ReportError as exc:
        # Two parameters' relation, which no schema states: a period the service has no
        # report for, as it has none for a contract you are not a party to.
        raise Refused(404, "invalid_period", "the period is not valid", str(exc)) from None
    out = deployment(services(request), who, days, municipality, contract, by_month=by == "month")
    if _wants_csv(request.headers.get("accept", "")):
        return _csv_response(out)
    if out.months is None:
        return JSONResponse(out.model_dump(mode="json", by_alias=True, exclude={"months"}))
    return out


def deployment(
    svc: Services,
    who: Party,
    days: report.Period,
    municipality: str | None = None,
    contract: str | None = None,
    *,
    by_month: bool = False,
) -> DeploymentReportOut:
    """The deployment report as ``who`` may see it (the API's and the console's): raises
    Forbidden for another municipality or a party without reports, NotFound for a contract
    that is not the caller's."""
    own = access.report_municipality(who)
    if own is not None:
        if municipality is not None and municipality != own:
            raise Forbidden("a municipality sees only its own clients")
        municipality = own
    elif not access.reads_reports(who):
        raise Forbidden("only operators, municipalities and contract parties see this report")
    contracts = svc.contracts.all()
    if contract is not None:
        contracts = tuple(c for c in contracts if c.key == contract and _party(who, c))
        if not contracts:
            raise NotFound(f"no contract {contract} for you")
    scopes = _scopes(who, contracts, municipality, days)
    with svc.database.read() as s:
        found, monthly = (
            report.build_by_month(s, scopes, days)
            if by_month
            else (
                report.build(s, scopes, days),
                [],
            )
        )

    def shown(reports: list[report.ContractReport]) -> list[ContractReportOut]:
        # A subcontractor not (or no longer) named in a contract sees it only for its own
        # rows. A municipality's report covers its own municipality only (see above), so
        # the budget it sees is its own.
        return [
            _contract_out(
                r, sees_money=access.sees_contract_money(who, r.main_contractor, r.municipalities)
            )
            for r in reports
            if r.rows or _party(who, next(c for c in contracts if c.key == r.contract))
        ]

    return DeploymentReportOut(
        period_from=days.start,
        period_to=days.end,
        municipality=municipality,
        contract=contract,
        contracts=shown(found),
        months=(
            [
                MonthReportOut(
                    period_from=m.month.start, period_to=m.month.end, contracts=shown(m.contracts)
                )
                for m in monthly
            ]
            if by_month
            else None
        ),
    )


def _party(who: Party, c: ContractView) -> bool:
    return access.sees_contract(who, c.main_contractor, c.municipalities, c.subcontractors)


def _scopes(
    who: Party, contracts: tuple[ContractView, ...], municipality: str | None, days: report.Period
) -> list[report.Scope]:
    scopes = []
    for c in contracts:
        if days.overlap(c.begindatum, c.einddatum) is None:
            continue
        munis = c.municipalities & {municipality} if municipality else c.municipalities
        if not munis:
            continue
        deliverer = access.report_deliverer(who, c.main_contractor)
        scopes.append(report.Scope(c, frozenset(munis), deliverer=deliverer))
    return scopes


def _contract_out(r: report.ContractReport, *, sees_money: bool) -> ContractReportOut:
    """The report of one contract; without budgets, tariffs and costs for a party that may
    not see them (a subcontractor)."""

    def money(value: Any) -> Any:
        return value if sees_money else None

    return ContractReportOut(
        contract=r.contract,
        name=r.name,
        variant=r.variant,
        main_contractor=r.main_contractor,
        municipalities=list(r.municipalities),
        rows=[
            ReportRowOut(
                contract=row.contract,
                municipalities=list(row.municipalities),
                function=row.function,
                function_name=row.function_name,
                product_categorie=row.product_categorie,
                product_code=row.product_code,
                deliverer=row.deliverer,
                deliverer_name=row.deliverer_name,
                deliverer_role=(
                    "main_contractor"
                    if row.deliverer_role == report.MAIN_CONTRACTOR
                    else "subcontractor"
                ),
                active_clients=row.active_clients,
                client_days=row.client_days,
                starts=row.starts,
                stops=dict(row.stops),
                average_duration_days=row.average_duration_days,
                tariff=money(row.tariff),
                cost=money(row.cost),
                budget_share=money(row.budget_share),
            )
            for row in r.rows
        ],
        totals=TotalsOut(
            budget=money(r.totals.budget),
            missing_budgets=list(r.totals.missing_budgets) if sees_money else [],
            cost=money(r.totals.cost),
            budget_share=money(r.totals.budget_share),
            unpriced_functions=list(r.totals.unpriced_functions) if sees_money else [],
        ),
    )


# --- CSV --------------------------------------------------------------------------------------


def _wants_csv(accept: str) -> bool:
    """Whether ``Accept`` prefers text/csv to JSON (an explicit, higher or equal q)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    csv_q = weights.get(CSV, 0.0)
    return csv_q > 0 and csv_q >= weights.get("application/json", 0.0)


def _euros(cents: int | None) -> str:
    return "" if cents is None else f"{Decimal(cents).scaleb(-2):.2f}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def csv_columns(out: DeploymentReportOut) -> list[str]:
    reasons = sorted({k for c in out.contracts for row in c.rows for k in row.stops})
    return [*COLUMNS_BEFORE_STOPS, *(f"stops_{r}" for r in reasons), *COLUMNS_AFTER_STOPS]


def csv_rows(out: DeploymentReportOut) -> tuple[list[str], list[list[str]]]:
    """The CSV's columns and rows, as text: the monthly rows when the report has months."""
    columns = csv_columns(out)
    reasons = [c.removeprefix("stops_") for c in columns if c.startswith("stops_")]
    periods: list[tuple[date, date, list[ContractReportOut]]] = (
        [(m.period_from, m.period_to, m.contracts) for m in out.months]
        if out.months is not None
        else [(out.period_from, out.period_to, out.contracts)]
    )
    rows = []
    for start, end, contracts in periods:
        for c in contracts:
            for row in c.rows:
                rows.append(
                    [
                        row.contract,
                        c.variant,
                        " ".join(row.municipalities),
                        start.isoformat(),
                        end.isoformat(),
                        _text(row.function),
                        _text(row.function_name),
                        _text(row.product_categorie),
                        _text(row.product_code),
                        row.deliverer,
                        _text(row.deliverer_name),
                        row.deliverer_role,
                        str(row.active_clients),
                        str(row.client_days),
                        str(row.starts),
                        *(str(row.stops.get(r, 0)) for r in reasons),
                        _text(row.average_duration_days),
                        _euros(row.tariff),
                        _euros(row.cost),
                        _euros(c.totals.budget),
                        "" if row.budget_share is None else f"{row.budget_share:.6f}",
                    ]
                )
    return columns, rows


# Columns holding a decimal number (a point in the plain CSV, a comma in the Dutch form).
DECIMAL_COLUMNS = frozenset(
    {"average_duration_days", "tariff_eur", "cost_eur", "budget_eur", "budget_share"}
)


def render_csv(out: DeploymentReportOut, *, dutch_excel: bool = False) -> str:
    """The report as CSV: plain (``,``, decimal point), or in the form Dutch Excel opens as
    is (``;``, decimal comma, a byte order mark first)."""
    columns, rows = csv_rows(out)
    buffer = io.StringIO()
    if not dutch_excel:
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue()
    decimal = [c in DECIMAL_COLUMNS for c in columns]
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [v.replace(".", ",") if d else v for v, d in zip(row, decimal, strict=True)]
        )
    return "\ufeff" + buffer.getvalue()


def csv_name(out: DeploymentReportOut) -> str:
    name = f"deployment-{out.period_from.isoformat()}-{out.period_to.isoformat()}"
    if out.municipality:
        name += f"-{out.municipality}"
    if out.contract:
        name += f"-{out.contract}"
    if out.months is not None:
        name += "-by-month"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _csv_response(out: DeploymentReportOut) -> Response:
    name = csv_name(out)
    return Response(
        render_csv(out),
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
