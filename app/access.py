"""Who may see, do and answer what: one answer per question, asked by every endpoint, the
console, the reports and the intake alike, so that no two places can disagree.

A party is a participant (``code`` and ``role``). Operators see everything and send no
messages. A municipality sees its own clients and what passed between it and a provider;
a provider (main contractor, subcontractor, or one in the direct model) what passed between
it and a municipality, and what concerns its delegations. Money — budgets, tariffs, costs —
is the business of a contract's main contractor and its municipalities (each of its own
budget); a subcontractor works for the main contractor at its own rates and sees none of it.

Questions about many rows are answered as SQL conditions (``reads_*``), to put in the
query that lists them; questions about one thing as yes or no (``may_*``, ``sees_*``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, or_, true

from app.administration import models as db
from app.administration.kinds import MessageStatus
from app.administration.participants import (
    MAIN_CONTRACTOR,
    MUNICIPALITY,
    OPERATOR,
    PROVIDER_ROLES,
    SUBCONTRACTOR,
)
from app.routing import models as rm

__all__ = [
    "Account",
    "Party",
    "is_operator",
    "mailbox_of",
    "may_act_for_delegation",
    "may_answer",
    "may_deactivate",
    "may_delegate",
    "may_manage",
    "may_post",
    "may_resend_relay",
    "reads_client",
    "reads_contract",
    "reads_decision",
    "reads_delegation",
    "reads_mailbox",
    "reads_message",
    "reads_record",
    "reads_relay",
    "reads_reports",
    "report_deliverer",
    "report_municipality",
    "sees_bsn",
    "sees_budget",
    "sees_contract",
    "sees_contract_money",
    "sees_decision",
]

# Statuses of messages the service passed on to their receiver (composed ones included).
PASSED_ON = frozenset(
    {MessageStatus.ACCEPTED, MessageStatus.PARTIALLY_ACCEPTED, MessageStatus.SENT}
)


class Party(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def role(self) -> str: ...


class Account(Party, Protocol):
    """A party as it authenticated: with its participant id."""

    @property
    def id(self) -> int: ...


def is_operator(who: Party) -> bool:
    return who.role == OPERATOR


# --- reading ------------------------------------------------------------------------------------


def reads_message(who: Account) -> ColumnElement[bool]:
    """Messages a party may read: those it sent or received, those it posted, and what the
    service put in its mailbox. A header names its parties only once the service has
    checked it: a message refused before that (unreadable, not schema-valid, sent in
    another's name) or not judged yet concerns only whoever posted it."""
    if is_operator(who):
        return true()
    checked = and_(db.Message.problem.is_(None), db.Message.status != MessageStatus.RECEIVED)
    return or_(
        and_(checked, db.Message.sender_code == who.code),
        and_(checked, db.Message.receiver_code == who.code),
        db.Message.participant_id == who.id,
        exists().where(
            rm.MailboxItem.message_id == db.Message.id, rm.MailboxItem.recipient_code == who.code
        ),
    )


def reads_client(who: Party) -> ColumnElement[bool]:
    """Clients a party may read: a municipality its own; a provider those it has an
    allocation, a request or a delivery for."""
    if is_operator(who):
        return true()
    return or_(
        db.Client.municipality_code == who.code,
        exists().where(
            db.Toewijzing.client_id == db.Client.id, db.Toewijzing.provider_code == who.code
        ),
        exists().where(db.Verzoek.client_id == db.Client.id, db.Verzoek.provider_code == who.code),
        exists().where(db.Start.client_id == db.Client.id, db.Start.provider_code == who.code),
    )


def reads_record(who: Party, model: Any) -> ColumnElement[bool]:
    """Records between a municipality and a provider (allocations, deliveries, requests,
    declarations: a model with ``municipality_code`` and ``provider_code``): for those two
    parties."""
    if is_operator(who):
        return true()
    return or_(model.municipality_code == who.code, model.provider_code == who.code)


def reads_decision(who: Party) -> ColumnElement[bool]:
    """Decisions (needs ``rm.Contract`` joined): the municipality's and its main
    contractor's."""
    if is_operator(who):
        return true()
    return or_(
        rm.Contract.main_contractor_code == who.code, rm.Decision.municipality_code == who.code
    )


def sees_decision(who: Party, municipality: str, main_contractor: str) -> bool:
    return is_operator(who) or who.code in (municipality, main_contractor)


def reads_delegation(who: Party) -> ColumnElement[bool]:
    if is_operator(who):
        return true()
    return or_(
        rm.Delegation.main_contractor_code == who.code,
        rm.Delegation.subcontractor_code == who.code,
        rm.Delegation.municipality_code == who.code,
    )


def reads_relay(who: Party) -> ColumnElement[bool]:
    if is_operator(who):
        return true()
    return or_(
        rm.Relay.main_contractor_code == who.code,
        rm.Relay.subcontractor_code == who.code,
        rm.Relay.municipality_code == who.code,
    )


def reads_contract(who: Party) -> ColumnElement[bool]:
    """Contracts: for their main contractor, municipalities and subcontractors."""
    if is_operator(who):
        return true()
    return or_(
        rm.Contract.main_contractor_code == who.code,
        rm.Contract.municipalities.any(rm.ContractMunicipality.municipality_code == who.code),
        rm.Contract.subcontractors.any(rm.ContractSubcontractor.subcontractor_code == who.code),
    )


def sees_contract(
    who: Party,
    main_contractor: str,
    municipalities: Collection[str],
    subcontractors: Collection[str],
) -> bool:
    return (
        is_operator(who)
        or who.code == main_contractor
        or (who.role == MUNICIPALITY and who.code in municipalities)
        or who.code in subcontractors
    )


def mailbox_of(who: Party, recipient: str | None) -> str | None:
    """Whose mailbox a party may look into when it asks for ``recipient``'s (None: its
    own): its own, or, for an operator, anyone's. None when it may not."""
    if recipient is None or recipient == who.code:
        return who.code
    return recipient if is_operator(who) else None


def reads_mailbox(who: Party) -> ColumnElement[bool]:
    """Mailbox items a party may count and look at (the console's backlog): its own; an
    operator's, everyone's."""
    if is_operator(who):
        return true()
    return rm.MailboxItem.recipient_code == who.code


def sees_bsn(who: Party) -> bool:
    """Whether a client's page shows its BSN in full (lists never do; they mask it):
    for the municipality and providers the client concerns (``reads_client`` decides who
    reaches the page), not for operators, who keep the service running and need no
    personal data for it."""
    return not is_operator(who)


# --- money ----------------------------------------------------------------------------------


def sees_contract_money(who: Party, main_contractor: str, municipalities: Collection[str]) -> bool:
    """Whether ``who`` sees a contract's tariffs and costs: operators, the main contractor
    and the contract's municipalities."""
    return (
        is_operator(who)
        or who.code == main_contractor
        or (who.role == MUNICIPALITY and who.code in municipalities)
    )


def sees_budget(who: Party, main_contractor: str, municipality: str) -> bool:
    """Whether ``who`` sees one municipality's budget under a contract: operators, the main
    contractor, and that municipality itself."""
    return is_operator(who) or who.code in (main_contractor, municipality)


def reads_reports(who: Party) -> bool:
    """Deployment reports: for operators, municipalities and contract parties."""
    return is_operator(who) or who.role in (MUNICIPALITY, MAIN_CONTRACTOR, SUBCONTRACTOR)


def report_municipality(who: Party) -> str | None:
    """The municipality a party's reports are confined to (a municipality's own), or None."""
    return who.code if who.role == MUNICIPALITY else None


def report_deliverer(who: Party, main_contractor: str) -> str | None:
    """In a contract's deployment report, the deliverer whose rows alone ``who`` sees (a
    subcontractor sees its own), or None for every row."""
    if is_operator(who) or who.role == MUNICIPALITY or who.code == main_contractor:
        return None
    return who.code


# --- acting ---------------------------------------------------------------------------------


def may_delegate(who: Party, main_contractor: str) -> bool:
    """Only a decision's main contractor delegates its functions."""
    return who.code == main_contractor


def may_act_for_delegation(who: Party, main_contractor: str) -> bool:
    """Only a delegation's main contractor changes or withdraws it."""
    return who.code == main_contractor


def may_resend_relay(who: Party, main_contractor: str) -> bool:
    return is_operator(who) or who.code == main_contractor


def may_post(role: str, party: str) -> bool:
    """Whether a participant in ``role`` posts messages as ``party`` (the standard's
    ``gemeente`` or ``aanbieder``): municipalities as gemeente, every kind of provider as
    aanbieder; operators never."""
    return role == MUNICIPALITY if party == "gemeente" else role in PROVIDER_ROLES


def may_manage(who: Party) -> bool:
    """Registering participants, issuing keys, loading contracts and catalogues: operators
    only."""
    return is_operator(who)


def may_deactivate(who: Party, code: str) -> bool:
    """An operator deactivates others, never itself: otherwise the last operator could lock
    everyone out of the management API."""
    return is_operator(who) and who.code != code


def may_answer(poster: str, original_receiver: str | None, original_status: str | None) -> bool:
    """Whether the party ``poster`` may answer a message (a retour, a WMO325): only when the
    service passed the message on to it. A refused message never reached anyone."""
    return poster == original_receiver and original_status in PASSED_ON
