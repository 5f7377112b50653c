"""central client administration

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("bsn_hash", sa.String(length=64), nullable=False),
        sa.Column("bsn_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_code", "bsn_hash"),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clients_bsn_hash"), ["bsn_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_clients_municipality_code"), ["municipality_code"], unique=False
        )

    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_key_hash"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "product_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("omschrijving", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("categorie", "code"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("message_type", sa.String(length=6), nullable=True),
        sa.Column("sender_code", sa.String(length=32), nullable=True),
        sa.Column("receiver_code", sa.String(length=32), nullable=True),
        sa.Column("identificatie", sa.String(length=64), nullable=True),
        sa.Column("dagtekening", sa.Date(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("retour_id", sa.Integer(), nullable=True),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["retour_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "sha256", name="uq_messages_participant_sha256"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_messages_unfinished",
            ["received_at"],
            unique=False,
            postgresql_where=sa.text("status = 'received'"),
            sqlite_where=sa.text("status = 'received'"),
        )

    op.create_table(
        "toewijzingen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("nummer", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("product_categorie", sa.String(length=2), nullable=True),
        sa.Column("product_code", sa.String(length=5), nullable=True),
        sa.Column("toewijzingsdatum", sa.Date(), nullable=False),
        sa.Column("toewijzingstijd", sa.Time(), nullable=False),
        sa.Column("ingangsdatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("reden_wijziging", sa.String(length=2), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("eenheid", sa.String(length=2), nullable=True),
        sa.Column("frequentie", sa.String(length=1), nullable=True),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("referentie_aanbieder", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_code", "nummer"),
    )
    with op.batch_alter_table("toewijzingen", schema=None) as batch_op:
        batch_op.create_index(
            "ix_toewijzingen_client_provider", ["client_id", "provider_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_toewijzingen_provider_code"), ["provider_code"], unique=False
        )

    op.create_table(
        "declaraties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(length=8), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("declaratienummer", sa.String(length=12), nullable=False),
        sa.Column("periode_begin", sa.Date(), nullable=False),
        sa.Column("periode_eind", sa.Date(), nullable=False),
        sa.Column("dagtekening", sa.Date(), nullable=False),
        sa.Column("totaal_ingediend", sa.BigInteger(), nullable=False),
        sa.Column("totaal_toegekend", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("answer_message_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_code", "declaratienummer"),
    )
    with op.batch_alter_table("declaraties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaraties_municipality_code"), ["municipality_code"], unique=False
        )

    op.create_table(
        "identificatie_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_code", sa.String(length=32), nullable=False),
        sa.Column("message_type", sa.String(length=6), nullable=False),
        sa.Column("identificatie", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_code", "message_type", "identificatie"),
    )
    op.create_table(
        "starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("provider_code", sa.String(length=8), nullable=False),
        sa.Column("toewijzing_id", sa.Integer(), nullable=True),
        sa.Column("toewijzing_nummer", sa.BigInteger(), nullable=True),
        sa.Column("product_categorie", sa.String(length=2), nullable=True),
        sa.Column("product_code", sa.String(length=5), nullable=True),
        sa.Column("toewijzing_ingangsdatum", sa.Date(), nullable=True),
        sa.Column("begindatum", sa.Date(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["toewijzing_id"],
            ["toewijzingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("starts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_starts_key", ["client_id", "toewijzing_nummer", "begindatum"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_starts_provider_code"), ["provider_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_starts_toewijzing_id"), ["toewijzing_id"], unique=False
        )

    op.create_table(
        "toewijzing_versies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("toewijzing_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("product_categorie", sa.String(length=2), nullable=True),
        sa.Column("product_code", sa.String(length=5), nullable=True),
        sa.Column("toewijzingsdatum", sa.Date(), nullable=False),
        sa.Column("toewijzingstijd", sa.Time(), nullable=False),
        sa.Column("ingangsdatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("reden_wijziging", sa.String(length=2), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("eenheid", sa.String(length=2), nullable=True),
        sa.Column("frequentie", sa.String(length=1), nullable=True),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("referentie_aanbieder", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["toewijzing_id"],
            ["toewijzingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("toewijzing_id", "version"),
    )
    op.create_table(
        "verzoeken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("provider_code", sa.String(length=8), nullable=False),
        sa.Column("referentie_aanbieder", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reden_afwijzing", sa.String(length=2), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_code", "referentie_aanbieder"),
    )
    with op.batch_alter_table("verzoeken", schema=None) as batch_op:
        batch_op.create_index(
            "ix_verzoeken_client", ["client_id", "provider_code", "status"], unique=False
        )

    op.create_table(
        "antwoorden",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verzoek_id", sa.Integer(), nullable=False),
        sa.Column("verzoek_antwoord", sa.String(length=1), nullable=False),
        sa.Column("reden_afwijzing", sa.String(length=2), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["verzoek_id"],
            ["verzoeken.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("antwoorden", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_antwoorden_verzoek_id"), ["verzoek_id"], unique=False)

    op.create_table(
        "prestaties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaratie_id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("toewijzing_id", sa.Integer(), nullable=True),
        sa.Column("referentienummer", sa.String(length=20), nullable=False),
        sa.Column("vorig_referentienummer", sa.String(length=20), nullable=True),
        sa.Column("toewijzing_nummer", sa.BigInteger(), nullable=False),
        sa.Column("product_categorie", sa.String(length=2), nullable=False),
        sa.Column("product_code", sa.String(length=5), nullable=False),
        sa.Column("periode_begin", sa.Date(), nullable=False),
        sa.Column("periode_eind", sa.Date(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("eenheid", sa.String(length=2), nullable=False),
        sa.Column("tarief", sa.BigInteger(), nullable=True),
        sa.Column("bedrag", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("retourcodes", sa.JSON(), nullable=False),
        sa.Column("credited_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["credited_by_id"],
            ["prestaties.id"],
        ),
        sa.ForeignKeyConstraint(
            ["declaratie_id"],
            ["declaraties.id"],
        ),
        sa.ForeignKeyConstraint(
            ["toewijzing_id"],
            ["toewijzingen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("prestaties", schema=None) as batch_op:
        batch_op.create_index("ix_prestaties_allocation", ["toewijzing_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_prestaties_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_prestaties_referentie", ["provider_code", "referentienummer"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prestaties_vorig_referentienummer"),
            ["vorig_referentienummer"],
            unique=False,
        )

    op.create_table(
        "stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start_id", sa.Integer(), nullable=False),
        sa.Column("reden_beeindiging", sa.String(length=2), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["start_id"],
            ["starts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stops_start_id"), ["start_id"], unique=False)

    op.create_table(
        "levering_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("status_aanlevering", sa.String(length=1), nullable=False),
        sa.Column("start_id", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["start_id"],
            ["starts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stop_id"],
            ["stops.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("levering_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_levering_events_start_id"), ["start_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # Encrypted bytes do not compress: spare PostgreSQL the attempt on every message.
        op.execute("ALTER TABLE messages ALTER COLUMN raw_encrypted SET STORAGE EXTERNAL")


def downgrade() -> None:
    with op.batch_alter_table("levering_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_levering_events_start_id"))

    op.drop_table("levering_events")
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stops_start_id"))

    op.drop_table("stops")
    with op.batch_alter_table("prestaties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prestaties_vorig_referentienummer"))
        batch_op.drop_index("ix_prestaties_referentie")
        batch_op.drop_index(batch_op.f("ix_prestaties_client_id"))
        batch_op.drop_index("ix_prestaties_allocation")

    op.drop_table("prestaties")
    with op.batch_alter_table("antwoorden", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_antwoorden_verzoek_id"))

    op.drop_table("antwoorden")
    with op.batch_alter_table("verzoeken", schema=None) as batch_op:
        batch_op.drop_index("ix_verzoeken_client")

    op.drop_table("verzoeken")
    op.drop_table("toewijzing_versies")
    with op.batch_alter_table("starts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_starts_toewijzing_id"))
        batch_op.drop_index(batch_op.f("ix_starts_provider_code"))
        batch_op.drop_index("ix_starts_key")

    op.drop_table("starts")
    op.drop_table("identificatie_claims")
    with op.batch_alter_table("declaraties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaraties_municipality_code"))

    op.drop_table("declaraties")
    with op.batch_alter_table("toewijzingen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_toewijzingen_provider_code"))
        batch_op.drop_index("ix_toewijzingen_client_provider")

    op.drop_table("toewijzingen")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_messages_unfinished",
            postgresql_where=sa.text("status = 'received'"),
            sqlite_where=sa.text("status = 'received'"),
        )
        batch_op.drop_index(batch_op.f("ix_messages_client_id"))

    op.drop_table("messages")
    op.drop_table("product_codes")
    op.drop_table("participants")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_municipality_code"))
        batch_op.drop_index(batch_op.f("ix_clients_bsn_hash"))

    op.drop_table("clients")
