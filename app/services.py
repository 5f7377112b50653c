"""The service's parts, built once from settings and shared by the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from app.administration.crypto import Vault, vault_from
from app.administration.db import Database
from app.administration.ingest import Ingest
from app.clock import today
from app.config import Settings
from app.routing.directory import ContractDirectory
from app.validation import Validator


@dataclass
class Services:
    settings: Settings
    database: Database
    vault: Vault
    validator: Validator
    ingest: Ingest
    contracts: ContractDirectory

    @classmethod
    def build(cls, settings: Settings, *, clock: object = None) -> Services:
        database = Database(settings.database_url)
        vault = vault_from(settings)
        validator = Validator(settings)
        contracts = ContractDirectory(database)
        ingest = Ingest(
            database,
            vault,
            validator,
            clock=clock if callable(clock) else today,
            contracts=contracts,
            delegation_numbers=settings.delegation_numbers,
        )
        return cls(settings, database, vault, validator, ingest, contracts)

    def close(self) -> None:
        self.database.dispose()
