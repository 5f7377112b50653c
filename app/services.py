"""The service's parts, built once from settings and shared by the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.administration.crypto import Vault, vault_from
from app.administration.db import Database
from app.administration.ingest import Ingest
from app.config import Settings
from app.validation import Validator


@dataclass
class Services:
    settings: Settings
    database: Database
    vault: Vault
    validator: Validator
    ingest: Ingest

    @classmethod
    def build(cls, settings: Settings, *, clock: object = None) -> Services:
        database = Database(settings.database_url)
        vault = vault_from(settings)
        validator = Validator(settings)
        ingest = Ingest(database, vault, validator, clock=clock if callable(clock) else date.today)
        return cls(settings, database, vault, validator, ingest)

    def close(self) -> None:
        self.database.dispose()
