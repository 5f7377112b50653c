"""Messages: receiving iWmo XML, and reading what was received (by the parties concerned)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select

from app import access
from app.administration import models as db
from app.administration.crypto import RAW
from app.api import bodies, examples
from app.api.deps import Caller, Forbidden, caller, services
from app.api.fields import WHOLE_NUMBER, ClientFilter, Timestamp, id_path
from app.api.pages import Page, page_params
from app.api.problems import (
    INVALID_REQUEST,
    UNAUTHORIZED,
    UNAVAILABLE,
    NotFound,
    not_found,
    problem,
)
from app.api.validate import FindingOut
from app.api.verdicts import response_for
from app.intake import TOO_LARGE_KEPT, Sender

router = APIRouter(tags=["messages"])

MessageId = Annotated[int, id_path("message"), WHOLE_NUMBER]
MessageTypeFilter = str | None
_MESSAGE_TYPE = Query(
    pattern=r"^[Ww][Mm][Oo][0-9]{3}$",
    description="only messages of this type (WMO301 ... WMO325, any case)",
    examples=["WMO301"],
)
StatusFilter = (
    Literal[
        "received",
        "accepted",
        "partially_accepted",
        "rejected",
        "unreadable",
        "forbidden",
        "set_aside",
        "sent",
    ]
    | None
)
_STATUS = Query(description="only messages with this status", examples=["rejected"])

XML_TYPES = ("application/xml", "text/xml")

_READ: dict[int | str, dict[str, Any]] = {
    401: UNAUTHORIZED,
    422: INVALID_REQUEST,
    503: UNAVAILABLE,
}
_NO_MESSAGE = not_found("no such message, or not yours", "no message 17 for you")


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
                "application/xml": {"example": examples.ALLOCATION_RETOUR},
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
        400: problem(
            400,
            "empty, not UTF-8, a DOCTYPE, not well-formed, or not an iWmo 3.2 message",
            "not_well_formed",
            "the message is not well-formed XML",
            "line 3: the parser stopped here",
            instance="/v1/berichten/17",
            message_id=17,
            findings=[],
        ),
        401: UNAUTHORIZED,
        403: problem(
            403,
            "the message's sender is not you, or your role does not send this message; the "
            "message is stored with status forbidden",
            "forbidden",
            "sender does not match the message",
            "the WMO305 names Afzender 99000003; you are 99000002 (subcontractor)",
            instance="/v1/berichten/17",
            message_id=17,
            code="IB008",
        ),
        413: problem(
            413,
            "larger than the limit (IWMO_MAX_MESSAGE_BYTES)",
            "too_large",
            "the message is too large",
            "the message is at least 20,971,521 bytes; the limit is 20,971,520 bytes",
            instance="/v1/berichten/17",
            message_id=17,
            code="IB012",
        ),
        415: problem(
            415,
            "not sent as application/xml (or text/xml)",
            "media_type",
            "send iWmo messages as application/xml",
            "the Content-Type was application/json",
            instance="/v1/berichten/17",
            message_id=17,
        ),
        422: problem(
            422,
            "not valid against its schema, or the receiver is not a participant",
            "schema",
            "the WMO305 does not match its schema",
            "1 schema finding(s); the message was not processed",
            instance="/v1/berichten/17",
            message_id=17,
            code="IB014",
            findings=[
                {
                    "rule": "XSD",
                    "return_code": "0001",
                    "path": "/Bericht/Client/Bsn",
                    "message": "Bsn: 8 characters; 9 digits expected",
                    "line": 12,
                }
            ],
        ),
        503: UNAVAILABLE,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": examples.MESSAGE_SCHEMA,
                    # Every message type, as the demo's parties post them in turn.
                    "examples": examples.CHAIN,
                }
            },
        }
    },
)
async def receive(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    svc = services(request)
    sender = Sender(who.id, who.code, who.role)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = svc.settings.max_message_bytes
    try:
        # Never more than the limit in memory: a larger body is refused (and its first
        # bytes stored) as soon as its Content-Length, or its bytes so far, say so. A body
        # sent without a length is read on to its end (up to a few times the limit, without
        # keeping it), so that it is known by a hash of all of it.
        body = await bodies.read_capped(
            request, limit, keep=TOO_LARGE_KEPT, drain=limit * bodies.DRAIN_FACTOR
        )
    except bodies.ClientDisconnect:
        return bodies.disconnected()
    headers: dict[str, str] = {}
    if body.too_large:
        verdict = await run_in_threadpool(
            svc.intake.refuse_too_large, sender, body.data, body.size, body.sha256
        )
        headers.update(bodies.CLOSE)
    elif media not in XML_TYPES:
        verdict = await run_in_threadpool(svc.intake.refuse_media_type, sender, body.data, media)
    else:
        # A few large messages at a time per worker: each costs several times its size.
        async with request.app.state.large_bodies.turn(body.size):
            verdict = await request.app.state.judging.run(
                svc.intake.receive, sender, body.data, body.sha256
            )
    return response_for(verdict, headers)


class MessageOut(BaseModel):
    """A message as the service recorded it (without its content: see `/xml`)."""

    id: int
    direction: str = Field(description="in: received by the hub; out: produced by the hub")
    message_type: str | None
    sender_code: str | None
    receiver_code: str | None
    identificatie: str | None
    dagtekening: date | None
    status: str = Field(
        description="received, accepted, partially_accepted (a WMO323 with some lines "
        "refused), rejected, unreadable, forbidden, set_aside (judging failed too often; "
        "for an operator), sent"
    )
    received_at: Timestamp
    processed_at: Timestamp | None
    size: int
    client_id: int | None
    retour_id: int | None = Field(description="the retour or WMO325 the hub answered with")
    original_id: int | None = Field(description="for a retour: the message it answers")
    findings: list[FindingOut] = Field(
        description="what is wrong, the first IWMO_MAX_FINDINGS (default 100) findings"
    )
    findings_omitted: int = Field(
        description="findings left out of the list (a retour still carries all their codes)",
        examples=[0],
    )

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
                    "findings_omitted": 0,
                }
            ]
        },
    }


@router.get(
    "/berichten",
    response_model=Page[MessageOut],
    summary="List messages",
    description="Messages you sent or that are addressed to you, oldest first, "
    "paginated with `after` (the last id you saw) and `limit`.",
    responses=_READ,
)
def list_messages(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    paging: Annotated[tuple[int, int], Depends(page_params)],
    message_type: Annotated[MessageTypeFilter, _MESSAGE_TYPE] = None,
    status: Annotated[StatusFilter, _STATUS] = None,
    client_id: ClientFilter = None,
) -> Page[MessageOut]:
    after, limit = paging
    query = select(db.Message).where(access.reads_message(who), db.Message.id > after)
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
        row = s.scalar(
            select(db.Message).where(db.Message.id == message_id, access.reads_message(who))
        )
        if row is None:
            raise NotFound(f"no message {message_id} for you")
        return row


@router.get(
    "/berichten/{message_id:digits}",
    response_model=MessageOut,
    summary="One message",
    description="What the service recorded about a message you sent, received, or found in "
    "your mailbox: its header, status and findings.",
    responses={**_READ, 404: _NO_MESSAGE},
)
def get_message(
    request: Request, message_id: MessageId, who: Annotated[Caller, Depends(caller)]
) -> MessageOut:
    return MessageOut.model_validate(_message(request, who, message_id))


@router.get(
    "/berichten/{message_id:digits}/xml",
    summary="The message itself (XML)",
    description="The bytes as they were received (or, for a message the service wrote, "
    "sent). Bytes that were not an iWmo message come back as application/octet-stream.",
    response_class=Response,
    responses={
        200: {
            "description": "the message",
            "content": {
                "application/xml": {"schema": {"type": "string"}, "example": examples.ALLOCATION},
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "not XML at all",
                },
            },
        },
        **_READ,
        404: _NO_MESSAGE,
    },
)
def get_message_xml(
    request: Request, message_id: MessageId, who: Annotated[Caller, Depends(caller)]
) -> Response:
    row = _message(request, who, message_id)
    raw = services(request).vault.decrypt(row.raw_encrypted, RAW)
    media = "application/xml" if row.message_type else "application/octet-stream"
    return Response(raw, media_type=media)


@router.get(
    "/berichten/{message_id:digits}/retour",
    summary="The hub's answer to a message (XML)",
    description="The retour message (or WMO325) the service answered the message with.",
    response_class=Response,
    responses={
        200: {
            "description": "the retour message",
            "content": {
                "application/xml": {
                    "schema": {"type": "string"},
                    "example": examples.ALLOCATION_RETOUR,
                }
            },
        },
        **_READ,
        404: not_found("no answer, unknown, or not yours", "message 17 has no retour"),
    },
)
def get_retour(
    request: Request, message_id: MessageId, who: Annotated[Caller, Depends(caller)]
) -> Response:
    row = _message(request, who, message_id)
    if row.retour_id is None:
        raise NotFound(f"message {message_id} has no retour")
    return get_message_xml(request, row.retour_id, who)


def forbid_unless(condition: bool, detail: str) -> None:
    if not condition:
        raise Forbidden(detail)
