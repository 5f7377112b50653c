"""Finishing what a stopped worker left: messages stored but never judged.

Each is judged exactly as if it had just been received (the lock taken while judging makes
that exactly once, whoever else tries). Every attempt is counted before it starts, so a
message that keeps failing (or takes its worker down) is set aside after a few attempts
instead of being tried forever: status ``set_aside``, for an operator to look at.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from app.administration.crypto import RAW
from app.administration.kinds import MessageStatus
from app.administration.store import Tx
from app.findings import Finding
from app.intake.store import now
from app.intake.verdicts import Refusal, Sender, Verdict

if TYPE_CHECKING:
    from app.intake.pipeline import Intake

log = logging.getLogger(__name__)

__all__ = ["reprocess", "retry_set_aside", "unfinished"]


def unfinished(intake: Intake, older_than: float) -> list[int]:
    """Messages stored but never judged (their worker stopped), received more than
    ``older_than`` seconds ago, oldest first."""
    cutoff = now() - timedelta(seconds=older_than)
    with intake.store.transaction() as tx:
        return [
            int(row[0])
            for row in tx.all(
                "SELECT id FROM messages WHERE status = 'received' AND direction = 'in' "
                "AND received_at < ? ORDER BY received_at, id",
                (cutoff,),
            )
        ]


def reprocess(
    intake: Intake, message_id: int, *, max_attempts: int | None = None
) -> Verdict | None:
    """Judge a stored message that was never judged; None when it is no longer waiting
    (another worker finished it)."""
    limit = max_attempts or intake.validator.settings.reprocess_attempts
    with intake.store.transaction() as tx:
        row = tx.one(
            tx.lock(
                "SELECT m.status, m.sha256, m.raw_encrypted, m.attempts, p.id, p.code, "
                "p.role FROM messages m JOIN participants p ON p.id = m.participant_id "
                "WHERE m.id = ?"
            ),
            (message_id,),
        )
        if row is None or row[0] != MessageStatus.RECEIVED:
            return None
        _, sha, raw, attempts, pid, code, role = row
        if int(attempts) >= limit:
            return _set_aside(tx, message_id, int(attempts))
        tx.execute("UPDATE messages SET attempts = attempts + 1 WHERE id = ?", (message_id,))
    data = intake.vault.decrypt(bytes(raw), RAW)
    budget = intake.validator.budget()
    return intake.process(
        Sender(int(pid), str(code), str(role)),
        message_id,
        sha,
        intake.validator.check(data, budget),
        budget,
    )


def _set_aside(tx: Tx, message_id: int, attempts: int) -> Verdict:
    detail = (
        f"judging this message failed {attempts} times; it was set aside for an operator "
        "(iwmo reprocess --retry-set-aside tries it again)"
    )
    finding = Finding("SERVICE", "", "/", detail).as_json()
    tx.update(
        "messages",
        message_id,
        {
            "status": MessageStatus.SET_ASIDE,
            "problem": "set_aside",
            "findings": [finding],
            "processed_at": now(),
        },
    )
    log.error("message set aside after failed attempts", extra={"message_id": message_id})
    refusal = Refusal(
        "set_aside", "the service could not judge this message", detail, findings=[finding]
    )
    return Verdict(message_id, None, MessageStatus.SET_ASIDE, refusal=refusal)


def retry_set_aside(intake: Intake) -> int:
    """Make every message set aside wait again, with its attempts counted afresh."""
    with intake.store.transaction() as tx:
        ids = [int(r[0]) for r in tx.all("SELECT id FROM messages WHERE status = 'set_aside'")]
        for message_id in ids:
            tx.update(
                "messages",
                message_id,
                {"status": MessageStatus.RECEIVED, "problem": None, "attempts": 0, "findings": []},
            )
    return len(ids)
