"""message attempts and findings left out

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

``attempts`` counts how often judging a message began, so that ``iwmo reprocess`` can set
aside a message that keeps failing instead of trying it forever; ``findings_omitted``
records how many findings were not listed (a message lists at most IWMO_MAX_FINDINGS).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("findings_omitted", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("findings_omitted")
        batch_op.drop_column("attempts")
