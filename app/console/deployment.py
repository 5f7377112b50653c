"""The deployment dashboard: per contract, function and deliverer over a year, with a chart
of active clients per month per deliverer and, for task-based contracts the viewer may see
money of, the budget used against the budget, cumulative. The numbers come from the report
API's own function (``app.api.reports.deployment``, by month), so the console shows
exactly what the API would give the same party — a subcontractor no money at all."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from app.api.deps import Forbidden
from app.api.reports import ContractReportOut, DeploymentReportOut, csv_name, deployment, render_csv
from app.clock import today
from app.console import charts, i18n
from app.console.web import Viewer, lang, page, render, services
from app.routing import report
from app.routing.report import TASK_BASED

MONTHS_NL = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ContractView:
    report: ContractReportOut
    deliverers: list[tuple[str, str]]  # code, name
    clients: dict[str, list[int]]  # deliverer -> active clients per month
    clients_chart: Markup
    money: bool  # task-based with a budget the viewer may see
    used: list[int]  # cumulative cost per month (cents)
    budget: list[int]  # cumulative budget per month (cents)
    budget_chart: Markup | None


def years(request: Request) -> list[int]:
    found = sorted(
        {
            y
            for c in services(request).contracts.all()
            for y in range(
                c.begindatum.year, (c.einddatum or date(c.begindatum.year + 4, 1, 1)).year + 1
            )
        }
    )
    return found


def chosen_year(request: Request, options: list[int]) -> int:
    asked = request.query_params.get("year", "")
    if asked.isdigit() and int(asked) in options:
        return int(asked)
    now = today().year
    if now in options or not options:
        return now
    return min(options, key=lambda y: (abs(y - now), y))


def contract_view(c: ContractReportOut, monthly: list[list[ContractReportOut]], labels: list[str],
                  language: str) -> ContractView:  # fmt: skip
    def t(key: str) -> str:
        return i18n.translate(language, key)

    names: dict[str, str] = {}
    clients: dict[str, list[int]] = defaultdict(lambda: [0] * len(monthly))
    cost = [0] * len(monthly)
    budget = [0] * len(monthly)
    for i, month in enumerate(monthly):
        for mc in month:
            if mc.contract != c.contract:
                continue
            for row in mc.rows:
                names[row.deliverer] = row.deliverer_name or row.deliverer
                clients[row.deliverer][i] += row.active_clients
            cost[i] = mc.totals.cost or 0
            budget[i] = mc.totals.budget or 0
    deliverers = sorted(names.items(), key=lambda kv: (kv[0] != c.main_contractor, kv[0]))
    series = {f"{name} ({code})": clients[code] for code, name in deliverers}
    money = c.variant == TASK_BASED and c.totals.budget is not None
    used, total = [], []
    run_cost = run_budget = 0
    for i in range(len(monthly)):
        run_cost += cost[i]
        run_budget += budget[i]
        used.append(run_cost)
        total.append(run_budget)
    budget_chart = None
    if money:
        budget_chart = charts.lines(
            t("chart_budget"),
            labels,
            {
                t("used"): [round(v / 100) for v in used],
                t("budget"): [round(v / 100) for v in total],
            },
        )
    return ContractView(
        report=c,
        deliverers=deliverers,
        clients=dict(clients),
        clients_chart=charts.lines(t("chart_clients"), labels, series),
        money=money,
        used=used,
        budget=total,
        budget_chart=budget_chart,
    )


def _report(request: Request, who: Viewer, year: int) -> DeploymentReportOut | None:
    days = report.period(date(year, 1, 1), date(year, 12, 31))
    municipality = request.query_params.get("municipality") or None
    try:
        return deployment(services(request), who, days, municipality, by_month=True)
    except Forbidden:
        return None


def _dashboard(request: Request, who: Viewer) -> Response:
    options = years(request)
    year = chosen_year(request, options)
    language = lang(request)
    out = _report(request, who, year)
    labels = list(MONTHS_NL if language == "nl" else MONTHS_EN)
    views = []
    if out is not None and out.months is not None:
        monthly = [m.contracts for m in out.months]
        views = [contract_view(c, monthly, labels, language) for c in out.contracts if c.rows]
    return render(
        request,
        "deployment.html",
        who,
        year=year,
        years=options,
        views=views,
        months=labels,
    )


dashboard = page(_dashboard)


def _csv(request: Request, who: Viewer) -> Response:
    options = years(request)
    year = chosen_year(request, options)
    out = _report(request, who, year)
    if out is None:
        return render(request, "error.html", who, status=403, message="forbidden")
    if request.query_params.get("by") != "month":
        out = out.model_copy(update={"months": None})
    excel = request.query_params.get("form") == "excel"
    name = csv_name(out) + ("-excel" if excel else "")
    return Response(
        render_csv(out, dutch_excel=excel),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


download = page(_csv)
