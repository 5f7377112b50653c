"""Receiving a message: store it, check it, apply it, answer it.

1. The raw bytes are stored first, encrypted, in their own transaction, keyed by sender
   and SHA-256: the same bytes again get the stored answer and change nothing.
2. Schema and message rules run outside any transaction (CPU only).
3. One transaction then locks the client (or, for declarations, the provider), loads what
   the rules need, judges the message line by line in memory, writes the changes of an
   accepted message (a declaration's granted and refused lines alike) and the retour, and
   records the verdict. A refused message writes nothing but its verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml import etree

from app import retour
from app.administration import records as rec
from app.administration import rules as _admin_rules  # noqa: F401  (registers the rules)
from app.administration.context import Context, ProductCodeList
from app.administration.crypto import BSN, RAW, Vault
from app.administration.db import Database
from app.administration.handlers import HANDLERS
from app.administration.participants import MUNICIPALITY, PROVIDER_ROLES, Directory
from app.administration.store import ConnectionLost, Store, Tx
from app.clock import today
from app.findings import TECHNICAL_REJECTION, TIME, Finding, enclosing
from app.routing import mailbox
from app.routing.directory import ContractDirectory
from app.routing.mailbox import COPY, Delivery
from app.routing.router import Composed, Router
from app.rules.registry import REGISTRY, Rule
from app.standard import catalogue, codec
from app.standard.catalogue import MessageType
from app.standard.scan import Budget, BudgetExceeded
from app.validation import Report, Validator, listed

log = logging.getLogger(__name__)


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
    # For logs and metrics: what the message was and what became of it.
    message_type: str | None = None
    verdict: str | None = None


Observer = Callable[[Outcome, float], None]


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
    omitted: int = 0,
) -> Outcome:
    """An RFC 9457 problem document; ``code`` is the transport error code (Fo01) if any,
    ``omitted`` how many findings were left out of the list."""
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
        if omitted:
            body["findings_omitted"] = omitted
    return Outcome(
        status,
        json.dumps(body, ensure_ascii=False).encode(),
        "application/problem+json",
        message_id,
    )


PARSE_PROBLEMS: dict[str, tuple[int, str, str | None]] = {
    "empty": (400, "the message is empty", None),
    "too_large": (413, "the message is too large", "IB012"),
    "encoding": (400, "the message is not UTF-8", None),
    "doctype": (400, "the message declares a DOCTYPE", None),
    "not_well_formed": (400, "the message is not well-formed XML", None),
    "unknown_root": (400, "not an iWmo 3.2 message", "IB004"),
}


TOO_LARGE_KEPT = 64 * 1024  # of a body over the limit, what is stored

# Clients created or locked in one statement (four parameters each).
_CLIENTS_AT_ONCE = 250

# Statuses of messages the service passed on to their receiver (composed ones included).
_PASSED_ON = frozenset({"accepted", "partially_accepted", "sent"})

# Refusals that do not depend on the bytes: the same bytes sent again are judged afresh.
_NOT_ABOUT_CONTENT = frozenset({"media_type", "unknown_receiver"})


def _rules_by_level(name: str) -> dict[str, list[Rule]]:
    levels: dict[str, list[Rule]] = {"header": [], "message": [], "client": [], "line": []}
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
        clock: Callable[[], date] = today,
        contracts: ContractDirectory | None = None,
        delegation_numbers: tuple[int, int] = (900_000_000, 999_999_999),
    ) -> None:
        self.db = database
        self.store = Store(database.engine)
        self.vault = vault
        self.validator = validator
        self.clock = clock
        self.participants = Directory(database)
        self.product_codes = ProductCodeList()
        self.contracts = contracts if contracts is not None else ContractDirectory(database)
        self.router = Router(self, self.contracts, delegation_numbers)
        self.observers: list[Observer] = []  # told about every message received (metrics)

    # --- entry point ------------------------------------------------------------------------

    def receive(self, sender: Sender, data: bytes, sha: str | None = None) -> Outcome:
        """Store, judge and answer one message; ``sha`` is the SHA-256 of ``data`` when the
        caller computed it while reading."""
        started = time.perf_counter()
        sha = sha or hashlib.sha256(data).hexdigest()
        budget = self.validator.budget()
        try:
            outcome = self._receive(sender, data, sha, budget)
        except ConnectionLost:
            # Once, on a fresh connection: receiving is safe to repeat (the bytes are
            # found by their hash, and judging only a message still waiting), so a
            # database restart between two messages costs the sender nothing.
            log.warning("database connection lost; receiving again on a new connection")
            outcome = self._receive(sender, data, sha, budget)
        self._observe(sender, outcome, time.perf_counter() - started)
        return outcome

    def _receive(self, sender: Sender, data: bytes, sha: str, budget: Budget) -> Outcome:
        message_id, status = self._store_raw(sender, data, sha)
        if status != "received":
            return self.replay(message_id)
        return self.process(sender, message_id, sha, self.validator.check(data, budget), budget)

    def _observe(self, sender: Sender, outcome: Outcome, seconds: float) -> None:
        log.info(
            "message judged",
            extra={
                "message_id": outcome.message_id,
                "message_type": outcome.message_type,
                "verdict": outcome.verdict,
                "http_status": outcome.status,
                "replayed": outcome.replayed,
                "sender": sender.code,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
        for observe in self.observers:
            observe(outcome, seconds)

    def refuse_media_type(self, sender: Sender, data: bytes, media: str) -> Outcome:
        """Store a body sent with the wrong Content-Type, and refuse it (415)."""
        started = time.perf_counter()
        sha = hashlib.sha256(data).hexdigest()
        message_id, status = self._store_raw(sender, data, sha)
        if status != "received":
            return self.replay(message_id)
        outcome = _Refusal(self, message_id, Report())(
            "unreadable",
            415,
            "media_type",
            "send iWmo messages as application/xml",
            f"the Content-Type was {media or 'missing'}",
            with_findings=False,
        )
        self._observe(sender, outcome, time.perf_counter() - started)
        return outcome

    def refuse_too_large(
        self, sender: Sender, head: bytes, size: int, sha: str | None = None
    ) -> Outcome:
        """Refuse a body over the size limit (413) without holding it: ``head`` is what was
        read (the limit and a byte), ``size`` how large it was known to be, ``sha`` the
        SHA-256 of all of it when all of it was read. The first 64 KiB are stored, enough
        to see what it was. Known by its whole hash, the same body sent again gets the
        stored answer; a body not read to its end is never taken for another."""
        started = time.perf_counter()
        kept = head[:TOO_LARGE_KEPT]
        sha = sha or hashlib.sha256(b"not read to its end:" + secrets.token_bytes(16)).hexdigest()
        message_id, status = self._store_raw(sender, kept, sha, size=size)
        if status != "received":
            return self.replay(message_id)
        limit = self.validator.settings.max_message_bytes
        outcome = _Refusal(self, message_id, Report())(
            "unreadable",
            413,
            "too_large",
            "the message is too large",
            f"the message is at least {size:,} bytes; the limit is {limit:,} bytes",
            "IB012",
            with_findings=False,
        )
        self._observe(sender, outcome, time.perf_counter() - started)
        return outcome

    def _store_raw(
        self, sender: Sender, data: bytes, sha: str, *, size: int | None = None
    ) -> tuple[int, str]:
        """Store the bytes, or find them stored before: (message id, its status)."""
        with self.store.transaction() as tx:
            inserted = tx.scalar(
                "INSERT INTO messages (direction, participant_id, sha256, size, raw_encrypted, "
                "status, findings, received_at) VALUES ('in', ?, ?, ?, ?, 'received', ?, ?) "
                "ON CONFLICT (participant_id, sha256) DO NOTHING RETURNING id",
                (
                    sender.id,
                    sha,
                    size if size is not None else len(data),
                    self.vault.encrypt(data, RAW),
                    [],
                    _now(),
                ),
            )
            if inserted is not None:
                return int(inserted), "received"
            found = tx.one(
                "SELECT id, status, problem FROM messages WHERE participant_id = ? AND sha256 = ?",
                (sender.id, sha),
            )
            assert found is not None
            message_id, status, kind = found
            if kind in _NOT_ABOUT_CONTENT:
                # Refused for how it was sent, not for what it says: judge it anew.
                tx.update("messages", message_id, {"status": "received", "problem": None})
                return int(message_id), "received"
            if status == "received":
                # Sent again while waiting (its worker stopped): another attempt.
                tx.execute(
                    "UPDATE messages SET attempts = attempts + 1 WHERE id = ?", (message_id,)
                )
            return int(message_id), str(status)

    # --- finishing what a stopped worker left -----------------------------------------------

    def unfinished(self, older_than: float) -> list[int]:
        """Messages stored but never judged (their worker stopped), received more than
        ``older_than`` seconds ago, oldest first."""
        cutoff = _now() - timedelta(seconds=older_than)
        with self.store.transaction() as tx:
            return [
                int(row[0])
                for row in tx.all(
                    "SELECT id FROM messages WHERE status = 'received' AND direction = 'in' "
                    "AND received_at < ? ORDER BY received_at, id",
                    (cutoff,),
                )
            ]

    def reprocess(self, message_id: int, *, max_attempts: int | None = None) -> Outcome | None:
        """Judge a stored message that was never judged, exactly as if it had just been
        received; None when it is no longer waiting (another worker finished it).

        Every attempt is counted before it starts, so a message that keeps failing (or
        takes its worker down) is set aside after ``max_attempts`` instead of being tried
        forever: status ``set_aside``, for an operator to look at."""
        limit = max_attempts or self.validator.settings.reprocess_attempts
        with self.store.transaction() as tx:
            row = tx.one(
                tx.lock(
                    "SELECT m.status, m.sha256, m.raw_encrypted, m.attempts, p.id, p.code, "
                    "p.role FROM messages m JOIN participants p ON p.id = m.participant_id "
                    "WHERE m.id = ?"
                ),
                (message_id,),
            )
            if row is None or row[0] != "received":
                return None
            _, sha, raw, attempts, pid, code, role = row
            if int(attempts) >= limit:
                return self._set_aside(tx, message_id, int(attempts))
            tx.execute("UPDATE messages SET attempts = attempts + 1 WHERE id = ?", (message_id,))
        data = self.vault.decrypt(bytes(raw), RAW)
        budget = self.validator.budget()
        # The lock taken while judging makes this exactly once, whoever else tries.
        return self.process(
            Sender(int(pid), str(code), str(role)),
            message_id,
            sha,
            self.validator.check(data, budget),
            budget,
        )

    def _set_aside(self, tx: Tx, message_id: int, attempts: int) -> Outcome:
        detail = (
            f"judging this message failed {attempts} times; it was set aside for an operator "
            "(iwmo reprocess --retry-set-aside tries it again)"
        )
        finding = Finding("SERVICE", "", "/", detail)
        outcome = problem(
            422,
            "set_aside",
            "the service could not judge this message",
            detail,
            message_id=message_id,
            findings=[finding.as_json()],
        )
        tx.update(
            "messages",
            message_id,
            {
                "status": "set_aside",
                "problem": "set_aside",
                "findings": [finding.as_json()],
                "response_status": outcome.status,
                "processed_at": _now(),
            },
        )
        log.error("message set aside after failed attempts", extra={"message_id": message_id})
        outcome.verdict = "set_aside"
        return outcome

    def retry_set_aside(self) -> int:
        """Make every message set aside wait again, with its attempts counted afresh."""
        with self.store.transaction() as tx:
            ids = [
                int(r[0]) for r in tx.all("SELECT id FROM messages WHERE status = 'set_aside'")
            ]
            for message_id in ids:
                tx.update(
                    "messages",
                    message_id,
                    {"status": "received", "problem": None, "attempts": 0, "findings": []},
                )
        return len(ids)

    # --- processing -------------------------------------------------------------------------

    def process(
        self,
        sender: Sender,
        message_id: int,
        sha: str,
        report: Report,
        budget: Budget | None = None,
    ) -> Outcome:
        refuse = _Refusal(self, message_id, report)
        if report.problem == "timeout":
            return refuse(
                "rejected",
                422,
                "timeout",
                "judging the message took too long",
                f"{report.findings[0].message}; it was not processed",
            )
        if report.problem is not None:
            status, title, code = PARSE_PROBLEMS[report.problem]
            return refuse(
                "unreadable", status, report.problem, title, report.findings[0].message, code
            )
        mt = report.message_type
        assert mt is not None
        if not report.schema_valid:
            count = len(report.findings) + report.omitted
            return refuse(
                "rejected",
                422,
                "schema",
                f"the {mt.name} does not match its schema",
                f"{'at least ' if not report.complete else ''}{count:,} schema finding(s); "
                "the message was not processed",
                "IB014",
            )
        header = report.message.Header if report.message is not None else report.header
        if header is None or (report.message is None and mt.is_retour):
            # Schema-valid, but holding a value the service cannot represent (a year after
            # 9999) where no retour can be built from the header alone.
            return refuse(
                "rejected",
                422,
                "unrepresentable",
                f"the {mt.name} holds a value the service cannot process",
                report.findings[0].message,
            )
        poster_field = "Ontvanger" if mt.is_retour and mt.name != "WMO325" else "Afzender"
        poster_code = getattr(header, poster_field)
        party = mt.sender if poster_field == "Afzender" else _other(mt.sender)
        if poster_code != sender.code or not _plays(sender.role, party):
            return refuse(
                "forbidden",
                403,
                "forbidden",
                "sender does not match the message",
                f"the {mt.name} names {poster_field} {poster_code}; you are {sender.code} "
                f"({sender.role})",
                "IB008",
                with_findings=False,
            )
        counterpart = header.Ontvanger if poster_field == "Afzender" else header.Afzender
        if not self.participants.active(counterpart):
            return refuse(
                "rejected",
                422,
                "unknown_receiver",
                "unknown receiver",
                f"{counterpart} is not a participant of this hub",
                "IB010",
                with_findings=False,
            )
        budget = budget or self.validator.budget()
        try:
            if mt.is_retour:
                return self._answer(message_id, sha, report, budget)
            if report.message is None:
                return self._refuse_whole(message_id, mt, header, report, report.findings)
            return self._outbound(message_id, sha, report, budget)
        except BudgetExceeded as exc:
            # Whatever the judging wrote was rolled back with its transaction.
            late = [Finding(TIME, TECHNICAL_REJECTION, "/", f"{exc}; it was not processed")]
            if mt.is_retour:
                return refuse("rejected", 422, "timeout", "judging took too long", late[0].message)
            return self._refuse_whole(message_id, mt, header, report, late)

    def _refuse_whole(
        self,
        message_id: int,
        mt: MessageType,
        header: Any,
        report: Report,
        findings: list[Finding],
    ) -> Outcome:
        """Refuse an outbound message valid against its schema as a whole for technical
        reasons (0001): its content cannot be represented, or judging it took too long. The
        answer is a header-only retour, as for any such refusal (IV028)."""
        answer = retour.refusal(mt, header, [TECHNICAL_REJECTION], dagtekening=self.clock())
        body = codec.to_bytes(answer)
        with self.store.transaction() as tx:
            locked = self._locked(tx, message_id)
            if locked:
                self._record_refusal(tx, message_id, report, answer, body, findings)
        if not locked:  # another worker finished it meanwhile: give its answer
            return self.replay(message_id)
        return Outcome(200, body, "application/xml", message_id, False, mt.name, "rejected")

    def _record_refusal(
        self,
        tx: Tx,
        message_id: int,
        report: Report,
        answer: Any,
        body: bytes,
        findings: list[Finding],
    ) -> None:
        out_id = self._store_out(tx, answer, body, message_id)
        shown, omitted = self.listed(findings)
        tx.update(
            "messages",
            message_id,
            {
                **_describe(report),
                "status": "rejected",
                "findings": shown,
                "findings_omitted": omitted,
                "retour_id": out_id,
                "response_status": 200,
                "processed_at": _now(),
            },
        )

    def listed(self, findings: list[Finding], omitted: int = 0) -> tuple[list[Any], int]:
        """The findings a message's record and problem document list, and how many more
        there were."""
        return listed(findings, self.validator.settings.max_findings, omitted)

    def _finish(
        self,
        message_id: int,
        status: str,
        report: Report,
        outcome: Outcome,
        *,
        problem_kind: str | None = None,
    ) -> Outcome:
        shown, omitted = self.listed(report.findings, report.omitted)
        with self.store.transaction() as tx:
            tx.update(
                "messages",
                message_id,
                {
                    **_describe(report),
                    "status": status,
                    "problem": problem_kind,
                    "findings": shown,
                    "findings_omitted": omitted,
                    "response_status": outcome.status,
                    "processed_at": _now(),
                },
            )
        outcome.verdict = status
        outcome.message_type = report.message_type.name if report.message_type else None
        return outcome

    def _judged(self, findings: list[Finding], ctx: Context) -> dict[str, Any]:
        """What a judged message's row records."""
        shown, omitted = self.listed(findings)
        return {
            "client_id": ctx.client.id if ctx.client is not None else None,
            "status": _verdict(findings, ctx),
            "findings": shown,
            "findings_omitted": omitted,
            "processed_at": _now(),
        }

    def _locked(self, tx: Tx, message_id: int) -> bool:
        """Lock the message's row; False when another worker already finished it."""
        status = tx.scalar(tx.lock("SELECT status FROM messages WHERE id = ?"), (message_id,))
        return bool(status == "received")

    def _outbound(self, message_id: int, sha: str, report: Report, budget: Budget) -> Outcome:
        mt = report.message_type
        assert mt is not None
        msg = report.message
        with self.store.transaction() as tx:
            judged = (
                self._judge_and_answer(tx, mt, msg, report, message_id, sha, budget)
                if self._locked(tx, message_id)
                else None
            )
        if judged is None:  # another worker finished it meanwhile: give its answer
            return self.replay(message_id)
        body, verdict = judged
        return Outcome(200, body, "application/xml", message_id, False, mt.name, verdict)

    def _judge_and_answer(
        self,
        tx: Tx,
        mt: MessageType,
        msg: Any,
        report: Report,
        message_id: int,
        sha: str,
        budget: Budget,
    ) -> tuple[bytes, str]:
        """Judge a locked outbound message, apply it when accepted; the retour's bytes and
        the verdict."""
        ctx = self._context(tx, mt, msg, message_id, sha)
        ctx.budget = budget
        ctx.claim_holder = self._claim(tx, mt, msg, message_id)
        if _refuses_message(mt, report.findings):
            findings = list(report.findings)
        else:
            findings = self._judge_and_route(tx, mt, msg, ctx, report.findings)
        if mt.name == "WMO323" and ctx.declaration is None and ctx.claim_holder == message_id:
            # Refused as a whole or on the Declaratie itself, a declaration counts as not
            # sent (IV087): nothing of it is recorded, and its identification may be used
            # again for the corrected one.
            tx.execute("DELETE FROM identificatie_claims WHERE message_id = ?", (message_id,))
        answer = (
            retour.declaratie_antwoord(msg, findings, dagtekening=ctx.today)
            if mt.name == "WMO323"
            else retour.build(msg, findings, dagtekening=ctx.today)
        )
        body = codec.to_bytes(answer)
        out_id = self._store_out(tx, answer, body, message_id)
        if mt.name == "WMO323" and ctx.declaration is not None and ctx.declaration.id is not None:
            a = answer.DeclaratieAntwoord
            tx.update(
                "declaraties",
                ctx.declaration.id,
                {
                    "answer_message_id": out_id,
                    "totaal_toegekend": a.TotaalToegekendBedrag.signed if a else 0,
                },
            )
        tx.update(
            "messages",
            message_id,
            {
                **_describe(report),
                **self._judged(findings, ctx),
                "retour_id": out_id,
                "response_status": 200,
            },
        )
        if ctx.deliveries and mt.name == "WMO323":
            # The municipality also sees what the service answered the provider.
            ctx.deliver(Delivery(ctx.municipality_code, out_id, COPY, "the service's verdict"))
        mailbox.deliver(tx, ctx.deliveries)
        return body, _verdict(findings, ctx)

    def _judge_and_route(
        self, tx: Tx, mt: MessageType, msg: Any, ctx: Context, refused_lines: list[Finding]
    ) -> list[Finding]:
        """Judge and apply a message, then route it (``app.routing.router``).
        ``refused_lines`` are message-rule findings that refuse a line, not the message."""
        prechecked = self.router.precheck(tx, ctx, mt, msg)
        if _refuses_message(mt, prechecked, service_checks=True):
            return prechecked
        if prechecked:
            # The service's own checks refused some lines: the others are judged all the
            # same, so the retour tells every problem at once (nothing is applied).
            return self._judge(mt, msg, ctx, [*refused_lines, *prechecked])
        plan = self.router.relay_plan(tx, ctx, mt, msg)
        if plan:
            tx.execute("SAVEPOINT relay")
        findings = self._judge(mt, msg, ctx, refused_lines)
        if plan and not findings:
            findings = self.router.relay(tx, ctx, msg, ctx.message_id, plan)
            if findings:
                # The relay was refused: so is the subcontractor's message, as if never applied.
                tx.execute("ROLLBACK TO SAVEPOINT relay")
                ctx.deliveries.clear()
                return findings
        if not findings or ctx.granted_any:
            self.router.after(tx, ctx, mt, msg, ctx.message_id, relayed=bool(plan))
        return findings

    def judge_composed(self, tx: Tx, msg: Any) -> Composed:
        """Judge and apply, in the caller's transaction, a message the service composed
        itself (a delegation's 301, a relay), as if its Afzender had sent it. It is stored
        like a received message, but as produced by the service (direction ``out``)."""
        body = codec.to_bytes(msg)
        report = self.validator.check(body)
        if not report.clean:
            # The service writes these messages itself: a finding here is a fault in the
            # service or its configuration, not in anyone's input.
            raise ComposeError(mt_name(msg), [f.as_json() for f in report.findings])
        mt = report.message_type
        assert mt is not None
        message_id = self._store_out(tx, msg, body, None, status="received")
        sha = hashlib.sha256(body).hexdigest()
        ctx = self._context(tx, mt, msg, message_id, sha)
        ctx.claim_holder = self._claim(tx, mt, msg, message_id)
        findings = self._judge(mt, msg, ctx)
        tx.update("messages", message_id, self._judged(findings, ctx))
        return Composed(message_id, findings, ctx)

    def store_composed(self, tx: Tx, msg: Any, body: bytes, *, client_id: int | None = None) -> int:
        """Store a message the service composed but does not judge (a relay sent again),
        claiming its identification so that its retour finds it."""
        message_id = self._store_out(tx, msg, body, None, status="sent")
        tx.update("messages", message_id, {"client_id": client_id})
        self._claim(tx, catalogue.of(msg), msg, message_id)
        return message_id

    def _answer(self, message_id: int, sha: str, report: Report, budget: Budget) -> Outcome:
        """A retour message or a declaration answer: no answer of its own."""
        mt = report.message_type
        assert mt is not None
        msg = report.message
        with self.store.transaction() as tx:
            outcome = (
                self._record_answer(tx, mt, msg, report, message_id, sha, budget)
                if self._locked(tx, message_id)
                else None
            )
        return outcome if outcome is not None else self.replay(message_id)

    def _record_answer(
        self,
        tx: Tx,
        mt: MessageType,
        msg: Any,
        report: Report,
        message_id: int,
        sha: str,
        budget: Budget,
    ) -> Outcome:
        """Judge a locked retour or WMO325 and record it. Only the party an original was
        delivered to may answer it: anyone else is refused alike, whether the original
        exists or not, so that an answer tells a stranger nothing."""
        findings: list[Finding] = list(report.findings)
        original_id = self._original(tx, mt, msg)
        if original_id is None:
            return self._not_yours(tx, mt, report, message_id)
        if mt.name == "WMO325":
            ctx = self._context(tx, mt, msg, message_id, sha)
            ctx.budget = budget
            ctx.claim_holder = self._claim(tx, mt, msg, message_id)
            if not findings:
                findings = self._judge(mt, msg, ctx)
        status = "rejected" if findings else "accepted"
        as_json, omitted = self.listed(findings)
        if findings:
            outcome = problem(
                422,
                "rejected",
                f"the {mt.name} was not accepted",
                f"{len(findings)} finding(s)",
                message_id=message_id,
                findings=as_json,
                omitted=omitted,
            )
        else:
            outcome = _receipt(message_id, status, mt.name, original_id)
        tx.update(
            "messages",
            message_id,
            {
                **_describe(report),
                "original_id": original_id,
                "status": status,
                "findings": as_json,
                "findings_omitted": omitted,
                "response_status": outcome.status,
                "processed_at": _now(),
            },
        )
        if not findings:
            mailbox.deliver(tx, self.router.on_answer(tx, mt, msg, message_id, original_id))
        outcome.message_type, outcome.verdict = mt.name, status
        return outcome

    # --- judging and applying ------------------------------------------------------------------

    def _judge(
        self, mt: MessageType, msg: Any, ctx: Context, refused_lines: Sequence[Finding] = ()
    ) -> list[Finding]:
        levels = _RULES[mt.name]
        findings = _run(levels["header"], msg, ctx)
        if findings:
            return [*findings, *refused_lines]
        findings = _run(levels["message"], msg, ctx)
        if findings:
            # The lines below the refused class are not judged (0233).
            return [*findings, *refused_lines]
        handler = HANDLERS[mt.name]
        if handler.begin is not None:
            handler.begin(msg, ctx)
        lines = handler.lines(msg)
        line_paths = {codec.path_of(line) for line in lines}
        # Findings made before the lines are judged, by the line they refuse (a declaration
        # may hold thousands of lines): the message rules' and the service's own, and those
        # of rules per client that name a line. A finding on a client itself leaves its
        # lines unjudged (0233, IV087).
        preset: dict[str, list[Finding]] = {}
        stray: list[Finding] = []
        unjudged: set[str] = set()
        early = list(refused_lines)
        for client in handler.clients(msg):
            for f in _run(levels["client"], msg, ctx, client):
                if enclosing(f.path, line_paths) is None:
                    findings.append(f)
                    unjudged.add(codec.path_of(client))
                else:
                    early.append(f)
        for f in early:
            line_path = enclosing(f.path, line_paths)
            (preset.setdefault(line_path, []) if line_path else stray).append(f)
        for line in lines:
            if ctx.budget is not None:
                ctx.budget.check()
            where = codec.path_of(line)
            found = list(preset.get(where, ()))
            if enclosing(where, unjudged) is None:
                found += _run(levels["line"], msg, ctx, line)
            elif not found:
                if handler.refuse_line is not None:
                    handler.refuse_line(msg, line, ctx, [retour.NOT_JUDGED])
                continue
            if not found:
                handler.apply_line(msg, line, ctx)
            elif handler.refuse_line is not None:
                handler.refuse_line(
                    msg, line, ctx, list(dict.fromkeys(f.return_code for f in found))
                )
            findings.extend(found)
        findings.extend(stray)
        if handler.per_line or not findings:
            ctx.flush()  # all or nothing: a refused message writes none of its changes
        return findings

    def _context(self, tx: Tx, mt: MessageType, msg: Any, message_id: int, sha: str) -> Context:
        h = msg.Header
        gemeente, aanbieder = (
            (h.Afzender, h.Ontvanger) if mt.sender == "gemeente" else (h.Ontvanger, h.Afzender)
        )
        ctx = Context(
            tx=tx,
            vault=self.vault,
            today=self.clock(),
            message_type=mt,
            message_id=message_id,
            municipality_code=gemeente,
            provider_code=aanbieder,
            sha256=sha,
            code_list=self.product_codes,
            contracts=self.contracts,
        )
        if mt.name in ("WMO323", "WMO325"):
            # One provider's declarations are judged one at a time: line numbers and
            # declaration numbers must be unique per provider.
            tx.scalar(tx.lock("SELECT id FROM participants WHERE code = ?"), (aanbieder,))
            self._declaration_clients(tx, mt, msg, ctx)
        elif mt.name == "WMO319":
            verzoek = ctx.verzoek(msg.Antwoord.ReferentieAanbieder)
            if verzoek is not None:
                found = tx.one(
                    tx.lock("SELECT id, municipality_code FROM clients WHERE id = ?"),
                    (verzoek.client_id,),
                )
                if found is not None:
                    ctx.client = rec.Client(id=found[0], municipality_code=found[1])
        else:
            ctx.client = self._client(tx, gemeente, msg.Client.Bsn)
        return ctx

    def _declaration_clients(self, tx: Tx, mt: MessageType, msg: Any, ctx: Context) -> None:
        if mt.name == "WMO325":
            source = tx.one(
                "SELECT m.id, m.raw_encrypted FROM identificatie_claims c "
                "JOIN messages m ON m.id = c.message_id WHERE c.message_type = 'WMO323' "
                "AND c.sender_code = ? AND c.identificatie = ? AND m.receiver_code = ? "
                "AND m.dagtekening = ?",
                (
                    ctx.provider_code,
                    msg.Header.DeclaratieIdentificatie.Identificatie,
                    ctx.municipality_code,
                    msg.Header.DeclaratieIdentificatie.Dagtekening,
                ),
            )
            if source is not None:
                found = tx.load(rec.Declaration, "declaraties", "message_id = ?", (source[0],))
                if found:
                    ctx.declaration = found[0]
                    ctx.declaration.lines = tx.load(
                        rec.Line, "prestaties", "declaratie_id = ?", (found[0].id,)
                    )
                    original = codec.decode(
                        etree.fromstring(self.vault.decrypt(bytes(source[1]), RAW))
                    )
                    ctx.declaration_xsd_versie = original.Header.XsdVersie
            clients = msg.DeclaratieAntwoord.Clienten if msg.DeclaratieAntwoord else []
        else:
            clients = msg.Declaratie.Clienten
        records = self._clients(tx, ctx.municipality_code, [c.Bsn for c in clients])
        for client in clients:
            ctx.line_clients[codec.path_of(client)] = records[client.Bsn]

    def _clients(self, tx: Tx, municipality: str, bsns: list[str]) -> dict[str, rec.Client]:
        """The clients of a declaration, created when new and locked, as ``_client`` does
        for one, in a statement per few hundred. They are locked in a fixed order (of their
        hash) so two declarations never wait on each other."""
        by_hash = {self.vault.bsn_hash(bsn): bsn for bsn in bsns}
        ordered = sorted(by_hash)
        ids: dict[str, int] = {}
        for at in range(0, len(ordered), _CLIENTS_AT_ONCE):
            chunk = ordered[at : at + _CLIENTS_AT_ONCE]
            params: list[Any] = []
            for key in chunk:
                encrypted = self.vault.encrypt(by_hash[key].encode("ascii"), BSN)
                params += [municipality, key, encrypted, _now()]
            rows = tx.all(
                "INSERT INTO clients (municipality_code, bsn_hash, bsn_encrypted, created_at) "
                f"VALUES {', '.join('(?, ?, ?, ?)' for _ in chunk)} "
                "ON CONFLICT (municipality_code, bsn_hash) "
                "DO UPDATE SET municipality_code = excluded.municipality_code "
                "RETURNING id, bsn_hash",
                params,
            )
            ids.update({str(key): int(client_id) for client_id, key in rows})
        return {
            bsn: rec.Client(id=ids[key], municipality_code=municipality)
            for key, bsn in by_hash.items()
        }

    def _client(self, tx: Tx, municipality: str, bsn: str) -> rec.Client:
        """The client, created when new, locked for the rest of the transaction. DO UPDATE
        (to the same value) rather than DO NOTHING returns the row either way and, on
        PostgreSQL, locks it until the transaction ends."""
        client_id = tx.scalar(
            "INSERT INTO clients (municipality_code, bsn_hash, bsn_encrypted, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (municipality_code, bsn_hash) "
            "DO UPDATE SET municipality_code = excluded.municipality_code RETURNING id",
            (
                municipality,
                self.vault.bsn_hash(bsn),
                self.vault.encrypt(bsn.encode("ascii"), BSN),
                _now(),
            ),
        )
        return rec.Client(id=int(client_id), municipality_code=municipality)

    def _claim(self, tx: Tx, mt: MessageType, msg: Any, message_id: int) -> int:
        """Claim the identification for its sender and type (TR056); returns the message
        that holds the claim: this one, unless the identification was used before."""
        key = (msg.Header.Afzender, mt.name, msg.Header.BerichtIdentificatie.Identificatie)
        claimed = tx.scalar(
            "INSERT INTO identificatie_claims (sender_code, message_type, identificatie, "
            "message_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sender_code, message_type, identificatie) DO NOTHING "
            "RETURNING message_id",
            (*key, message_id),
        )
        if claimed is not None:
            return int(claimed)
        holder = tx.scalar(
            "SELECT message_id FROM identificatie_claims WHERE sender_code = ? "
            "AND message_type = ? AND identificatie = ?",
            key,
        )
        return int(holder)

    def _original(self, tx: Tx, mt: MessageType, msg: Any) -> int | None:
        """The message a retour or WMO325 answers, when the service passed it on to the
        answer's poster; None otherwise (unknown, refused, or addressed to someone else).

        A retour names its original by the original's Afzender and identification, and is
        posted by the original's Ontvanger; a WMO325 names the declaration it answers, and
        is posted by the municipality the declaration was sent to."""
        h = msg.Header
        if mt.name == "WMO325":
            found = tx.one(
                "SELECT m.id, m.receiver_code, m.status FROM identificatie_claims c "
                "JOIN messages m ON m.id = c.message_id JOIN declaraties d "
                "ON d.message_id = m.id WHERE c.message_type = 'WMO323' AND c.sender_code = ? "
                "AND c.identificatie = ? AND m.dagtekening = ?",
                (
                    h.Ontvanger,
                    h.DeclaratieIdentificatie.Identificatie,
                    h.DeclaratieIdentificatie.Dagtekening,
                ),
            )
            poster = h.Afzender
        else:
            found = tx.one(
                "SELECT m.id, m.receiver_code, m.status FROM identificatie_claims c "
                "JOIN messages m ON m.id = c.message_id WHERE c.sender_code = ? "
                "AND c.message_type = ? AND c.identificatie = ?",
                (h.Afzender, mt.original.name, h.BerichtIdentificatie.Identificatie),
            )
            poster = h.Ontvanger
        if found is None:
            return None
        original_id, receiver, status = found
        # A refused message never left the service: nobody received it to answer it. (A
        # declaration is on record, and so answerable, unless refused as a whole: IV087.)
        if receiver != poster or (mt.name != "WMO325" and status not in _PASSED_ON):
            return None
        return int(original_id)

    def _not_yours(self, tx: Tx, mt: MessageType, report: Report, message_id: int) -> Outcome:
        """Refuse an answer to something its poster was never sent (403). For a WMO325 this
        is the standard's TR337, named in the findings."""
        original = "WMO323" if mt.name == "WMO325" else mt.original.name
        found = (
            [
                Finding(
                    "TR337",
                    "",
                    "/Bericht/Header/DeclaratieIdentificatie",
                    "no declaration from this provider to you has this identification",
                ).as_json()
            ]
            if mt.name == "WMO325"
            else []
        )
        outcome = problem(
            403,
            "forbidden",
            "not an answer to a message you received",
            f"no {original} with this identification was sent to you",
            message_id=message_id,
            findings=found,
        )
        tx.update(
            "messages",
            message_id,
            {
                **_describe(report),
                "status": "forbidden",
                "problem": "forbidden",
                "findings": found,
                "response_status": outcome.status,
                "processed_at": _now(),
            },
        )
        outcome.message_type, outcome.verdict = mt.name, "forbidden"
        return outcome

    def _store_out(
        self,
        tx: Tx,
        message: Any,
        body: bytes,
        original_id: int | None,
        *,
        status: str = "sent",
    ) -> int:
        mt = catalogue.of(message)
        h = message.Header
        # A retour is known by its own identification; other messages by their header's.
        own = not mt.is_retour or mt.name == "WMO325"
        return tx.insert(
            "messages",
            {
                "direction": "out",
                "message_type": mt.name,
                "sender_code": h.Afzender,
                "receiver_code": h.Ontvanger,
                "identificatie": h.BerichtIdentificatie.Identificatie
                if own
                else h.IdentificatieRetour,
                "dagtekening": h.BerichtIdentificatie.Dagtekening if own else h.DagtekeningRetour,
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
                "raw_encrypted": self.vault.encrypt(body, RAW),
                "status": status,
                "findings": [],
                "original_id": original_id,
                "received_at": _now(),
                "processed_at": _now(),
            },
        )

    # --- replaying stored answers ------------------------------------------------------------

    def replay(self, message_id: int) -> Outcome:
        with self.store.transaction() as tx:
            row = tx.one(
                "SELECT status, problem, findings, retour_id, response_status, "
                "message_type, original_id, findings_omitted FROM messages WHERE id = ?",
                (message_id,),
            )
            assert row is not None
            status, kind, findings, retour_id, response, message_type, original_id, omitted = row
            if retour_id is not None:
                raw = tx.scalar("SELECT raw_encrypted FROM messages WHERE id = ?", (retour_id,))
                body = self.vault.decrypt(bytes(raw), RAW)
                return Outcome(200, body, "application/xml", message_id, True, message_type, status)
        if isinstance(findings, str):
            findings = json.loads(findings)
        if response == 200:
            outcome = _receipt(message_id, status, message_type, original_id)
        else:
            outcome = problem(
                response or 500,
                kind or "rejected",
                "message was not accepted",
                "this message was received before; this is the stored answer",
                message_id=message_id,
                findings=findings,
                omitted=int(omitted or 0),
            )
        outcome.replayed = True
        outcome.message_type, outcome.verdict = message_type, status
        return outcome


@dataclass(frozen=True)
class _Refusal:
    """Refusing a message before it is judged: recorded with its status, answered with a
    problem document (with the findings, unless they are beside the point)."""

    ingest: Ingest
    message_id: int
    report: Report

    def __call__(
        self,
        status: str,
        http: int,
        kind: str,
        title: str,
        detail: str,
        code: str | None = None,
        *,
        with_findings: bool = True,
    ) -> Outcome:
        findings: list[Any] | None = None
        omitted = 0
        if with_findings:
            findings, omitted = self.ingest.listed(self.report.findings, self.report.omitted)
        outcome = problem(
            http,
            kind,
            title,
            detail,
            message_id=self.message_id,
            code=code,
            findings=findings,
            omitted=omitted,
        )
        return self.ingest._finish(self.message_id, status, self.report, outcome, problem_kind=kind)


class ComposeError(RuntimeError):
    """A message the service composed fails its own schema or message rules."""

    def __init__(self, message_type: str, findings: list[dict[str, Any]]) -> None:
        super().__init__(f"the service composed an invalid {message_type}: {findings}")
        self.findings = findings


def mt_name(msg: Any) -> str:
    return catalogue.of(msg).name


def _verdict(findings: list[Finding], ctx: Context) -> str:
    if not findings:
        return "accepted"
    return "partially_accepted" if ctx.granted_any else "rejected"


def _refuses_message(
    mt: MessageType, findings: Sequence[Finding], *, service_checks: bool = False
) -> bool:
    """Whether findings made before judging refuse the message as a whole. Those with
    0001 do (IV032). Message rules do too, except in a declaration, which is judged line by
    line: a rule there with a code of its own (TR319, 9319) refuses the performance it
    names, and the other lines are judged as usual (IV087). The service's own checks refuse
    only the lines they name, unless they carry 0001."""
    if not findings:
        return False
    if any(f.return_code == TECHNICAL_REJECTION for f in findings):
        return True
    if service_checks:
        return False
    return not (mt.name in HANDLERS and HANDLERS[mt.name].per_line)


def _run(rules: list[Rule], msg: Any, ctx: Context, line: Any = None) -> list[Finding]:
    found = []
    for r in rules:
        violations = r.check(msg, ctx) if line is None else r.check(msg, line, ctx)
        for path, text in violations:
            found.append(Finding(r.code, r.return_code, path, text))
    return found


def _receipt(
    message_id: int, status: str, message_type: str | None, original_id: int | None
) -> Outcome:
    body = {
        "status": status,
        "message_id": message_id,
        "message": message_type,
        "answers": original_id,
    }
    return Outcome(200, json.dumps(body).encode(), "application/json", message_id)


def _other(party: str) -> str:
    return "aanbieder" if party == "gemeente" else "gemeente"


def _plays(role: str, party: str) -> bool:
    return role == MUNICIPALITY if party == "gemeente" else role in PROVIDER_ROLES


def _describe(report: Report) -> dict[str, Any]:
    """What kind of message this is, for operators; read leniently when invalid."""
    mt = report.message_type
    values: dict[str, Any] = {"message_type": mt.name if mt is not None else None}
    h = report.message.Header if report.message is not None else report.header
    if h is not None:
        values.update(
            sender_code=h.Afzender,
            receiver_code=h.Ontvanger,
            identificatie=h.BerichtIdentificatie.Identificatie,
            dagtekening=h.BerichtIdentificatie.Dagtekening,
        )
    elif report.root is not None:
        values.update(
            sender_code=_text(report.root, "Afzender", 32),
            receiver_code=_text(report.root, "Ontvanger", 32),
            identificatie=_text(report.root, "Identificatie", 64),
        )
    return values


def _text(root: etree._Element, name: str, limit: int) -> str | None:
    found = root.xpath(f"*[local-name()='Header']//*[local-name()='{name}']/text()")
    if not isinstance(found, list) or not found:
        return None
    return str(found[0]).strip()[:limit]
