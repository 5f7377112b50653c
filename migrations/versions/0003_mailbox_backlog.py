"""mailbox backlog index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

The metrics endpoint counts, per recipient, the mailbox items not yet acknowledged at
every scrape; a partial index keeps that cheap however many acknowledged items pile up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UNACKED = sa.text("acked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("mailbox_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailbox_unacked",
            ["recipient_code", "created_at"],
            unique=False,
            postgresql_where=_UNACKED,
            sqlite_where=_UNACKED,
        )


def downgrade() -> None:
    with op.batch_alter_table("mailbox_items", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_mailbox_unacked", postgresql_where=_UNACKED, sqlite_where=_UNACKED
        )
