"""The overview: today's and this month's traffic, refused messages, mailbox backlogs and
what waits for an answer past its term — each as far as the viewer may see it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, aliased
from starlette.requests import Request
from starlette.responses import Response

from app import access
from app.administration import models as db
from app.administration.kinds import MessageStatus
from app.clock import NETHERLANDS
from app.console import terms
from app.console.web import Viewer, page, render, services
from app.routing import models as rm
from app.routing.kinds import RelayStatus

REFUSED = (
    MessageStatus.REJECTED,
    MessageStatus.UNREADABLE,
    MessageStatus.FORBIDDEN,
    MessageStatus.SET_ASIDE,
)
SHOWN = 20  # rows of a list on the overview; the rest are counted


@dataclass(frozen=True)
class Waiting:
    kind: str  # overdue_301 | overdue_relay | overdue_request
    message_id: int
    message_type: str
    sender: str | None
    receiver: str | None
    since: datetime
    term: int  # working days


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day_starts(now: datetime) -> tuple[datetime, datetime]:
    """The start of today and of this month in the Netherlands, in UTC."""
    here = now.astimezone(NETHERLANDS)
    today = here.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    return today.astimezone(UTC), month.astimezone(UTC)


Traffic = dict[str, dict[str, int]]


def traffic(s: Session, who: Viewer, today: datetime, month: datetime) -> tuple[Traffic, Traffic]:
    """Messages received since the start of ``today`` and of ``month`` (the earlier), per
    type and status: one count over the month, split by whether a message came today."""
    since = min(today, month)
    came_today = case((db.Message.received_at >= today, 1), else_=0)
    rows = s.execute(
        select(db.Message.message_type, db.Message.status, came_today, func.count())
        .where(db.Message.received_at >= since, access.reads_message(who))
        .group_by(db.Message.message_type, db.Message.status, came_today)
    )
    on_day: Traffic = {}
    in_month: Traffic = {}
    for kind, status, is_today, n in rows:
        kind, status = kind or "?", str(status)
        if is_today:
            on_day.setdefault(kind, {})[status] = n
        found = in_month.setdefault(kind, {})
        found[status] = found.get(status, 0) + n
    return dict(sorted(on_day.items())), dict(sorted(in_month.items()))


def refused(s: Session, who: Viewer, now: datetime) -> tuple[list[db.Message], int]:
    where = (
        db.Message.status.in_(REFUSED),
        db.Message.direction == "in",
        db.Message.received_at >= now - timedelta(days=30),
        access.reads_message(who),
    )
    total = s.scalar(select(func.count()).select_from(db.Message).where(*where)) or 0
    rows = list(
        s.scalars(select(db.Message).where(*where).order_by(db.Message.id.desc()).limit(SHOWN))
    )
    return rows, total


def backlog(s: Session, who: Viewer) -> list[tuple[str, str | None, int, datetime]]:
    rows = s.execute(
        select(rm.MailboxItem.recipient_code, func.count(), func.min(rm.MailboxItem.created_at))
        .where(rm.MailboxItem.acked_at.is_(None), access.reads_mailbox(who))
        .group_by(rm.MailboxItem.recipient_code)
        .order_by(rm.MailboxItem.recipient_code)
    ).all()
    names = dict(
        s.execute(
            select(db.Participant.code, db.Participant.name).where(
                db.Participant.code.in_([r[0] for r in rows])
            )
        ).all()
    )
    return [(code, names.get(code), n, _utc(oldest)) for code, n, oldest in rows]


def _counted(s: Session, model: Any, message_id: Any, where: Any) -> tuple[int, Sequence[Any]]:
    """How many rows of ``model`` match, and the first ``SHOWN`` of them (by id) with the
    type of the message each names; the list is read only when the count found some."""
    count = s.scalar(select(func.count()).select_from(model).where(*where)) or 0
    if not count:
        return 0, []
    return count, s.execute(
        select(model, db.Message.message_type)
        .join(db.Message, db.Message.id == message_id)
        .where(*where)
        .order_by(model.id)
        .limit(SHOWN)
    ).all()


def overdue(s: Session, who: Viewer, now: datetime) -> tuple[list[Waiting], int]:
    retour_due = terms.working_days_back(now, terms.RETOUR_WORKING_DAYS)
    request_due = terms.working_days_back(now, terms.REQUEST_WORKING_DAYS)
    answer = aliased(db.Message)
    found: list[Waiting] = []
    total = 0

    # A 301 passed on to its receiver without the receiver's 302.
    where_301: Any = (
        db.Message.message_type == "WMO301",
        db.Message.status.in_(access.PASSED_ON),
        db.Message.received_at < retour_due,
        ~exists().where(answer.original_id == db.Message.id, answer.direction == "in"),
        access.reads_message(who),
    )
    # Each list is read only when its count found something: listing by id would otherwise
    # walk every message to find none.
    count = s.scalar(select(func.count()).select_from(db.Message).where(*where_301)) or 0
    total += count
    shown_301 = (
        s.scalars(select(db.Message).where(*where_301).order_by(db.Message.id).limit(SHOWN))
        if count
        else ()
    )
    for m in shown_301:
        found.append(
            Waiting("overdue_301", m.id, "WMO301", m.sender_code, m.receiver_code,
                    _utc(m.received_at), terms.RETOUR_WORKING_DAYS)
        )  # fmt: skip

    # A relay the municipality has not answered.
    where_relay: Any = (
        rm.Relay.status == RelayStatus.SENT,
        rm.Relay.created_at < retour_due,
        access.reads_relay(who),
    )
    count, shown_relays = _counted(s, rm.Relay, rm.Relay.relay_message_id, where_relay)
    total += count
    for r, kind in shown_relays:
        found.append(
            Waiting("overdue_relay", r.relay_message_id, kind or "", r.main_contractor_code,
                    r.municipality_code, _utc(r.created_at), terms.RETOUR_WORKING_DAYS)
        )  # fmt: skip

    # A request (315, 317) still open: no 319, no allocating 301.
    where_request: Any = (
        db.Verzoek.status == "open",
        db.Verzoek.created_at < request_due,
        access.reads_record(who, db.Verzoek),
    )
    count, shown_requests = _counted(s, db.Verzoek, db.Verzoek.message_id, where_request)
    total += count
    for v, kind in shown_requests:
        found.append(
            Waiting("overdue_request", v.message_id, kind or "", v.provider_code,
                    v.municipality_code, _utc(v.created_at), terms.REQUEST_WORKING_DAYS)
        )  # fmt: skip
    return found, total


def _overview(request: Request, who: Viewer) -> Response:
    now = datetime.now(UTC)
    today, month = day_starts(now)
    with services(request).database.read() as s:
        today_traffic, month_traffic = traffic(s, who, today, month)
        refused_rows, refused_total = refused(s, who, now)
        waiting_rows = backlog(s, who)
        overdue_rows, overdue_total = overdue(s, who, now)
        statuses = sorted(
            {st for t in (today_traffic, month_traffic) for v in t.values() for st in v}
        )
        return render(
            request,
            "overview.html",
            who,
            now=now,
            today_traffic=today_traffic,
            month_traffic=month_traffic,
            statuses=statuses,
            refused=refused_rows,
            refused_total=refused_total,
            backlog=waiting_rows,
            overdue=overdue_rows,
            overdue_total=overdue_total,
        )


overview = page(_overview)
