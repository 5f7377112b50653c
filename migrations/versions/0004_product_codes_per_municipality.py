"""product code lists per municipality

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

TR381 checked one list for the whole service, so two regions whose codes differ within
one category could not both be right. Each entry now belongs to a municipality's own list
(gemeente, its CBS code) or to the service-wide default (gemeente ''); the codes listed so
far become the default. The table is rebuilt rather than altered: its unique constraint
had no name, which SQLite cannot drop in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_codes_new",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), server_default="", nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("omschrijving", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gemeente", "categorie", "code", name="uq_product_codes_entry"),
    )
    op.execute(
        "INSERT INTO product_codes_new (gemeente, categorie, code, omschrijving) "
        "SELECT '', categorie, code, omschrijving FROM product_codes ORDER BY id"
    )
    op.drop_table("product_codes")
    op.rename_table("product_codes_new", "product_codes")


def downgrade() -> None:
    # Only the service-wide default fits the old, single list.
    op.create_table(
        "product_codes_old",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("omschrijving", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("categorie", "code"),
    )
    op.execute(
        "INSERT INTO product_codes_old (categorie, code, omschrijving) "
        "SELECT categorie, code, omschrijving FROM product_codes WHERE gemeente = '' ORDER BY id"
    )
    op.drop_table("product_codes")
    op.rename_table("product_codes_old", "product_codes")
