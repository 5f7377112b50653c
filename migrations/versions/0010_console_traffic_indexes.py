"""indexes for the console's overview

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

The overview counts a month's traffic per message type and status, as far as the viewer may
see it (sender, receiver, who posted it, whether the service checked it), and the refused
incoming messages of the last 30 days. ``ix_messages_traffic`` holds every column those
counts ask about after ``received_at``, so they read the index only, never the messages'
rows (each with its encrypted XML); it replaces ``ix_messages_received_at``, which is its
first column. (An index by status would mislead the planner for the message list filtered
by status, which reads the newest first by id.)
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRAFFIC = [
    "received_at",
    "message_type",
    "status",
    "problem",
    "sender_code",
    "receiver_code",
    "participant_id",
    "direction",
]


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_received_at")
        batch_op.create_index("ix_messages_traffic", TRAFFIC, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_traffic")
        batch_op.create_index("ix_messages_received_at", ["received_at"], unique=False)
