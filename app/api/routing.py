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

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app import access
from app.administration import models as db
from app.api.deps import Caller, Forbidden, caller, services
from app.api.fields import (
    AGB_CODE,
    JSON_INTEGER,
    MAX_ID,
    WHOLE_NUMBER,
    ClientFilter,
    Day,
    Eenheid,
    Frequentie,
    FunctionKey,
    Timestamp,
    id_path,
    one_of,
)
from app.api.pages import Page, page_params
from app.api.problems import (
    AUTHENTICATED,
    INVALID_REQUEST,
    NOT_JSON,
    NotFound,
    Refused,
    forbidden,
    not_found,
    problem,
)
from app.routing import models as rm
from app.routing.delegations import (
    ENDING_REASONS,
    DelegationError,
    Delegations,
    NewDelegation,
)
from app.routing.relays import RelayError, resend
from app.standard import codelists
from app.standard import messages as m

router = APIRouter(tags=["routing"], responses=AUTHENTICATED)

_NOT_THE_MAIN_CONTRACTOR = forbidden(
    "you may read the delegation (its municipality, subcontractor, an operator), but only "
    "its main contractor changes it",
    "only the delegation's main contractor changes it",
)
_DELEGATION_NOT_FOUND = not_found("no such delegation, or not yours", "no delegation 3 for you")
_RELAY_NOT_FOUND = not_found("no such relay, or not yours", "no relay 2 for you")
_STAMPS = {"created_at": "2027-02-01T09:12:03Z", "updated_at": "2027-02-03T10:02:44Z"}
_DECISION: dict[str, Any] = {
    "id": 1,
    "contract": "amersfoort-begeleiding",
    "client_id": 4,
    "municipality_code": "0307",
    "main_contractor_code": "99000001",
    "toewijzing_nummer": 5001,
    "product_categorie": None,
    "ingangsdatum": "2027-01-01",
    "einddatum": "2027-12-31",
    "budget": 1500000,
    "withdrawn": False,
    "created_at": "2027-01-05T09:30:12Z",
}
_DELEGATION: dict[str, Any] = {
    "id": 3,
    "decision_id": 1,
    "contract_id": 1,
    "client_id": 4,
    "municipality_code": "0307",
    "main_contractor_code": "99000001",
    "subcontractor_code": "99000002",
    "function_key": "begeleiding-in3",
    "categorie": "02",
    "code": "02N03",
    "begindatum": "2027-02-01",
    "einddatum": "2027-12-31",
    "toewijzing_nummer": 900000000,
    "status": "confirmed",
    "retourcodes": [],
    "last_message_id": 14,
    **_STAMPS,
}
_RELAY: dict[str, Any] = {
    "id": 2,
    "client_id": 4,
    "source_message_id": 27,
    "relay_message_id": 28,
    "municipality_code": "0307",
    "subcontractor_code": "99000002",
    "main_contractor_code": "99000001",
    "status": "accepted",
    "retourcodes": [],
    "retour_message_id": 30,
    "resent_as_id": None,
    **_STAMPS,
}


# --- models ---------------------------------------------------------------------------------


class DecisionOut(BaseModel):
    """A municipality's generic or aspecific allocation to a main contractor, accepted
    under a contract."""

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
    withdrawn: bool = Field(description="the municipality withdrew the allocation (13)")
    created_at: Timestamp
    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION]})


class Omvang(BaseModel):
    volume: Annotated[int, Field(ge=1, le=99_999_999, examples=[3]), JSON_INTEGER]
    eenheid: Eenheid = Field(description="code list WJ756, e.g. 04 (hour)", examples=["04"])
    frequentie: Frequentie = Field(
        description="code list WMO757, e.g. 2 (per week)", examples=["2"]
    )
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"volume": 3, "eenheid": "04", "frequentie": "2"}]}
    )


class DelegationIn(BaseModel):
    decision_id: Annotated[
        int,
        Field(ge=1, le=MAX_ID, description="from GET /v1/decisions", examples=[12]),
        JSON_INTEGER,
    ]
    function: FunctionKey = Field(description="a function key of the contract")
    subcontractor: str = Field(
        pattern=r"^[0-9]{8}$",
        description="AGB code of the subcontractor (or your own)",
        examples=["99000002"],
    )
    begindatum: Day = Field(examples=["2027-02-01"])
    einddatum: Day | None = Field(
        default=None, description="defaults to the decision's Einddatum", examples=["2027-12-31"]
    )
    omvang: Omvang | None = Field(
        default=None,
        description="the volume the subcontractor is allocated; without it, one trajectory "
        "for the whole period (1 piece, total within the period)",
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision_id": 1,
                    "function": "begeleiding-in3",
                    "subcontractor": "99000002",
                    "begindatum": "2027-02-01",
                }
            ]
        }
    )


_ENDING = one_of(
    tuple(r for r in ENDING_REASONS if r in codelists.REDEN_WIJZIGING),
    "a RedenWijziging (WMO002) that ends an allocation earlier",
)
EndingReason = Annotated[str, _ENDING.check, _ENDING.schema]


class DelegationEnd(BaseModel):
    einddatum: Day = Field(examples=["2027-06-30"])
    reden_wijziging: EndingReason = Field(
        default="05",
        description="RedenWijziging (WMO002) for the change: 05 (shortened after review), 09 "
        "(client moves to another provider), 02 (client died), ...",
        examples=["09"],
    )
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"einddatum": "2027-06-30", "reden_wijziging": "05"}]}
    )


class DelegationOut(BaseModel):
    """A function under a decision, delegated to a subcontractor."""

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
    created_at: Timestamp
    updated_at: Timestamp
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_DELEGATION]})


class RelayOut(BaseModel):
    """A subcontractor's start or stop, relayed to the municipality as the main
    contractor's."""

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
    retour_message_id: int | None = Field(description="the municipality's WMO306/WMO308")
    resent_as_id: int | None = Field(description="the relay that resent this one")
    created_at: Timestamp
    updated_at: Timestamp
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_RELAY]})


# --- decisions ------------------------------------------------------------------------------


@router.get(
    "/decisions",
    response_model=Page[DecisionOut],
    summary="List decisions",
    description="Generic and aspecific allocations accepted under a contract, by ascending "
    "id: a main contractor sees those of its contracts, a municipality its own, operators all.",
    responses={422: INVALID_REQUEST},
)
def list_decisions(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: ClientFilter = None,
) -> Page[DecisionOut]:
    after, limit = paging
    stmt = (
        select(rm.Decision, rm.Contract, db.Toewijzing)
        .join(rm.Contract, rm.Contract.id == rm.Decision.contract_id)
        .join(db.Toewijzing, db.Toewijzing.id == rm.Decision.toewijzing_id)
        .where(rm.Decision.id > after)
    )
    stmt = stmt.where(access.reads_decision(who))
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


@router.post(
    "/delegations",
    status_code=201,
    response_model=DelegationOut,
    summary="Delegate a function under a decision to a subcontractor",
    description="The decision's main contractor only. The subcontractor receives a WMO301 in "
    "its mailbox (Afzender the municipality, a number from the service's own range, the "
    "function's product). 409 when it does not fit what is there: the function is already "
    "delegated for this client in an overlapping period, the contract does not have the "
    "function or does not let the subcontractor deliver it, the period does not fit the "
    "decision or the contract, or the subcontractor's allocation would break the standard's "
    "rules (`type` says which).",
    responses={
        400: NOT_JSON,
        403: forbidden(
            "you may read the decision (its municipality, an operator), but only its main "
            "contractor delegates",
            "only the decision's main contractor delegates its functions",
        ),
        404: not_found("no such decision, or not yours", "no decision 1 for you"),
        409: problem(
            409,
            "it does not fit the contract, the decision or the delegations there are: "
            "overlapping_delegation, unknown_function, function_not_allowed, "
            "function_outside_decision, unknown_subcontractor, period_outside_decision, "
            "allocation_refused, decision_withdrawn, numbers_exhausted",
            "function_not_allowed",
            "the delegation was not carried out",
            "contract amersfoort-begeleiding does not let 99000003 deliver begeleiding-in1",
            findings=[],
        ),
        422: INVALID_REQUEST,
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
    d = await run_in_threadpool(
        _act,
        request,
        lambda: _may_delegate(request, who, body.decision_id),
        lambda api: api.create(who.code, new),
    )
    return _get_delegation(request, who, d.id or 0)


@router.get(
    "/delegations",
    response_model=Page[DelegationOut],
    summary="List delegations",
    description="Delegations by ascending id: the main contractor, the subcontractor and the "
    "municipality each see theirs, operators all.",
    responses={422: INVALID_REQUEST},
)
def list_delegations(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: ClientFilter = None,
    subcontractor: Annotated[
        str | None,
        Query(
            pattern=AGB_CODE,
            description="only to this subcontractor (AGB code)",
            examples=["99000002"],
        ),
    ] = None,
    status: Annotated[
        Literal["sent", "confirmed", "refused", "withdrawn"] | None,
        Query(description="only in this state", examples=["refused"]),
    ] = None,
) -> Page[DelegationOut]:
    after, limit = paging
    stmt = select(rm.Delegation).where(rm.Delegation.id > after, access.reads_delegation(who))
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


DelegationId = Annotated[int, id_path("delegation"), WHOLE_NUMBER]


@router.get(
    "/delegations/{delegation_id:digits}",
    response_model=DelegationOut,
    summary="One delegation",
    description="The delegation and its status: the main contractor, the subcontractor and "
    "the municipality may read it.",
    responses={
        404: not_found("no such delegation, or not yours", "no delegation 3 for you"),
        422: INVALID_REQUEST,
    },
)
def get_delegation(
    request: Request, delegation_id: DelegationId, who: Annotated[Caller, Depends(caller)]
) -> DelegationOut:
    return _get_delegation(request, who, delegation_id)


@router.patch(
    "/delegations/{delegation_id:digits}",
    response_model=DelegationOut,
    summary="End a delegation earlier",
    description="Main contractors only. The subcontractor receives a changed WMO301 with the "
    "new Einddatum and RedenWijziging. To extend a delegation, delegate the function again "
    "from the day after.",
    responses={
        400: NOT_JSON,
        403: _NOT_THE_MAIN_CONTRACTOR,
        404: _DELEGATION_NOT_FOUND,
        409: problem(
            409,
            "the delegation was withdrawn, the new Einddatum is not earlier than the current "
            "one or lies before the Begindatum, or the subcontractor's allocation would break "
            "the standard's rules: withdrawn, not_earlier, invalid_period, allocation_refused",
            "not_earlier",
            "the delegation was not carried out",
            "the delegation already ends 2027-06-30; to extend it, delegate again",
            findings=[],
        ),
        422: INVALID_REQUEST,
    },
)
async def end_delegation(
    request: Request,
    delegation_id: DelegationId,
    body: DelegationEnd,
    who: Annotated[Caller, Depends(caller)],
) -> DelegationOut:
    await run_in_threadpool(
        _act,
        request,
        lambda: _may_change(request, who, delegation_id),
        lambda api: api.end(who.code, delegation_id, body.einddatum, body.reden_wijziging),
    )
    return _get_delegation(request, who, delegation_id)


@router.delete(
    "/delegations/{delegation_id:digits}",
    response_model=DelegationOut,
    summary="Withdraw a delegation sent by mistake",
    description="Main contractors only, and only before the subcontractor reported a start: "
    "it receives the allocation withdrawn (RedenWijziging 13, Einddatum = Ingangsdatum).",
    responses={
        403: _NOT_THE_MAIN_CONTRACTOR,
        404: _DELEGATION_NOT_FOUND,
        409: problem(
            409,
            "already started, or already withdrawn",
            "already_started",
            "the delegation was not carried out",
            "the subcontractor reported a start on this delegation; end it instead",
            findings=[],
        ),
        422: INVALID_REQUEST,
    },
)
async def withdraw_delegation(
    request: Request, delegation_id: DelegationId, who: Annotated[Caller, Depends(caller)]
) -> DelegationOut:
    await run_in_threadpool(
        _act,
        request,
        lambda: _may_change(request, who, delegation_id),
        lambda api: api.withdraw(who.code, delegation_id),
    )
    return _get_delegation(request, who, delegation_id)


def _may_delegate(request: Request, who: Caller, decision_id: int) -> None:
    """A decision you cannot see does not exist for you (404); one you see but do not hold
    as main contractor is not yours to delegate (403)."""
    with services(request).database.read() as s:
        found = s.execute(
            select(rm.Decision.municipality_code, rm.Contract.main_contractor_code)
            .join(rm.Contract, rm.Contract.id == rm.Decision.contract_id)
            .where(rm.Decision.id == decision_id)
        ).first()
    if found is None or not access.sees_decision(who, *found):
        raise NotFound(f"no decision {decision_id} for you")
    if not access.may_delegate(who, found.main_contractor_code):
        raise Forbidden("only the decision's main contractor delegates its functions")


def _may_change(request: Request, who: Caller, delegation_id: int) -> None:
    """As ``_may_delegate``, for a delegation: 404 unless you see it, 403 unless you are its
    main contractor."""
    delegation = _get_delegation(request, who, delegation_id)
    if not access.may_act_for_delegation(who, delegation.main_contractor_code):
        raise Forbidden("only the delegation's main contractor changes it")


def _act(request: Request, guard: Callable[[], None], action: Any) -> Any:
    guard()
    try:
        return action(Delegations(services(request).intake))
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
            select(rm.Delegation).where(
                rm.Delegation.id == delegation_id, access.reads_delegation(who)
            )
        )
        if d is None:
            raise NotFound(f"no delegation {delegation_id} for you")
        return DelegationOut.model_validate(d)


# --- relays ---------------------------------------------------------------------------------


@router.get(
    "/relays",
    response_model=Page[RelayOut],
    summary="Starts and stops relayed to municipalities, and their verdicts",
    description="Relays by ascending id: the main contractor, the subcontractor and the "
    "municipality each see theirs, operators all. `status` says how the municipality's "
    "retour judged each.",
    responses={422: INVALID_REQUEST},
)
def list_relays(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    status: Annotated[
        Literal["sent", "accepted", "rejected", "resent"] | None,
        Query(description="only in this state", examples=["rejected"]),
    ] = None,
    client_id: ClientFilter = None,
) -> Page[RelayOut]:
    after, limit = paging
    stmt = select(rm.Relay).where(rm.Relay.id > after, access.reads_relay(who))
    if status:
        stmt = stmt.where(rm.Relay.status == status)
    if client_id is not None:
        stmt = stmt.where(rm.Relay.client_id == client_id)
    with services(request).database.read() as s:
        rows = [
            RelayOut.model_validate(r) for r in s.scalars(stmt.order_by(rm.Relay.id).limit(limit))
        ]
    return Page.of(rows, limit)


RelayId = Annotated[int, id_path("relay"), WHOLE_NUMBER]


@router.get(
    "/relays/{relay_id:digits}",
    response_model=RelayOut,
    summary="One relay",
    description="The relay and the municipality's verdict on it.",
    responses={404: _RELAY_NOT_FOUND, 422: INVALID_REQUEST},
)
def get_relay(
    request: Request, relay_id: RelayId, who: Annotated[Caller, Depends(caller)]
) -> RelayOut:
    return _get_relay(request, who, relay_id)


@router.post(
    "/relays/{relay_id:digits}/resend",
    status_code=201,
    response_model=RelayOut,
    summary="Send a rejected relay to the municipality again",
    description="Operators and the main contractor, once the cause of a rejection was put "
    "right on the municipality's side: the same start or stop goes out again under a new "
    "identification. (A mistake on the subcontractor's side is corrected by the "
    "subcontractor: a change or withdrawal, StatusAanlevering 2 or 3, which is relayed in "
    "turn.) Returns the new relay.",
    responses={
        403: forbidden(
            "you may read the relay but not resend it (a municipality or the subcontractor)",
            "only operators and the main contractor resend a relay",
        ),
        404: _RELAY_NOT_FOUND,
        409: problem(
            409,
            "the relay was not rejected",
            "not_rejected",
            "the relay cannot be resent",
            "relay 2 is accepted, not rejected",
        ),
        422: INVALID_REQUEST,
    },
)
async def resend_relay(
    request: Request, relay_id: RelayId, who: Annotated[Caller, Depends(caller)]
) -> RelayOut:
    relay = _get_relay(request, who, relay_id)
    if not access.may_resend_relay(who, relay.main_contractor_code):
        raise Forbidden("only operators and the main contractor resend a relay")
    try:
        new_id = await run_in_threadpool(resend, services(request).intake, relay_id)
    except RelayError as exc:
        raise Refused(409, "not_rejected", "the relay cannot be resent", str(exc)) from None
    return _get_relay(request, who, new_id)


def _get_relay(request: Request, who: Caller, relay_id: int) -> RelayOut:
    with services(request).database.read() as s:
        r = s.scalar(select(rm.Relay).where(rm.Relay.id == relay_id, access.reads_relay(who)))
        if r is None:
            raise NotFound(f"no relay {relay_id} for you")
        return RelayOut.model_validate(r)
