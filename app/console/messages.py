"""Messages: a filtered list (type, status, party, period, client), and one message with
its XML, its findings explained, and the chain it belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from lxml import etree
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app import access
from app.administration import models as db
from app.administration.crypto import RAW
from app.administration.kinds import MessageStatus
from app.clock import NETHERLANDS
from app.console import rules
from app.console.web import PREFIX, Viewer, form, lang, not_found, page, render, services
from app.routing import models as rm
from app.standard import catalogue
from app.standard.parsing import MessageError, parse

PAGE = 50
MAX_XML_SHOWN = 512 * 1024  # bytes of a message shown on its page
_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")
_BSN = re.compile(r"[0-9]{9}")


@dataclass(frozen=True)
class Filters:
    message_type: str | None = None
    status: str | None = None
    party: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    client: int | None = None
    before: int | None = None

    @classmethod
    def of(cls, request: Request) -> Filters:
        q = request.query_params
        kind = q.get("type") or None
        status = q.get("status") or None
        party = q.get("party") or None
        return cls(
            message_type=kind if kind in MESSAGE_TYPES else None,
            status=status if status in STATUSES else None,
            party=party if party and _CODE.fullmatch(party) else None,
            period_from=_day(q.get("from")),
            period_to=_day(q.get("to")),
            client=_whole(q.get("client")),
            before=_whole(q.get("before")),
        )

    def query(self, **changes: object) -> str:
        values = {
            "type": self.message_type,
            "status": self.status,
            "party": self.party,
            "from": self.period_from,
            "to": self.period_to,
            "client": self.client,
            "before": self.before,
            **changes,
        }
        return urlencode({k: str(v) for k, v in values.items() if v not in (None, "")})


MESSAGE_TYPES = tuple(sorted(catalogue.BY_NAME))
STATUSES = tuple(str(s) for s in MessageStatus)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _whole(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), NETHERLANDS).astimezone(UTC)


def listed(s: Session, who: Viewer, f: Filters) -> list[db.Message]:
    stmt = select(db.Message).where(access.reads_message(who))
    if f.message_type:
        stmt = stmt.where(db.Message.message_type == f.message_type)
    if f.status:
        stmt = stmt.where(db.Message.status == f.status)
    if f.party:
        stmt = stmt.where(
            or_(db.Message.sender_code == f.party, db.Message.receiver_code == f.party)
        )
    if f.period_from:
        stmt = stmt.where(db.Message.received_at >= _start_of(f.period_from))
    if f.period_to:
        stmt = stmt.where(db.Message.received_at < _start_of(f.period_to + timedelta(days=1)))
    if f.client is not None:
        stmt = stmt.where(db.Message.client_id == f.client)
    if f.before is not None:
        stmt = stmt.where(db.Message.id < f.before)
    return list(s.scalars(stmt.order_by(db.Message.id.desc()).limit(PAGE)))


def _list(request: Request, who: Viewer) -> Response:
    f = Filters.of(request)
    with services(request).database.read() as s:
        rows = listed(s, who, f)
        return render(
            request,
            "messages.html",
            who,
            rows=rows,
            filters=f,
            types=MESSAGE_TYPES,
            statuses=STATUSES,
            older=f.query(before=rows[-1].id) if len(rows) == PAGE else None,
            searched=request.query_params.get("searched"),
        )


message_list = page(_list)


def find_clients(request: Request, who: Viewer, bsn: str) -> list[int]:
    """The ids of the clients with this BSN that ``who`` may see (through the keyed hash:
    the BSN itself is never stored, logged or put in an address)."""
    svc = services(request)
    digest = svc.vault.bsn_hash(bsn)
    with svc.database.read() as s:
        return list(
            s.scalars(
                select(db.Client.id)
                .where(db.Client.bsn_hash == digest, access.reads_client(who))
                .order_by(db.Client.id)
            )
        )


def _search(request: Request, who: Viewer, data: FormData) -> Response:
    """A BSN from the form to the list of that client's messages (by client id)."""
    bsn = str(data.get("bsn") or "").strip()
    target = str(data.get("target") or "messages")
    if not _BSN.fullmatch(bsn):
        found: list[int] = []
        outcome = "bad_bsn"
    else:
        found = find_clients(request, who, bsn)
        outcome = "no_client"
    if len(found) == 1:
        if target == "client":
            return RedirectResponse(f"{PREFIX}/clients/{found[0]}", status_code=303)
        return RedirectResponse(f"{PREFIX}/messages?client={found[0]}", status_code=303)
    if found:  # one per municipality: the list of them
        return render(request, "clients.html", who, found=found)
    back = "clients" if target == "client" else "messages"
    return RedirectResponse(f"{PREFIX}/{back}?searched={outcome}", status_code=303)


client_search = form(_search)


# --- one message -------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    role: str  # an i18n key: chain_original, chain_this, ...
    message: db.Message


def pretty(raw: bytes) -> str | None:
    """The message as indented XML, parsed as safely as on intake; None when it is not
    XML the service can read."""
    try:
        parsed = parse(raw[:MAX_XML_SHOWN] if len(raw) > MAX_XML_SHOWN else raw)
    except MessageError:
        return None
    text: str = etree.tostring(parsed.root, pretty_print=True, encoding="unicode")
    return text


def chain(s: Session, who: Viewer, m: db.Message) -> list[Link]:
    """The messages around ``m``: its original, the service's retour, the receiver's
    answers, the relay made of it (or its source) with the municipality's answer, and for
    a request the answers to it — those ``who`` may read."""
    wanted: list[tuple[str, int | None]] = [
        ("chain_original", m.original_id),
        ("chain_this", m.id),
        ("chain_retour", m.retour_id),
    ]
    for answer in s.scalars(select(db.Message.id).where(db.Message.original_id == m.id)):
        wanted.append(("chain_answer", answer))
    for r in s.scalars(
        select(rm.Relay).where(
            or_(rm.Relay.source_message_id == m.id, rm.Relay.relay_message_id == m.id)
        )
    ):
        if r.source_message_id != m.id:
            wanted.append(("chain_relay_source", r.source_message_id))
        if r.relay_message_id != m.id:
            wanted.append(("chain_relay", r.relay_message_id))
        wanted.append(("chain_relay_retour", r.retour_message_id))
    for answer in s.scalars(
        select(db.Antwoord.message_id)
        .join(db.Verzoek, db.Verzoek.id == db.Antwoord.verzoek_id)
        .where(db.Verzoek.message_id == m.id)
    ):
        wanted.append(("chain_request_answer", answer))
    ids = {i for _, i in wanted if i is not None}
    visible = {
        row.id: row
        for row in s.scalars(
            select(db.Message).where(db.Message.id.in_(ids), access.reads_message(who))
        )
    }
    seen: set[int] = set()
    links = []
    for role, i in wanted:
        if i is not None and i in visible and i not in seen:
            seen.add(i)
            links.append(Link(role, visible[i]))
    return links


def _detail(request: Request, who: Viewer) -> Response:
    message_id = request.path_params["message_id"]
    svc = services(request)
    with svc.database.read() as s:
        m = s.scalar(
            select(db.Message).where(db.Message.id == message_id, access.reads_message(who))
        )
        if m is None:
            return not_found(request, who)
        raw = svc.vault.decrypt(m.raw_encrypted, RAW)
        return render(
            request,
            "message.html",
            who,
            m=m,
            xml=pretty(raw),
            size=len(raw),
            findings=rules.explain(list(m.findings or []), lang(request)),
            links=chain(s, who, m),
        )


message_detail = page(_detail)
