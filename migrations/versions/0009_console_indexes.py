"""indexes for the console

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

The console counts a day's and a month's traffic (messages by ``received_at``), looks for
the answers to a message (``original_id``), and asks of every message it lists whether it
was put in the viewer's mailbox (``mailbox_items`` by message and recipient).
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_messages_original", ["original_id"], unique=False)
    with op.batch_alter_table("mailbox_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailbox_message_recipient", ["message_id", "recipient_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mailbox_items", schema=None) as batch_op:
        batch_op.drop_index("ix_mailbox_message_recipient")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_original")
        batch_op.drop_index("ix_messages_received_at")
