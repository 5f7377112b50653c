"""The intake: what happens to one message, stage by stage.

1. **store** (``store``) — the bytes are stored first, encrypted, in their own transaction;
   the same bytes again get the stored verdict and change nothing;
2. **check** (``check``) — safe parsing, schema and message rules, outside any transaction;
3. **authorize** (``authorize``) — may this party send it, or answer what it answers;
4. **judge** and 5. **apply** (``judge``) — in one transaction, against the administration;
6. **route** (``route``) — relays, decisions, mailboxes, through the same judge;
7. **answer** (``answer``) — the retour, stored and delivered, and the verdict recorded.

Each stage hands the next what it produced; none calls back up. The pipeline returns a
``Verdict``; how it is told to the sender is the API's business.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from app.administration.context import ProductCodeList
from app.administration.crypto import Vault
from app.administration.db import Database
from app.administration.kinds import MessageStatus
from app.administration.participants import Directory
from app.administration.store import ConnectionLost, Store, Tx
from app.clock import today
from app.findings import TECHNICAL_REJECTION, TIME, Finding
from app.intake import answer, authorize, check
from app.intake import reprocess as _reprocess
from app.intake.check import Unjudgeable
from app.intake.judge import Judge, refuses_message
from app.intake.route import judge_and_route
from app.intake.store import TOO_LARGE_KEPT, Inbox
from app.intake.verdicts import Observer, Refusal, Sender, Verdict
from app.routing.directory import ContractDirectory
from app.routing.mailbox import Delivery
from app.routing.router import Composed, Router
from app.standard.scan import Budget, BudgetExceeded
from app.validation import Report, Validator

log = logging.getLogger(__name__)

__all__ = ["Intake"]


class Intake:
    """The pipeline one inbound message runs through (see the module's docstring)."""

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
        self.inbox = Inbox(self.store, vault)
        self.judge = Judge(
            self.inbox, vault, validator, self.today, self.product_codes, self.contracts
        )
        self.router = Router(self.judge, self.contracts, delegation_numbers)
        self.observers: list[Observer] = []  # told about every message received (metrics)

    # --- finishing what stopped workers left (see ``reprocess``) ---------------------------

    def unfinished(self, older_than: float) -> list[int]:
        return _reprocess.unfinished(self, older_than)

    def reprocess(self, message_id: int, *, max_attempts: int | None = None) -> Verdict | None:
        return _reprocess.reprocess(self, message_id, max_attempts=max_attempts)

    def retry_set_aside(self) -> int:
        return _reprocess.retry_set_aside(self)

    def today(self) -> date:
        """Today's date for judging (tests and the demo set ``clock``)."""
        return self.clock()

    @property
    def max_findings(self) -> int:
        return self.validator.settings.max_findings

    # --- what routing's own actions use ------------------------------------------------------

    def judge_composed(self, tx: Tx, msg: Any) -> Composed:
        return self.judge.judge_composed(tx, msg)

    def store_composed(self, tx: Tx, msg: Any, body: bytes, *, client_id: int | None = None) -> int:
        return self.judge.store_composed(tx, msg, body, client_id=client_id)

    # --- receiving ---------------------------------------------------------------------------

    def receive(self, sender: Sender, data: bytes, sha: str | None = None) -> Verdict:
        """Store, judge and answer one message; ``sha`` is the SHA-256 of ``data`` when the
        caller computed it while reading."""
        started = time.perf_counter()
        sha = sha or hashlib.sha256(data).hexdigest()
        budget = self.validator.budget()
        try:
            verdict = self._receive(sender, data, sha, budget)
        except ConnectionLost:
            # Once, on a fresh connection: receiving is safe to repeat (the bytes are found
            # by their hash, and judging only a message still waiting), so a database
            # restart between two messages costs the sender nothing.
            log.warning("database connection lost; receiving again on a new connection")
            verdict = self._receive(sender, data, sha, budget)
        self._observe(sender, verdict, time.perf_counter() - started)
        return verdict

    def _receive(self, sender: Sender, data: bytes, sha: str, budget: Budget) -> Verdict:
        message_id, status = self.inbox.keep(sender, data, sha)
        if status != MessageStatus.RECEIVED:
            return self.inbox.stored_verdict(message_id)
        return self.process(sender, message_id, sha, self.validator.check(data, budget), budget)

    def refuse_media_type(self, sender: Sender, data: bytes, media: str) -> Verdict:
        """Store a body sent with the wrong Content-Type, and refuse it."""
        refusal = Refusal(
            "media_type",
            "send iWmo messages as application/xml",
            f"the Content-Type was {media or 'missing'}",
        )
        return self._refuse_unread(sender, data, hashlib.sha256(data).hexdigest(), refusal)

    def refuse_too_large(
        self, sender: Sender, head: bytes, size: int, sha: str | None = None
    ) -> Verdict:
        """Refuse a body over the size limit without holding it: ``head`` is what was read
        (the limit and a byte), ``size`` how large it was known to be, ``sha`` the SHA-256
        of all of it when all of it was read. The first 64 KiB are stored, enough to see
        what it was. Known by its whole hash, the same body sent again gets the stored
        verdict; a body not read to its end is never taken for another."""
        limit = self.validator.settings.max_message_bytes
        refusal = Refusal(
            "too_large",
            "the message is too large",
            f"the message is at least {size:,} bytes; the limit is {limit:,} bytes",
            "IB012",
        )
        sha = sha or hashlib.sha256(b"not read to its end:" + secrets.token_bytes(16)).hexdigest()
        return self._refuse_unread(sender, head[:TOO_LARGE_KEPT], sha, refusal, size=size)

    def _refuse_unread(
        self, sender: Sender, data: bytes, sha: str, refusal: Refusal, *, size: int | None = None
    ) -> Verdict:
        started = time.perf_counter()
        message_id, status = self.inbox.keep(sender, data, sha, size=size)
        if status != MessageStatus.RECEIVED:
            return self.inbox.stored_verdict(message_id)
        verdict = answer.record_refusal(
            self.inbox,
            message_id,
            Report(),
            Unjudgeable(MessageStatus.UNREADABLE, refusal),
            self.max_findings,
        )
        self._observe(sender, verdict, time.perf_counter() - started)
        return verdict

    def _observe(self, sender: Sender, verdict: Verdict, seconds: float) -> None:
        log.info(
            "message judged",
            extra={
                "message_id": verdict.message_id,
                "message_type": verdict.message_type,
                "verdict": verdict.status,
                "refusal": verdict.refusal.kind if verdict.refusal else None,
                "replayed": verdict.replayed,
                "sender": sender.code,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
        for observe in self.observers:
            observe(verdict, seconds)

    # --- the stages ----------------------------------------------------------------------------

    def process(
        self,
        sender: Sender,
        message_id: int,
        sha: str,
        report: Report,
        budget: Budget | None = None,
    ) -> Verdict:
        """Stages 3 to 7 for a stored and checked message."""
        refused = check.unjudgeable(report, self.max_findings)
        mt = report.message_type
        if refused is None:
            assert mt is not None
            header = report.message.Header if report.message is not None else report.header
            refused = authorize.poster_refusal(mt, header, sender, self.participants)
        if refused is not None:
            return answer.record_refusal(self.inbox, message_id, report, refused, self.max_findings)
        assert mt is not None
        budget = budget or self.validator.budget()
        try:
            if mt.is_retour:
                return self._answer(message_id, sha, report, budget)
            return self._outbound(message_id, sha, report, budget)
        except BudgetExceeded as exc:
            # Whatever the judging wrote was rolled back with its transaction.
            late = Finding(TIME, TECHNICAL_REJECTION, "/", f"{exc}; it was not processed")
            if mt.is_retour:
                refusal = Refusal(
                    "timeout", "judging took too long", late.message, findings=[late.as_json()]
                )
                return answer.record_refusal(
                    self.inbox,
                    message_id,
                    report,
                    Unjudgeable(MessageStatus.REJECTED, refusal),
                    self.max_findings,
                )
            return self._refuse_whole(message_id, report, [late])

    def _refuse_whole(self, message_id: int, report: Report, findings: list[Finding]) -> Verdict:
        mt = report.message_type
        assert mt is not None
        header = report.message.Header if report.message is not None else report.header
        with self.store.transaction() as tx:
            body = (
                answer.refusal_retour(
                    self.inbox,
                    tx,
                    mt,
                    header,
                    report,
                    message_id,
                    findings,
                    self.today(),
                    self.max_findings,
                )
                if Inbox.locked(tx, message_id)
                else None
            )
        if body is None:  # another worker finished it meanwhile: give its verdict
            return self.inbox.stored_verdict(message_id)
        return Verdict(message_id, mt.name, MessageStatus.REJECTED, retour=body)

    def _outbound(self, message_id: int, sha: str, report: Report, budget: Budget) -> Verdict:
        mt = report.message_type
        assert mt is not None
        msg = report.message
        if msg is None:
            # Valid against its schema, but holding a value the service cannot represent.
            return self._refuse_whole(message_id, report, report.findings)
        with self.store.transaction() as tx:
            answered = None
            if Inbox.locked(tx, message_id):
                ctx = self.judge.context(tx, mt, msg, message_id, sha)
                ctx.budget = budget
                ctx.claim_holder = self.judge.claim(tx, mt, msg, message_id)
                if refuses_message(mt, report.findings):
                    findings, deliveries = list(report.findings), list[Delivery]()
                else:
                    findings, deliveries = judge_and_route(
                        self.judge, self.router, tx, mt, msg, ctx, report.findings
                    )
                answered = answer.answer_judged(
                    self.inbox, self.judge, tx, mt, msg, report, ctx, findings, deliveries
                )
        if answered is None:  # another worker finished it meanwhile: give its verdict
            return self.inbox.stored_verdict(message_id)
        body, status = answered
        return Verdict(message_id, mt.name, status, retour=body)

    def _answer(self, message_id: int, sha: str, report: Report, budget: Budget) -> Verdict:
        """A retour message or a declaration answer: recorded, answered with a receipt."""
        mt = report.message_type
        assert mt is not None
        msg = report.message
        with self.store.transaction() as tx:
            if not Inbox.locked(tx, message_id):
                verdict = None
            else:
                original_id = authorize.answered(tx, mt, msg)
                if original_id is None:
                    verdict = answer.record_not_yours(
                        tx, mt, report, message_id, authorize.not_yours(mt)
                    )
                else:
                    findings = list(report.findings)
                    if mt.name == "WMO325":
                        ctx = self.judge.context(tx, mt, msg, message_id, sha)
                        ctx.budget = budget
                        ctx.claim_holder = self.judge.claim(tx, mt, msg, message_id)
                        if not findings:
                            findings = self.judge.judge(mt, msg, ctx)
                    verdict = answer.record_answer(
                        self.judge,
                        self.router,
                        tx,
                        mt,
                        msg,
                        report,
                        message_id,
                        original_id,
                        findings,
                    )
        return verdict if verdict is not None else self.inbox.stored_verdict(message_id)
