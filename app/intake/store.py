"""Stage 1, and the message records every later stage writes to.

Whatever arrives is stored first, encrypted, in its own transaction, keyed by its sender
and the SHA-256 of all of it: the same bytes again find their record and get the stored
verdict, and nothing is applied twice. Messages the service composes itself (retours,
relays, a subcontractor's 301) are stored beside them, as produced by the service.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from app.administration.crypto import RAW, Vault
from app.administration.kinds import MessageStatus
from app.administration.store import Store, Tx
from app.intake.verdicts import Receipt, Refusal, Sender, Verdict
from app.standard import catalogue
from app.validation import Report

__all__ = [
    "TOO_LARGE_KEPT",
    "Inbox",
    "describe",
    "now",
]

TOO_LARGE_KEPT = 64 * 1024  # of a body over the limit, what is stored

# Refusals that do not depend on the bytes: the same bytes sent again are judged afresh.
_NOT_ABOUT_CONTENT = frozenset({"media_type", "unknown_receiver"})


def now() -> datetime:
    return datetime.now(UTC)


class Inbox:
    """The messages table, as the intake writes and reads it."""

    def __init__(self, store: Store, vault: Vault) -> None:
        self.store = store
        self.vault = vault

    def keep(
        self, sender: Sender, data: bytes, sha: str, *, size: int | None = None
    ) -> tuple[int, str]:
        """Store the bytes, or find them stored before: (message id, its status). The
        insert commits by itself: the bytes are kept before anything else happens, in one
        round trip."""
        with self.store.autocommit() as tx:
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
                    now(),
                ),
            )
            if inserted is not None:
                return int(inserted), MessageStatus.RECEIVED
            found = tx.one(
                "SELECT id, status, problem FROM messages WHERE participant_id = ? AND sha256 = ?",
                (sender.id, sha),
            )
            assert found is not None
            message_id, status, kind = found
            if kind in _NOT_ABOUT_CONTENT:
                # Refused for how it was sent, not for what it says: judge it anew.
                tx.update(
                    "messages", message_id, {"status": MessageStatus.RECEIVED, "problem": None}
                )
                return int(message_id), MessageStatus.RECEIVED
            if status == MessageStatus.RECEIVED:
                # Sent again while waiting (its worker stopped): another attempt.
                tx.execute(
                    "UPDATE messages SET attempts = attempts + 1 WHERE id = ?", (message_id,)
                )
            return int(message_id), str(status)

    @staticmethod
    def locked(tx: Tx, message_id: int) -> bool:
        """Lock the message's record; False when another worker already finished it."""
        status = tx.scalar(tx.lock("SELECT status FROM messages WHERE id = ?"), (message_id,))
        return bool(status == MessageStatus.RECEIVED)

    def record(self, message_id: int, values: dict[str, Any]) -> None:
        with self.store.transaction() as tx:
            tx.update("messages", message_id, values)

    def keep_out(
        self,
        tx: Tx,
        message: Any,
        body: bytes,
        original_id: int | None,
        *,
        status: str = MessageStatus.SENT,
    ) -> int:
        """Store a message the service produced (a retour, a relay, a 301 it composed)."""
        return tx.insert("messages", self._out(message, body, original_id, status))

    def keep_answer(
        self, tx: Tx, message_id: int, answer: Any, body: bytes, verdict: dict[str, Any]
    ) -> int:
        """Store the answer (retour or WMO325) to message ``message_id`` and record the
        verdict with that message, pointing at its answer: one statement on PostgreSQL."""
        return tx.insert_and_point(
            "messages",
            self._out(answer, body, message_id, MessageStatus.SENT),
            message_id,
            verdict,
            "retour_id",
        )

    def _out(
        self, message: Any, body: bytes, original_id: int | None, status: str
    ) -> dict[str, Any]:
        mt = catalogue.of(message)
        h = message.Header
        # A retour is known by its own identification; other messages by their header's.
        own = not mt.is_retour or mt.name == "WMO325"
        return {
            "direction": "out",
            "message_type": mt.name,
            "sender_code": h.Afzender,
            "receiver_code": h.Ontvanger,
            "identificatie": h.BerichtIdentificatie.Identificatie if own else h.IdentificatieRetour,
            "dagtekening": h.BerichtIdentificatie.Dagtekening if own else h.DagtekeningRetour,
            "sha256": hashlib.sha256(body).hexdigest(),
            "size": len(body),
            "raw_encrypted": self.vault.encrypt(body, RAW),
            "status": status,
            "findings": [],
            "original_id": original_id,
            "received_at": now(),
            "processed_at": now(),
        }

    def stored_verdict(self, message_id: int) -> Verdict:
        """The verdict recorded for a message received before (the same bytes again)."""
        with self.store.transaction() as tx:
            row = tx.one(
                "SELECT status, problem, findings, retour_id, message_type, original_id, "
                "findings_omitted FROM messages WHERE id = ?",
                (message_id,),
            )
            assert row is not None
            status, kind, findings, retour_id, message_type, original_id, omitted = row
            verdict = Verdict(message_id, message_type, status, replayed=True)
            if retour_id is not None:
                raw = tx.scalar("SELECT raw_encrypted FROM messages WHERE id = ?", (retour_id,))
                verdict.retour = self.vault.decrypt(bytes(raw), RAW)
                return verdict
        if isinstance(findings, str):
            findings = json.loads(findings)
        if kind is None and status == MessageStatus.ACCEPTED:
            verdict.receipt = Receipt(status, message_id, message_type, original_id)
        else:
            verdict.refusal = Refusal(
                kind or "rejected",
                "message was not accepted",
                "this message was received before; this is the stored answer",
                findings=findings,
                omitted=int(omitted or 0),
            )
        return verdict


def describe(report: Report) -> dict[str, Any]:
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
