"""Routing messages between municipalities, a main contractor and its subcontractors.

The intake (``app.intake``) calls the router at three moments of an outbound message's
transaction:

* ``precheck`` — before anything is applied: a municipality may not use the service's own
  allocation numbers; a generic or aspecific allocation to a main contractor must fit one of
  its contracts; a main contractor's start or stop on a decision must name a function of
  that contract; a message must not mix delegated and other allocations.
* ``relay`` — after a subcontractor's start or stop on a delegated allocation was applied:
  the main contractor's message at function level is composed, judged against the
  municipality's decision as if the main contractor had sent it, and applied; if it is
  refused, the subcontractor's message is refused with the same codes (the caller rolls
  back to a savepoint), so the two never disagree.
* ``after`` — once the message is accepted: decisions are recorded, a changed decision is
  passed on to the delegations under it, and everything a party must receive is put in
  its mailbox.

For retours and declaration answers, ``on_answer`` links the answer to what it answers (a
delegation's 301, a relay) and delivers it to whoever must see it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from lxml import etree

from app.administration import records as rec
from app.administration.context import Context
from app.administration.crypto import RAW, Vault
from app.administration.kinds import Variant
from app.administration.store import Tx, values_of
from app.findings import Finding
from app.routing import compose
from app.routing import records as rr
from app.routing.directory import ContractDirectory, ContractView
from app.routing.kinds import DelegationStatus, RelayStatus
from app.routing.mailbox import COPY, MESSAGE, RETOUR, Delivery
from app.standard import codec
from app.standard import messages as m
from app.standard.catalogue import MessageType

log = logging.getLogger(__name__)

OUTBOUND_TO_PROVIDER = ("WMO301", "WMO319")
APPROVING = frozenset({"0200", "8001"})

# Checks of the service's own (not rules of the standard), with the return code each gives.
RT001 = ("RT001", "0001")  # a generic/aspecific allocation to a main contractor fits no contract
RT002 = ("RT002", "9332")  # a municipality used a number from the service's own range
RT003 = ("RT003", "0001")  # delegated and other allocations mixed in one start/stop message
RT004 = ("RT004", "S329")  # a start/stop on a decision names no function of the contract

HUB_CHECKS = {
    "RT001": (
        "0001",
        "a generic or aspecific allocation to a main contractor fits one of its contracts "
        "with the municipality: running on the Ingangsdatum, ending by the contract's end, "
        "a category the contract's functions have (a generic one fitting several goes to the "
        "task-based contract)",
    ),
    "RT002": (
        "9332",
        "a municipality's ToewijzingNummer lies outside the range the service hands out to "
        "delegations",
    ),
    "RT003": (
        "0001",
        "a start or stop message concerns either delegated allocations only or none",
    ),
    "RT004": (
        "S329",
        "a start or stop at function level on a decision names a function of its contract "
        "(and, for an aspecific decision, of its category)",
    ),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _finding(check: tuple[str, str], path: str, text: str) -> Finding:
    return Finding(check[0], check[1], path, text)


def is_decision_candidate(p: m.ToegewezenProduct) -> bool:
    """Generic (no product, a budget) or aspecific (a category, no code)."""
    return p.Product is None or p.Product.Code is None


@dataclass
class _Planned:
    """A line of a start or stop message on a delegated allocation, and where it goes."""

    delegation: rr.Delegation
    decision_allocation: rec.Allocation


class ComposedJudge(Protocol):
    """What the router needs of the intake: judging what it composes by the same rules as
    any message (the intake hands itself in, so routing never reaches up for it)."""

    @property
    def vault(self) -> Vault: ...

    def judge_composed(self, tx: Tx, msg: Any) -> Composed: ...


class Router:
    def __init__(
        self,
        judge: ComposedJudge,
        contracts: ContractDirectory,
        numbers: tuple[int, int] = (900_000_000, 999_999_999),
    ) -> None:
        self.judge = judge
        self.contracts = contracts
        self.numbers = numbers

    def reserved(self, nummer: int) -> bool:
        return self.numbers[0] <= nummer <= self.numbers[1]

    # --- before applying ------------------------------------------------------------------

    def precheck(self, tx: Tx, ctx: Context, mt: MessageType, msg: Any) -> list[Finding]:
        if mt.name == "WMO301":
            return list(self._check_allocations(ctx, msg))
        if mt.name in ("WMO305", "WMO307"):
            return list(self._check_deliveries(tx, ctx, msg))
        return []

    def _check_allocations(self, ctx: Context, msg: m.WMO301) -> Iterable[Finding]:
        for p in msg.Client.ToegewezenProducten:
            path = codec.path_of(p)
            if self.reserved(p.ToewijzingNummer):
                yield _finding(
                    RT002,
                    path + "/ToewijzingNummer",
                    f"numbers {self.numbers[0]} to {self.numbers[1]} are the service's own, "
                    "for delegations to subcontractors",
                )
            elif is_decision_candidate(p) and self.contracts.is_main_contractor(ctx.provider_code):
                _, problem = self._contract_for(ctx.municipality_code, ctx.provider_code, p)
                if problem:
                    yield _finding(RT001, path, problem)

    def _contract_for(
        self, municipality: str, main_contractor: str, p: m.ToegewezenProduct
    ) -> tuple[ContractView | None, str]:
        """The contract a decision falls under, or why there is none."""
        contracts = self.contracts.of_main_contractor(municipality, main_contractor)
        if not contracts:
            return None, f"{main_contractor} is no main contractor of {municipality}"
        running = [c for c in contracts if c.runs_on(p.Ingangsdatum)]
        if not running:
            return None, f"no contract with {municipality} runs on {p.Ingangsdatum}"
        if p.Product is not None:
            running = [c for c in running if p.Product.Categorie in c.categories()]
            if not running:
                return None, (
                    f"no contract with {municipality} has functions in category "
                    f"{p.Product.Categorie}"
                )
        if p.RedenWijziging not in ("13", "01"):
            ending = [
                c
                for c in running
                if c.einddatum is None or (p.Einddatum is not None and p.Einddatum <= c.einddatum)
            ]
            if not ending:
                last = running[0].einddatum
                return None, f"the allocation must end by the contract's end, {last}"
            running = ending
        if len(running) > 1 and p.Product is None:
            # A generic allocation is what task-based contracts are made for; under the
            # others a municipality allocates products.
            running = [c for c in running if c.variant == Variant.TAAKGERICHT] or running
        if len(running) > 1:
            keys = ", ".join(c.key for c in running)
            return None, f"it fits several contracts ({keys}); name a ProductCategorie"
        return running[0], ""

    def _check_deliveries(self, tx: Tx, ctx: Context, msg: Any) -> Iterable[Finding]:
        lines = _lines(msg)
        delegated = [self._delegation_of(tx, ctx, line) is not None for line in lines]
        if any(delegated) and not all(delegated):
            for line, d in zip(lines, delegated, strict=True):
                if not d:
                    yield _finding(
                        RT003,
                        codec.path_of(line),
                        "send lines on allocations a main contractor delegated to you in a "
                        "message of their own",
                    )
            return
        if any(delegated):
            return
        for line in lines:
            found = self._decision_of(tx, ctx, line)
            if found is None:
                continue
            decision, allocation = found
            contract = self.contracts.by_id(decision.contract_id)
            product = line.Product
            function = (
                contract.function_for(product.Categorie, product.Code)
                if contract is not None and product is not None
                else None
            )
            if function is None or (
                allocation.product_categorie is not None
                and function.categorie != allocation.product_categorie
            ):
                yield _finding(
                    RT004,
                    codec.path_of(line) + "/Product",
                    "a start or stop on a decision names one of the contract's functions"
                    + (
                        f" in category {allocation.product_categorie}"
                        if allocation.product_categorie
                        else ""
                    ),
                )

    def _delegation_of(self, tx: Tx, ctx: Context, line: Any) -> rr.Delegation | None:
        if line.ToewijzingNummer is None or not self.reserved(line.ToewijzingNummer):
            return None
        allocation = ctx.allocation(line.ToewijzingNummer)
        if allocation is None or allocation.id is None:
            return None
        found = tx.load(rr.Delegation, "delegations", "toewijzing_id = ?", (allocation.id,))
        return found[0] if found else None

    def _decision_of(
        self, tx: Tx, ctx: Context, line: Any
    ) -> tuple[rr.Decision, rec.Allocation] | None:
        if line.ToewijzingNummer is None:
            return None
        allocation = ctx.allocation(line.ToewijzingNummer)
        if (
            allocation is None
            or allocation.id is None
            or allocation.product_code is not None  # a decision has no product code
            or not self.contracts.is_main_contractor(allocation.provider_code)
        ):
            return None
        found = tx.load(rr.Decision, "decisions", "toewijzing_id = ?", (allocation.id,))
        return (found[0], allocation) if found else None

    # --- relaying --------------------------------------------------------------------------

    def relay_plan(self, tx: Tx, ctx: Context, mt: MessageType, msg: Any) -> list[_Planned]:
        """The delegated lines of a start or stop message (all of its lines, or none)."""
        if mt.name not in ("WMO305", "WMO307"):
            return []
        plan = []
        for line in _lines(msg):
            delegation = self._delegation_of(tx, ctx, line)
            if delegation is None:
                return []
            decision = tx.load(rr.Decision, "decisions", "id = ?", (delegation.decision_id,))[0]
            allocation = tx.load(
                rec.Allocation, "toewijzingen", "id = ?", (decision.toewijzing_id,)
            )[0]
            plan.append(_Planned(delegation, allocation))
        return plan

    def relay(
        self, tx: Tx, ctx: Context, msg: Any, message_id: int, plan: list[_Planned]
    ) -> tuple[list[Finding], list[Delivery]]:
        """Compose, judge and apply the main contractor's message for a subcontractor's
        applied one: its findings refuse the subcontractor's message; or, when there are
        none, where the two messages go."""
        main_contractor = plan[0].delegation.main_contractor_code
        relayed = compose.relay(
            msg,
            main_contractor,
            [
                (
                    p.decision_allocation.nummer,
                    p.decision_allocation.ingangsdatum,
                    p.delegation.categorie,
                    p.delegation.code,
                )
                for p in plan
            ],
            ctx.today,
        )
        composed = self.judge.judge_composed(tx, relayed)
        if composed.findings:
            return [
                replace(f, message=f"as relayed to the municipality: {f.message}")
                for f in composed.findings
            ], []
        now = _now()
        tx.insert(
            "relays",
            values_of(
                rr.Relay(
                    client_id=plan[0].delegation.client_id,
                    source_message_id=message_id,
                    relay_message_id=composed.message_id,
                    municipality_code=ctx.municipality_code,
                    subcontractor_code=ctx.provider_code,
                    main_contractor_code=main_contractor,
                    status=RelayStatus.SENT,
                    retourcodes=[],
                    created_at=now,
                    updated_at=now,
                )
            ),
        )
        return [], [
            Delivery(ctx.municipality_code, composed.message_id, MESSAGE),
            Delivery(main_contractor, message_id, COPY, "relayed to the municipality"),
        ]

    # --- after acceptance -----------------------------------------------------------------

    def after(
        self, tx: Tx, ctx: Context, mt: MessageType, msg: Any, message_id: int, relayed: bool
    ) -> list[Delivery]:
        """Record decisions, pass decision changes on; where the message (and what that
        composed) goes."""
        deliveries: list[Delivery] = []
        if mt.name == "WMO301" and self.contracts.is_main_contractor(ctx.provider_code):
            for p in msg.Client.ToegewezenProducten:
                if is_decision_candidate(p):
                    deliveries += self._decide(tx, ctx, p, message_id)
        if not relayed:
            # (A relayed one went to the municipality, the original to the main contractor.)
            deliveries.append(Delivery(msg.Header.Ontvanger, message_id, MESSAGE))
        return deliveries

    def _decide(
        self, tx: Tx, ctx: Context, p: m.ToegewezenProduct, message_id: int
    ) -> list[Delivery]:
        allocation = ctx.allocation(p.ToewijzingNummer)
        assert allocation is not None and allocation.id is not None and ctx.client is not None
        found = tx.load(rr.Decision, "decisions", "toewijzing_id = ?", (allocation.id,))
        if not found:
            contract, _ = self._contract_for(ctx.municipality_code, ctx.provider_code, p)
            assert contract is not None  # precheck made sure
            tx.insert(
                "decisions",
                values_of(
                    rr.Decision(
                        contract_id=contract.id,
                        toewijzing_id=allocation.id,
                        client_id=ctx.client.id or 0,
                        municipality_code=ctx.municipality_code,
                        source_message_id=message_id,
                        created_at=_now(),
                    )
                ),
            )
            return []
        decision = found[0]
        tx.update("decisions", decision.id or 0, {"source_message_id": message_id})
        return self._follow(tx, ctx, decision, allocation)

    def _follow(
        self, tx: Tx, ctx: Context, decision: rr.Decision, allocation: rec.Allocation
    ) -> list[Delivery]:
        """A decision that now ends earlier (or was withdrawn) ends (or withdraws) the
        delegations under it that reach past its end, with its RedenWijziging."""
        end = allocation.einddatum
        if end is None:
            return []
        withdrawn = allocation.deleted
        reden = allocation.reden_wijziging or "05"
        delegations = [
            d
            for d in tx.load(rr.Delegation, "delegations", "decision_id = ?", (decision.id,))
            if d.live and (d.einddatum is None or d.einddatum > end or withdrawn)
        ]
        by_provider: dict[str, list[Change]] = {}
        for d in delegations:
            if withdrawn or d.begindatum > end:
                d.einddatum, d.status = d.begindatum, DelegationStatus.WITHDRAWN
                change = Change(d, "13")
            else:
                d.einddatum = end
                change = Change(d, reden)
            by_provider.setdefault(d.subcontractor_code, []).append(change)
        deliveries: list[Delivery] = []
        for provider, changes in by_provider.items():
            composed = self.send_allocations(tx, decision, provider, changes, ctx.today)
            if composed.findings:
                log.warning(
                    "decision %s changed, but the change to delegations %s was refused: %s",
                    decision.id,
                    [c.delegation.id for c in changes],
                    sorted({f.rule for f in composed.findings}),
                )
            deliveries += composed.deliveries
        return deliveries

    # --- the subcontractor's 301 ---------------------------------------------------------

    def send_allocations(
        self,
        tx: Tx,
        decision: rr.Decision,
        subcontractor: str,
        changes: list[Change],
        day: date,
    ) -> Composed:
        """Compose, judge and apply the WMO301 that gives ``subcontractor`` its current
        delegated allocations for the client, the changed ones as they are now (a new one
        has no id yet). The delegation rows are written, and the 301 put in the
        subcontractor's mailbox (``composed.deliveries``), only when it is accepted."""
        decision_301 = self._decision_message(tx, decision)
        changed_ids = {c.delegation.id for c in changes if c.delegation.id is not None}
        others = [
            d
            for d in tx.load(
                rr.Delegation,
                "delegations",
                "client_id = ? AND municipality_code = ? AND subcontractor_code = ? "
                "AND status != 'withdrawn'",
                (decision.client_id, decision.municipality_code, subcontractor),
            )
            if d.id not in changed_ids and (d.einddatum is None or d.einddatum >= day)
        ]
        when = compose.now_time()
        products = [self._as_allocated(tx, d) for d in others]
        products += [self._as_changed(tx, c, day, when) for c in changes]
        products.sort(key=lambda p: p.ToewijzingNummer)
        message = compose.allocation_301(
            decision_301, decision.municipality_code, subcontractor, products, day
        )
        message.Client.Commentaar = None  # meant for the main contractor, not passed on
        composed = self.judge.judge_composed(tx, message)
        if composed.findings:
            return composed
        now = _now()
        for c in changes:
            d = c.delegation
            allocation = composed.ctx.allocation(d.toewijzing_nummer)
            assert allocation is not None and allocation.id is not None
            d.toewijzing_id = allocation.id
            d.last_message_id = composed.message_id
            d.updated_at = now
            d.status = DelegationStatus.WITHDRAWN if c.reden == "13" else DelegationStatus.SENT
            d.retourcodes = []
            if d.id is None:
                d.created_at = now
                d.id = tx.insert("delegations", values_of(d))
            else:
                tx.update("delegations", d.id, values_of(d))
        for d in others:
            tx.update("delegations", d.id or 0, {"last_message_id": composed.message_id})
        composed.deliveries.append(Delivery(subcontractor, composed.message_id, MESSAGE))
        return composed

    def _decision_message(self, tx: Tx, decision: rr.Decision) -> m.WMO301:
        raw = tx.scalar(
            "SELECT raw_encrypted FROM messages WHERE id = ?", (decision.source_message_id,)
        )
        assert raw is not None
        data = self.judge.vault.decrypt(bytes(raw), RAW)
        decoded: m.WMO301 = codec.decode(etree.fromstring(data))
        return decoded

    def _as_allocated(self, tx: Tx, d: rr.Delegation) -> m.ToegewezenProduct:
        """A delegated allocation repeated as it stands."""
        a = tx.load(rec.Allocation, "toewijzingen", "id = ?", (d.toewijzing_id,))[0]
        return compose.allocated_product(
            a.nummer,
            d.categorie,
            d.code,
            a.ingangsdatum,
            a.einddatum,
            _omvang(a) or DEFAULT_OMVANG,
            toewijzingsdatum=a.toewijzingsdatum,
            toewijzingstijd=a.toewijzingstijd,
            reden_wijziging=a.reden_wijziging,
        )

    def _as_changed(self, tx: Tx, c: Change, day: date, when: Any) -> m.ToegewezenProduct:
        d = c.delegation
        stored = (
            tx.load(rec.Allocation, "toewijzingen", "id = ?", (d.toewijzing_id,))
            if d.toewijzing_id
            else []
        )
        omvang = c.omvang or (_omvang(stored[0]) if stored else None) or DEFAULT_OMVANG
        return compose.allocated_product(
            d.toewijzing_nummer,
            d.categorie,
            d.code,
            d.begindatum,
            d.einddatum,
            omvang,
            toewijzingsdatum=day,
            toewijzingstijd=when,
            reden_wijziging=c.reden,
        )

    def next_number(self, tx: Tx, municipality: str) -> int:
        """The next number from the service's range for this municipality, never one the
        municipality already uses."""
        low, high = self.numbers
        while True:
            number = int(
                tx.scalar(
                    "INSERT INTO delegation_numbers (municipality_code, last) VALUES (?, ?) "
                    "ON CONFLICT (municipality_code) DO UPDATE "
                    "SET last = delegation_numbers.last + 1 RETURNING last",
                    (municipality, low),
                )
            )
            if number > high:
                raise RangeExhausted(f"the service's allocation numbers for {municipality} ran out")
            taken = tx.scalar(
                "SELECT id FROM toewijzingen WHERE municipality_code = ? AND nummer = ?",
                (municipality, number),
            )
            if taken is None:
                return number

    # --- answers --------------------------------------------------------------------------

    def on_answer(
        self, tx: Tx, mt: MessageType, msg: Any, message_id: int, original_id: int | None
    ) -> list[Delivery]:
        """Link an accepted retour (or a municipality's WMO325) and say who receives it."""
        if mt.name == "WMO325":
            return [Delivery(msg.Header.Ontvanger, message_id, RETOUR)]
        if original_id is None:
            return []
        codes = _codes(msg)
        refused = bool(codes - APPROVING)
        now = _now()
        delegations = tx.load(rr.Delegation, "delegations", "last_message_id = ?", (original_id,))
        if delegations:
            for d in delegations:
                if d.status != DelegationStatus.WITHDRAWN:
                    tx.update(
                        "delegations",
                        d.id or 0,
                        {
                            "status": DelegationStatus.REFUSED
                            if refused
                            else DelegationStatus.CONFIRMED,
                            "retourcodes": sorted(codes - APPROVING),
                            "updated_at": now,
                        },
                    )
            return [Delivery(delegations[0].main_contractor_code, message_id, RETOUR)]
        relays = tx.load(rr.Relay, "relays", "relay_message_id = ?", (original_id,))
        if relays:
            r = relays[0]
            tx.update(
                "relays",
                r.id or 0,
                {
                    "status": RelayStatus.REJECTED if refused else RelayStatus.ACCEPTED,
                    "retourcodes": sorted(codes - APPROVING),
                    "retour_message_id": message_id,
                    "updated_at": now,
                },
            )
            return [Delivery(r.main_contractor_code, message_id, RETOUR)]
        poster = tx.scalar("SELECT sender_code FROM messages WHERE id = ?", (original_id,))
        return [Delivery(str(poster), message_id, RETOUR)] if poster else []


# A delegation without a volume of its own: one trajectory, in total, for its period.
DEFAULT_OMVANG = m.Omvang(Volume=1, Eenheid="82", Frequentie="6")


class RangeExhausted(Exception):
    pass


@dataclass
class Change:
    """A delegation as it must now be sent, with the RedenWijziging of the change (None for
    a new one) and, when given, its volume."""

    delegation: rr.Delegation
    reden: str | None = None
    omvang: m.Omvang | None = None


@dataclass
class Composed:
    """A message the service composed and judged in the current transaction."""

    message_id: int
    findings: list[Finding]
    ctx: Context
    # Where it goes when accepted (a subcontractor's 301: the subcontractor's mailbox).
    deliveries: list[Delivery] = field(default_factory=list)


def _omvang(a: rec.Allocation) -> m.Omvang | None:
    if a.volume is None or a.eenheid is None or a.frequentie is None:
        return None
    return m.Omvang(Volume=a.volume, Eenheid=a.eenheid, Frequentie=a.frequentie)


def _lines(msg: Any) -> list[Any]:
    if isinstance(msg, m.WMO305):
        return list(msg.Client.StartProducten)
    return list(msg.Client.StopProducten)


def _codes(msg: Any) -> set[str]:
    found: set[str] = set()

    def walk(obj: Any) -> None:
        codes = getattr(obj, "RetourCodes", None)
        if codes:
            found.update(codes)
        for value in vars(obj).values() if hasattr(obj, "__dict__") else ():
            if isinstance(value, list):
                for item in value:
                    if hasattr(item, "__dict__"):
                        walk(item)
            elif hasattr(value, "__dict__"):
                walk(value)

    walk(msg)
    return found
