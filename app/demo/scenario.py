"""What happens to each client in 2027: the plan the demo's parties carry out.

Every client gets a generic decision from its municipality. Most (``EXISTING``) were in
care already and move to the new contract on 1 January: their decisions go out in the
first two weeks of January, from 1 January, for two years. The others arrive during the
year (decided between mid-January and November, for one year). The main contractor
delegates the client's begeleiding level to a subcontractor the contract allows for it;
the subcontractor starts. Then, each drawn with the shares below, in time order:

* the client moves to another **level** (the 315-in-2,212 of the 2024 figures): the main
  contractor ends the delegation (RedenWijziging 05), the subcontractor stops (23), the
  new level is delegated from the next day (to the same subcontractor when it may deliver
  it) and started;
* a **temporary stop** (20), usually followed by a restart, otherwise by a definitive stop;
* a **handover** to the other subcontractor for the same level (09, stop 38);
* the **end of care**: ended by the subcontractor (19 plan completed, 23 by agreement, 21
  by the client, 22 by the provider), after which the main contractor ends the delegation
  or the municipality ends its decision early; or ended by the municipality (the client
  moved, 07/31; died, 02/02; went to the Wlz, 06/39), which ends the decision early, the
  service ends the delegation and the subcontractor stops.

Messages go out on working days, a few days after what they report, never after 2027.
A few deliberate mistakes (``MISTAKES``) are planted on clients that fit them; each is
refused, and the party then sends the right message.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.demo.population import Client

YEAR_START, YEAR_END = date(2027, 1, 1), date(2027, 12, 31)
HORIZON = date(2027, 12, 17)  # later events are left to next year

EXISTING = 0.62  # in care on 1 January
P_TEMPORARY = 0.12  # a temporary stop during the year
P_RESTART = 0.75  # ... followed by a restart (else by a definitive stop)
P_HANDOVER = 0.06  # handed over to another subcontractor (levels with two)
P_END = {True: 0.30, False: 0.18}  # care ends during the year: existing, new clients
# RedenBeeindiging of an end of care -> (share, RedenWijziging when the municipality ends
# the decision, None when the subcontractor ends the care).
END_REASONS: dict[str, tuple[float, str | None]] = {
    "19": (0.45, None),  # delivered as planned
    "23": (0.15, None),  # ended early by agreement
    "21": (0.09, None),  # ended by the client
    "22": (0.03, None),  # ended by the provider
    "31": (0.13, "07"),  # moved to another municipality
    "02": (0.08, "02"),  # died
    "39": (0.07, "06"),  # to another domain (Wlz)
}
P_MUNICIPALITY_CLOSES = 0.5  # after a subcontractor's end, the municipality ends the decision

# Phases of a day, in order.
DECIDE, MAIN, SUB_POLL, SUB_SEND, MUNI_POLL = range(5)


@dataclass(frozen=True)
class Mistake:
    what: str
    rules: tuple[str, ...]  # the rules that refuse it
    codes: tuple[str, ...]  # the return codes they give


# Deliberate mistakes, each refused by the service.
MISTAKES: dict[str, Mistake] = {
    "decision_before_contract": Mistake(
        "a decision from 1 December 2026, before the contract runs", ("RT001",), ("0001",)
    ),
    "reserved_number": Mistake(
        "a decision under a number from the service's own range", ("RT002",), ("9332",)
    ),
    "future_dagtekening": Mistake("a start dated tomorrow", ("TR135",), ("8848",)),
    "start_twice": Mistake(
        "a start sent a second time (a repeat, and a start while one runs)",
        ("TR074", "TR326"),
        ("9074", "9326"),
    ),
    "second_temporary_stop": Mistake("a second temporary stop of one start", ("TR413",), ("9413",)),
    "stop_unknown_start": Mistake(
        "a stop naming a start that does not exist", ("TR069",), ("9069",)
    ),
    "start_before_handover_stop": Mistake(
        "a new subcontractor's start before the old one stopped (refused at function level)",
        ("TR326",),
        ("9326",),
    ),
}
# Refused over the API (not messages): kind -> (what goes wrong, the problem type).
REFUSED_REQUESTS: dict[str, tuple[str, str]] = {
    "function_not_allowed": (
        "a delegation to a subcontractor the contract does not allow for the level",
        "function_not_allowed",
    ),
}
MISTAKES_PER_CLIENTS = 500  # one of each kind per this many clients (at least one)


@dataclass(frozen=True)
class Decide:
    """The municipality sends the client's decision (or, with a mistake, a wrong one)."""

    mistake: str | None = None


@dataclass(frozen=True)
class EndDecision:
    """The municipality ends the decision early."""

    einddatum: date
    reden: str


@dataclass(frozen=True)
class Delegate:
    """The main contractor delegates episode ``episode`` (the first one when it finds the
    decision in its mailbox; later ones on their day)."""

    episode: int


@dataclass(frozen=True)
class EndDelegation:
    episode: int
    einddatum: date
    reden: str


@dataclass(frozen=True)
class Start:
    episode: int
    begindatum: date
    mistake: str | None = None


@dataclass(frozen=True)
class Stop:
    episode: int
    begindatum: date  # of the start it stops
    reden: str
    einddatum: date
    mistake: str | None = None


Action = Decide | EndDecision | Delegate | EndDelegation | Start | Stop


@dataclass(frozen=True)
class Step:
    day: date
    phase: int
    order: int  # within the phase: stops (0) before starts (1)
    client: int
    action: Action

    @property
    def key(self) -> tuple[date, int, int, int]:
        return (self.day, self.phase, self.order, self.client)


@dataclass
class Episode:
    """One delegation: a level, delivered by a subcontractor from ``begin``."""

    level: int
    subcontractor: str
    begin: date


@dataclass
class ClientPlan:
    client: Client
    existing: bool
    decision_number: int
    decision_day: date
    ingangsdatum: date
    einddatum: date
    budget: int  # euro cents, for the decision's period
    episodes: list[Episode]
    steps: list[Step] = field(default_factory=list)
    wrong_subcontractor: str | None = None  # mistake: first delegated to this one
    handovers: int = 0
    temporary_stops: int = 0
    end_reason: str | None = None


@dataclass(frozen=True)
class Contract:
    """What the plan needs to know of the begeleiding contract."""

    main_contractor: str
    allowed: Mapping[int, Sequence[str]]  # level -> subcontractors that may deliver it
    tariffs: Mapping[int, int]  # level -> euro cents per client per month
    subcontractors: Sequence[str]


def workday(day: date) -> date:
    """``day`` or the first Monday after it."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _later(rng: random.Random, day: date, low: int, high: int) -> date:
    return workday(day + timedelta(days=rng.randint(low, high)))


class _Planner:
    def __init__(self, rng: random.Random, contract: Contract) -> None:
        self.rng = rng
        self.contract = contract

    def subcontractor(self, level: int, avoid: str | None = None) -> str:
        options = [s for s in self.contract.allowed[level] if s != avoid]
        return self.rng.choice(options)

    def plan(
        self,
        c: Client,
        number: int,
        *,
        force_temporary: bool = False,
        force_handover: bool = False,
        force_end: bool = False,
    ) -> ClientPlan:
        rng = self.rng
        existing = c.next_level is not None or force_handover or force_end or force_temporary
        if not existing:
            existing = rng.random() < (EXISTING - 0.1424) / (1 - 0.1424)
        if existing:
            decision_day = workday(date(2027, 1, 4) + timedelta(days=rng.randint(0, 11)))
            ingang, eind = YEAR_START, date(2028, 12, 31)
            begin = first_start = YEAR_START
            months = 24
        else:
            decision_day = workday(date(2027, 1, 18) + timedelta(days=rng.randint(0, 316)))
            ingang = decision_day
            eind = ingang + timedelta(days=364)
            begin = ingang + timedelta(days=rng.randint(0, 7))
            first_start = begin + timedelta(days=rng.randint(0, 14))
            months = 12
        p = ClientPlan(
            client=c,
            existing=existing,
            decision_number=number,
            decision_day=decision_day,
            ingangsdatum=ingang,
            einddatum=eind,
            budget=self.contract.tariffs[c.level] * months,
            episodes=[Episode(c.level, self.subcontractor(c.level), begin)],
        )
        add = p.steps.append
        add(Step(decision_day, DECIDE, 0, c.index, Decide()))
        start_day = max(_later(rng, first_start, 0, 3), decision_day)
        add(Step(start_day, SUB_SEND, 1, c.index, Start(0, first_start)))
        current = first_start  # Begindatum of the current start
        last_sent = start_day  # the day of the last message about the current delivery

        # A move to another level, part-way through the care.
        if c.next_level is not None:
            window = (HORIZON - timedelta(days=30) - current).days
            change = workday(current + timedelta(days=rng.randint(20, max(21, min(240, window)))))
            change = max(change, _later(rng, last_sent, 1, 5))
            current, last_sent = self._move(
                p, change, c.next_level, reden="05", stop_reden="23", last_sent=last_sent
            )

        # A temporary stop; a restart, or a definitive stop later.
        ended = False
        if force_temporary or rng.random() < P_TEMPORARY:
            stop_on = current + timedelta(days=rng.randint(20, 120))
            if stop_on <= HORIZON:
                k = len(p.episodes) - 1
                sent = max(_later(rng, stop_on, 0, 3), _later(rng, last_sent, 1, 2))
                add(Step(sent, SUB_SEND, 0, c.index, Stop(k, current, "20", stop_on)))
                p.temporary_stops += 1
                last_sent = sent
                if force_temporary or rng.random() < P_RESTART:
                    restart = stop_on + timedelta(days=rng.randint(10, 45))
                    if restart <= HORIZON:
                        sent = max(_later(rng, restart, 0, 3), _later(rng, last_sent, 1, 2))
                        add(Step(sent, SUB_SEND, 1, c.index, Start(k, restart)))
                        current, last_sent = restart, sent
                else:
                    end_on = stop_on + timedelta(days=rng.randint(10, 60))
                    reason = rng.choice(("23", "21", "39", "02"))
                    if end_on <= HORIZON:
                        last_sent = self._end(p, current, end_on, reason, last_sent)
                    ended = True

        # A handover to the other subcontractor for the level.
        level = p.episodes[-1].level
        if (
            not ended
            and len(self.contract.allowed[level]) > 1
            and (force_handover or rng.random() < P_HANDOVER)
        ):
            change = _later(rng, last_sent, 20, 120)
            if change <= HORIZON - timedelta(days=20):
                current, last_sent = self._move(
                    p, change, level, reden="09", stop_reden="38", last_sent=last_sent
                )
                p.handovers += 1

        # The end of care.
        if not ended and (force_end or rng.random() < P_END[existing]):
            end_on = current + timedelta(days=rng.randint(30, 240))
            end_on = max(end_on, last_sent + timedelta(days=1))
            if force_end:
                end_on = min(end_on, HORIZON - timedelta(days=10))
            if end_on <= HORIZON:
                reasons = list(END_REASONS)
                weights = [END_REASONS[r][0] for r in reasons]
                self._end(p, current, end_on, rng.choices(reasons, weights)[0], last_sent)
        p.steps = [s for s in p.steps if s.day <= YEAR_END]
        return p

    def _move(
        self,
        p: ClientPlan,
        change: date,
        level: int,
        *,
        reden: str,
        stop_reden: str,
        last_sent: date,
    ) -> tuple[date, date]:
        """End the current delegation on ``change`` and delegate ``level`` from the next
        day (to another subcontractor for a handover, else the same one when allowed).
        Returns the new start's Begindatum and the day it is sent."""
        rng, i = self.rng, p.client.index
        k = len(p.episodes) - 1
        old = p.episodes[k]
        if level == old.level:
            sub = self.subcontractor(level, avoid=old.subcontractor)
        elif old.subcontractor in self.contract.allowed[level]:
            sub = old.subcontractor
        else:
            sub = self.subcontractor(level)
        begin = change + timedelta(days=1)
        p.episodes.append(Episode(level, sub, begin))
        p.steps.append(Step(change, MAIN, 0, i, EndDelegation(k, change, reden)))
        p.steps.append(Step(change, MAIN, 1, i, Delegate(k + 1)))
        current = self._current_start(p, k)
        stop_sent = max(_later(rng, change, 0, 2), last_sent)
        p.steps.append(Step(stop_sent, SUB_SEND, 0, i, Stop(k, current, stop_reden, change)))
        start_on = begin + timedelta(days=rng.randint(0, 5))
        start_sent = max(_later(rng, start_on, 0, 2), stop_sent)
        p.steps.append(Step(start_sent, SUB_SEND, 1, i, Start(k + 1, start_on)))
        return start_on, start_sent

    def _current_start(self, p: ClientPlan, episode: int) -> date:
        starts = [
            s.action.begindatum
            for s in p.steps
            if isinstance(s.action, Start) and s.action.episode == episode
        ]
        return max(starts)

    def _end(
        self, p: ClientPlan, current: date, end_on: date, reason: str, last_sent: date
    ) -> date:
        """The end of care on ``end_on``; returns the day of the last message."""
        rng, i = self.rng, p.client.index
        k = len(p.episodes) - 1
        p.end_reason = reason
        municipal = END_REASONS[reason][1]
        if municipal is not None:
            # The municipality ends the decision; the service ends the delegation, and the
            # subcontractor stops once it has the changed allocation.
            told = max(_later(rng, end_on, 0, 10), _later(rng, last_sent, 1, 3))
            p.steps.append(Step(told, DECIDE, 0, i, EndDecision(end_on, municipal)))
            sent = _later(rng, told, 0, 3)
            p.steps.append(Step(sent, SUB_SEND, 0, i, Stop(k, current, reason, end_on)))
            return sent
        sent = max(_later(rng, end_on, 0, 3), _later(rng, last_sent, 1, 2))
        p.steps.append(Step(sent, SUB_SEND, 0, i, Stop(k, current, reason, end_on)))
        closed = _later(rng, sent, 1, 7)
        if rng.random() < P_MUNICIPALITY_CLOSES:
            p.steps.append(Step(closed, DECIDE, 0, i, EndDecision(end_on, "05")))
        else:
            p.steps.append(Step(closed, MAIN, 0, i, EndDelegation(k, end_on, "05")))
        return closed


def mistakes_per_kind(clients: int) -> int:
    return max(1, round(clients / MISTAKES_PER_CLIENTS))


def plan(
    clients: Sequence[Client],
    contract: Contract,
    seed: int,
    *,
    first_numbers: Mapping[str, int],
) -> list[ClientPlan]:
    """Every client's plan, with the deliberate mistakes planted. ``first_numbers`` gives
    per municipality the first decision number to use."""
    rng = random.Random(seed + 1)
    planner = _Planner(rng, contract)
    numbers = dict(first_numbers)
    plans = []
    for c in clients:
        plans.append(planner.plan(c, numbers[c.municipality]))
        numbers[c.municipality] += 1
    _plant(plans, planner, mistakes_per_kind(len(clients)))
    return plans


def _plant(plans: list[ClientPlan], planner: _Planner, per_kind: int) -> None:
    """Plant each mistake on ``per_kind`` clients that fit it (forcing the events it needs
    on clients that have none to spare)."""
    rng = planner.rng
    used: set[int] = set()

    def hosts(fits: object, force: dict[str, bool] | None = None) -> list[ClientPlan]:
        assert callable(fits)
        found = [p for p in plans if p.client.index not in used and fits(p)]
        rng.shuffle(found)
        chosen = found[:per_kind]
        spare = [p for p in plans if p.client.index not in used and p not in chosen]
        spare = [
            p for p in spare if p.existing and p.client.next_level is None and p.end_reason is None
        ]
        while force is not None and len(chosen) < per_kind and spare:
            p = spare.pop(rng.randrange(len(spare)))
            new = planner.plan(p.client, p.decision_number, **force)
            plans[plans.index(p)] = new
            if fits(new):
                chosen.append(new)
        if len(chosen) < per_kind:
            raise ValueError("the population is too small to plant every mistake")
        used.update(p.client.index for p in chosen)
        return chosen

    def first(p: ClientPlan, kind: type) -> Step:
        return next(s for s in sorted(p.steps, key=lambda s: s.key) if isinstance(s.action, kind))

    def quiet_start(p: ClientPlan) -> bool:
        """A first start well before the year's end, and nothing else for a week."""
        steps = sorted(p.steps, key=lambda s: s.key)
        starts = [i for i, s in enumerate(steps) if isinstance(s.action, Start)]
        if not starts or steps[starts[0]].day > HORIZON:
            return False
        following = steps[starts[0] + 1 :]
        return not following or following[0].day > steps[starts[0]].day + timedelta(days=7)

    for p in hosts(lambda p: p.existing):
        p.steps.append(
            Step(p.decision_day, DECIDE, -1, p.client.index, Decide("decision_before_contract"))
        )
    for p in hosts(lambda p: True):
        p.steps.append(Step(p.decision_day, DECIDE, -1, p.client.index, Decide("reserved_number")))
    for p in hosts(lambda p: True):
        options = [
            s
            for s in planner.contract.subcontractors
            if s not in planner.contract.allowed[p.episodes[0].level]
        ]
        p.wrong_subcontractor = rng.choice(options)
    for p in hosts(quiet_start):
        s = first(p, Start)
        assert isinstance(s.action, Start)
        p.steps.append(
            Step(
                s.day,
                SUB_SEND,
                0,
                s.client,
                Start(s.action.episode, s.action.begindatum, "future_dagtekening"),
            )
        )
    for p in hosts(quiet_start):
        s = first(p, Start)
        assert isinstance(s.action, Start)
        again = workday(s.day + timedelta(days=1))
        p.steps.append(
            Step(
                again,
                SUB_SEND,
                2,
                s.client,
                Start(s.action.episode, s.action.begindatum, "start_twice"),
            )
        )
    for p in hosts(
        lambda p: any(isinstance(s.action, Stop) and s.action.reden == "20" for s in p.steps),
        {"force_temporary": True},
    ):
        s = next(s for s in p.steps if isinstance(s.action, Stop) and s.action.reden == "20")
        assert isinstance(s.action, Stop)
        a = s.action
        # Sent no earlier than the day after the first stop's end: its own Einddatum, a day
        # later, must not lie after its Dagtekening (TR134), or that is what refuses it.
        p.steps.append(
            Step(
                max(s.day, a.einddatum + timedelta(days=1)),
                SUB_SEND,
                2,
                s.client,
                Stop(
                    a.episode,
                    a.begindatum,
                    "20",
                    a.einddatum + timedelta(days=1),
                    "second_temporary_stop",
                ),
            )
        )
    for p in hosts(
        lambda p: any(isinstance(s.action, Stop) and s.action.reden != "20" for s in p.steps),
        {"force_end": True},
    ):
        s = next(s for s in p.steps if isinstance(s.action, Stop) and s.action.reden != "20")
        assert isinstance(s.action, Stop)
        a = s.action
        wrong = a.begindatum - timedelta(days=1)
        p.steps.append(
            Step(
                s.day,
                SUB_SEND,
                -1,
                s.client,
                Stop(a.episode, wrong, a.reden, a.einddatum, "stop_unknown_start"),
            )
        )
    for p in hosts(lambda p: p.handovers > 0 and p.end_reason is None, {"force_handover": True}):
        _start_before_stop(p)


def _start_before_stop(p: ClientPlan) -> None:
    """The new subcontractor of a handover starts before the old one stopped: its start is
    refused (the function is still being delivered), and it sends it again after."""
    k = next(k for k in range(1, len(p.episodes)) if p.episodes[k].level == p.episodes[k - 1].level)
    stop = next(
        s
        for s in p.steps
        if isinstance(s.action, Stop) and s.action.episode == k - 1 and s.action.reden == "38"
    )
    start = next(s for s in p.steps if isinstance(s.action, Start) and s.action.episode == k)
    assert isinstance(start.action, Start) and isinstance(stop.action, Stop)
    early = workday(start.action.begindatum)
    late = workday(early + timedelta(days=2))
    p.steps.remove(stop)
    p.steps.remove(start)
    p.steps.append(
        Step(
            early,
            SUB_SEND,
            1,
            p.client.index,
            Start(k, start.action.begindatum, "start_before_handover_stop"),
        )
    )
    p.steps.append(Step(max(late, stop.day), SUB_SEND, 0, p.client.index, stop.action))
    p.steps.append(Step(max(late, start.day), SUB_SEND, 1, p.client.index, start.action))
