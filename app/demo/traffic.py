"""Carrying out the plan through the service's HTTP API, day by day.

Each party talks to the API with its own key, as its software would: municipalities send
decisions and answer what the main contractor reports; the main contractor reads the
decisions in its mailbox and delegates, and ends delegations; subcontractors answer the
allocations in their mailboxes and report starts and stops. Every party fetches, answers
and acknowledges what is in its mailbox. The service's clock follows the simulated day.

A day runs in phases: municipalities send, the main contractor reads its mailbox and acts,
subcontractors read theirs and answer, subcontractors send starts and stops,
municipalities read theirs and answer. Whatever the service refuses is counted; a refusal
that was not planted as a mistake, or a mistake that got through, is recorded as
unexpected.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.administration.participants import MUNICIPALITY, SUBCONTRACTOR
from app.demo import messages as msgs
from app.demo.asgi import Client, Response
from app.demo.region import LEVEL_CODES, Region
from app.demo.scenario import (
    DECIDE,
    MAIN,
    MISTAKES,
    REFUSED_REQUESTS,
    SUB_SEND,
    YEAR_END,
    ClientPlan,
    Decide,
    Delegate,
    EndDecision,
    EndDelegation,
    Start,
    Step,
    Stop,
)
from app.standard import messages as m

PAGE = 500
RESERVED_NUMBER = 999_999_001  # a number from the service's own range (the mistake)


# Progress: steps done, the simulated day, messages sent, messages refused, draw now.
Reporter = Callable[[int, date, int, int, bool], None]


class DemoError(Exception):
    """The service answered in a way the demo cannot go on from."""


class Clock:
    """The service's clock: the simulated day."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


@dataclass
class Ledger:
    """What the parties did and what the service answered."""

    sent: Counter[tuple[str, str]] = field(default_factory=Counter)  # (party, type)
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)
    mistakes: Counter[str] = field(default_factory=Counter)  # planted and refused as planned
    refused_requests: Counter[str] = field(default_factory=Counter)  # API problem types
    requests: Counter[str] = field(default_factory=Counter)  # HTTP calls by route
    fetched: Counter[str] = field(default_factory=Counter)  # mailbox items read, per party
    acknowledged: Counter[str] = field(default_factory=Counter)
    delegations: Counter[str] = field(default_factory=Counter)  # created, ended
    unexpected: list[str] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)  # mailbox items left at the end
    days: int = 0

    @property
    def messages(self) -> int:
        return sum(self.sent.values())

    def merge(self, other: Ledger) -> None:
        for name in (
            "sent",
            "refused",
            "mistakes",
            "refused_requests",
            "requests",
            "fetched",
            "acknowledged",
            "delegations",
        ):
            getattr(self, name).update(getattr(other, name))
        self.unexpected.extend(other.unexpected)
        self.days = max(self.days, other.days)


class _Party:
    def __init__(self, code: str, role: str, http: Client) -> None:
        self.code = code
        self.role = role
        self.http = http
        self.after = 0  # the last mailbox item processed


class Traffic:
    def __init__(
        self,
        app: Any,
        clock: Clock,
        region: Region,
        plans: list[ClientPlan],
        report: Reporter,
        municipalities: frozenset[str],
    ) -> None:
        self.app = app
        self.clock = clock
        self.region = region
        self.plans = {p.client.index: p for p in plans}
        self.by_decision = {(p.client.municipality, p.decision_number): p for p in plans}
        self.by_bsn = {p.client.bsn: p for p in plans}
        self.report = report
        self.scope = municipalities  # the municipalities whose traffic this worker runs
        self.ledger = Ledger()
        self.ids = msgs.Identifications()
        self.main_contractor = region.contract.main_contractor
        self.decision_ids: dict[tuple[str, int], int] = {}
        self._decisions_after = 0
        self.delegation_ids: dict[tuple[int, int], int] = {}
        # What each subcontractor's software knows: (BSN, product code) -> allocation.
        self.allocations: dict[str, dict[tuple[str, str], msgs.Allocation]] = defaultdict(dict)
        self.parties: dict[str, _Party] = {}
        self._done = 0

    # --- running --------------------------------------------------------------------------

    async def run(self) -> Ledger:
        for code, party in self.region.parties.items():
            self.parties[code] = _Party(code, party.role, Client(self.app, party.key))
        await self._simulate()
        return self.ledger

    def _of_role(self, role: str) -> list[_Party]:
        return [p for p in self.parties.values() if p.role == role]

    async def _simulate(self) -> None:
        steps = sorted((s for p in self.plans.values() for s in p.steps), key=lambda s: s.key)
        by_day: dict[date, list[Step]] = defaultdict(list)
        for s in steps:
            by_day[s.day].append(s)
        main = self.parties[self.main_contractor]
        subs = self._of_role(SUBCONTRACTOR)
        municipalities = [p for p in self._of_role(MUNICIPALITY) if p.code in self.scope]
        for day in sorted(by_day):
            self.clock.day = day
            self.ledger.days += 1
            todays = by_day[day]
            await self._steps(todays, DECIDE)
            await self._main_mailbox(main)
            await self._steps(todays, MAIN)
            for sub in subs:
                await self._sub_mailbox(sub)
            await self._steps(todays, SUB_SEND)
            for municipality in municipalities:
                await self._municipality_mailbox(municipality)
        # The last answers of the year reach the main contractor; every mailbox is emptied.
        self.clock.day = max(self.clock.day, YEAR_END)
        for _ in range(3):
            await self._main_mailbox(main)
            for sub in subs:
                await self._sub_mailbox(sub)
            for municipality in municipalities:
                await self._municipality_mailbox(municipality)
        self._show(force=True)

    async def _steps(self, steps: list[Step], phase: int) -> None:
        for s in steps:
            if s.phase != phase:
                continue
            await self._do(s)
            self._done += 1
            self._show()

    def _show(self, *, force: bool = False) -> None:
        refused = sum(self.ledger.refused.values())
        self.report(self._done, self.clock.day, self.ledger.messages, refused, force)

    async def _do(self, s: Step) -> None:
        p = self.plans[s.client]
        a = s.action
        if isinstance(a, Decide):
            await self._decide(p, a)
        elif isinstance(a, EndDecision):
            await self._end_decision(p, a)
        elif isinstance(a, Delegate):
            await self._delegate(p, a.episode)
        elif isinstance(a, EndDelegation):
            await self._end_delegation(p, a)
        elif isinstance(a, Start):
            await self._start(p, a)
        else:
            await self._stop(p, a)

    # --- HTTP -----------------------------------------------------------------------------

    async def _call(
        self, party: _Party, method: str, route: str, url: str, **kwargs: Any
    ) -> Response:
        self.ledger.requests[f"{method} {route}"] += 1
        return await party.http.request(method, url, **kwargs)

    async def _send(
        self, party: _Party, body: bytes, kind: str, what: str, mistake: str | None = None
    ) -> None:
        """POST a message and check the service's verdict against the plan."""
        r = await self._call(
            party,
            "POST",
            "/v1/berichten",
            "/v1/berichten",
            content=body,
            content_type="application/xml",
        )
        self.ledger.sent[(party.code, kind)] += 1
        if r.status_code != 200:
            raise DemoError(f"{what}: HTTP {r.status_code}: {_problem(r)}")
        if r.headers.get("content-type", "").startswith("application/json"):
            status = r.json().get("status")
            if status != "accepted":
                self.ledger.refused[(party.code, kind)] += 1
                self.ledger.unexpected.append(f"{what}: the {kind} was {status}")
            return
        codes = msgs.return_codes(r.content)
        if codes:
            self.ledger.refused[(party.code, kind)] += 1
        if mistake is not None:
            expected = sorted(MISTAKES[mistake].codes)
            if codes == expected:
                self.ledger.mistakes[mistake] += 1
            else:
                self.ledger.unexpected.append(
                    f"{what}: the mistake {mistake} got {codes or 'accepted'}, not {expected}"
                )
        elif codes:
            self.ledger.unexpected.append(f"{what}: refused with {', '.join(codes)}")

    async def _list(self, party: _Party, after: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            r = await self._call(
                party, "GET", "/v1/mailbox", "/v1/mailbox", params={"after": after, "limit": PAGE}
            )
            _expect(r, 200, f"{party.code}'s mailbox")
            page = r.json()
            items.extend(page["items"])
            if page["next_after"] is None:
                return items
            after = page["next_after"]

    async def _mailbox(self, party: _Party) -> list[dict[str, Any]]:
        """What is new in a mailbox and concerns this worker's municipalities (the other
        worker takes care of the rest)."""
        items = await self._list(party, party.after)
        if items:
            party.after = items[-1]["id"]
        return [item for item in items if municipality_of(item) in self.scope]

    async def _fetch(self, party: _Party, item: dict[str, Any]) -> bytes:
        r = await self._call(party, "GET", "/v1/mailbox/{id}", f"/v1/mailbox/{item['id']}")
        _expect(r, 200, f"{party.code}'s mailbox item")
        self.ledger.fetched[party.code] += 1
        return r.content

    async def _ack(self, party: _Party, item: dict[str, Any]) -> None:
        r = await self._call(party, "POST", "/v1/mailbox/{id}/ack", f"/v1/mailbox/{item['id']}/ack")
        _expect(r, 204, f"{party.code} acknowledging")
        self.ledger.acknowledged[party.code] += 1

    # --- mailboxes ------------------------------------------------------------------------

    async def _main_mailbox(self, main: _Party) -> None:
        """A municipality's WMO301 is a new or changed decision: the new ones (from
        GET /v1/decisions, which gives their ids) are delegated as the client's care plan
        says. Every item (decisions, copies of the subcontractors' starts and stops, the
        retours of the delegated allocations and of the relays) is then acknowledged: the
        listing says what each is."""
        items = await self._mailbox(main)
        if any(i["kind"] == "message" and i["message_type"] == "WMO301" for i in items):
            for key in await self._new_decisions():
                await self._delegate(self.by_decision[key], 0)
        for item in items:
            await self._ack(main, item)

    async def _sub_mailbox(self, sub: _Party) -> None:
        """Allocations are recorded and answered with a WMO302."""
        for item in await self._mailbox(sub):
            body = await self._fetch(sub, item)
            if item["kind"] == "message" and item["message_type"] == "WMO301":
                allocation = msgs.read(body)
                known = self.allocations[sub.code]
                for a in msgs.allocations(allocation):
                    known[(allocation.Client.Bsn, a.code)] = a
                await self._send(
                    sub, msgs.answer(allocation, self.clock.day), "WMO302", f"{sub.code}'s WMO302"
                )
            await self._ack(sub, item)

    async def _municipality_mailbox(self, municipality: _Party) -> None:
        """Starts and stops (relayed at function level) are answered with a retour."""
        for item in await self._mailbox(municipality):
            body = await self._fetch(municipality, item)
            if item["kind"] == "message" and item["message_type"] in ("WMO305", "WMO307"):
                received = msgs.read(body)
                retour_type = "WMO306" if isinstance(received, m.WMO305) else "WMO308"
                await self._send(
                    municipality,
                    msgs.answer(received, self.clock.day),
                    retour_type,
                    f"{municipality.code}'s {retour_type}",
                )
            await self._ack(municipality, item)

    # --- the municipality -----------------------------------------------------------------

    async def _decide(self, p: ClientPlan, a: Decide) -> None:
        day = self.clock.day
        nummer, ingang = p.decision_number, p.ingangsdatum
        if a.mistake == "decision_before_contract":
            ingang = date(2026, 12, 1)
        elif a.mistake == "reserved_number":
            nummer = RESERVED_NUMBER
        body = msgs.decision(
            p.client,
            self.main_contractor,
            nummer,
            ingang,
            p.einddatum,
            p.budget,
            day=day,
            ident=self.ids(),
        )
        party = self.parties[p.client.municipality]
        await self._send(party, body, "WMO301", f"client {p.client.index}: decision", a.mistake)

    async def _end_decision(self, p: ClientPlan, a: EndDecision) -> None:
        body = msgs.decision(
            p.client,
            self.main_contractor,
            p.decision_number,
            p.ingangsdatum,
            a.einddatum,
            p.budget,
            day=self.clock.day,
            ident=self.ids(),
            reden_wijziging=a.reden,
        )
        party = self.parties[p.client.municipality]
        await self._send(party, body, "WMO301", f"client {p.client.index}: decision ended")

    # --- the main contractor --------------------------------------------------------------

    async def _new_decisions(self) -> list[tuple[str, int]]:
        """Decisions made since the last look, of this worker's municipalities:
        (municipality, ToewijzingNummer), remembering their ids."""
        main = self.parties[self.main_contractor]
        found = []
        while True:
            r = await self._call(
                main,
                "GET",
                "/v1/decisions",
                "/v1/decisions",
                params={"after": self._decisions_after, "limit": PAGE},
            )
            _expect(r, 200, "the decisions")
            page = r.json()
            for d in page["items"]:
                self._decisions_after = d["id"]
                key = (d["municipality_code"], d["toewijzing_nummer"])
                if d["municipality_code"] in self.scope and key in self.by_decision:
                    self.decision_ids[key] = d["id"]
                    found.append(key)
            if page["next_after"] is None:
                return found

    def _decision_id(self, p: ClientPlan) -> int:
        key = (p.client.municipality, p.decision_number)
        if key not in self.decision_ids:
            raise DemoError(f"client {p.client.index}: the decision is not listed")
        return self.decision_ids[key]

    async def _delegate(self, p: ClientPlan, episode: int) -> None:
        main = self.parties[self.main_contractor]
        ep = p.episodes[episode]
        body = {
            "decision_id": self._decision_id(p),
            "function": self.region.functions[ep.level],
            "subcontractor": ep.subcontractor,
            "begindatum": ep.begin.isoformat(),
        }
        what = f"client {p.client.index}: delegation"
        if episode == 0 and p.wrong_subcontractor is not None:
            wrong = {**body, "subcontractor": p.wrong_subcontractor}
            r = await self._call(main, "POST", "/v1/delegations", "/v1/delegations", json=wrong)
            kind = REFUSED_REQUESTS["function_not_allowed"][1]
            if r.status_code == 409 and r.json().get("type", "").endswith(kind):
                self.ledger.refused_requests[kind] += 1
            else:
                self.ledger.unexpected.append(f"{what}: a wrong delegation got {r.status_code}")
        r = await self._call(main, "POST", "/v1/delegations", "/v1/delegations", json=body)
        _expect(r, 201, what)
        self.delegation_ids[(p.client.index, episode)] = r.json()["id"]
        self.ledger.delegations["created"] += 1

    async def _end_delegation(self, p: ClientPlan, a: EndDelegation) -> None:
        main = self.parties[self.main_contractor]
        delegation = self.delegation_ids[(p.client.index, a.episode)]
        r = await self._call(
            main,
            "PATCH",
            "/v1/delegations/{id}",
            f"/v1/delegations/{delegation}",
            json={"einddatum": a.einddatum.isoformat(), "reden_wijziging": a.reden},
        )
        _expect(r, 200, f"client {p.client.index}: ending a delegation")
        self.ledger.delegations["ended"] += 1

    # --- the subcontractors ---------------------------------------------------------------

    def _allocation(self, p: ClientPlan, episode: int) -> tuple[_Party, msgs.Allocation]:
        ep = p.episodes[episode]
        sub = self.parties[ep.subcontractor]
        found = self.allocations[sub.code].get((p.client.bsn, LEVEL_CODES[ep.level]))
        if found is None:
            raise DemoError(f"client {p.client.index}: {sub.code} never received the allocation")
        return sub, found

    async def _start(self, p: ClientPlan, a: Start) -> None:
        sub, allocation = self._allocation(p, a.episode)
        day = self.clock.day
        if a.mistake == "future_dagtekening":
            day += timedelta(days=1)
        body = msgs.start(p.client, sub.code, allocation, a.begindatum, day=day, ident=self.ids())
        await self._send(sub, body, "WMO305", f"client {p.client.index}: start", a.mistake)

    async def _stop(self, p: ClientPlan, a: Stop) -> None:
        sub, allocation = self._allocation(p, a.episode)
        body = msgs.stop(
            p.client,
            sub.code,
            allocation,
            a.begindatum,
            a.reden,
            a.einddatum,
            day=self.clock.day,
            ident=self.ids(),
        )
        await self._send(sub, body, "WMO307", f"client {p.client.index}: stop {a.reden}", a.mistake)


def municipality_of(item: dict[str, Any]) -> str | None:
    """The municipality a mailbox item is about: every message here goes from or to one."""
    sender = item.get("sender_code") or ""
    return sender if len(sender) == 4 else item.get("receiver_code")


async def waiting(app: Any, region: Region) -> dict[str, int]:
    """Items left unacknowledged in each party's mailbox."""
    left = {}
    for code, party in region.parties.items():
        if party.role == "operator":
            continue
        http = Client(app, party.key)
        after, count = 0, 0
        while True:
            r = await http.get("/v1/mailbox", after=after, limit=PAGE)
            _expect(r, 200, f"{code}'s mailbox")
            page = r.json()
            count += len(page["items"])
            if page["next_after"] is None:
                break
            after = page["next_after"]
        left[code] = count
    return left


def _problem(r: Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:200]
    return str(body.get("detail") or body.get("title") or body)


def _expect(r: Response, status: int, what: str) -> None:
    if r.status_code != status:
        raise DemoError(f"{what}: HTTP {r.status_code}: {_problem(r)}")
