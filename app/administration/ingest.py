"""Receiving a message: store it, check it, apply it, answer it.

1. The raw bytes are stored first, encrypted, in their own transaction, keyed by sender
   and SHA-256: the same bytes again get the stored answer and change nothing.
2. Schema and message rules run outside any transaction (CPU only).
3. One transaction then locks the client (or, for declarations, the provider), runs the
   rules against the administration, applies the message line by line inside a savepoint
   that is rolled back when anything is refused (declarations keep granted lines), stores
   the retour and the verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import retour
from app.administration import models as db
from app.administration import rules as _admin_rules  # noqa: F401  (registers the rules)
from app.administration.context import Context
from app.administration.crypto import Vault
from app.administration.db import Database
from app.administration.handlers import HANDLERS
from app.administration.participants import MUNICIPALITY, PROVIDER_ROLES
from app.findings import Finding
from app.rules.registry import REGISTRY, Rule
from app.standard import catalogue, codec
from app.standard.catalogue import MessageType
from app.validation import Report, Validator

log = logging.getLogger(__name__)

RAW = b"message"
BSN = b"bsn"
_ATTEMPTS = 3


@dataclass(frozen=True)
class Sender:
    """The authenticated participant posting a message."""

    id: int
    code: str
    role: str


@dataclass
class Outcome:
    status: int
    body: bytes
    media_type: str
    message_id: int | None = None
    replayed: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    message_id: int | None = None,
    code: str | None = None,
    findings: list[dict[str, Any]] | None = None,
) -> Outcome:
    """An RFC 9457 problem document; ``code`` is the transport error code (Fo01) if any."""
    body: dict[str, Any] = {
        "type": f"urn:iwmo-hub:problem:{kind}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if message_id is not None:
        body["instance"] = f"/v1/berichten/{message_id}"
        body["message_id"] = message_id
    if code:
        body["code"] = code
    if findings is not None:
        body["findings"] = findings
    return Outcome(
        status,
        json.dumps(body, ensure_ascii=False).encode(),
        "application/problem+json",
        message_id,
    )


_PARSE_PROBLEMS: dict[str, tuple[int, str, str | None]] = {
    "empty": (400, "the message is empty", None),
    "too_large": (413, "the message is too large", "IB012"),
    "encoding": (400, "the message is not UTF-8", None),
    "doctype": (400, "the message declares a DOCTYPE", None),
    "not_well_formed": (400, "the message is not well-formed XML", None),
    "unknown_root": (400, "not an iWmo 3.2 message", "IB004"),
}


# Refusals that do not depend on the bytes: the same bytes sent again are judged afresh.
_NOT_ABOUT_CONTENT = frozenset({"media_type", "unknown_receiver"})


def _rules_by_level(name: str) -> dict[str, list[Rule]]:
    levels: dict[str, list[Rule]] = {"header": [], "message": [], "line": []}
    for r in sorted(REGISTRY.values(), key=lambda r: r.code):
        if r.scope != "message" and name in r.messages:
            levels[r.level].append(r)
    return levels


_RULES = {mt.name: _rules_by_level(mt.name) for mt in catalogue.ALL}


class Ingest:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        validator: Validator,
        clock: Callable[[], date] = date.today,
    ) -> None:
        self.db = database
        self.vault = vault
        self.validator = validator
        self.clock = clock

    # --- entry point ------------------------------------------------------------------------

    def receive(self, sender: Sender, data: bytes) -> Outcome:
        sha = hashlib.sha256(data).hexdigest()
        message_id, status = self._store_raw(sender, data, sha)
        if status != "received":
            return self.replay(message_id)
        report = self.validator.check(data)
        return self.process(sender, message_id, sha, report)

    def refuse_media_type(self, sender: Sender, data: bytes, media: str) -> Outcome:
        """Store a body sent with the wrong Content-Type, and refuse it (415)."""
        sha = hashlib.sha256(data).hexdigest()
        message_id, status = self._store_raw(sender, data, sha)
        if status != "received":
            return self.replay(message_id)
        outcome = problem(
            415,
            "media_type",
            "send iWmo messages as application/xml",
            f"the Content-Type was {media or 'missing'}",
            message_id=message_id,
        )
        return self._finish(message_id, "unreadable", Report(), outcome, problem_kind="media_type")

    def _store_raw(self, sender: Sender, data: bytes, sha: str) -> tuple[int, str]:
        for _ in range(_ATTEMPTS):
            try:
                with self.db.write() as s:
                    found = s.scalar(
                        select(db.Message).where(
                            db.Message.participant_id == sender.id, db.Message.sha256 == sha
                        )
                    )
                    if found is not None:
                        if found.problem in _NOT_ABOUT_CONTENT:
                            # Refused for how it was sent, not for what it says: judge anew.
                            found.status, found.problem = "received", None
                        return found.id, found.status
                    row = db.Message(
                        direction="in",
                        participant_id=sender.id,
                        sha256=sha,
                        size=len(data),
                        raw_encrypted=self.vault.encrypt(data, RAW),
                        status="received",
                        findings=[],
                    )
                    s.add(row)
                    s.flush()
                    return row.id, "received"
            except IntegrityError:
                continue  # the same bytes arrived concurrently: read the other row
        raise RuntimeError("could not store the message")

    # --- processing -------------------------------------------------------------------------

    def process(self, sender: Sender, message_id: int, sha: str, report: Report) -> Outcome:
        if report.problem is not None:
            status, title, code = _PARSE_PROBLEMS[report.problem]
            return self._finish(
                message_id,
                "unreadable",
                report,
                problem(
                    status,
                    report.problem,
                    title,
                    report.findings[0].message,
                    message_id=message_id,
                    code=code,
                    findings=[f.as_json() for f in report.findings],
                ),
                problem_kind=report.problem,
            )
        mt = report.message_type
        assert mt is not None and report.root is not None
        if not report.schema_valid:
            return self._finish(
                message_id,
                "rejected",
                report,
                problem(
                    422,
                    "schema",
                    f"the {mt.name} does not match its schema",
                    f"{len(report.findings)} schema finding(s); the message was not processed",
                    message_id=message_id,
                    code="IB014",
                    findings=[f.as_json() for f in report.findings],
                ),
                problem_kind="schema",
            )
        msg = report.message
        poster_field = "Ontvanger" if mt.is_retour and mt.name != "WMO325" else "Afzender"
        poster_code = getattr(msg.Header, poster_field)
        party = mt.sender if poster_field == "Afzender" else _other(mt.sender)
        if poster_code != sender.code or not _plays(sender.role, party):
            return self._finish(
                message_id,
                "forbidden",
                report,
                problem(
                    403,
                    "forbidden",
                    "sender does not match the message",
                    f"the {mt.name} names {poster_field} {poster_code}; you are {sender.code} "
                    f"({sender.role})",
                    message_id=message_id,
                    code="IB008",
                ),
                problem_kind="forbidden",
            )
        counterpart = msg.Header.Ontvanger if poster_field == "Afzender" else msg.Header.Afzender
        if not self._known(counterpart):
            return self._finish(
                message_id,
                "rejected",
                report,
                problem(
                    422,
                    "unknown_receiver",
                    "unknown receiver",
                    f"{counterpart} is not a participant of this hub",
                    message_id=message_id,
                    code="IB010",
                ),
                problem_kind="unknown_receiver",
            )
        for attempt in range(_ATTEMPTS):
            try:
                if mt.is_retour:
                    return self._answer(sender, message_id, sha, report)
                return self._outbound(sender, message_id, sha, report)
            except IntegrityError:
                if attempt == _ATTEMPTS - 1:
                    raise
                log.info("message %s raced another message; judging it again", message_id)
        raise AssertionError("unreachable")

    def _known(self, code: str) -> bool:
        with self.db.read() as s:
            return (
                s.scalar(
                    select(db.Participant.id).where(
                        db.Participant.code == code, db.Participant.active
                    )
                )
                is not None
            )

    def _finish(
        self,
        message_id: int,
        status: str,
        report: Report,
        outcome: Outcome,
        *,
        problem_kind: str | None = None,
    ) -> Outcome:
        with self.db.write() as s:
            row = s.get(db.Message, message_id)
            assert row is not None
            _describe(row, report)
            row.status = status
            row.problem = problem_kind
            row.findings = [f.as_json() for f in report.findings]
            row.response_status = outcome.status
            row.processed_at = _now()
        return outcome

    def _outbound(self, sender: Sender, message_id: int, sha: str, report: Report) -> Outcome:
        mt = report.message_type
        assert mt is not None
        msg = report.message
        with self.db.write() as s:
            row = s.get(db.Message, message_id, with_for_update=True)
            assert row is not None
            if row.status != "received":
                return self._replay_row(s, row)  # another worker finished it meanwhile
            _describe(row, report)
            ctx = self._context(s, mt, msg, row, sha)
            findings = list(report.findings)
            if not findings:
                findings = self._judge(s, mt, msg, ctx)
            self._claim(s, mt, msg, row)
            answer = (
                retour.declaratie_antwoord(msg, findings, dagtekening=ctx.today)
                if mt.name == "WMO323"
                else retour.build(msg, findings, dagtekening=ctx.today)
            )
            body = codec.to_bytes(answer)
            out = self._store_out(s, answer, body, row.id)
            if mt.name == "WMO323" and ctx.declaration is not None:
                a = answer.DeclaratieAntwoord
                ctx.declaration.answer_message_id = out.id
                ctx.declaration.totaal_toegekend = a.TotaalToegekendBedrag.signed if a else 0
            row.client_id = ctx.client.id if ctx.client is not None else None
            row.status = "rejected" if findings else "accepted"
            row.findings = [f.as_json() for f in findings]
            row.retour_id = out.id
            row.response_status = 200
            row.processed_at = _now()
        return Outcome(200, body, "application/xml", message_id)

    def _answer(self, sender: Sender, message_id: int, sha: str, report: Report) -> Outcome:
        """A retour message or a declaration answer: no answer of its own."""
        mt = report.message_type
        assert mt is not None
        msg = report.message
        with self.db.write() as s:
            row = s.get(db.Message, message_id, with_for_update=True)
            assert row is not None
            if row.status != "received":
                return self._replay_row(s, row)
            _describe(row, report)
            findings: list[Finding] = list(report.findings)
            original = self._original(s, mt, msg)
            if mt.name == "WMO325":
                ctx = self._context(s, mt, msg, row, sha)
                if not findings:
                    findings = self._judge(s, mt, msg, ctx)
            elif original is None:
                findings.append(
                    Finding(
                        "LINK",
                        "",
                        "/Bericht/Header/BerichtIdentificatie",
                        f"no {mt.original.name} with this identification from "
                        f"{msg.Header.Afzender} is known to the hub",
                    )
                )
            row.original_id = original.id if original is not None else None
            row.status = "rejected" if findings else "accepted"
            row.findings = [f.as_json() for f in findings]
            row.processed_at = _now()
            if findings:
                outcome = problem(
                    422,
                    "rejected",
                    f"the {mt.name} was not accepted",
                    f"{len(findings)} finding(s)",
                    message_id=message_id,
                    findings=row.findings,
                )
            else:
                outcome = _receipt(row)
            row.response_status = outcome.status
        return outcome

    # --- judging and applying ------------------------------------------------------------------

    def _judge(self, s: Session, mt: MessageType, msg: Any, ctx: Context) -> list[Finding]:
        levels = _RULES[mt.name]
        findings = _run(levels["header"], msg, ctx)
        if findings:
            return findings
        findings = _run(levels["message"], msg, ctx)
        if findings:
            return findings  # the lines below the refused class are not judged (0233)
        handler = HANDLERS[mt.name]
        savepoint = s.begin_nested()
        if handler.begin is not None:
            handler.begin(msg, ctx)
        for line in handler.lines(msg):
            found = _run(levels["line"], msg, ctx, line)
            if not found:
                handler.apply_line(msg, line, ctx)
            elif handler.refuse_line is not None:
                handler.refuse_line(
                    msg, line, ctx, list(dict.fromkeys(f.return_code for f in found))
                )
            findings.extend(found)
        if findings and not handler.per_line:
            savepoint.rollback()
        else:
            savepoint.commit()
        return findings

    def _context(self, s: Session, mt: MessageType, msg: Any, row: db.Message, sha: str) -> Context:
        h = msg.Header
        gemeente, aanbieder = (
            (h.Afzender, h.Ontvanger) if mt.sender == "gemeente" else (h.Ontvanger, h.Afzender)
        )
        ctx = Context(
            session=s,
            vault=self.vault,
            today=self.clock(),
            message_type=mt,
            message_id=row.id,
            municipality_code=gemeente,
            provider_code=aanbieder,
            sha256=sha,
        )
        if mt.name in ("WMO323", "WMO325"):
            self._lock_provider(s, aanbieder)
            self._declaration_clients(s, mt, msg, ctx)
        elif mt.name == "WMO319":
            verzoek = ctx.verzoek(msg.Antwoord.ReferentieAanbieder)
            if verzoek is not None:
                ctx.client = s.get(db.Client, verzoek.client_id, with_for_update=True)
        else:
            ctx.client = self._client(s, gemeente, msg.Client.Bsn)
        return ctx

    def _declaration_clients(self, s: Session, mt: MessageType, msg: Any, ctx: Context) -> None:
        if mt.name == "WMO325":
            ident = msg.Header.DeclaratieIdentificatie.Identificatie
            source = s.scalar(
                select(db.Message).where(
                    db.Message.message_type == "WMO323",
                    db.Message.sender_code == ctx.provider_code,
                    db.Message.identificatie == ident,
                    db.Message.receiver_code == ctx.municipality_code,
                    db.Message.status.in_(("accepted", "rejected")),
                )
            )
            if source is not None:
                ctx.declaration = s.scalar(
                    select(db.Declaratie).where(db.Declaratie.message_id == source.id)
                )
                if ctx.declaration is not None:
                    original = codec.decode(
                        etree.fromstring(self.vault.decrypt(source.raw_encrypted, RAW))
                    )
                    ctx.declaration_xsd_versie = original.Header.XsdVersie
            clients = msg.DeclaratieAntwoord.Clienten if msg.DeclaratieAntwoord else []
        else:
            clients = msg.Declaratie.Clienten
        # Lock clients in a fixed order so two declarations never wait on each other.
        for client in sorted(clients, key=lambda c: self.vault.bsn_hash(c.Bsn)):
            ctx.line_clients[codec.path_of(client)] = self._client(
                s, ctx.municipality_code, client.Bsn
            )

    def _client(self, s: Session, municipality: str, bsn: str) -> db.Client:
        """The client, created when new, locked for the rest of the transaction."""
        digest = self.vault.bsn_hash(bsn)
        insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
        s.execute(
            insert(db.Client)
            .values(
                municipality_code=municipality,
                bsn_hash=digest,
                bsn_encrypted=self.vault.encrypt(bsn.encode("ascii"), BSN),
                created_at=_now(),
            )
            .on_conflict_do_nothing(index_elements=["municipality_code", "bsn_hash"])
        )
        client = s.scalar(
            select(db.Client)
            .where(db.Client.municipality_code == municipality, db.Client.bsn_hash == digest)
            .with_for_update()
        )
        assert client is not None
        return client

    def _lock_provider(self, s: Session, code: str) -> None:
        s.execute(select(db.Participant.id).where(db.Participant.code == code).with_for_update())

    def _claim(self, s: Session, mt: MessageType, msg: Any, row: db.Message) -> None:
        """Claim the message's identification for its sender (TR056), once."""
        ident = msg.Header.BerichtIdentificatie.Identificatie
        exists = s.scalar(
            select(db.IdentificatieClaim.id).where(
                db.IdentificatieClaim.sender_code == msg.Header.Afzender,
                db.IdentificatieClaim.message_type == mt.name,
                db.IdentificatieClaim.identificatie == ident,
            )
        )
        if exists is None:
            s.add(
                db.IdentificatieClaim(
                    sender_code=msg.Header.Afzender,
                    message_type=mt.name,
                    identificatie=ident,
                    message_id=row.id,
                )
            )
            s.flush()  # a concurrent claim fails here, and the message is judged again

    def _original(self, s: Session, mt: MessageType, msg: Any) -> db.Message | None:
        if mt.name == "WMO325":
            return None
        ident = msg.Header.BerichtIdentificatie.Identificatie
        return s.scalar(
            select(db.Message)
            .where(
                db.Message.message_type == mt.original.name,
                db.Message.sender_code == msg.Header.Afzender,
                db.Message.identificatie == ident,
            )
            .order_by(db.Message.id.desc())
            .limit(1)
        )

    def _store_out(self, s: Session, message: Any, body: bytes, original_id: int) -> db.Message:
        mt = catalogue.of(message)
        h = message.Header
        ident = (
            h.BerichtIdentificatie.Identificatie if mt.name == "WMO325" else h.IdentificatieRetour
        )
        out = db.Message(
            direction="out",
            message_type=mt.name,
            sender_code=h.Afzender,
            receiver_code=h.Ontvanger,
            identificatie=ident,
            dagtekening=h.BerichtIdentificatie.Dagtekening
            if mt.name == "WMO325"
            else h.DagtekeningRetour,
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            raw_encrypted=self.vault.encrypt(body, RAW),
            status="sent",
            findings=[],
            original_id=original_id,
            processed_at=_now(),
        )
        s.add(out)
        s.flush()
        return out

    # --- replaying stored answers ------------------------------------------------------------

    def replay(self, message_id: int) -> Outcome:
        with self.db.read() as s:
            row = s.get(db.Message, message_id)
            assert row is not None
            return self._replay_row(s, row)

    def _replay_row(self, s: Session, row: db.Message) -> Outcome:
        if row.retour_id is not None:
            out = s.get(db.Message, row.retour_id)
            assert out is not None
            body = self.vault.decrypt(out.raw_encrypted, RAW)
            return Outcome(200, body, "application/xml", row.id, replayed=True)
        if row.response_status == 200:
            outcome = _receipt(row)
        else:
            status = row.response_status or 500
            outcome = problem(
                status,
                row.problem or "rejected",
                "message was not accepted",
                "this message was received before; this is the stored answer",
                message_id=row.id,
                findings=row.findings,
            )
        outcome.replayed = True
        return outcome


def _run(rules: list[Rule], msg: Any, ctx: Context, line: Any = None) -> list[Finding]:
    found = []
    for r in rules:
        violations = r.check(msg, ctx) if line is None else r.check(msg, line, ctx)
        for path, text in violations:
            found.append(Finding(r.code, r.return_code, path, text))
    return found


def _receipt(row: db.Message) -> Outcome:
    body = {
        "status": row.status,
        "message_id": row.id,
        "message": row.message_type,
        "answers": row.original_id,
    }
    return Outcome(200, json.dumps(body).encode(), "application/json", row.id)


def _other(party: str) -> str:
    return "aanbieder" if party == "gemeente" else "gemeente"


def _plays(role: str, party: str) -> bool:
    return role == MUNICIPALITY if party == "gemeente" else role in PROVIDER_ROLES


def _describe(row: db.Message, report: Report) -> None:
    """Record what kind of message this is, for operators; read leniently when invalid."""
    mt = report.message_type
    row.message_type = mt.name if mt is not None else None
    if report.message is not None:
        h = report.message.Header
        row.sender_code, row.receiver_code = h.Afzender, h.Ontvanger
        row.identificatie = h.BerichtIdentificatie.Identificatie
        row.dagtekening = h.BerichtIdentificatie.Dagtekening
    elif report.root is not None:
        row.sender_code = _text(report.root, "Afzender", 32)
        row.receiver_code = _text(report.root, "Ontvanger", 32)
        row.identificatie = _text(report.root, "Identificatie", 64)


def _text(root: etree._Element, name: str, limit: int) -> str | None:
    found = root.xpath(f"*[local-name()='Header']//*[local-name()='{name}']/text()")
    if not isinstance(found, list) or not found:
        return None
    return str(found[0]).strip()[:limit]
