"""Mailboxes: every participant fetches what is addressed to it, oldest first.

Page with ``after`` (the last ``id`` you processed) and acknowledge each item once it is
safely yours; unacknowledged items stay and are listed again from ``after=0``. That makes
delivery at least once and in order per recipient.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from app import access
from app.administration import models as db
from app.administration.crypto import RAW
from app.api import examples
from app.api.deps import Caller, Forbidden, caller, services
from app.api.fields import MAX_ID, PARTICIPANT_CODE, WHOLE_NUMBER, Flag, Timestamp, id_path
from app.api.pages import MAX_LIMIT
from app.api.problems import AUTHENTICATED, INVALID_REQUEST, NotFound, forbidden, not_found
from app.routing import mailbox
from app.routing.models import MailboxItem

router = APIRouter(tags=["mailbox"], responses=AUTHENTICATED)

_NOT_IN_MAILBOX = not_found("not in your mailbox", "no item 17 in your mailbox")
ItemId = Annotated[int, id_path("mailbox item"), WHOLE_NUMBER]

_ITEM: dict[str, Any] = {
    "id": 17,
    "kind": "message",
    "note": None,
    "message_id": 412,
    "message_type": "WMO301",
    "sender_code": "0307",
    "receiver_code": "99000002",
    "identificatie": "IH7Q2M0ZK4XA",
    "dagtekening": "2027-02-01",
    "created_at": "2027-02-01T09:12:03.512Z",
    "acked_at": None,
}


class MailboxItemOut(BaseModel):
    id: int = Field(
        description="position in your mailbox; pass the last one seen as `after`", examples=[17]
    )
    kind: str = Field(
        description="message: addressed to you; copy: for your information (e.g. a "
        "subcontractor's original of a relayed start); retour: an answer to something you sent",
        examples=["message"],
    )
    note: str | None = Field(default=None, examples=["relayed to the municipality"])
    message_id: int = Field(description="the message in /v1/berichten", examples=[412])
    message_type: str | None = Field(examples=["WMO301"])
    sender_code: str | None = Field(examples=["0307"])
    receiver_code: str | None = Field(examples=["99000002"])
    identificatie: str | None = Field(examples=["IH7Q2M0ZK4XA"])
    dagtekening: date | None = Field(
        description="the message's Dagtekening", examples=["2027-02-01"]
    )
    created_at: Timestamp = Field(description="when it was put in your mailbox")
    acked_at: Timestamp | None = Field(description="when you acknowledged it; null while it waits")
    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM]})


class MailboxPage(BaseModel):
    """Items in your mailbox, oldest first."""

    items: list[MailboxItemOut]
    next_after: int | None = Field(
        description="pass as `after` for the next page; null when there is no more"
    )
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ITEM], "next_after": None}]}
    )


@router.get(
    "/mailbox",
    response_model=MailboxPage,
    summary="What is waiting for you",
    description="Items addressed to you, oldest first, from after `after`. Acknowledged items "
    "are left out unless `include_acked` is true. Operators may look into a participant's "
    "mailbox with `recipient`.",
    responses={
        403: forbidden(
            "`recipient` is another participant and you are not an operator",
            "only operators may look into another participant's mailbox",
        ),
        422: INVALID_REQUEST,
    },
)
def list_mailbox(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    after: Annotated[
        int,
        Query(ge=0, le=MAX_ID, description="the last id you processed", examples=[0]),
        WHOLE_NUMBER,
    ] = 0,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description="at most this many items", examples=[100]),
        WHOLE_NUMBER,
    ] = 50,
    include_acked: Annotated[
        Flag, Query(description="also list the items you acknowledged", examples=[False])
    ] = False,
    recipient: Annotated[
        str | None,
        Query(
            pattern=PARTICIPANT_CODE,
            description="whose mailbox (operators only; others may name only themselves)",
            examples=["99000002"],
        ),
    ] = None,
) -> MailboxPage:
    code = _recipient(who, recipient)
    stmt = mailbox.page(code, after, limit, include_acked=include_acked)
    with services(request).database.read() as s:
        rows = [_out(item, message) for item, message in s.execute(stmt).all()]
    return MailboxPage(items=rows, next_after=rows[-1].id if len(rows) == limit else None)


@router.get(
    "/mailbox/{item_id:digits}",
    summary="One item's message (XML)",
    description="The message itself, as the service stored it. Headers name the message "
    "(`X-Iwmo-Message-Id`, `X-Iwmo-Message-Type`) and the kind of item (`X-Iwmo-Kind`). "
    "Reading does not acknowledge.",
    response_class=Response,
    responses={
        200: {
            "description": "the message",
            "content": {
                "application/xml": {
                    "schema": {"type": "string"},
                    "example": examples.DELEGATED_ALLOCATION,
                }
            },
        },
        404: _NOT_IN_MAILBOX,
        422: INVALID_REQUEST,
    },
)
def get_item(
    request: Request, item_id: ItemId, who: Annotated[Caller, Depends(caller)]
) -> Response:
    with services(request).database.read() as s:
        found = s.execute(
            select(MailboxItem, db.Message)
            .join(db.Message, db.Message.id == MailboxItem.message_id)
            .where(MailboxItem.recipient_code == _recipient(who, None), MailboxItem.seq == item_id)
        ).first()
        if found is None:
            raise NotFound(f"no item {item_id} in your mailbox")
        item, message = found
        raw = services(request).vault.decrypt(message.raw_encrypted, RAW)
        headers = {
            "X-Iwmo-Message-Id": str(message.id),
            "X-Iwmo-Message-Type": message.message_type or "",
            "X-Iwmo-Kind": item.kind,
        }
    return Response(raw, media_type="application/xml", headers=headers)


@router.post(
    "/mailbox/{item_id:digits}/ack",
    status_code=204,
    response_class=Response,
    summary="Acknowledge an item: it is safely yours",
    description="The item is left out of the list from now on (unless `include_acked`). "
    "Acknowledging twice is harmless.",
    responses={
        204: {"description": "acknowledged"},
        404: _NOT_IN_MAILBOX,
        422: INVALID_REQUEST,
    },
)
def ack_item(
    request: Request, item_id: ItemId, who: Annotated[Caller, Depends(caller)]
) -> Response:
    with services(request).database.write() as s:
        exists = s.scalar(
            select(MailboxItem.id).where(
                MailboxItem.recipient_code == _recipient(who, None), MailboxItem.seq == item_id
            )
        )
        if exists is None:
            raise NotFound(f"no item {item_id} in your mailbox")
        s.execute(
            update(MailboxItem)
            .where(MailboxItem.id == exists, MailboxItem.acked_at.is_(None))
            .values(acked_at=datetime.now(UTC))
        )
    return Response(status_code=204)


def _recipient(who: Caller, recipient: str | None) -> str:
    found = access.mailbox_of(who, recipient)
    if found is None:
        raise Forbidden("only operators may look into another participant's mailbox")
    return found


def _out(item: MailboxItem, message: db.Message) -> MailboxItemOut:
    return MailboxItemOut(
        id=item.seq,
        kind=item.kind,
        note=item.note,
        message_id=message.id,
        message_type=message.message_type,
        sender_code=message.sender_code,
        receiver_code=message.receiver_code,
        identificatie=message.identificatie,
        dagtekening=message.dagtekening,
        created_at=item.created_at,
        acked_at=item.acked_at,
    )
