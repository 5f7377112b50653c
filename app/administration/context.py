"""What administration rules may look at: the administration as it stands, read through
one session, for one message being processed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.administration import models as db
from app.administration.crypto import Vault
from app.standard.catalogue import MessageType

EXECUTION_VARIANTS = ("taakgericht", "inspanningsgericht", "outputgericht")


@dataclass
class Context:
    session: Session
    vault: Vault
    today: date
    message_type: MessageType
    message_id: int
    municipality_code: str  # the municipality party of the message
    provider_code: str  # the provider party (AGB) of the message
    client: db.Client | None = None  # the message's client, when it has exactly one
    # Declarations hold many clients: the client of each line, by the line's path.
    line_clients: dict[str, db.Client | None] = field(default_factory=dict)
    # The declaration the message is about: the one a WMO323 creates, or a WMO325 answers.
    declaration: db.Declaratie | None = None
    declaration_xsd_versie: object = None  # its XsdVersie, from the stored WMO323
    sha256: str = ""
    _clients: dict[str, db.Client | None] = field(default_factory=dict)

    # --- clients ------------------------------------------------------------------------

    def client_by_bsn(self, bsn: str) -> db.Client | None:
        if bsn not in self._clients:
            self._clients[bsn] = self.session.scalar(
                select(db.Client).where(
                    db.Client.municipality_code == self.municipality_code,
                    db.Client.bsn_hash == self.vault.bsn_hash(bsn),
                )
            )
        return self._clients[bsn]

    def client_of_line(self, line: object) -> db.Client | None:
        from app.standard.codec import path_of

        path = path_of(line)
        return self.line_clients.get(path.rsplit("/Prestaties/", 1)[0])

    # --- allocations ------------------------------------------------------------------------

    def allocation(self, nummer: int) -> db.Toewijzing | None:
        return self.session.scalar(
            select(db.Toewijzing).where(
                db.Toewijzing.municipality_code == self.municipality_code,
                db.Toewijzing.nummer == nummer,
            )
        )

    def allocations_of_client(self) -> list[db.Toewijzing]:
        """The client's allocations at this provider from this municipality."""
        if self.client is None:
            return []
        return list(
            self.session.scalars(
                select(db.Toewijzing)
                .where(
                    db.Toewijzing.client_id == self.client.id,
                    db.Toewijzing.provider_code == self.provider_code,
                    db.Toewijzing.municipality_code == self.municipality_code,
                )
                .order_by(db.Toewijzing.nummer)
            )
        )

    def variant(self) -> str:
        """The execution variant agreed between this municipality and provider. Without a
        contract the standard's default, effort-based, applies."""
        return "inspanningsgericht"

    # --- deliveries -------------------------------------------------------------------------

    def starts(self, client_id: int, toewijzing_nummer: int | None) -> list[db.Start]:
        """Starts of this client at this provider for an allocation number, not deleted."""
        return list(
            self.session.scalars(
                select(db.Start)
                .where(
                    db.Start.client_id == client_id,
                    db.Start.provider_code == self.provider_code,
                    db.Start.toewijzing_nummer == toewijzing_nummer
                    if toewijzing_nummer is not None
                    else db.Start.toewijzing_nummer.is_(None),
                    db.Start.deleted_by_id.is_(None),
                )
                .order_by(db.Start.id)
            )
        )

    # --- requests ---------------------------------------------------------------------------

    def verzoek(self, referentie: str) -> db.Verzoek | None:
        return self.session.scalar(
            select(db.Verzoek).where(
                db.Verzoek.provider_code == self.provider_code,
                db.Verzoek.referentie_aanbieder == referentie,
            )
        )

    def pending_verzoeken(self) -> list[db.Verzoek]:
        if self.client is None:
            return []
        return list(
            self.session.scalars(
                select(db.Verzoek).where(
                    db.Verzoek.client_id == self.client.id,
                    db.Verzoek.provider_code == self.provider_code,
                    db.Verzoek.status.in_(("open", "in_onderzoek")),
                )
            )
        )

    def antwoorden(self, verzoek_id: int) -> list[db.Antwoord]:
        return list(
            self.session.scalars(
                select(db.Antwoord)
                .where(db.Antwoord.verzoek_id == verzoek_id)
                .order_by(db.Antwoord.id)
            )
        )

    # --- declarations -----------------------------------------------------------------------

    def declaratie(self, nummer: str) -> db.Declaratie | None:
        return self.session.scalar(
            select(db.Declaratie).where(
                db.Declaratie.provider_code == self.provider_code,
                db.Declaratie.declaratienummer == nummer,
            )
        )

    def last_declaratie(self) -> db.Declaratie | None:
        return self.session.scalar(
            select(db.Declaratie)
            .where(
                db.Declaratie.provider_code == self.provider_code,
                db.Declaratie.municipality_code == self.municipality_code,
            )
            .order_by(db.Declaratie.periode_begin.desc())
            .limit(1)
        )

    def declared_line(self, referentienummer: str) -> db.Prestatie | None:
        """A line of the declaration being answered, by its ReferentieNummer."""
        if self.declaration is None:
            return None
        return next(
            (p for p in self.declaration.prestaties if p.referentienummer == referentienummer), None
        )

    def prestatie(self, referentienummer: str) -> db.Prestatie | None:
        return self.session.scalar(
            select(db.Prestatie).where(
                db.Prestatie.provider_code == self.provider_code,
                db.Prestatie.referentienummer == referentienummer,
            )
        )

    def credits_of(self, referentienummer: str) -> list[db.Prestatie]:
        return list(
            self.session.scalars(
                select(db.Prestatie).where(
                    db.Prestatie.provider_code == self.provider_code,
                    db.Prestatie.vorig_referentienummer == referentienummer,
                    db.Prestatie.status == "toegekend",
                )
            )
        )

    def granted_lines(self, toewijzing_id: int) -> list[db.Prestatie]:
        """Granted lines on an allocation, credits included (their amounts are negative)."""
        return list(
            self.session.scalars(
                select(db.Prestatie).where(
                    db.Prestatie.toewijzing_id == toewijzing_id, db.Prestatie.status == "toegekend"
                )
            )
        )

    # --- code lists -------------------------------------------------------------------------

    def product_codes(self, categorie: str) -> set[str]:
        return set(
            self.session.scalars(
                select(db.ProductCode.code).where(db.ProductCode.categorie == categorie)
            )
        )
