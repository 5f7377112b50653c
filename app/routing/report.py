"""The deployment report ("Insight"): per contract, function and deliverer, what was delivered
in a period — clients, starts, stops, durations and, under task-based funding, an internal
value set against the municipalities' budget.

**One source.** A subcontractor's start is recorded twice: on its delegated allocation and,
through the relay, at function level on the municipality's decision. The report reads only
the function-level starts on decision allocations (``decisions.toewijzing_id``), so every
delivery counts once, whoever delivered it. The deliverer is the relay's subcontractor when
the start's message is a relay message (``relays.relay_message_id``), else the main
contractor (its own start on the decision). The function is the contract's function for the
start's product. Withdrawn starts and stops (``deleted_by_id``) do not count.

**A delivery** runs from its start's Begindatum to the Einddatum of its latest definitive
stop (any RedenBeeindiging but 20), and no longer than the decision allocation's Einddatum;
without either it is open. A temporary stop (20) does not end it: the client stays in care
of that deliverer (a restart is a new start and, for the same client, function and
deliverer, is not counted twice).

The queries (:func:`load_deliveries`, :func:`build`) turn the database into plain
:class:`Delivery` records; :func:`compute` does all the arithmetic on those records, so it
can be tested without a database.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from app.administration import models as db
from app.administration.kinds import Variant
from app.routing import models as rm
from app.routing.directory import ContractView

TEMPORARY = "20"  # RedenBeeindiging: delivery temporarily ended
TASK_BASED = Variant.TAAKGERICHT
MAX_YEARS = 5
MAIN_CONTRACTOR = "main_contractor"
SUBCONTRACTOR = "subcontractor"


class ReportError(ValueError):
    pass


# --- plain records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A closed range of days, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportError(f"'to' ({self.end}) is before 'from' ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def overlap(self, begin: date, end: date | None) -> Period | None:
        """The days of [begin, end] (open when ``end`` is None) within this period."""
        lo = max(begin, self.start)
        hi = self.end if end is None else min(end, self.end)
        return Period(lo, hi) if lo <= hi else None


def months(days: Period) -> list[Period]:
    """The calendar months ``days`` touches, the first and the last cut to ``days``."""
    found = []
    first = days.start
    while first <= days.end:
        last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        found.append(Period(first, min(last, days.end)))
        first = last + timedelta(days=1)
    return found


def period(start: date, end: date) -> Period:
    """The report period, checked: ``to`` not before ``from``, at most five years apart."""
    found = Period(start, end)
    if end > _add_years(start, MAX_YEARS):
        raise ReportError(f"'from' and 'to' are more than {MAX_YEARS} years apart")
    return found


@dataclass(frozen=True)
class StopRecord:
    reden: str  # RedenBeeindiging
    einddatum: date

    @property
    def temporary(self) -> bool:
        return self.reden == TEMPORARY


@dataclass(frozen=True)
class Delivery:
    """A live function-level start on a decision allocation, with its live stops."""

    contract_id: int
    municipality: str
    client_id: int
    deliverer: str
    categorie: str | None
    code: str | None
    begindatum: date
    stops: tuple[StopRecord, ...] = ()
    allocation_end: date | None = None  # the decision allocation's Einddatum

    @property
    def stopped(self) -> date | None:
        """The Einddatum of the latest definitive stop, if any."""
        ends = [s.einddatum for s in self.stops if not s.temporary]
        return max(ends) if ends else None

    @property
    def end(self) -> date | None:
        """The last day of delivery: the definitive stop, capped by the allocation's end."""
        ends = [d for d in (self.stopped, self.allocation_end) if d is not None]
        return min(ends) if ends else None


@dataclass(frozen=True)
class Scope:
    """What the report covers of one contract: the municipalities, and when ``deliverer``
    is set only that party's deliveries (a subcontractor sees its own rows)."""

    contract: ContractView
    municipalities: frozenset[str]
    deliverer: str | None = None


@dataclass(frozen=True)
class Row:
    contract: str
    municipalities: tuple[str, ...]
    function: str | None
    function_name: str | None
    product_categorie: str | None
    product_code: str | None
    deliverer: str
    deliverer_name: str | None
    deliverer_role: str
    active_clients: int
    client_days: int
    starts: int
    stops: Mapping[str, int]
    average_duration_days: float | None
    tariff: int | None
    cost: int | None
    budget_share: float | None


@dataclass(frozen=True)
class Totals:
    budget: int | None
    missing_budgets: tuple[str, ...]
    cost: int | None
    budget_share: float | None
    unpriced_functions: tuple[str, ...]


@dataclass(frozen=True)
class ContractReport:
    contract: str
    name: str
    variant: str
    main_contractor: str
    municipalities: tuple[str, ...]
    rows: tuple[Row, ...]
    totals: Totals


@dataclass(frozen=True)
class MonthReport:
    month: Period
    contracts: list[ContractReport]


@dataclass
class _Acc:
    clients: set[int] = field(default_factory=set)  # with a delivery in the period
    client_days: int = 0  # days in the period with a delivery, summed over clients
    starts: int = 0
    stops: Counter[str] = field(default_factory=Counter)
    durations: list[int] = field(default_factory=list)

    def touched(self) -> bool:
        return bool(self.clients or self.starts or self.stops or self.durations)


# --- arithmetic ---------------------------------------------------------------------------------


def round_half_up(value: Fraction) -> int:
    return (value.numerator * 2 + value.denominator) // (value.denominator * 2)


def cost_cents(tariff: int, client_days: int) -> int:
    """Tariff (cents per client per month) x client-months, a client-month being 365/12
    days, rounded to the cent."""
    return round_half_up(Fraction(tariff * client_days * 12, 365))


def share(cost: int | None, budget: int | None) -> float | None:
    if cost is None or not budget:
        return None
    return round(cost / budget, 6)


def period_budget(
    budgets: Mapping[str, Mapping[int, int]], municipalities: Iterable[str], days: Period
) -> tuple[int | None, tuple[str, ...]]:
    """The budget for ``days``: each municipality's yearly budget prorated by the days of
    each year within ``days`` (a year of 365 or 366 days). None, with what is missing as
    ``municipality:year``, when a municipality has no budget for one of those years."""
    total = Fraction(0)
    missing: list[str] = []
    munis = sorted(municipalities)
    for year in range(days.start.year, days.end.year + 1):
        part = days.overlap(date(year, 1, 1), date(year, 12, 31))
        assert part is not None
        in_year = 366 if calendar.isleap(year) else 365
        for m in munis:
            amount = budgets.get(m, {}).get(year)
            if amount is None:
                missing.append(f"{m}:{year}")
            else:
                total += Fraction(amount * part.days, in_year)
    if missing or not munis:
        return None, tuple(missing)
    return round_half_up(total), ()


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``intervals`` (first and last day, both included) as disjoint ones, in order."""
    if len(intervals) == 1:
        return intervals
    found: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if found and lo <= found[-1][1] + 1:
            if hi > found[-1][1]:
                found[-1] = (found[-1][0], hi)
        else:
            found.append((lo, hi))
    return found


class _Key(NamedTuple):
    contract_id: int
    function: str | None
    categorie: str | None
    code: str | None
    deliverer: str


def compute(
    scopes: Sequence[Scope],
    deliveries: Iterable[Delivery],
    days: Period,
    names: Mapping[str, str] | None = None,
) -> list[ContractReport]:
    """The report for ``days`` from plain records, one :class:`ContractReport` per scope.
    Deliveries outside every scope (another contract, municipality or deliverer) are
    ignored."""
    accs = _accumulate(scopes, deliveries, days)
    return [
        _contract_report(scope, accs, days, names or {})
        for scope in sorted(scopes, key=lambda s: s.contract.key)
    ]


def compute_by_month(
    scopes: Sequence[Scope],
    deliveries: Iterable[Delivery],
    days: Period,
    names: Mapping[str, str] | None = None,
) -> tuple[list[ContractReport], list[MonthReport]]:
    """The report for ``days`` and for each calendar month of it (:func:`months`), in one
    pass over the deliveries: the same numbers as :func:`compute` for ``days`` and for
    each month on its own."""
    accs, monthly = _accumulate_by_month(scopes, deliveries, days, by_month=True)
    ordered = sorted(scopes, key=lambda s: s.contract.key)
    whole = [_contract_report(scope, accs, days, names or {}) for scope in ordered]
    return whole, [
        MonthReport(month, [_contract_report(scope, acc, month, names or {}) for scope in ordered])
        for month, acc in zip(months(days), monthly, strict=True)
    ]


def _accumulate(
    scopes: Sequence[Scope], deliveries: Iterable[Delivery], days: Period
) -> dict[_Key, _Acc]:
    return _accumulate_by_month(scopes, deliveries, days, by_month=False)[0]


def _accumulate_by_month(
    scopes: Sequence[Scope], deliveries: Iterable[Delivery], days: Period, *, by_month: bool
) -> tuple[dict[_Key, _Acc], list[dict[_Key, _Acc]]]:
    """The accumulators for ``days`` and, with ``by_month``, for each of ``months(days)``,
    in one pass over the deliveries. A month's starts, stops and durations are those
    dated in it; its days of delivery are each client's days in the period (overlaps
    merged) cut to the month — the same numbers as accumulating each month on its own."""
    by_contract = {s.contract.id: s for s in scopes}
    spans = months(days) if by_month else []
    first_days = [m.start.toordinal() for m in spans]
    lo_day, hi_day = days.start.toordinal(), days.end.toordinal()
    accs: dict[_Key, _Acc] = defaultdict(_Acc)
    monthly: list[dict[_Key, _Acc]] = [defaultdict(_Acc) for _ in spans]
    # per row and client: the (first, last) days of each delivery in the period, as ordinals
    intervals: dict[_Key, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))

    def month_of(day: int) -> int:
        return bisect_right(first_days, day) - 1

    functions: dict[tuple[int, str | None, str | None], str | None] = {}
    for d in deliveries:
        scope = by_contract.get(d.contract_id)
        if scope is None or d.municipality not in scope.municipalities:
            continue
        if scope.deliverer is not None and d.deliverer != scope.deliverer:
            continue
        product = (d.contract_id, d.categorie, d.code)
        if product not in functions:
            function = scope.contract.function_for(d.categorie, d.code)
            functions[product] = function.key if function else None
        key = _Key(d.contract_id, functions[product], d.categorie, d.code, d.deliverer)
        acc = accs[key]
        begin = d.begindatum.toordinal()
        stopped = d.stopped
        end = min(
            (e.toordinal() for e in (stopped, d.allocation_end) if e is not None),
            default=hi_day,
        )
        lo, hi = max(begin, lo_day), min(end, hi_day)
        if lo <= hi:
            intervals[key][d.client_id].append((lo, hi))
        if lo_day <= begin <= hi_day:
            acc.starts += 1
            if spans:
                monthly[month_of(begin)][key].starts += 1
        for s in d.stops:
            day = s.einddatum.toordinal()
            if lo_day <= day <= hi_day:
                acc.stops[s.reden] += 1
                if spans:
                    monthly[month_of(day)][key].stops[s.reden] += 1
        if stopped is not None and stopped in days:
            duration = (stopped - d.begindatum).days + 1
            acc.durations.append(duration)
            if spans:
                monthly[month_of(stopped.toordinal())][key].durations.append(duration)
    last_days = [*(day - 1 for day in first_days[1:]), hi_day]
    for key, by_client in intervals.items():
        acc = accs[key]
        for client, found in by_client.items():
            acc.clients.add(client)
            for lo, hi in _merged(found):
                acc.client_days += hi - lo + 1
                if not spans:
                    continue
                first, last = month_of(lo), month_of(hi)
                for i in range(first, last + 1):
                    month = monthly[i][key]
                    month.clients.add(client)
                    month.client_days += (
                        (hi if i == last else last_days[i])
                        - (lo if i == first else first_days[i])
                        + 1
                    )
    return accs, monthly


def _contract_report(
    scope: Scope, accs: Mapping[_Key, _Acc], days: Period, names: Mapping[str, str]
) -> ContractReport:
    c = scope.contract
    munis = tuple(sorted(scope.municipalities))
    runs = days.overlap(c.begindatum, c.einddatum)
    budget, missing = period_budget(c.budgets, munis, runs) if runs else (None, ())
    task_based = c.variant == TASK_BASED
    order = {k: i for i, k in enumerate(c.functions)}
    keys = sorted(
        (k for k, acc in accs.items() if k.contract_id == c.id and acc.touched()),
        key=lambda k: (
            order.get(k.function or "", len(order)),
            k.categorie or "",
            k.code or "",
            k.deliverer != c.main_contractor,
            k.deliverer,
        ),
    )
    rows = []
    for k in keys:
        acc = accs[k]
        client_days = acc.client_days
        tariff = c.tariffs.get(k.function) if k.function and task_based else None
        cost = cost_cents(tariff, client_days) if tariff is not None else None
        durations = acc.durations
        rows.append(
            Row(
                contract=c.key,
                municipalities=munis,
                function=k.function,
                function_name=c.functions[k.function].name if k.function else None,
                product_categorie=k.categorie,
                product_code=k.code,
                deliverer=k.deliverer,
                deliverer_name=names.get(k.deliverer),
                deliverer_role=(
                    MAIN_CONTRACTOR if k.deliverer == c.main_contractor else SUBCONTRACTOR
                ),
                active_clients=len(acc.clients),
                client_days=client_days,
                starts=acc.starts,
                stops=dict(sorted(acc.stops.items())),
                average_duration_days=(
                    round(sum(durations) / len(durations), 1) if durations else None
                ),
                tariff=tariff,
                cost=cost,
                budget_share=share(cost, budget),
            )
        )
    total_cost = sum(r.cost for r in rows if r.cost is not None) if task_based else None
    unpriced = {
        r.function or f"{r.product_categorie}/{r.product_code}"
        for r in rows
        if task_based and r.cost is None and r.client_days
    }
    return ContractReport(
        contract=c.key,
        name=c.name,
        variant=c.variant,
        main_contractor=c.main_contractor,
        municipalities=munis,
        rows=tuple(rows),
        totals=Totals(
            budget=budget,
            missing_budgets=missing,
            cost=total_cost,
            budget_share=share(total_cost, budget),
            unpriced_functions=tuple(sorted(unpriced)),
        ),
    )


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- queries ------------------------------------------------------------------------------------


def load_deliveries(session: Session, scopes: Sequence[Scope], days: Period) -> list[Delivery]:
    """The live function-level starts on decisions within ``scopes`` that began by the end
    of ``days``, with their live stops and their deliverer."""
    if not scopes:
        return []
    deliverer = rm.Relay.subcontractor_code
    conditions = []
    for scope in scopes:
        c = scope.contract
        cond = and_(
            rm.Decision.contract_id == c.id,
            rm.Decision.municipality_code.in_(sorted(scope.municipalities)),
        )
        if scope.deliverer is not None and scope.deliverer == c.main_contractor:
            cond = and_(cond, or_(rm.Relay.id.is_(None), deliverer == c.main_contractor))
        elif scope.deliverer is not None:
            cond = and_(cond, deliverer == scope.deliverer)
        conditions.append(cond)
    stmt = (
        select(
            db.Start.id,
            rm.Decision.contract_id,
            rm.Decision.municipality_code,
            db.Start.client_id,
            deliverer,
            rm.Contract.main_contractor_code,
            db.Start.product_categorie,
            db.Start.product_code,
            db.Start.begindatum,
            db.Toewijzing.einddatum,
            db.Stop.reden_beeindiging,
            db.Stop.einddatum,
        )
        .join(rm.Decision, rm.Decision.toewijzing_id == db.Start.toewijzing_id)
        .join(rm.Contract, rm.Contract.id == rm.Decision.contract_id)
        .join(db.Toewijzing, db.Toewijzing.id == db.Start.toewijzing_id)
        .outerjoin(rm.Relay, rm.Relay.relay_message_id == db.Start.message_id)
        .outerjoin(db.Stop, and_(db.Stop.start_id == db.Start.id, db.Stop.deleted_by_id.is_(None)))
        .where(
            db.Start.deleted_by_id.is_(None),
            db.Start.begindatum <= days.end,
            or_(false(), *conditions),
        )
        .order_by(db.Start.id, db.Stop.id)
    )
    found: dict[int, tuple[int, str, int, str, str | None, str | None, date, date | None]] = {}
    stops: dict[int, list[StopRecord]] = defaultdict(list)
    for (
        start_id,
        contract_id,
        municipality,
        client_id,
        sub,
        main,
        categorie,
        code,
        begindatum,
        allocation_end,
        reden,
        einddatum,
    ) in session.execute(stmt):
        if start_id not in found:
            found[start_id] = (
                contract_id,
                municipality,
                client_id,
                sub or main,
                categorie,
                code,
                begindatum,
                allocation_end,
            )
        if reden is not None:
            stops[start_id].append(StopRecord(reden, einddatum))
    return [
        Delivery(*fields[:7], stops=tuple(stops.get(i, ())), allocation_end=fields[7])
        for i, fields in found.items()
    ]


def participant_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(db.Participant.code, db.Participant.name).where(db.Participant.code.in_(wanted))
    )
    return {code: name for code, name in rows}


def build(session: Session, scopes: Sequence[Scope], days: Period) -> list[ContractReport]:
    deliveries = load_deliveries(session, scopes, days)
    names = participant_names(session, {d.deliverer for d in deliveries})
    return compute(scopes, deliveries, days, names)


def build_by_month(
    session: Session, scopes: Sequence[Scope], days: Period
) -> tuple[list[ContractReport], list[MonthReport]]:
    """The report for ``days`` and, from the same deliveries (read once), one for each
    calendar month in it (the first and last month cut to the period)."""
    deliveries = load_deliveries(session, scopes, days)
    names = participant_names(session, {d.deliverer for d in deliveries})
    return compute_by_month(scopes, deliveries, days, names)
