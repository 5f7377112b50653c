"""Reading the central client administration: clients, allocations with their history,
deliveries, requests and declarations. Every party sees what concerns it; operators see all.
A BSN is never returned and never travels in a URL: look clients up with a POST."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.administration import models as db
from app.administration import product_codes
from app.api.deps import Caller, caller, services
from app.api.pages import Page, page_params
from app.api.problems import NotFound
from app.standard.datatypes import BSN_PATTERN

router = APIRouter(tags=["administration"])

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}


# --- visibility -------------------------------------------------------------------------------


def _sees_client(who: Caller) -> Any:
    if who.operator:
        return True
    return or_(
        db.Client.municipality_code == who.code,
        exists().where(
            db.Toewijzing.client_id == db.Client.id, db.Toewijzing.provider_code == who.code
        ),
        exists().where(db.Verzoek.client_id == db.Client.id, db.Verzoek.provider_code == who.code),
        exists().where(db.Start.client_id == db.Client.id, db.Start.provider_code == who.code),
    )


def _party(who: Caller, municipality: Any, provider: Any) -> Any:
    return True if who.operator else or_(municipality == who.code, provider == who.code)


# --- models -----------------------------------------------------------------------------------


class ClientOut(BaseModel):
    id: int
    municipality_code: str
    created_at: datetime
    model_config = {"from_attributes": True}


class ClientSearch(BaseModel):
    bsn: str = Field(
        pattern=BSN_PATTERN, description="the client's BSN (9 digits)", examples=["999900006"]
    )
    municipality_code: str | None = Field(default=None, pattern=r"^[0-9]{4}$")


class AllocationVersionOut(BaseModel):
    version: int
    message_id: int
    recorded_at: datetime
    product_categorie: str | None
    product_code: str | None
    toewijzingsdatum: date
    toewijzingstijd: time
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None = Field(description="euro cents")
    referentie_aanbieder: str | None
    model_config = {"from_attributes": True}


class AllocationOut(BaseModel):
    id: int
    municipality_code: str
    nummer: int = Field(description="ToewijzingNummer")
    client_id: int
    provider_code: str
    version: int
    product_categorie: str | None
    product_code: str | None
    toewijzingsdatum: date
    toewijzingstijd: time
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None = Field(description="euro cents")
    referentie_aanbieder: str | None
    deleted: bool
    model_config = {
        "from_attributes": True,
        "json_schema_extra": {
            "examples": [
                {
                    "id": 3,
                    "municipality_code": "0307",
                    "nummer": 101,
                    "client_id": 4,
                    "provider_code": "42420001",
                    "version": 2,
                    "product_categorie": "02",
                    "product_code": "02N03",
                    "toewijzingsdatum": "2027-01-04",
                    "toewijzingstijd": "09:30:00",
                    "ingangsdatum": "2027-01-05",
                    "einddatum": "2027-12-31",
                    "reden_wijziging": "04",
                    "volume": 3,
                    "eenheid": "04",
                    "frequentie": "2",
                    "budget": None,
                    "referentie_aanbieder": None,
                    "deleted": False,
                }
            ]
        },
    }


class AllocationDetail(AllocationOut):
    versions: list[AllocationVersionOut]
    as_of: AllocationVersionOut | None = Field(
        default=None, description="the version in force on `peildatum`, when asked"
    )


class StopOut(BaseModel):
    id: int
    reden_beeindiging: str
    einddatum: date
    message_id: int
    deleted: bool
    temporary: bool


class EventOut(BaseModel):
    kind: str
    status_aanlevering: str
    message_id: int
    recorded_at: datetime
    model_config = {"from_attributes": True}


class DeliveryOut(BaseModel):
    id: int
    client_id: int
    municipality_code: str
    provider_code: str
    toewijzing_nummer: int | None
    product_categorie: str | None
    product_code: str | None
    toewijzing_ingangsdatum: date | None
    begindatum: date
    message_id: int
    deleted: bool
    stops: list[StopOut]
    history: list[EventOut] = Field(description="every start and stop line as it arrived")


class AnswerOut(BaseModel):
    verzoek_antwoord: str
    reden_afwijzing: str | None
    message_id: int
    recorded_at: datetime
    model_config = {"from_attributes": True}


class RequestOut(BaseModel):
    id: int
    kind: str = Field(description="VOT (315) or VOW (317)")
    client_id: int
    municipality_code: str
    provider_code: str
    referentie_aanbieder: str
    status: str = Field(description="open, in_onderzoek, afgewezen, toegewezen")
    reden_afwijzing: str | None
    details: dict[str, Any]
    message_id: int
    created_at: datetime
    answers: list[AnswerOut] = []
    model_config = {"from_attributes": True}


class LineOut(BaseModel):
    id: int
    client_id: int | None
    referentienummer: str
    vorig_referentienummer: str | None
    toewijzing_nummer: int
    product_categorie: str
    product_code: str
    periode_begin: date
    periode_eind: date
    volume: int
    eenheid: str
    tarief: int | None
    bedrag: int = Field(description="euro cents; debit positive, credit negative")
    status: str = Field(description="toegekend or afgewezen")
    retourcodes: list[str]
    model_config = {"from_attributes": True}


class DeclarationOut(BaseModel):
    id: int
    provider_code: str
    municipality_code: str
    declaratienummer: str
    periode_begin: date
    periode_eind: date
    dagtekening: date
    totaal_ingediend: int
    totaal_toegekend: int | None
    message_id: int
    answer_message_id: int | None
    model_config = {"from_attributes": True}


class DeclarationDetail(DeclarationOut):
    lines: list[LineOut]


class ClientOverview(ClientOut):
    allocations: list[AllocationOut]
    deliveries: list[DeliveryOut]
    requests: list[RequestOut]
    declaration_lines: list[LineOut]
    message_ids: list[int]


# --- clients ----------------------------------------------------------------------------------


@router.post(
    "/clienten/zoeken",
    response_model=list[ClientOut],
    summary="Find a client by BSN",
    description="The BSN goes in the body, never in a URL, so it stays out of logs.",
)
def find_client(
    request: Request, query: ClientSearch, who: Annotated[Caller, Depends(caller)]
) -> list[ClientOut]:
    svc = services(request)
    digest = svc.vault.bsn_hash(query.bsn)
    stmt = select(db.Client).where(db.Client.bsn_hash == digest, _sees_client(who))
    if query.municipality_code:
        stmt = stmt.where(db.Client.municipality_code == query.municipality_code)
    with svc.database.read() as s:
        return [ClientOut.model_validate(c) for c in s.scalars(stmt.order_by(db.Client.id))]


@router.get(
    "/clienten/{client_id}",
    response_model=ClientOverview,
    summary="Everything about one client",
    responses={404: {"content": _PROBLEM}},
)
def client_overview(
    request: Request, client_id: int, who: Annotated[Caller, Depends(caller)]
) -> ClientOverview:
    with services(request).database.read() as s:
        client = s.scalar(select(db.Client).where(db.Client.id == client_id, _sees_client(who)))
        if client is None:
            raise NotFound(f"no client {client_id} for you")
        allocations = s.scalars(
            select(db.Toewijzing)
            .where(
                db.Toewijzing.client_id == client_id,
                _party(who, db.Toewijzing.municipality_code, db.Toewijzing.provider_code),
            )
            .order_by(db.Toewijzing.nummer)
        )
        starts = s.scalars(
            select(db.Start)
            .where(
                db.Start.client_id == client_id,
                _party(who, db.Start.municipality_code, db.Start.provider_code),
            )
            .order_by(db.Start.id)
        )
        requests_ = s.scalars(
            select(db.Verzoek)
            .where(
                db.Verzoek.client_id == client_id,
                _party(who, db.Verzoek.municipality_code, db.Verzoek.provider_code),
            )
            .order_by(db.Verzoek.id)
        )
        lines = s.scalars(
            select(db.Prestatie)
            .join(db.Declaratie)
            .where(
                db.Prestatie.client_id == client_id,
                _party(who, db.Declaratie.municipality_code, db.Declaratie.provider_code),
            )
            .order_by(db.Prestatie.id)
        )
        from app.api.berichten import visible

        messages = s.scalars(
            select(db.Message.id)
            .where(db.Message.client_id == client_id, visible(who))
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


@router.get("/toewijzingen", response_model=Page[AllocationOut], summary="List allocations")
def list_allocations(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: int | None = None,
    municipality_code: Annotated[str | None, Query(examples=["0307"])] = None,
    provider_code: Annotated[str | None, Query(examples=["42420001"])] = None,
    current_on: Annotated[
        date | None, Query(description="only allocations current on this day")
    ] = None,
) -> Page[AllocationOut]:
    after, limit = paging
    stmt = select(db.Toewijzing).where(
        db.Toewijzing.id > after,
        _party(who, db.Toewijzing.municipality_code, db.Toewijzing.provider_code),
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
    "/toewijzingen/{allocation_id}",
    response_model=AllocationDetail,
    summary="One allocation with every version",
    responses={404: {"content": _PROBLEM}},
)
def get_allocation(
    request: Request,
    allocation_id: int,
    who: Annotated[Caller, Depends(caller)],
    peildatum: Annotated[
        date | None,
        Query(
            description="also show the version in force on this day: the last one "
            "decided (Toewijzingsdatum) on or before it"
        ),
    ] = None,
) -> AllocationDetail:
    with services(request).database.read() as s:
        a = s.scalar(
            select(db.Toewijzing).where(
                db.Toewijzing.id == allocation_id,
                _party(who, db.Toewijzing.municipality_code, db.Toewijzing.provider_code),
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
)
def list_deliveries(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: int | None = None,
    toewijzing_nummer: int | None = None,
) -> Page[DeliveryOut]:
    after, limit = paging
    stmt = select(db.Start).where(
        db.Start.id > after, _party(who, db.Start.municipality_code, db.Start.provider_code)
    )
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
)
def list_requests(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    client_id: int | None = None,
    status: Annotated[str | None, Query(examples=["open"])] = None,
) -> Page[RequestOut]:
    after, limit = paging
    stmt = select(db.Verzoek).where(
        db.Verzoek.id > after, _party(who, db.Verzoek.municipality_code, db.Verzoek.provider_code)
    )
    if client_id is not None:
        stmt = stmt.where(db.Verzoek.client_id == client_id)
    if status:
        stmt = stmt.where(db.Verzoek.status == status)
    with services(request).database.read() as s:
        rows = [_request(s, v) for v in s.scalars(stmt.order_by(db.Verzoek.id).limit(limit))]
        return Page.of(rows, limit)


class ProductCodeOut(BaseModel):
    categorie: str
    code: str
    omschrijving: str


@router.get(
    "/productcodes",
    response_model=list[ProductCodeOut],
    summary="The product code list TR381 checks against",
)
def list_product_codes(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    categorie: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", examples=["02"])] = None,
) -> list[ProductCodeOut]:
    with services(request).database.read() as s:
        return [ProductCodeOut(**vars(e)) for e in product_codes.listed(s, categorie)]


@router.get("/declaraties", response_model=Page[DeclarationOut], summary="List declarations")
def list_declarations(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
) -> Page[DeclarationOut]:
    after, limit = paging
    stmt = select(db.Declaratie).where(
        db.Declaratie.id > after,
        _party(who, db.Declaratie.municipality_code, db.Declaratie.provider_code),
    )
    with services(request).database.read() as s:
        rows = [
            DeclarationOut.model_validate(d)
            for d in s.scalars(stmt.order_by(db.Declaratie.id).limit(limit))
        ]
        return Page.of(rows, limit)


@router.get(
    "/declaraties/{declaration_id}",
    response_model=DeclarationDetail,
    summary="One declaration with its lines and their verdicts",
    responses={404: {"content": _PROBLEM}},
)
def get_declaration(
    request: Request, declaration_id: int, who: Annotated[Caller, Depends(caller)]
) -> DeclarationDetail:
    with services(request).database.read() as s:
        d = s.scalar(
            select(db.Declaratie).where(
                db.Declaratie.id == declaration_id,
                _party(who, db.Declaratie.municipality_code, db.Declaratie.provider_code),
            )
        )
        if d is None:
            raise NotFound(f"no declaration {declaration_id} for you")
        return DeclarationDetail(
            **DeclarationOut.model_validate(d).model_dump(),
            lines=[LineOut.model_validate(p) for p in d.prestaties],
        )
