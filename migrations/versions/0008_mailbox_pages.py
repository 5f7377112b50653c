"""mailbox pages in constant time

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

A mailbox page lists the items still waiting for one recipient after a sequence number, in
order. An index on exactly that (recipient, sequence, only where not acknowledged) reads
one page's worth of rows whatever the backlog behind it or the history acknowledged before
it, without depending on the planner's statistics.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_WAITING = sa.text("acked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("mailbox_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailbox_waiting",
            ["recipient_code", "seq"],
            unique=False,
            postgresql_where=_WAITING,
            sqlite_where=_WAITING,
        )


def downgrade() -> None:
    with op.batch_alter_table("mailbox_items", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_mailbox_waiting", postgresql_where=_WAITING, sqlite_where=_WAITING
        )
