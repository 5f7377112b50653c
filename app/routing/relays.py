"""Sending a rejected relay again.

When a municipality rejects a relayed start or stop for a reason on its own side (its
system did not yet know the decision, say), the operator or the main contractor sends the
same message again under a new identification. It is not judged or applied again: the
administration already holds what it says. A mistake on the subcontractor's side is put
right by the subcontractor instead (StatusAanlevering 2 or 3), which is relayed in turn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml import etree

from app.administration.crypto import RAW
from app.administration.store import values_of
from app.routing import compose, mailbox
from app.routing import records as rr
from app.routing.kinds import RelayStatus
from app.routing.mailbox import Delivery
from app.standard import codec

if TYPE_CHECKING:
    from app.routing.hub import Hub


class RelayError(Exception):
    pass


def resend(hub: Hub, relay_id: int) -> int:
    """Send relay ``relay_id`` again; returns the new relay's id."""
    with hub.store.transaction() as tx:
        # Lock first: two people resending at once send it once.
        tx.scalar(tx.lock("SELECT id FROM relays WHERE id = ?"), (relay_id,))
        found = tx.load(rr.Relay, "relays", "id = ?", (relay_id,))
        if not found:
            raise RelayError(f"no relay {relay_id}")
        old = found[0]
        if old.status != RelayStatus.REJECTED or old.resent_as_id is not None:
            raise RelayError(f"relay {relay_id} is {old.status}; only a rejected one is resent")
        raw = tx.scalar("SELECT raw_encrypted FROM messages WHERE id = ?", (old.relay_message_id,))
        original = codec.decode(etree.fromstring(hub.vault.decrypt(bytes(raw), RAW)))
        message = compose.resend(original, hub.today())
        body = codec.to_bytes(message)
        message_id = hub.store_composed(tx, message, body, client_id=old.client_id)
        now = datetime.now(UTC)
        new = rr.Relay(
            client_id=old.client_id,
            source_message_id=old.source_message_id,
            relay_message_id=message_id,
            municipality_code=old.municipality_code,
            subcontractor_code=old.subcontractor_code,
            main_contractor_code=old.main_contractor_code,
            status=RelayStatus.SENT,
            retourcodes=[],
            created_at=now,
            updated_at=now,
        )
        new.id = tx.insert("relays", values_of(new))
        tx.update(
            "relays",
            relay_id,
            {"status": RelayStatus.RESENT, "resent_as_id": new.id, "updated_at": now},
        )
        mailbox.deliver(
            tx, [Delivery(old.municipality_code, message_id, mailbox.MESSAGE, "sent again")]
        )
        return new.id
