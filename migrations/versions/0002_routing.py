"""routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delegation_numbers",
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("municipality_code"),
    )
    op.create_table(
        "function_catalogues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version"),
    )
    op.create_table(
        "mailbox_counters",
        sa.Column("recipient_code", sa.String(length=32), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("recipient_code"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("main_contractor_code", sa.String(length=8), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("begindatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("catalogue_id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalogue_id"],
            ["function_catalogues.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contracts_main_contractor_code"), ["main_contractor_code"], unique=False
        )

    op.create_table(
        "functions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalogue_id"],
            ["function_catalogues.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("catalogue_id", "categorie", "code"),
        sa.UniqueConstraint("catalogue_id", "key"),
    )
    op.create_table(
        "contract_municipalities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("budgets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "municipality_code"),
    )
    with op.batch_alter_table("contract_municipalities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_municipalities_municipality_code"),
            ["municipality_code"],
            unique=False,
        )

    op.create_table(
        "contract_subcontractors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("subcontractor_code", sa.String(length=8), nullable=False),
        sa.Column("functions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "subcontractor_code"),
    )
    with op.batch_alter_table("contract_subcontractors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_subcontractors_subcontractor_code"),
            ["subcontractor_code"],
            unique=False,
        )

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("toewijzing_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("source_message_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["toewijzing_id"],
            ["toewijzingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("toewijzing_id"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "mailbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_code", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_code", "seq"),
    )
    op.create_table(
        "relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("source_message_id", sa.Integer(), nullable=False),
        sa.Column("relay_message_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("subcontractor_code", sa.String(length=8), nullable=False),
        sa.Column("main_contractor_code", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("retourcodes", sa.JSON(), nullable=False),
        sa.Column("retour_message_id", sa.Integer(), nullable=True),
        sa.Column("resent_as_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["relay_message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resent_as_id"],
            ["relays.id"],
        ),
        sa.ForeignKeyConstraint(
            ["retour_message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("relay_message_id"),
    )
    with op.batch_alter_table("relays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relays_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_relays_source_message_id"), ["source_message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_relays_subcontractor_code"), ["subcontractor_code"], unique=False
        )

    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("main_contractor_code", sa.String(length=8), nullable=False),
        sa.Column("subcontractor_code", sa.String(length=8), nullable=False),
        sa.Column("function_key", sa.String(length=64), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("begindatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("toewijzing_id", sa.Integer(), nullable=False),
        sa.Column("toewijzing_nummer", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("retourcodes", sa.JSON(), nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["last_message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["toewijzing_id"],
            ["toewijzingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("toewijzing_id"),
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delegations_client_function", ["client_id", "function_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delegations_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delegations_decision_id"), ["decision_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delegations_subcontractor_code"), ["subcontractor_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delegations_subcontractor_code"))
        batch_op.drop_index(batch_op.f("ix_delegations_decision_id"))
        batch_op.drop_index(batch_op.f("ix_delegations_contract_id"))
        batch_op.drop_index("ix_delegations_client_function")

    op.drop_table("delegations")
    with op.batch_alter_table("relays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relays_subcontractor_code"))
        batch_op.drop_index(batch_op.f("ix_relays_source_message_id"))
        batch_op.drop_index(batch_op.f("ix_relays_client_id"))

    op.drop_table("relays")
    op.drop_table("mailbox_items")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_contract_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_client_id"))

    op.drop_table("decisions")
    with op.batch_alter_table("contract_subcontractors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_subcontractors_subcontractor_code"))

    op.drop_table("contract_subcontractors")
    with op.batch_alter_table("contract_municipalities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_municipalities_municipality_code"))

    op.drop_table("contract_municipalities")
    op.drop_table("functions")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_main_contractor_code"))

    op.drop_table("contracts")
    op.drop_table("mailbox_counters")
    op.drop_table("function_catalogues")
    op.drop_table("delegation_numbers")
