"""Stage 3: may this party send this message, and may it answer what it answers?

The Afzender of a message (the Ontvanger of a retour) must be the party that posts it, in a
role that sends that message type, and the other party must be a participant. An answer (a
retour, a WMO325) must answer a message the service delivered to its poster: who may answer
what is the access policy's question (``app.access.may_answer``)."""

from __future__ import annotations

from typing import Any

from app import access
from app.administration.kinds import MessageStatus
from app.administration.participants import Directory
from app.administration.store import Tx
from app.findings import Finding
from app.intake.check import Unjudgeable
from app.intake.verdicts import Refusal, Sender
from app.standard.catalogue import MessageType

__all__ = ["answered", "not_yours", "poster_refusal"]


def poster_refusal(
    mt: MessageType, header: Any, sender: Sender, participants: Directory
) -> Unjudgeable | None:
    """Why ``sender`` may not post this message, or None."""
    poster_field = "Ontvanger" if mt.is_retour and mt.name != "WMO325" else "Afzender"
    poster_code = getattr(header, poster_field)
    party = mt.sender if poster_field == "Afzender" else _other(mt.sender)
    if poster_code != sender.code or not access.may_post(sender.role, party):
        return Unjudgeable(
            MessageStatus.FORBIDDEN,
            Refusal(
                "forbidden",
                "sender does not match the message",
                f"the {mt.name} names {poster_field} {poster_code}; you are {sender.code} "
                f"({sender.role})",
                "IB008",
            ),
        )
    counterpart = header.Ontvanger if poster_field == "Afzender" else header.Afzender
    if not participants.active(counterpart):
        return Unjudgeable(
            MessageStatus.REJECTED,
            Refusal(
                "unknown_receiver",
                "unknown receiver",
                f"{counterpart} is not a participant of this hub",
                "IB010",
            ),
        )
    return None


def answered(tx: Tx, mt: MessageType, msg: Any) -> int | None:
    """The message a retour or WMO325 answers, when its poster may answer it; None
    otherwise (unknown, refused, or delivered to someone else).

    A retour names its original by the original's Afzender and identification, and is
    posted by the original's Ontvanger; a WMO325 names the declaration it answers, and is
    posted by the municipality the declaration was sent to."""
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
    # A declaration is on record, and so answerable, unless it was refused as a whole
    # (IV087), whatever became of its lines.
    if not access.may_answer(
        poster, receiver, MessageStatus.ACCEPTED if mt.name == "WMO325" else status
    ):
        return None
    return int(original_id)


def not_yours(mt: MessageType) -> Refusal:
    """The refusal of an answer to something its poster was never sent: the same whether
    that something exists or not. For a WMO325 this is the standard's TR337."""
    original = "WMO323" if mt.name == "WMO325" else mt.original.name
    findings = (
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
    return Refusal(
        "forbidden",
        "not an answer to a message you received",
        f"no {original} with this identification was sent to you",
        findings=findings,
    )


def _other(party: str) -> str:
    return "aanbieder" if party == "gemeente" else "gemeente"
