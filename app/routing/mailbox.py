"""Mailboxes: what each participant has to fetch, in order, at least once.

An item is numbered per recipient (``seq``) in the transaction that puts it there, under a
lock on the recipient's counter row held until commit. Items of one recipient therefore
become visible in ``seq`` order, and a reader that pages with ``after=<last seq seen>``
never skips one, however many workers write at once. Items stay until acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

from sqlalchemy import Select, select

from app.administration import models as db
from app.administration.store import Tx
from app.routing.models import MailboxItem

MESSAGE = "message"  # addressed to the recipient
COPY = "copy"  # for the recipient's information (a relayed original, a verdict)
RETOUR = "retour"  # an answer to something the recipient sent through the service


@dataclass(frozen=True)
class Delivery:
    recipient: str
    message_id: int
    kind: str = MESSAGE
    note: str | None = None


def deliver(tx: Tx, deliveries: Iterable[Delivery]) -> None:
    """Put the items in their mailboxes. Call it last in the transaction: the counter rows
    stay locked until commit, and taking them in one fixed order (by recipient) means two
    transactions never wait on each other for them."""
    now = datetime.now(UTC)
    ordered = sorted(deliveries, key=lambda d: d.recipient)
    for recipient, group in groupby(ordered, key=lambda d: d.recipient):
        items = list(group)
        if not tx.sqlite:
            # One statement: the counter moved on and the items numbered from it.
            tx.execute(
                "WITH c AS (INSERT INTO mailbox_counters (recipient_code, last) VALUES (?, ?) "
                "ON CONFLICT (recipient_code) DO UPDATE "
                "SET last = mailbox_counters.last + excluded.last RETURNING last) "
                "INSERT INTO mailbox_items "
                "(recipient_code, seq, message_id, kind, note, created_at) "
                "SELECT ?, c.last - ? + t.n, t.message_id, t.kind, t.note, ? FROM c, "
                "unnest(?::integer[], ?::text[], ?::text[]) WITH ORDINALITY "
                "AS t(message_id, kind, note, n)",
                (
                    recipient,
                    len(items),
                    recipient,
                    len(items),
                    now,
                    tx.array([i.message_id for i in items]),
                    tx.array([i.kind for i in items]),
                    tx.array([i.note for i in items]),
                ),
            )
            continue
        last = int(
            tx.scalar(
                "INSERT INTO mailbox_counters (recipient_code, last) VALUES (?, ?) "
                "ON CONFLICT (recipient_code) DO UPDATE "
                "SET last = mailbox_counters.last + excluded.last RETURNING last",
                (recipient, len(items)),
            )
        )
        tx.execute_many(
            "INSERT INTO mailbox_items (recipient_code, seq, message_id, kind, note, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                [recipient, seq, item.message_id, item.kind, item.note, now]
                for seq, item in enumerate(items, start=last - len(items) + 1)
            ),
        )


def page(
    recipient: str, after: int, limit: int, *, include_acked: bool = False
) -> Select[MailboxItem, db.Message]:
    """A page of a recipient's items after ``after``, in order, with their messages. What
    waits is read along the index of waiting items (ix_mailbox_waiting): as cheap for the
    first page of a backlog of 50,000 as for the last, and never through the history of
    what was acknowledged."""
    stmt = (
        select(MailboxItem, db.Message)
        .join(db.Message, db.Message.id == MailboxItem.message_id)
        .where(MailboxItem.recipient_code == recipient, MailboxItem.seq > after)
        .order_by(MailboxItem.seq)
        .limit(limit)
    )
    if not include_acked:
        stmt = stmt.where(MailboxItem.acked_at.is_(None))
    return stmt
