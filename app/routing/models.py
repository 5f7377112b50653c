"""Routing: contracts, function catalogues, generic decisions, delegations to
subcontractors, relays and mailboxes (SQLAlchemy 2 typed models).

A contract (perceel) binds municipalities to one main contractor under an execution
variant; its function catalogue says which functions exist and under which product
category and code they are reported; the subcontractors it names may deliver the functions
it lists for them. A municipality's generic (or aspecific) allocation to the main contractor
becomes a *decision* under the contract; the main contractor *delegates* functions under it
to subcontractors, each delegation being a real allocation in ``toewijzingen`` under a
number from the service's own range; a subcontractor's start or stop on it is *relayed* to
the municipality at function level. Everything a participant must receive is put in its
*mailbox*.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.administration.kinds import TextEnum, Variant
from app.administration.models import Base, utcnow
from app.routing.kinds import DelegationStatus, RelayStatus

# Routing's enums are stored as their text, like the administration's.
Base.registry.update_type_annotation_map(
    {
        DelegationStatus: TextEnum(DelegationStatus, 12),
        RelayStatus: TextEnum(RelayStatus, 10),
    }
)


class FunctionCatalogue(Base):
    """One version of a function catalogue; a contract points at a version, so changing a
    catalogue never changes what running contracts mean."""

    __tablename__ = "function_catalogues"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    functions: Mapped[list[Function]] = relationship(
        back_populates="catalogue", order_by="Function.id", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"


class Function(Base):
    """A function (e.g. begeleiding at intervention level 3) and how the standard's
    messages name it: a product category and code."""

    __tablename__ = "functions"
    __table_args__ = (
        UniqueConstraint("catalogue_id", "key"),
        # Messages name a function by its product: one function per product in a catalogue.
        UniqueConstraint("catalogue_id", "categorie", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("function_catalogues.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))

    catalogue: Mapped[FunctionCatalogue] = relationship(back_populates="functions")


class Contract(Base):
    """A contract (perceel) between municipalities and one main contractor."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    main_contractor_code: Mapped[str] = mapped_column(String(8), index=True)
    variant: Mapped[Variant] = mapped_column()
    begindatum: Mapped[date] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("function_catalogues.id"))
    # What the contract says beyond the columns, as loaded: municipalities and their
    # yearly budgets, subcontractors and their functions, tariffs.
    terms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    catalogue: Mapped[FunctionCatalogue] = relationship()
    municipalities: Mapped[list[ContractMunicipality]] = relationship(
        back_populates="contract", cascade="all, delete-orphan"
    )
    subcontractors: Mapped[list[ContractSubcontractor]] = relationship(
        back_populates="contract", cascade="all, delete-orphan"
    )


class ContractMunicipality(Base):
    """A municipality taking part in a contract, with its yearly budget (taakgericht)."""

    __tablename__ = "contract_municipalities"
    __table_args__ = (UniqueConstraint("contract_id", "municipality_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    municipality_code: Mapped[str] = mapped_column(String(4), index=True)
    # {"2027": 980000000, ...}: euro cents per calendar year
    budgets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    contract: Mapped[Contract] = relationship(back_populates="municipalities")


class ContractSubcontractor(Base):
    """A subcontractor of a contract and the functions (catalogue keys) it may deliver."""

    __tablename__ = "contract_subcontractors"
    __table_args__ = (UniqueConstraint("contract_id", "subcontractor_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    subcontractor_code: Mapped[str] = mapped_column(String(8), index=True)
    functions: Mapped[list[Any]] = mapped_column(JSON, default=list)

    contract: Mapped[Contract] = relationship(back_populates="subcontractors")


class Decision(Base):
    """A municipality's generic or aspecific allocation to the main contractor, accepted
    as the client's decision under a contract."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    toewijzing_id: Mapped[int] = mapped_column(ForeignKey("toewijzingen.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(String(4))
    # The 301 the client's personal data is taken from for the subcontractors' 301s.
    source_message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delegation(Base):
    """A function for a client under a decision, delegated to a subcontractor (or the main
    contractor itself) for a period inside the decision. ``toewijzing_id`` is the
    allocation the subcontractor received: the service's own number, the function's
    product."""

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_client_function", "client_id", "function_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    municipality_code: Mapped[str] = mapped_column(String(4))
    main_contractor_code: Mapped[str] = mapped_column(String(8))
    subcontractor_code: Mapped[str] = mapped_column(String(8), index=True)
    function_key: Mapped[str] = mapped_column(String(64))
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    begindatum: Mapped[date] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    toewijzing_id: Mapped[int] = mapped_column(ForeignKey("toewijzingen.id"), unique=True)
    toewijzing_nummer: Mapped[int] = mapped_column(BigInteger)
    # sent -> confirmed | refused (the subcontractor's WMO302); withdrawn
    status: Mapped[DelegationStatus] = mapped_column(default=DelegationStatus.SENT)
    retourcodes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DelegationNumber(Base):
    """The last allocation number the service handed out per municipality."""

    __tablename__ = "delegation_numbers"

    municipality_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class Relay(Base):
    """A subcontractor's start or stop passed on to the municipality as the main
    contractor's message at function level, and what the municipality said of it."""

    __tablename__ = "relays"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    source_message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    relay_message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    municipality_code: Mapped[str] = mapped_column(String(4))
    subcontractor_code: Mapped[str] = mapped_column(String(8), index=True)
    main_contractor_code: Mapped[str] = mapped_column(String(8))
    # sent -> accepted | rejected (the municipality's WMO306/WMO308); resent
    status: Mapped[RelayStatus] = mapped_column(default=RelayStatus.SENT)
    retourcodes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    retour_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    resent_as_id: Mapped[int | None] = mapped_column(ForeignKey("relays.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MailboxItem(Base):
    """A message waiting for a participant. ``seq`` numbers a participant's items in the
    order they were committed, so a cursor never skips one."""

    __tablename__ = "mailbox_items"
    __table_args__ = (
        UniqueConstraint("recipient_code", "seq"),
        # The backlog (metrics) counts only what waits.
        Index(
            "ix_mailbox_unacked",
            "recipient_code",
            "created_at",
            postgresql_where=text("acked_at IS NULL"),
            sqlite_where=text("acked_at IS NULL"),
        ),
        # A page of what waits is read from here, in order: its cost is the page's, whatever
        # the backlog behind it or the acknowledged history before it.
        Index(
            "ix_mailbox_waiting",
            "recipient_code",
            "seq",
            postgresql_where=text("acked_at IS NULL"),
            sqlite_where=text("acked_at IS NULL"),
        ),
        # Whether a message was put in a party's mailbox (who may read it: app.access).
        Index("ix_mailbox_message_recipient", "message_id", "recipient_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_code: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    # message (addressed to you), copy (for your information), retour (an answer to
    # something you sent through the service)
    kind: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MailboxCounter(Base):
    """Per recipient, the last ``seq`` handed out. Its row is locked from numbering an item
    until commit, so one recipient's items commit in ``seq`` order."""

    __tablename__ = "mailbox_counters"

    recipient_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)
