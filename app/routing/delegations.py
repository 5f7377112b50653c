"""Delegating a function under a decision to a subcontractor, changing and withdrawing it.

Each action is one transaction: the client's row is locked (as every message about the
client locks it), the request is checked against the contract and the other delegations,
and the subcontractor's WMO301 is composed, judged like any 301 and applied, and put in
its mailbox. Anything wrong refuses the whole action and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from app.administration import records as rec
from app.administration.store import Tx
from app.findings import Finding
from app.routing import mailbox
from app.routing import records as rr
from app.routing.directory import ContractView
from app.routing.router import Change, Composed, RangeExhausted
from app.standard import codelists
from app.standard import messages as m

if TYPE_CHECKING:
    from app.routing.hub import Hub

# RedenWijziging a main contractor may give when it ends a delegation early.
ENDING_REASONS = ("02", "03", "05", "06", "07", "08", "09", "10", "11", "12", "14")


class DelegationError(Exception):
    """The request cannot be carried out; ``status`` is the HTTP status that says why: 404
    for a decision or delegation the caller does not hold, 409 when what is asked does not
    fit what is there (the contract, the decision, the delegation, other delegations)."""

    def __init__(
        self, status: int, kind: str, detail: str, findings: list[Finding] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.findings = findings or []


@dataclass(frozen=True)
class NewDelegation:
    decision_id: int
    function_key: str
    subcontractor: str
    begindatum: date
    einddatum: date | None = None
    omvang: m.Omvang | None = None


class Delegations:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.router = hub.router
        self.contracts = hub.contracts

    # --- actions --------------------------------------------------------------------------

    def create(self, main_contractor: str, new: NewDelegation) -> rr.Delegation:
        today = self.hub.today()
        with self.hub.store.transaction() as tx:
            decision, allocation, contract = self._decision(tx, new.decision_id, main_contractor)
            function = contract.functions.get(new.function_key)
            if function is None:
                raise DelegationError(
                    409,
                    "unknown_function",
                    f"{new.function_key} is not a function of contract {contract.key}",
                )
            if allocation.product_categorie not in (None, function.categorie):
                raise DelegationError(
                    409,
                    "function_outside_decision",
                    f"the decision is for category {allocation.product_categorie}; "
                    f"{new.function_key} is category {function.categorie}",
                )
            if not contract.may_deliver(new.subcontractor, new.function_key):
                raise DelegationError(
                    409,
                    "function_not_allowed",
                    f"contract {contract.key} does not let {new.subcontractor} deliver "
                    f"{new.function_key}",
                )
            if not self.hub.participants.active(new.subcontractor):
                raise DelegationError(
                    409, "unknown_subcontractor", f"{new.subcontractor} is not a participant"
                )
            einddatum = new.einddatum or allocation.einddatum
            self._check_period(allocation, contract, new.begindatum, einddatum)
            self._check_overlap(tx, decision, new.function_key, new.begindatum, einddatum)
            try:
                number = self.router.next_number(tx, decision.municipality_code)
            except RangeExhausted as exc:
                raise DelegationError(409, "numbers_exhausted", str(exc)) from None
            delegation = rr.Delegation(
                decision_id=decision.id or 0,
                contract_id=contract.id,
                client_id=decision.client_id,
                municipality_code=decision.municipality_code,
                main_contractor_code=main_contractor,
                subcontractor_code=new.subcontractor,
                function_key=new.function_key,
                categorie=function.categorie,
                code=function.code,
                begindatum=new.begindatum,
                einddatum=einddatum,
                toewijzing_nummer=number,
            )
            self._send(tx, decision, new.subcontractor, Change(delegation, None, new.omvang), today)
            return delegation

    def end(
        self, main_contractor: str, delegation_id: int, einddatum: date, reden: str = "05"
    ) -> rr.Delegation:
        """End a delegation earlier than planned (the subcontractor gets a changed 301)."""
        if reden not in ENDING_REASONS or reden not in codelists.REDEN_WIJZIGING:
            # The API's schema lists the reasons; this guards other callers.
            raise DelegationError(
                422,
                "invalid_reason",
                f"RedenWijziging {reden} cannot end a delegation; use one of "
                + ", ".join(ENDING_REASONS),
            )
        today = self.hub.today()
        with self.hub.store.transaction() as tx:
            d, decision = self._delegation(tx, delegation_id, main_contractor)
            if einddatum < d.begindatum:
                raise DelegationError(
                    409, "invalid_period", "the new Einddatum lies before the Begindatum"
                )
            if d.einddatum is not None and einddatum >= d.einddatum:
                raise DelegationError(
                    409,
                    "not_earlier",
                    f"the delegation already ends {d.einddatum}; to extend it, "
                    "delegate the function again from the next day",
                )
            d.einddatum = einddatum
            self._send(tx, decision, d.subcontractor_code, Change(d, reden), today)
            return d

    def withdraw(self, main_contractor: str, delegation_id: int) -> rr.Delegation:
        """Withdraw a delegation sent by mistake (RedenWijziging 13: as if never sent).
        Refused once the subcontractor reported a start on it."""
        today = self.hub.today()
        with self.hub.store.transaction() as tx:
            d, decision = self._delegation(tx, delegation_id, main_contractor)
            started = tx.scalar(
                "SELECT id FROM starts WHERE toewijzing_id = ? AND deleted_by_id IS NULL",
                (d.toewijzing_id,),
            )
            if started is not None:
                raise DelegationError(
                    409,
                    "already_started",
                    "the subcontractor reported a start on this delegation; end it instead",
                )
            d.einddatum = d.begindatum
            self._send(tx, decision, d.subcontractor_code, Change(d, "13"), today)
            return d

    # --- checks ---------------------------------------------------------------------------

    def _decision(
        self, tx: Tx, decision_id: int, main_contractor: str
    ) -> tuple[rr.Decision, rec.Allocation, ContractView]:
        found = tx.load(rr.Decision, "decisions", "id = ?", (decision_id,))
        contract = self.contracts.by_id(found[0].contract_id) if found else None
        if not found or contract is None or contract.main_contractor != main_contractor:
            raise DelegationError(404, "not_found", f"no decision {decision_id} of yours")
        decision = found[0]
        _lock_client(tx, decision.client_id)
        allocation = tx.load(rec.Allocation, "toewijzingen", "id = ?", (decision.toewijzing_id,))[0]
        if allocation.deleted:
            raise DelegationError(409, "decision_withdrawn", "the decision was withdrawn")
        return decision, allocation, contract

    def _delegation(
        self, tx: Tx, delegation_id: int, main_contractor: str
    ) -> tuple[rr.Delegation, rr.Decision]:
        found = tx.load(rr.Delegation, "delegations", "id = ?", (delegation_id,))
        if not found or found[0].main_contractor_code != main_contractor:
            raise DelegationError(404, "not_found", f"no delegation {delegation_id} of yours")
        _lock_client(tx, found[0].client_id)
        d = tx.load(rr.Delegation, "delegations", "id = ?", (delegation_id,))[0]  # as locked
        if not d.live:
            raise DelegationError(409, "withdrawn", "the delegation was withdrawn")
        decision = tx.load(rr.Decision, "decisions", "id = ?", (d.decision_id,))[0]
        return d, decision

    @staticmethod
    def _check_period(
        allocation: rec.Allocation, contract: ContractView, begin: date, end: date | None
    ) -> None:
        problems = []
        if begin < allocation.ingangsdatum:
            problems.append(f"it begins before the decision ({allocation.ingangsdatum})")
        if allocation.einddatum is not None and (end is None or end > allocation.einddatum):
            problems.append(f"it ends after the decision ({allocation.einddatum})")
        if end is not None and end < begin:
            problems.append("its Einddatum lies before its Begindatum")
        if not contract.runs_on(begin):
            problems.append(f"contract {contract.key} does not run on {begin}")
        if problems:
            raise DelegationError(
                409, "period_outside_decision", "the period does not fit: " + "; ".join(problems)
            )

    @staticmethod
    def _check_overlap(
        tx: Tx, decision: rr.Decision, function_key: str, begin: date, end: date | None
    ) -> None:
        for other in tx.load(
            rr.Delegation,
            "delegations",
            "client_id = ? AND function_key = ? AND status != 'withdrawn'",
            (decision.client_id, function_key),
        ):
            if other.overlaps(begin, end):
                raise DelegationError(
                    409,
                    "overlapping_delegation",
                    f"{function_key} is already delegated for this client to "
                    f"{other.subcontractor_code} from {other.begindatum} to "
                    f"{other.einddatum or 'open end'} (delegation {other.id})",
                )

    def _send(
        self, tx: Tx, decision: rr.Decision, subcontractor: str, change: Change, day: date
    ) -> Composed:
        composed = self.router.send_allocations(tx, decision, subcontractor, [change], day)
        if composed.findings:
            raise DelegationError(
                409,
                "allocation_refused",
                "the subcontractor's allocation would break the standard's rules",
                composed.findings,
            )
        mailbox.deliver(tx, composed.deliveries)
        return composed


def _lock_client(tx: Tx, client_id: int) -> None:
    """Serialise with every message about this client (they lock the same row)."""
    tx.scalar(tx.lock("SELECT id FROM clients WHERE id = ?"), (client_id,))
