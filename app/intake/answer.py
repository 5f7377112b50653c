"""Stage 7: answer a message — its retour (or WMO325), stored and put in the mailboxes it
must reach — and record the verdict with the message."""

from __future__ import annotations

from datetime import date
from typing import Any

from app import retour
from app.administration.context import Context
from app.administration.kinds import MessageStatus
from app.administration.store import Tx
from app.findings import TECHNICAL_REJECTION, Finding
from app.intake.check import Unjudgeable, findings_of
from app.intake.judge import Judge, verdict_of
from app.intake.store import Inbox, describe, now
from app.intake.verdicts import Receipt, Refusal, Verdict
from app.routing import mailbox
from app.routing.mailbox import COPY, Delivery
from app.routing.router import Router
from app.standard import codec
from app.standard.catalogue import MessageType
from app.validation import Report, listed

__all__ = [
    "answer_judged",
    "record_answer",
    "record_not_yours",
    "record_refusal",
    "refusal_retour",
]


def answer_judged(
    inbox: Inbox,
    judge: Judge,
    tx: Tx,
    mt: MessageType,
    msg: Any,
    report: Report,
    ctx: Context,
    findings: list[Finding],
    deliveries: list[Delivery],
) -> tuple[bytes, str]:
    """Answer a judged outbound message: its retour's bytes, and its status."""
    if mt.name == "WMO323" and ctx.declaration is None and ctx.claim_holder == ctx.message_id:
        # Refused as a whole or on the Declaratie itself, a declaration counts as not sent
        # (IV087): nothing of it is recorded, and its identification may be used again for
        # the corrected one.
        tx.execute("DELETE FROM identificatie_claims WHERE message_id = ?", (ctx.message_id,))
    answer = (
        retour.declaratie_antwoord(msg, findings, dagtekening=ctx.today)
        if mt.name == "WMO323"
        else retour.build(msg, findings, dagtekening=ctx.today)
    )
    body = codec.to_bytes(answer)
    out_id = inbox.keep_answer(
        tx, ctx.message_id, answer, body, {**describe(report), **judge.judged(findings, ctx)}
    )
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
    if deliveries and mt.name == "WMO323":
        # The municipality also sees what the service answered the provider.
        deliveries = [
            *deliveries,
            Delivery(ctx.municipality_code, out_id, COPY, "the service's verdict"),
        ]
    mailbox.deliver(tx, deliveries)
    return body, verdict_of(findings, ctx)


def refusal_retour(
    inbox: Inbox,
    tx: Tx,
    mt: MessageType,
    header: Any,
    report: Report,
    message_id: int,
    findings: list[Finding],
    today: date,
    max_findings: int,
) -> bytes:
    """Refuse an outbound message valid against its schema as a whole for technical
    reasons (0001): its content cannot be represented, or judging it took too long. The
    answer is a header-only retour, as for any such refusal (IV028)."""
    answer = retour.refusal(mt, header, [TECHNICAL_REJECTION], dagtekening=today)
    body = codec.to_bytes(answer)
    shown, omitted = listed(findings, max_findings)
    inbox.keep_answer(
        tx,
        message_id,
        answer,
        body,
        {
            **describe(report),
            "status": MessageStatus.REJECTED,
            "findings": shown,
            "findings_omitted": omitted,
            "processed_at": now(),
        },
    )
    return body


def record_refusal(
    inbox: Inbox, message_id: int, report: Report, refused: Unjudgeable, max_findings: int
) -> Verdict:
    """Record a message refused before it could be judged, with the findings of its check
    (also where the refusal leaves them out as beside the point, as for a forged sender)."""
    refusal = refused.refusal
    shown, omitted = findings_of(report, max_findings)
    inbox.record(
        message_id,
        {
            **describe(report),
            "status": refused.status,
            "problem": refusal.kind,
            "findings": shown,
            "findings_omitted": omitted,
            "processed_at": now(),
        },
    )
    mt = report.message_type
    return Verdict(message_id, mt.name if mt else None, refused.status, refusal=refusal)


def record_answer(
    judge: Judge,
    router: Router,
    tx: Tx,
    mt: MessageType,
    msg: Any,
    report: Report,
    message_id: int,
    original_id: int,
    findings: list[Finding],
) -> Verdict:
    """Record a retour or WMO325 the party sent, and deliver it when accepted."""
    status = MessageStatus.REJECTED if findings else MessageStatus.ACCEPTED
    shown, omitted = listed(findings, judge.validator.settings.max_findings)
    tx.update(
        "messages",
        message_id,
        {
            **describe(report),
            "original_id": original_id,
            "status": status,
            "findings": shown,
            "findings_omitted": omitted,
            "processed_at": now(),
        },
    )
    verdict = Verdict(message_id, mt.name, status)
    if findings:
        verdict.refusal = Refusal(
            "rejected",
            f"the {mt.name} was not accepted",
            f"{len(findings)} finding(s)",
            findings=shown,
            omitted=omitted,
        )
        return verdict
    mailbox.deliver(tx, router.on_answer(tx, mt, msg, message_id, original_id))
    verdict.receipt = Receipt(status, message_id, mt.name, original_id)
    return verdict


def record_not_yours(
    tx: Tx, mt: MessageType, report: Report, message_id: int, refusal: Refusal
) -> Verdict:
    """Record an answer its poster may not give (see ``authorize.not_yours``)."""
    tx.update(
        "messages",
        message_id,
        {
            **describe(report),
            "status": MessageStatus.FORBIDDEN,
            "problem": "forbidden",
            "findings": refusal.findings or [],
            "processed_at": now(),
        },
    )
    return Verdict(message_id, mt.name, MessageStatus.FORBIDDEN, refusal=refusal)
