"""The central client administration: SQLAlchemy 2 typed models.

Personal data is never stored in plain text: the BSN is encrypted and looked up by a keyed
hash; raw messages (which hold BSNs and names) are encrypted as a whole. Everything else is
administrative data about allocations, deliveries, requests and declarations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
    not_,
    or_,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.administration.kinds import MessageStatus, Role, TextEnum, Variant
from app.administration.records import WITHDRAWAL_REASONS, withdrawn


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        Role: TextEnum(Role, 20),
        MessageStatus: TextEnum(MessageStatus, 20),
        Variant: TextEnum(Variant, 20),
    }


class Participant(Base):
    """A municipality (CBS code), a provider (AGB code) or an operator."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SecretKeyFingerprint(Base):
    """The fingerprint of the secret key the personal data is encrypted with (one row), so
    a service started with another key stops instead of failing on every stored message
    and filing known clients anew under a hash it cannot match."""

    __tablename__ = "secret_key_fingerprint"
    __table_args__ = (CheckConstraint("id = 1", name="ck_secret_key_fingerprint_one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Client(Base):
    """A client as known to one municipality."""

    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("municipality_code", "bsn_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(4), index=True)
    bsn_hash: Mapped[str] = mapped_column(String(64), index=True)
    bsn_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Message(Base):
    """Every message received or produced, raw and encrypted, with its verdict."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("participant_id", "sha256", name="uq_messages_participant_sha256"),
        # Only messages still being processed are looked up by status (to finish them).
        Index(
            "ix_messages_unfinished",
            "received_at",
            postgresql_where=text("status = 'received'"),
            sqlite_where=text("status = 'received'"),
        ),
        # The console: traffic of a day or month by type and status, as far as the viewer
        # may see it, and refused messages, from the index alone (the rows hold the
        # encrypted XML); the answers to a message.
        Index(
            "ix_messages_traffic",
            "received_at",
            "message_type",
            "status",
            "problem",
            "sender_code",
            "receiver_code",
            "participant_id",
            "direction",
        ),
        Index("ix_messages_original", "original_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    message_type: Mapped[str | None] = mapped_column(String(6))
    sender_code: Mapped[str | None] = mapped_column(String(32))
    receiver_code: Mapped[str | None] = mapped_column(String(32))
    identificatie: Mapped[str | None] = mapped_column(String(64))
    dagtekening: Mapped[date | None] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    raw_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # received -> accepted | partially_accepted (WMO323) | rejected; or unreadable, forbidden,
    # set_aside (judging failed IWMO_REPROCESS_ATTEMPTS times)
    status: Mapped[MessageStatus] = mapped_column(default=MessageStatus.RECEIVED)
    problem: Mapped[str | None] = mapped_column(String(32))
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Findings not listed in ``findings`` (at most IWMO_MAX_FINDINGS are).
    findings_omitted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How often judging began; ``iwmo reprocess`` sets a message aside after a few.
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    retour_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    original_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


class IdentificatieClaim(Base):
    """First use of a message identification per sender and message type (TR056); also
    how a retour or declaration answer finds the message it answers."""

    __tablename__ = "identificatie_claims"
    __table_args__ = (UniqueConstraint("sender_code", "message_type", "identificatie"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_code: Mapped[str] = mapped_column(String(32))
    message_type: Mapped[str] = mapped_column(String(6))
    identificatie: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))


class _AllocationFields:
    product_categorie: Mapped[str | None] = mapped_column(String(2))
    product_code: Mapped[str | None] = mapped_column(String(5))
    toewijzingsdatum: Mapped[date] = mapped_column(Date)
    toewijzingstijd: Mapped[time] = mapped_column(Time)
    ingangsdatum: Mapped[date] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    reden_wijziging: Mapped[str | None] = mapped_column(String(2))
    volume: Mapped[int | None] = mapped_column(BigInteger)
    eenheid: Mapped[str | None] = mapped_column(String(2))
    frequentie: Mapped[str | None] = mapped_column(String(1))
    budget: Mapped[int | None] = mapped_column(BigInteger)
    referentie_aanbieder: Mapped[str | None] = mapped_column(String(36))


class Toewijzing(_AllocationFields, Base):
    """An allocation (ToegewezenProduct), identified per municipality by its number; the
    columns hold the current version, ``versions`` all of them."""

    __tablename__ = "toewijzingen"
    __table_args__ = (
        UniqueConstraint("municipality_code", "nummer"),
        Index("ix_toewijzingen_client_provider", "client_id", "provider_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(4))
    nummer: Mapped[int] = mapped_column(BigInteger)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    provider_code: Mapped[str] = mapped_column(String(8), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[ToewijzingVersie]] = relationship(
        back_populates="toewijzing", order_by="ToewijzingVersie.version"
    )

    @property
    def deleted(self) -> bool:
        return withdrawn(self.ingangsdatum, self.einddatum, self.reden_wijziging)

    @classmethod
    def in_force_on(cls, day: date) -> ColumnElement[bool]:
        """SQL: in force on ``day`` and not withdrawn (``records.withdrawn``)."""
        return and_(
            cls.ingangsdatum <= day,
            or_(cls.einddatum.is_(None), cls.einddatum >= day),
            not_(
                and_(
                    cls.einddatum == cls.ingangsdatum,
                    cls.reden_wijziging.in_(WITHDRAWAL_REASONS),
                )
            ),
        )


class ToewijzingVersie(_AllocationFields, Base):
    """One received version of an allocation: the state on any date can be rebuilt."""

    __tablename__ = "toewijzing_versies"
    __table_args__ = (UniqueConstraint("toewijzing_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    toewijzing_id: Mapped[int] = mapped_column(ForeignKey("toewijzingen.id"))
    version: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    toewijzing: Mapped[Toewijzing] = relationship(back_populates="versions")


class Start(Base):
    """A reported start of delivery (StartProduct with StatusAanlevering 1)."""

    __tablename__ = "starts"
    __table_args__ = (Index("ix_starts_key", "client_id", "toewijzing_nummer", "begindatum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    municipality_code: Mapped[str] = mapped_column(String(4))
    provider_code: Mapped[str] = mapped_column(String(8), index=True)
    toewijzing_id: Mapped[int | None] = mapped_column(ForeignKey("toewijzingen.id"), index=True)
    toewijzing_nummer: Mapped[int | None] = mapped_column(BigInteger)
    product_categorie: Mapped[str | None] = mapped_column(String(2))
    product_code: Mapped[str | None] = mapped_column(String(5))
    toewijzing_ingangsdatum: Mapped[date | None] = mapped_column(Date)
    begindatum: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    stops: Mapped[list[Stop]] = relationship(back_populates="start", order_by="Stop.id")
    toewijzing: Mapped[Toewijzing | None] = relationship()


class Stop(Base):
    """A reported (temporary, reason 20, or definitive) stop of a start."""

    __tablename__ = "stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_id: Mapped[int] = mapped_column(ForeignKey("starts.id"), index=True)
    reden_beeindiging: Mapped[str] = mapped_column(String(2))
    einddatum: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    start: Mapped[Start] = relationship(back_populates="stops")

    @property
    def temporary(self) -> bool:
        return self.reden_beeindiging == "20"


class LeveringEvent(Base):
    """The StatusAanlevering history of starts and stops: every line as it arrived."""

    __tablename__ = "levering_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(5))  # start | stop
    status_aanlevering: Mapped[str] = mapped_column(String(1))
    start_id: Mapped[int] = mapped_column(ForeignKey("starts.id"), index=True)
    stop_id: Mapped[int | None] = mapped_column(ForeignKey("stops.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    start: Mapped[Start] = relationship()
    stop: Mapped[Stop | None] = relationship()


class Verzoek(Base):
    """A request for an allocation (one per AangevraagdProduct of a 315) or for a change
    (one per 317), and where it stands."""

    __tablename__ = "verzoeken"
    __table_args__ = (
        UniqueConstraint("provider_code", "referentie_aanbieder"),
        Index("ix_verzoeken_client", "client_id", "provider_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(3))  # VOT | VOW
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    municipality_code: Mapped[str] = mapped_column(String(4))
    provider_code: Mapped[str] = mapped_column(String(8))
    referentie_aanbieder: Mapped[str] = mapped_column(String(36))
    # open -> in_onderzoek -> afgewezen | toegewezen
    status: Mapped[str] = mapped_column(String(16), default="open")
    reden_afwijzing: Mapped[str | None] = mapped_column(String(2))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def pending(self) -> bool:
        return self.status in ("open", "in_onderzoek")


class Antwoord(Base):
    """A municipality's answer (319) to a request."""

    __tablename__ = "antwoorden"

    id: Mapped[int] = mapped_column(primary_key=True)
    verzoek_id: Mapped[int] = mapped_column(ForeignKey("verzoeken.id"), index=True)
    verzoek_antwoord: Mapped[str] = mapped_column(String(1))
    reden_afwijzing: Mapped[str | None] = mapped_column(String(2))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Declaratie(Base):
    """A declaration (323) and, once answered, its totals."""

    __tablename__ = "declaraties"
    __table_args__ = (UniqueConstraint("provider_code", "declaratienummer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_code: Mapped[str] = mapped_column(String(8))
    municipality_code: Mapped[str] = mapped_column(String(4), index=True)
    declaratienummer: Mapped[str] = mapped_column(String(12))
    periode_begin: Mapped[date] = mapped_column(Date)
    periode_eind: Mapped[date] = mapped_column(Date)
    dagtekening: Mapped[date] = mapped_column(Date)
    totaal_ingediend: Mapped[int] = mapped_column(BigInteger)  # signed cents: debit +
    totaal_toegekend: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    answer_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    prestaties: Mapped[list[Prestatie]] = relationship(
        back_populates="declaratie", order_by="Prestatie.id"
    )


class Prestatie(Base):
    """One performance line of a declaration and the verdict on it."""

    __tablename__ = "prestaties"
    __table_args__ = (
        # Not unique: a line repeating a ReferentieNummer is recorded too, refused (TR314).
        Index("ix_prestaties_referentie", "provider_code", "referentienummer"),
        Index("ix_prestaties_allocation", "toewijzing_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaratie_id: Mapped[int] = mapped_column(ForeignKey("declaraties.id"))
    provider_code: Mapped[str] = mapped_column(String(8))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    toewijzing_id: Mapped[int | None] = mapped_column(ForeignKey("toewijzingen.id"))
    referentienummer: Mapped[str] = mapped_column(String(20))
    vorig_referentienummer: Mapped[str | None] = mapped_column(String(20), index=True)
    toewijzing_nummer: Mapped[int] = mapped_column(BigInteger)
    product_categorie: Mapped[str] = mapped_column(String(2))
    product_code: Mapped[str] = mapped_column(String(5))
    periode_begin: Mapped[date] = mapped_column(Date)
    periode_eind: Mapped[date] = mapped_column(Date)
    volume: Mapped[int] = mapped_column(BigInteger)
    eenheid: Mapped[str] = mapped_column(String(2))
    tarief: Mapped[int | None] = mapped_column(BigInteger)
    bedrag: Mapped[int] = mapped_column(BigInteger)  # signed cents: debit +, credit -
    status: Mapped[str] = mapped_column(String(12))  # toegekend | afgewezen
    retourcodes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    credited_by_id: Mapped[int | None] = mapped_column(ForeignKey("prestaties.id"))

    declaratie: Mapped[Declaratie] = relationship(back_populates="prestaties")

    @property
    def debet(self) -> bool:
        return self.bedrag >= 0 and self.vorig_referentienummer is None


class ProductCode(Base):
    """An entry of a product code list TR381 checks against: a municipality's own list
    (gemeente, its CBS code) or the service-wide default (gemeente '')."""

    __tablename__ = "product_codes"
    __table_args__ = (
        UniqueConstraint("gemeente", "categorie", "code", name="uq_product_codes_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4), default="", server_default="")
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    omschrijving: Mapped[str] = mapped_column(Text, default="")
