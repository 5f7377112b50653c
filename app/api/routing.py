"""Decisions, delegations to subcontractors, and relays of their starts and stops.

* A *decision* is a municipality's generic or aspecific allocation to a main contractor,
  accepted under a contract.
* The main contractor *delegates* a function under a decision to a subcontractor (or to
  itself); the subcontractor receives a standard WMO301 in its mailbox.
* A subcontractor's start or stop on a delegation is *relayed* to the municipality as the
  main contractor's, at function level; the municipality's retour says how it went.

Visibility: operators see all; a main contractor the decisions of its contracts and
everything under them; a municipality what concerns its clients; a subcontractor its own
delegations and relays.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from app.administration import models as db
from app.api.deps import Caller, Forbidden, caller, services
from app.api.pages import Page, page_params
from app.api.problems import NotFound, Refused
from app.routing import models as rm
from app.routing.delegations import DelegationError, Delegations, NewDelegation
from app.routing.relays import RelayError, resend
from app.standard import messages as m

router = APIRouter(tags=["routing"])

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}


# --- models ---------------------------------------------------------------------------------


class DecisionOut(BaseModel):
    id: int
    contract: str = Field(examples=["amersfoort-begeleiding"])
    client_id: int
    municipality_code: str = Field(examples=["0307"])
    main_contractor_code: str = Field(examples=["99000001"])
    toewijzing_nummer: int = Field(description="the municipality's allocation number")
    product_categorie: str | None = Field(description="set for an aspecific decision")
    ingangsdatum: date
    einddatum: date | None
    budget: int | None = Field(description="euro cents")
    withdrawn: bool
    created_at: datetime


class Omvang(BaseModel):
    volume: int = Field(ge=1, le=99_999_999, examples=[3])
    eenheid: str = Field(description="code list WJ756, e.g. 04 (hour)", examples=["04"])
    frequentie: str = Field(description="code list WMO757, e.g. 2 (per week)", examples=["2"])


class DelegationIn(BaseModel):
    decision_id: int = Field(description="from GET /v1/decisions", examples=[12])
    function: str = Field(
        description="a function key of the contract", examples=["begeleiding-in3"]
    )
    subcontractor: str = Field(
        pattern=r"^[0-9]{8}$",
        description="AGB code of the subcontractor (or your own)",
        examples=["99000002"],
    )
    begindatum: date = Field(examples=["2027-02-01"])
    einddatum: date | None = Field(
        default=None, description="defaults to the decision's Einddatum", examples=["2027-12-31"]
    )
    omvang: Omvang | None = Field(
        default=None,
        description="the volume the subcontractor is allocated; without it, one trajectory "
        "for the whole period (1 piece, total within the period)",
    )


class DelegationEnd(BaseModel):
    einddatum: date = Field(examples=["2027-06-30"])
    reden_wijziging: str = Field(
        default="05",
        description="RedenWijziging (WMO002) for the change: 05 (shortened after review), 09 "
        "(client moves to another provider), 02 (client died), ...",
        examples=["09"],
    )


class DelegationOut(BaseModel):
    id: int
    decision_id: int
    contract_id: int
    client_id: int
    municipality_code: str
    main_contractor_code: str
    subcontractor_code: str
    function_key: str = Field(examples=["begeleiding-in3"])
    categorie: str = Field(examples=["02"])
    code: str = Field(examples=["02N03"])
    begindatum: date
    einddatum: date | None
    toewijzing_nummer: int = Field(description="the number the subcontractor knows it by")
    status: str = Field(
        description="sent (waiting for the subcontractor's WMO302), confirmed, refused "
        "(see retourcodes), withdrawn",
        examples=["confirmed"],
    )
    retourcodes: list[str]
    last_message_id: int = Field(description="the last WMO301 sent to the subcontractor")
    created_at: datetime
    updated_at: datetime
    model_config = {"from_attributes": True}


class RelayOut(BaseModel):
    id: int
    client_id: int
    source_message_id: int = Field(description="the subcontractor's WMO305/WMO307")
    relay_message_id: int = Field(description="the main contractor's, sent to the municipality")
    municipality_code: str
    subcontractor_code: str
    main_contractor_code: str
    status: str = Field(
        description="sent, accepted or rejected (by the municipality's retour), resent",
        examples=["rejected"],
    )
    retourcodes: list[str] = Field(examples=[["9019"]])
    retour_message_id: int | None
    resent_as_id: int | None
    created_at: datetime
    updated_at: datetime
    model_config = {"from_attributes": True}


# --- decisions ------------------------------------------------------------------------------


@router.get("/decisions", response_model=Page[DecisionOut], summary="List decisions")
def list_decisions(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: int | None = None,
) -> Page[DecisionOut]:
    after, limit = paging
    stmt = (
        select(rm.Decision, rm.Contract, db.Toewijzing)
        .join(rm.Contract, rm.Contract.id == rm.Decision.contract_id)
        .join(db.Toewijzing, db.Toewijzing.id == rm.Decision.toewijzing_id)
        .where(rm.Decision.id > after)
    )
    if not who.operator:
        stmt = stmt.where(
            or_(
                rm.Contract.main_contractor_code == who.code,
                rm.Decision.municipality_code == who.code,
            )
        )
    if client_id is not None:
        stmt = stmt.where(rm.Decision.client_id == client_id)
    with services(request).database.read() as s:
        rows = [
            _decision(d, c, a)
            for d, c, a in s.execute(stmt.order_by(rm.Decision.id).limit(limit)).all()
        ]
    return Page.of(rows, limit)


def _decision(d: rm.Decision, c: rm.Contract, a: db.Toewijzing) -> DecisionOut:
    return DecisionOut(
        id=d.id,
        contract=c.key,
        client_id=d.client_id,
        municipality_code=d.municipality_code,
        main_contractor_code=c.main_contractor_code,
        toewijzing_nummer=a.nummer,
        product_categorie=a.product_categorie,
        ingangsdatum=a.ingangsdatum,
        einddatum=a.einddatum,
        budget=a.budget,
        withdrawn=a.deleted,
        created_at=d.created_at,
    )


# --- delegations ----------------------------------------------------------------------------


def _sees_delegation(who: Caller) -> Any:
    if who.operator:
        return True
    return or_(
        rm.Delegation.main_contractor_code == who.code,
        rm.Delegation.subcontractor_code == who.code,
        rm.Delegation.municipality_code == who.code,
    )


@router.post(
    "/delegations",
    status_code=201,
    response_model=DelegationOut,
    summary="Delegate a function under a decision to a subcontractor",
    description="Main contractors only. The subcontractor receives a WMO301 in its mailbox "
    "(Afzender the municipality, a number from the service's own range, the function's "
    "product). 409 when the function is already delegated for this client in an "
    "overlapping period; 422 when the contract does not allow it or the period does not fit "
    "the decision.",
    responses={
        404: {"description": "no such decision of yours", "content": _PROBLEM},
        409: {"description": "overlapping delegation", "content": _PROBLEM},
        422: {"description": "not allowed by the contract or the decision", "content": _PROBLEM},
    },
)
async def create_delegation(
    request: Request, body: DelegationIn, who: Annotated[Caller, Depends(caller)]
) -> DelegationOut:
    omvang = (
        m.Omvang(
            Volume=body.omvang.volume,
            Eenheid=body.omvang.eenheid,
            Frequentie=body.omvang.frequentie,
        )
        if body.omvang
        else None
    )
    new = NewDelegation(
        body.decision_id, body.function, body.subcontractor, body.begindatum, body.einddatum, omvang
    )
    d = await run_in_threadpool(_act, request, who, lambda api: api.create(who.code, new))
    return _get_delegation(request, who, d.id or 0)


@router.get("/delegations", response_model=Page[DelegationOut], summary="List delegations")
def list_delegations(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: int | None = None,
    subcontractor: Annotated[str | None, Query(examples=["99000002"])] = None,
    status: Annotated[str | None, Query(examples=["refused"])] = None,
) -> Page[DelegationOut]:
    after, limit = paging
    stmt = select(rm.Delegation).where(rm.Delegation.id > after, _sees_delegation(who))
    if client_id is not None:
        stmt = stmt.where(rm.Delegation.client_id == client_id)
    if subcontractor:
        stmt = stmt.where(rm.Delegation.subcontractor_code == subcontractor)
    if status:
        stmt = stmt.where(rm.Delegation.status == status)
    with services(request).database.read() as s:
        rows = [
            DelegationOut.model_validate(d)
            for d in s.scalars(stmt.order_by(rm.Delegation.id).limit(limit))
        ]
    return Page.of(rows, limit)


@router.get(
    "/delegations/{delegation_id}",
    response_model=DelegationOut,
    summary="One delegation",
    responses={404: {"description": "unknown, or not yours", "content": _PROBLEM}},
)
def get_delegation(
    request: Request, delegation_id: int, who: Annotated[Caller, Depends(caller)]
) -> DelegationOut:
    return _get_delegation(request, who, delegation_id)


@router.patch(
    "/delegations/{delegation_id}",
    response_model=DelegationOut,
    summary="End a delegation earlier",
    description="Main contractors only. The subcontractor receives a changed WMO301 with the "
    "new Einddatum and RedenWijziging. To extend a delegation, delegate the function again "
    "from the day after.",
    responses={
        404: {"description": "no such delegation of yours", "content": _PROBLEM},
        422: {"description": "not earlier, or not a valid reason", "content": _PROBLEM},
    },
)
async def end_delegation(
    request: Request,
    delegation_id: int,
    body: DelegationEnd,
    who: Annotated[Caller, Depends(caller)],
) -> DelegationOut:
    await run_in_threadpool(
        _act,
        request,
        who,
        lambda api: api.end(who.code, delegation_id, body.einddatum, body.reden_wijziging),
    )
    return _get_delegation(request, who, delegation_id)


@router.delete(
    "/delegations/{delegation_id}",
    response_model=DelegationOut,
    summary="Withdraw a delegation sent by mistake",
    description="Main contractors only, and only before the subcontractor reported a start: "
    "it receives the allocation withdrawn (RedenWijziging 13, Einddatum = Ingangsdatum).",
    responses={
        404: {"description": "no such delegation of yours", "content": _PROBLEM},
        409: {"description": "already started, or already withdrawn", "content": _PROBLEM},
    },
)
async def withdraw_delegation(
    request: Request, delegation_id: int, who: Annotated[Caller, Depends(caller)]
) -> DelegationOut:
    await run_in_threadpool(_act, request, who, lambda api: api.withdraw(who.code, delegation_id))
    return _get_delegation(request, who, delegation_id)


def _act(request: Request, who: Caller, action: Any) -> Any:
    if who.operator or who.role == "municipality":
        raise Forbidden("only a main contractor delegates functions")
    try:
        return action(Delegations(services(request).ingest))
    except DelegationError as exc:
        raise Refused(
            exc.status,
            exc.kind,
            "the delegation was not carried out",
            exc.detail,
            findings=[f.as_json() for f in exc.findings],
        ) from None


def _get_delegation(request: Request, who: Caller, delegation_id: int) -> DelegationOut:
    with services(request).database.read() as s:
        d = s.scalar(
            select(rm.Delegation).where(rm.Delegation.id == delegation_id, _sees_delegation(who))
        )
        if d is None:
            raise NotFound(f"no delegation {delegation_id} for you")
        return DelegationOut.model_validate(d)


# --- relays ---------------------------------------------------------------------------------


def _sees_relay(who: Caller) -> Any:
    if who.operator:
        return True
    return or_(
        rm.Relay.main_contractor_code == who.code,
        rm.Relay.subcontractor_code == who.code,
        rm.Relay.municipality_code == who.code,
    )


@router.get(
    "/relays",
    response_model=Page[RelayOut],
    summary="Starts and stops relayed to municipalities, and their verdicts",
)
def list_relays(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    status: Annotated[str | None, Query(examples=["rejected"])] = None,
    client_id: int | None = None,
) -> Page[RelayOut]:
    after, limit = paging
    stmt = select(rm.Relay).where(rm.Relay.id > after, _sees_relay(who))
    if status:
        stmt = stmt.where(rm.Relay.status == status)
    if client_id is not None:
        stmt = stmt.where(rm.Relay.client_id == client_id)
    with services(request).database.read() as s:
        rows = [
            RelayOut.model_validate(r) for r in s.scalars(stmt.order_by(rm.Relay.id).limit(limit))
        ]
    return Page.of(rows, limit)


@router.get(
    "/relays/{relay_id}",
    response_model=RelayOut,
    summary="One relay",
    responses={404: {"description": "unknown, or not yours", "content": _PROBLEM}},
)
def get_relay(request: Request, relay_id: int, who: Annotated[Caller, Depends(caller)]) -> RelayOut:
    return _get_relay(request, who, relay_id)


@router.post(
    "/relays/{relay_id}/resend",
    status_code=201,
    response_model=RelayOut,
    summary="Send a rejected relay to the municipality again",
    description="Operators and the main contractor, once the cause of a rejection was put "
    "right on the municipality's side: the same start or stop goes out again under a new "
    "identification. (A mistake on the subcontractor's side is corrected by the "
    "subcontractor: a change or withdrawal, StatusAanlevering 2 or 3, which is relayed in "
    "turn.) Returns the new relay.",
    responses={
        404: {"description": "unknown, or not yours", "content": _PROBLEM},
        409: {"description": "not rejected", "content": _PROBLEM},
    },
)
async def resend_relay(
    request: Request, relay_id: int, who: Annotated[Caller, Depends(caller)]
) -> RelayOut:
    relay = _get_relay(request, who, relay_id)
    if not (who.operator or who.code == relay.main_contractor_code):
        raise Forbidden("only operators and the main contractor resend a relay")
    try:
        new_id = await run_in_threadpool(resend, services(request).ingest, relay_id)
    except RelayError as exc:
        raise Refused(409, "not_rejected", "the relay cannot be resent", str(exc)) from None
    return _get_relay(request, who, new_id)


def _get_relay(request: Request, who: Caller, relay_id: int) -> RelayOut:
    with services(request).database.read() as s:
        r = s.scalar(select(rm.Relay).where(rm.Relay.id == relay_id, _sees_relay(who)))
        if r is None:
            raise NotFound(f"no relay {relay_id} for you")
        return RelayOut.model_validate(r)
