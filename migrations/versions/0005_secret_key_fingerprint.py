"""secret key fingerprint

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

One row: the fingerprint of the secret key the personal data is encrypted with. It is
written by the first start, not here: migrations run without the key. A database from
before this revision adopts the key of its first start once that key has been shown to
decrypt the data already stored (app/administration/keys.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_key_fingerprint",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_secret_key_fingerprint_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("secret_key_fingerprint")
