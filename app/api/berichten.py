"""Messages: receiving iWmo XML, and reading what was received (by the parties concerned)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import exists, or_, select

from app.administration import models as db
from app.administration.crypto import RAW
from app.administration.ingest import Sender
from app.api.deps import Caller, Forbidden, caller, services
from app.api.pages import Page, page_params
from app.api.problems import NotFound
from app.routing.models import MailboxItem

router = APIRouter(tags=["messages"])

XML_TYPES = ("application/xml", "text/xml")

_RETOUR_EXAMPLE = """<?xml version='1.0' encoding='UTF-8'?>
<wmo302:Bericht xmlns:iwmo="http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
    xmlns:wmo302="http://www.istandaarden.nl/iwmo/3_2/wmo302/schema">
  <wmo302:Header>
    <wmo302:BerichtCode>415</wmo302:BerichtCode>
    ...
    <wmo302:RetourCodes><wmo302:RetourCode>0200</wmo302:RetourCode></wmo302:RetourCodes>
  </wmo302:Header>
  <wmo302:Client>...</wmo302:Client>
</wmo302:Bericht>"""

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}


@router.post(
    "/berichten",
    summary="Send an iWmo 3.2 message",
    description=(
        "Send one iWmo message as the body (`Content-Type: application/xml`). The raw message "
        "is stored first, whatever follows. The answer is the retour message (WMO302, 306, "
        "308, 316, 318, 320), or WMO325 for a declaration; a retour message or WMO325 you "
        "send is answered with a JSON receipt. Sending the same bytes again returns the stored "
        "answer and changes nothing. A message that is not readable, not an iWmo 3.2 message "
        "or not valid against its schema is answered with a problem document instead."
    ),
    responses={
        200: {
            "description": "the retour message, or a receipt for a retour you sent",
            "content": {
                "application/xml": {"example": _RETOUR_EXAMPLE},
                "application/json": {
                    "example": {
                        "status": "accepted",
                        "message_id": 17,
                        "message": "WMO306",
                        "answers": 12,
                    }
                },
            },
        },
        400: {
            "description": "not well-formed, unsafe or not an iWmo 3.2 message",
            "content": _PROBLEM,
        },
        401: {"description": "no or unknown API key", "content": _PROBLEM},
        403: {"description": "the message's sender is not you", "content": _PROBLEM},
        413: {"description": "larger than the limit", "content": _PROBLEM},
        415: {"description": "not sent as application/xml", "content": _PROBLEM},
        422: {
            "description": "not valid against its schema, or unknown receiver",
            "content": _PROBLEM,
        },
        503: {"description": "database unavailable; nothing was changed", "content": _PROBLEM},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "<wmo301:Bericht ...>...</wmo301:Bericht>",
                }
            },
        }
    },
)
async def receive(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    body = await request.body()
    svc = services(request)
    sender = Sender(who.id, who.code, who.role)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in XML_TYPES:
        outcome = await run_in_threadpool(svc.ingest.refuse_media_type, sender, body, media)
    else:
        outcome = await run_in_threadpool(svc.ingest.receive, sender, body)
    headers = {}
    if outcome.message_id is not None:
        headers["Location"] = f"/v1/berichten/{outcome.message_id}"
    if outcome.replayed:
        headers["X-Iwmo-Replayed"] = "true"
    return Response(
        outcome.body, status_code=outcome.status, media_type=outcome.media_type, headers=headers
    )


class FindingOut(BaseModel):
    rule: str
    return_code: str
    path: str
    message: str
    line: int | None = None


class MessageOut(BaseModel):
    id: int
    direction: str = Field(description="in: received by the hub; out: produced by the hub")
    message_type: str | None
    sender_code: str | None
    receiver_code: str | None
    identificatie: str | None
    dagtekening: date | None
    status: str = Field(
        description="received, accepted, partially_accepted (a WMO323 with some lines "
        "refused), rejected, unreadable, forbidden, sent"
    )
    received_at: datetime
    processed_at: datetime | None
    size: int
    client_id: int | None
    retour_id: int | None = Field(description="the retour or WMO325 the hub answered with")
    original_id: int | None = Field(description="for a retour: the message it answers")
    findings: list[FindingOut]

    model_config = {
        "from_attributes": True,
        "json_schema_extra": {
            "examples": [
                {
                    "id": 12,
                    "direction": "in",
                    "message_type": "WMO305",
                    "sender_code": "65656055",
                    "receiver_code": "0363",
                    "identificatie": "123456789013",
                    "dagtekening": "2025-04-05",
                    "status": "rejected",
                    "received_at": "2025-04-05T09:12:03Z",
                    "processed_at": "2025-04-05T09:12:03Z",
                    "size": 2234,
                    "client_id": 4,
                    "retour_id": 13,
                    "original_id": None,
                    "findings": [
                        {
                            "rule": "TR019",
                            "return_code": "9019",
                            "path": "/Bericht/Client/StartProducten/StartProduct[1]"
                            "/ToewijzingNummer",
                            "message": "ToewijzingNummer 300201 is not an allocation of this "
                            "client",
                        }
                    ],
                }
            ]
        },
    }


def visible(who: Caller) -> Any:
    """Messages a caller may see: its own, sent or received, and what was put in its
    mailbox; operators see all."""
    if who.operator:
        return True
    return or_(
        db.Message.sender_code == who.code,
        db.Message.receiver_code == who.code,
        db.Message.participant_id == who.id,
        # What the service put in your mailbox concerns you (a relay's original, a copy).
        exists().where(
            MailboxItem.message_id == db.Message.id, MailboxItem.recipient_code == who.code
        ),
    )


@router.get(
    "/berichten",
    response_model=Page[MessageOut],
    summary="List messages",
    description="Messages you sent or that are addressed to you, oldest first, "
    "paginated with `after` (the last id you saw) and `limit`.",
)
def list_messages(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    message_type: Annotated[str | None, Query(examples=["WMO301"])] = None,
    status: Annotated[str | None, Query(examples=["rejected"])] = None,
    client_id: int | None = None,
) -> Page[MessageOut]:
    after, limit = paging
    query = select(db.Message).where(visible(who), db.Message.id > after)
    if message_type:
        query = query.where(db.Message.message_type == message_type.upper())
    if status:
        query = query.where(db.Message.status == status)
    if client_id is not None:
        query = query.where(db.Message.client_id == client_id)
    with services(request).database.read() as s:
        rows = list(s.scalars(query.order_by(db.Message.id).limit(limit)))
        return Page.of([MessageOut.model_validate(r) for r in rows], limit)


def _message(request: Request, who: Caller, message_id: int) -> db.Message:
    with services(request).database.read() as s:
        row = s.scalar(select(db.Message).where(db.Message.id == message_id, visible(who)))
        if row is None:
            raise NotFound(f"no message {message_id} for you")
        return row


@router.get(
    "/berichten/{message_id}",
    response_model=MessageOut,
    summary="One message",
    responses={404: {"description": "unknown, or not yours", "content": _PROBLEM}},
)
def get_message(
    request: Request, message_id: int, who: Annotated[Caller, Depends(caller)]
) -> MessageOut:
    return MessageOut.model_validate(_message(request, who, message_id))


@router.get(
    "/berichten/{message_id}/xml",
    summary="The message itself (XML)",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}},
        404: {"description": "unknown, or not yours", "content": _PROBLEM},
    },
)
def get_message_xml(
    request: Request, message_id: int, who: Annotated[Caller, Depends(caller)]
) -> Response:
    row = _message(request, who, message_id)
    raw = services(request).vault.decrypt(row.raw_encrypted, RAW)
    media = "application/xml" if row.message_type else "application/octet-stream"
    return Response(raw, media_type=media)


@router.get(
    "/berichten/{message_id}/retour",
    summary="The hub's answer to a message (XML)",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}},
        404: {"description": "no answer, unknown, or not yours", "content": _PROBLEM},
    },
)
def get_retour(
    request: Request, message_id: int, who: Annotated[Caller, Depends(caller)]
) -> Response:
    row = _message(request, who, message_id)
    if row.retour_id is None:
        raise NotFound(f"message {message_id} has no retour")
    return get_message_xml(request, row.retour_id, who)


def forbid_unless(condition: bool, detail: str) -> None:
    if not condition:
        raise Forbidden(detail)
