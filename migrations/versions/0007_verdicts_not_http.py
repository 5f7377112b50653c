"""messages record verdicts, not HTTP statuses

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

The intake records what became of a message (its status and, when refused, the kind of
refusal); which HTTP status says so is the API's business, derived from those. The column
that kept the status answered goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("response_status")


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_status", sa.Integer(), nullable=True))
