"""Reading the central client administration: clients, allocations with their history,
deliveries, requests and declarations. Every party sees what concerns it; operators see all.
A BSN is never returned and never travels in a URL: look clients up with a POST."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import access
from app.administration import models as db
from app.administration import product_codes
from app.api.deps import Caller, caller, services
from app.api.fields import (
    AGB_CODE,
    CBS_CODE,
    WHOLE_NUMBER,
    ClientFilter,
    Day,
    LocalTime,
    Timestamp,
    id_path,
)
from app.api.pages import Page, page_params
from app.api.problems import AUTHENTICATED, INVALID_REQUEST, NOT_JSON, NotFound, not_found
from app.standard.datatypes import BSN_PATTERN

router = APIRouter(tags=["administration"], responses=AUTHENTICATED)


# --- models -----------------------------------------------------------------------------------


_CLIENT: dict[str, Any] = {
    "id": 4,
    "municipality_code": "0307",
    "created_at": "2027-01-05T09:30:12Z",
}
_VERSION: dict[str, Any] = {
    "version": 1,
    "message_id": 12,
    "recorded_at": "2027-01-05T09:30:12Z",
    "product_categorie": "02",
    "product_code": "02N03",
    "toewijzingsdatum": "2027-01-04",
    "toewijzingstijd": "09:30:00",
    "ingangsdatum": "2027-01-05",
    "einddatum": "2027-12-31",
    "reden_wijziging": None,
    "volume": 3,
    "eenheid": "04",
    "frequentie": "2",
    "budget": None,
    "referentie_aanbieder": None,
}
_ALLOCATION: dict[str, Any] = {
    "id": 3,
    "municipality_code": "0307",
    "nummer": 101,
    "client_id": 4,
    "provider_code": "42420001",
    **{k: v for k, v in _VERSION.items() if k not in ("message_id", "recorded_at")},
    "version": 2,
    "reden_wijziging": "04",
    "deleted": False,
}
_STOP: dict[str, Any] = {
    "id": 9,
    "reden_beeindiging": "20",
    "einddatum": "2027-02-20",
    "message_id": 31,
    "deleted": False,
    "temporary": True,
}
_EVENT: dict[str, Any] = {
    "kind": "start",
    "status_aanlevering": "1",
    "message_id": 27,
    "recorded_at": "2027-02-03T10:02:44Z",
}
_DELIVERY: dict[str, Any] = {
    "id": 7,
    "client_id": 4,
    "municipality_code": "0307",
    "provider_code": "42420001",
    "toewijzing_nummer": 101,
    "product_categorie": "02",
    "product_code": "02N03",
    "toewijzing_ingangsdatum": "2027-01-05",
    "begindatum": "2027-02-03",
    "message_id": 27,
    "deleted": False,
    "stops": [_STOP],
    "history": [_EVENT, {**_EVENT, "kind": "stop", "message_id": 31}],
}
_ANSWER: dict[str, Any] = {
    "verzoek_antwoord": "2",
    "reden_afwijzing": None,
    "message_id": 22,
    "recorded_at": "2027-01-20T14:00:00Z",
}
_REQUEST: dict[str, Any] = {
    "id": 2,
    "kind": "VOT",
    "client_id": 4,
    "municipality_code": "0307",
    "provider_code": "42420001",
    "referentie_aanbieder": "REF-0001",
    "status": "in_onderzoek",
    "reden_afwijzing": None,
    "details": {
        "Product": {"Categorie": "02", "Code": "02N03"},
        "ToewijzingIngangsdatum": "2027-02-01",
        "ToewijzingEinddatum": "2027-12-31",
        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
        "Budget": None,
        "BeschikkingNummer": None,
    },
    "message_id": 20,
    "created_at": "2027-01-15T08:00:00Z",
    "answers": [_ANSWER],
}
_LINE: dict[str, Any] = {
    "id": 5,
    "client_id": 4,
    "referentienummer": "R2027-0001",
    "vorig_referentienummer": None,
    "toewijzing_nummer": 101,
    "product_categorie": "02",
    "product_code": "02N03",
    "periode_begin": "2027-02-01",
    "periode_eind": "2027-02-28",
    "volume": 12,
    "eenheid": "04",
    "tarief": 6500,
    "bedrag": 78000,
    "status": "toegekend",
    "retourcodes": [],
}
_DECLARATION: dict[str, Any] = {
    "id": 1,
    "provider_code": "42420001",
    "municipality_code": "0307",
    "declaratienummer": "D2027-02",
    "periode_begin": "2027-02-01",
    "periode_eind": "2027-02-28",
    "dagtekening": "2027-03-05",
    "totaal_ingediend": 78000,
    "totaal_toegekend": 78000,
    "message_id": 40,
    "answer_message_id": 41,
}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(from_attributes=True, json_schema_extra={"examples": list(examples)})


class ClientOut(BaseModel):
    """A client as the administration knows it: never with its BSN."""

    id: int
    municipality_code: str = Field(description="the municipality (CBS code) of the client")
    created_at: Timestamp = Field(description="when the service first recorded the client")
    model_config = _examples(_CLIENT)


class ClientSearch(BaseModel):
    bsn: str = Field(
        pattern=BSN_PATTERN, description="the client's BSN (9 digits)", examples=["999900006"]
    )
    municipality_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}$",
        description="only the client of this municipality (CBS code)",
        examples=["0307"],
    )
    model_config = ConfigDict(json_schema_extra={"examples": [{"bsn": "999900006"}]})


class AllocationVersionOut(BaseModel):
    """One version of an allocation, as a WMO301 stated it."""

    version: int = Field(description="1 for the first WMO301 naming the allocation, and so on")
    message_id: int = Field(description="the WMO301 that stated this version")
    recorded_at: Timestamp
    product_categorie: str | None
    product_code: str | None
    toewijzingsdatum: date
    toewijzingstijd: LocalTime
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None = Field(description="euro cents")
    referentie_aanbieder: str | None
    model_config = _examples(_VERSION)


class AllocationOut(BaseModel):
    """An allocation (ToegewezenProduct) in its latest version."""

    id: int
    municipality_code: str
    nummer: int = Field(description="ToewijzingNummer")
    client_id: int
    provider_code: str
    version: int = Field(description="the latest version's number")
    product_categorie: str | None
    product_code: str | None
    toewijzingsdatum: date
    toewijzingstijd: LocalTime
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None = Field(description="euro cents")
    referentie_aanbieder: str | None
    deleted: bool = Field(description="withdrawn (RedenWijziging 13 or 01, end equal to start)")
    model_config = _examples(_ALLOCATION)


class AllocationDetail(AllocationOut):
    versions: list[AllocationVersionOut]
    as_of: AllocationVersionOut | None = Field(
        default=None, description="the version in force on `peildatum`, when asked"
    )
    model_config = _examples(
        {
            **_ALLOCATION,
            "versions": [_VERSION, {**_VERSION, "version": 2, "reden_wijziging": "04"}],
            "as_of": _VERSION,
        }
    )


class StopOut(BaseModel):
    """A stop (StopProduct) of a delivery."""

    id: int
    reden_beeindiging: str = Field(description="RedenBeeindiging (WMO588); 20 is temporary")
    einddatum: date
    message_id: int = Field(description="the WMO307 that reported it")
    deleted: bool = Field(description="withdrawn later (StatusAanlevering 3)")
    temporary: bool
    model_config = ConfigDict(json_schema_extra={"examples": [_STOP]})


class EventOut(BaseModel):
    """One start or stop line as it arrived."""

    kind: str = Field(description="start or stop")
    status_aanlevering: str = Field(
        description="StatusAanlevering: 1 first delivery, 2 change, 3 withdrawal"
    )
    message_id: int
    recorded_at: Timestamp
    model_config = _examples(_EVENT)


class DeliveryOut(BaseModel):
    """A start of delivery (StartProduct) with its stops."""

    id: int
    client_id: int
    municipality_code: str
    provider_code: str
    toewijzing_nummer: int | None
    product_categorie: str | None
    product_code: str | None
    toewijzing_ingangsdatum: date | None
    begindatum: date
    message_id: int = Field(description="the WMO305 that reported the start")
    deleted: bool = Field(description="withdrawn later (StatusAanlevering 3)")
    stops: list[StopOut]
    history: list[EventOut] = Field(description="every start and stop line as it arrived")
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY]})


class AnswerOut(BaseModel):
    """A municipality's answer (WMO319) to a request."""

    verzoek_antwoord: str = Field(description="VerzoekAntwoord: 1 rejected, 2 under review")
    reden_afwijzing: str | None = Field(description="RedenAfwijzingVerzoek, when rejected")
    message_id: int
    recorded_at: Timestamp
    model_config = _examples(_ANSWER)


class RequestOut(BaseModel):
    """A provider's request for an allocation (WMO315) or a change (WMO317)."""

    id: int
    kind: str = Field(description="VOT (315) or VOW (317)")
    client_id: int
    municipality_code: str
    provider_code: str
    referentie_aanbieder: str
    status: str = Field(description="open, in_onderzoek, afgewezen, toegewezen")
    reden_afwijzing: str | None
    details: dict[str, Any] = Field(description="what was asked for, in the message's terms")
    message_id: int
    created_at: Timestamp
    answers: list[AnswerOut] = []
    model_config = _examples(_REQUEST)


class LineOut(BaseModel):
    """A declared line (Prestatie) and its verdict."""

    id: int
    client_id: int | None
    referentienummer: str
    vorig_referentienummer: str | None = Field(description="set on a credit line")
    toewijzing_nummer: int
    product_categorie: str
    product_code: str
    periode_begin: date
    periode_eind: date
    volume: int
    eenheid: str
    tarief: int | None = Field(description="euro cents per unit")
    bedrag: int = Field(description="euro cents; debit positive, credit negative")
    status: str = Field(description="toegekend or afgewezen")
    retourcodes: list[str] = Field(description="why a line was refused")
    model_config = _examples(_LINE)


class DeclarationOut(BaseModel):
    """A declaration (WMO323)."""

    id: int
    provider_code: str
    municipality_code: str
    declaratienummer: str
    periode_begin: date
    periode_eind: date
    dagtekening: date
    totaal_ingediend: int = Field(description="euro cents, debit positive")
    totaal_toegekend: int | None = Field(description="euro cents granted, once answered")
    message_id: int
    answer_message_id: int | None = Field(description="the WMO325 that answered it")
    model_config = _examples(_DECLARATION)


class DeclarationDetail(DeclarationOut):
    lines: list[LineOut]
    model_config = _examples({**_DECLARATION, "lines": [_LINE]})


class ClientOverview(ClientOut):
    """Everything about a client that concerns you."""

    allocations: list[AllocationOut]
    deliveries: list[DeliveryOut]
    requests: list[RequestOut]
    declaration_lines: list[LineOut]
    message_ids: list[int] = Field(description="the messages about the client you may read")
    model_config = _examples(
        {
            **_CLIENT,
            "allocations": [_ALLOCATION],
            "deliveries": [_DELIVERY],
            "requests": [_REQUEST],
            "declaration_lines": [_LINE],
            "message_ids": [12, 13, 20, 22, 27, 31, 40],
        }
    )


# --- clients ----------------------------------------------------------------------------------


@router.post(
    "/clienten/zoeken",
    response_model=list[ClientOut],
    summary="Find a client by BSN",
    description="The clients with this BSN that concern you (one per municipality at most), "
    "as ids to read further with `GET /v1/clienten/{client_id}`. The BSN goes in the body, "
    "never in a URL, so it stays out of logs; an empty list when you may see none.",
    responses={400: NOT_JSON, 422: INVALID_REQUEST},
)
def find_client(
    request: Request, query: ClientSearch, who: Annotated[Caller, Depends(caller)]
) -> list[ClientOut]:
    svc = services(request)
    digest = svc.vault.bsn_hash(query.bsn)
    stmt = select(db.Client).where(db.Client.bsn_hash == digest, access.reads_client(who))
    if query.municipality_code:
        stmt = stmt.where(db.Client.municipality_code == query.municipality_code)
    with svc.database.read() as s:
        return [ClientOut.model_validate(c) for c in s.scalars(stmt.order_by(db.Client.id))]


@router.get(
    "/clienten/{client_id:digits}",
    response_model=ClientOverview,
    summary="Everything about one client",
    description="The client's allocations, deliveries, requests and declared lines, and "
    "the ids of the messages about the client: as far as they concern you (a provider sees "
    "its own, the municipality its own, operators all).",
    responses={
        404: not_found("no such client, or none that concerns you", "no client 4 for you"),
        422: INVALID_REQUEST,
    },
)
def client_overview(
    request: Request,
    client_id: Annotated[int, id_path("client"), WHOLE_NUMBER],
    who: Annotated[Caller, Depends(caller)],
) -> ClientOverview:
    with services(request).database.read() as s:
        client = s.scalar(
            select(db.Client).where(db.Client.id == client_id, access.reads_client(who))
        )
        if client is None:
            raise NotFound(f"no client {client_id} for you")
        allocations = s.scalars(
            select(db.Toewijzing)
            .where(
                db.Toewijzing.client_id == client_id,
                access.reads_record(who, db.Toewijzing),
            )
            .order_by(db.Toewijzing.nummer)
        )
        starts = s.scalars(
            select(db.Start)
            .where(
                db.Start.client_id == client_id,
                access.reads_record(who, db.Start),
            )
            .order_by(db.Start.id)
        )
        requests_ = s.scalars(
            select(db.Verzoek)
            .where(
                db.Verzoek.client_id == client_id,
                access.reads_record(who, db.Verzoek),
            )
            .order_by(db.Verzoek.id)
        )
        lines = s.scalars(
            select(db.Prestatie)
            .join(db.Declaratie)
            .where(
                db.Prestatie.client_id == client_id,
                access.reads_record(who, db.Declaratie),
            )
            .order_by(db.Prestatie.id)
        )
        messages = s.scalars(
            select(db.Message.id)
            .where(db.Message.client_id == client_id, access.reads_message(who))
            .order_by(db.Message.id)
        )
        return ClientOverview(
            id=client.id,
            municipality_code=client.municipality_code,
            created_at=client.created_at,
            allocations=[AllocationOut.model_validate(a) for a in allocations],
            deliveries=[_delivery(s, st) for st in starts],
            requests=[_request(s, r) for r in requests_],
            declaration_lines=[LineOut.model_validate(p) for p in lines],
            message_ids=list(messages),
        )


# --- allocations ------------------------------------------------------------------------------


@router.get(
    "/toewijzingen",
    response_model=Page[AllocationOut],
    summary="List allocations",
    description="Allocations (WMO301 ToegewezenProduct) between you and the other party, "
    "each in its latest version, by ascending id.",
    responses={422: INVALID_REQUEST},
)
def list_allocations(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: ClientFilter = None,
    municipality_code: Annotated[
        str | None,
        Query(
            pattern=CBS_CODE,
            description="only of this municipality (CBS code)",
            examples=["0307"],
        ),
    ] = None,
    provider_code: Annotated[
        str | None,
        Query(
            pattern=AGB_CODE, description="only to this provider (AGB code)", examples=["42420001"]
        ),
    ] = None,
    current_on: Annotated[
        Day | None,
        Query(description="only allocations current on this day", examples=["2027-03-01"]),
    ] = None,
) -> Page[AllocationOut]:
    after, limit = paging
    stmt = select(db.Toewijzing).where(
        db.Toewijzing.id > after,
        access.reads_record(who, db.Toewijzing),
    )
    if client_id is not None:
        stmt = stmt.where(db.Toewijzing.client_id == client_id)
    if municipality_code:
        stmt = stmt.where(db.Toewijzing.municipality_code == municipality_code)
    if provider_code:
        stmt = stmt.where(db.Toewijzing.provider_code == provider_code)
    if current_on is not None:
        stmt = stmt.where(db.Toewijzing.in_force_on(current_on))
    with services(request).database.read() as s:
        rows = [
            AllocationOut.model_validate(a)
            for a in s.scalars(stmt.order_by(db.Toewijzing.id).limit(limit))
        ]
        return Page.of(rows, limit)


@router.get(
    "/toewijzingen/{allocation_id:digits}",
    response_model=AllocationDetail,
    summary="One allocation with every version",
    description="The allocation in its latest version, every version the WMO301s stated, "
    "and with `peildatum` the version in force on that day.",
    responses={
        404: not_found("no such allocation of yours", "no allocation 3 for you"),
        422: INVALID_REQUEST,
    },
)
def get_allocation(
    request: Request,
    allocation_id: Annotated[int, id_path("allocation"), WHOLE_NUMBER],
    who: Annotated[Caller, Depends(caller)],
    peildatum: Annotated[
        Day | None,
        Query(
            description="also show the version in force on this day: the last one "
            "decided (Toewijzingsdatum) on or before it",
            examples=["2027-03-01"],
        ),
    ] = None,
) -> AllocationDetail:
    with services(request).database.read() as s:
        a = s.scalar(
            select(db.Toewijzing).where(
                db.Toewijzing.id == allocation_id,
                access.reads_record(who, db.Toewijzing),
            )
        )
        if a is None:
            raise NotFound(f"no allocation {allocation_id} for you")
        versions = [AllocationVersionOut.model_validate(v) for v in a.versions]
        detail = AllocationDetail(**AllocationOut.model_validate(a).model_dump(), versions=versions)
        if peildatum is not None:
            decided = [v for v in versions if v.toewijzingsdatum <= peildatum]
            detail.as_of = max(
                decided,
                key=lambda v: (v.toewijzingsdatum, v.toewijzingstijd, v.version),
                default=None,
            )
        return detail


# --- deliveries, requests, declarations -------------------------------------------------------


def _delivery(s: Session, start: db.Start) -> DeliveryOut:
    events = s.scalars(
        select(db.LeveringEvent)
        .where(db.LeveringEvent.start_id == start.id)
        .order_by(db.LeveringEvent.id)
    )
    return DeliveryOut(
        id=start.id,
        client_id=start.client_id,
        municipality_code=start.municipality_code,
        provider_code=start.provider_code,
        toewijzing_nummer=start.toewijzing_nummer,
        product_categorie=start.product_categorie,
        product_code=start.product_code,
        toewijzing_ingangsdatum=start.toewijzing_ingangsdatum,
        begindatum=start.begindatum,
        message_id=start.message_id,
        deleted=start.deleted_by_id is not None,
        stops=[
            StopOut(
                id=x.id,
                reden_beeindiging=x.reden_beeindiging,
                einddatum=x.einddatum,
                message_id=x.message_id,
                deleted=x.deleted_by_id is not None,
                temporary=x.temporary,
            )
            for x in start.stops
        ],
        history=[EventOut.model_validate(e) for e in events],
    )


def _request(s: Session, v: db.Verzoek) -> RequestOut:
    out = RequestOut.model_validate(v)
    out.answers = [
        AnswerOut.model_validate(a)
        for a in s.scalars(
            select(db.Antwoord).where(db.Antwoord.verzoek_id == v.id).order_by(db.Antwoord.id)
        )
    ]
    return out


@router.get(
    "/leveringen",
    response_model=Page[DeliveryOut],
    summary="List starts of delivery with their stops and history",
    description="Starts of delivery (WMO305) between you and the other party, each with "
    "its stops (WMO307) and every line as it arrived, by ascending id.",
    responses={422: INVALID_REQUEST},
)
def list_deliveries(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: ClientFilter = None,
    toewijzing_nummer: Annotated[
        int | None,
        Query(
            ge=0,
            le=999_999_999,
            description="only starts on this allocation number (ToewijzingNummer)",
            examples=[101],
        ),
        WHOLE_NUMBER,
    ] = None,
) -> Page[DeliveryOut]:
    after, limit = paging
    stmt = select(db.Start).where(db.Start.id > after, access.reads_record(who, db.Start))
    if client_id is not None:
        stmt = stmt.where(db.Start.client_id == client_id)
    if toewijzing_nummer is not None:
        stmt = stmt.where(db.Start.toewijzing_nummer == toewijzing_nummer)
    with services(request).database.read() as s:
        rows = [_delivery(s, st) for st in s.scalars(stmt.order_by(db.Start.id).limit(limit))]
        return Page.of(rows, limit)


@router.get(
    "/verzoeken",
    response_model=Page[RequestOut],
    summary="List requests (315, 317) and their answers",
    description="Requests for an allocation (WMO315) and for a change (WMO317) between you "
    "and the other party, with the municipality's answers (WMO319), by ascending id.",
    responses={422: INVALID_REQUEST},
)
def list_requests(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: ClientFilter = None,
    status: Annotated[
        Literal["open", "in_onderzoek", "afgewezen", "toegewezen"] | None,
        Query(description="only requests in this state", examples=["open"]),
    ] = None,
) -> Page[RequestOut]:
    after, limit = paging
    stmt = select(db.Verzoek).where(db.Verzoek.id > after, access.reads_record(who, db.Verzoek))
    if client_id is not None:
        stmt = stmt.where(db.Verzoek.client_id == client_id)
    if status:
        stmt = stmt.where(db.Verzoek.status == status)
    with services(request).database.read() as s:
        rows = [_request(s, v) for v in s.scalars(stmt.order_by(db.Verzoek.id).limit(limit))]
        return Page.of(rows, limit)


class ProductCodeOut(BaseModel):
    categorie: str = Field(description="ProductCategorie (WMO020)", examples=["02"])
    code: str = Field(description="ProductCode", examples=["02N03"])
    omschrijving: str = Field(examples=["Begeleiding, intervention level 3"])
    gemeente: str | None = Field(
        description="the list the code is on: a municipality's own (its CBS code), or the "
        "service-wide default (null)",
        examples=["0307"],
    )


@router.get(
    "/productcodes",
    response_model=list[ProductCodeOut],
    summary="The product code list TR381 checks against",
    description="Without `gemeente`, the service-wide default list. With it, the list TR381 "
    "applies to that municipality's messages: per category its own codes, or the default's "
    "where it has none of its own. A category without listed codes is not checked.",
    responses={422: INVALID_REQUEST},
)
def list_product_codes(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    gemeente: Annotated[
        str | None,
        Query(
            pattern=CBS_CODE,
            description="the list of this municipality (CBS code)",
            examples=["0307"],
        ),
    ] = None,
    categorie: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{2}$",
            description="only the codes of this ProductCategorie",
            examples=["02"],
        ),
    ] = None,
) -> list[ProductCodeOut]:
    with services(request).database.read() as s:
        found = (
            product_codes.effective(s, gemeente, categorie)
            if gemeente is not None
            else product_codes.listed(s, categorie)
        )
        return [ProductCodeOut(**{**vars(e), "gemeente": e.gemeente or None}) for e in found]


@router.get(
    "/declaraties",
    response_model=Page[DeclarationOut],
    summary="List declarations",
    description="Declarations (WMO323) between you and the other party, by ascending id; "
    "their lines with `GET /v1/declaraties/{declaration_id}`.",
    responses={422: INVALID_REQUEST},
)
def list_declarations(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
) -> Page[DeclarationOut]:
    after, limit = paging
    stmt = select(db.Declaratie).where(
        db.Declaratie.id > after,
        access.reads_record(who, db.Declaratie),
    )
    with services(request).database.read() as s:
        rows = [
            DeclarationOut.model_validate(d)
            for d in s.scalars(stmt.order_by(db.Declaratie.id).limit(limit))
        ]
        return Page.of(rows, limit)


@router.get(
    "/declaraties/{declaration_id:digits}",
    response_model=DeclarationDetail,
    summary="One declaration with its lines and their verdicts",
    description="The declaration, its totals and every line with its status and return codes.",
    responses={
        404: not_found("no such declaration of yours", "no declaration 1 for you"),
        422: INVALID_REQUEST,
    },
)
def get_declaration(
    request: Request,
    declaration_id: Annotated[int, id_path("declaration"), WHOLE_NUMBER],
    who: Annotated[Caller, Depends(caller)],
) -> DeclarationDetail:
    with services(request).database.read() as s:
        d = s.scalar(
            select(db.Declaratie).where(
                db.Declaratie.id == declaration_id,
                access.reads_record(who, db.Declaratie),
            )
        )
        if d is None:
            raise NotFound(f"no declaration {declaration_id} for you")
        return DeclarationDetail(
            **DeclarationOut.model_validate(d).model_dump(),
            lines=[LineOut.model_validate(p) for p in d.prestaties],
        )
