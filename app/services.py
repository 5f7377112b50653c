"""The service's parts, built once from settings and shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.administration import keys
from app.administration.crypto import Vault, vault_from
from app.administration.db import Database
from app.clock import today
from app.config import Settings
from app.intake import Intake
from app.routing.directory import ContractDirectory
from app.validation import Validator


@dataclass
class Services:
    settings: Settings
    database: Database
    vault: Vault
    validator: Validator
    intake: Intake
    contracts: ContractDirectory

    @classmethod
    def build(cls, settings: Settings, *, clock: object = None) -> Services:
        """Raises ``SecretKeyError`` when the key is missing, malformed, or not the one
        the database's personal data is encrypted with: nothing may run on a wrong key."""
        vault = vault_from(settings)
        database = Database(settings.database_url)
        try:
            keys.verify(database, vault)
        except BaseException:
            database.dispose()
            raise
        validator = Validator(settings)
        contracts = ContractDirectory(database)
        if not callable(clock):
            clock = today if settings.today is None else _fixed(settings.today)
        intake = Intake(
            database,
            vault,
            validator,
            clock=clock,
            contracts=contracts,
            delegation_numbers=settings.delegation_numbers,
        )
        return cls(settings, database, vault, validator, intake, contracts)

    def verify_key(self) -> str:
        """Check the key against the database again (see ``keys.verify``)."""
        return keys.verify(self.database, self.vault)

    def close(self) -> None:
        self.database.dispose()


def _fixed(day: date) -> Callable[[], date]:
    """A clock that always says ``day`` (IWMO_TODAY)."""
    return lambda: day
