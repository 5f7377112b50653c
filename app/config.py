"""The service's settings: every environment variable it reads, in one place.

``Settings.from_env()`` reads them (``IWMO_*``, and prometheus_client's
``PROMETHEUS_MULTIPROC_DIR``) once, at start; everything else is handed the settings.
``Settings(...)`` alone reads nothing, so a test or a tool states exactly what it sets.
A value that does not fit stops the service with one line that names the variable.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.exceptions import SettingsError

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "LARGE_BODY",
    "Settings",
]

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# A body larger than this is "large": read, parsed and judged a few at a time per worker,
# and its memory handed back to the system afterwards.
LARGE_BODY = 1024 * 1024
DEFAULT_DATABASE_URL = "sqlite:///iwmo.db"

_READ_ENVIRONMENT: ContextVar[bool] = ContextVar("read_environment", default=False)


def _empty_is_unset(value: Any) -> Any:
    # An exported but empty variable means "not set", as a shell user expects.
    return None if value == "" else value


def _codes(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(c.strip() for c in value.split(",") if c.strip())
    return value


def _range(value: Any) -> Any:
    if isinstance(value, str):
        low, sep, high = value.partition("-")
        try:
            bounds = (int(low), int(high))
        except ValueError:
            bounds = (0, -1)
        if not sep or not 1 <= bounds[0] <= bounds[1] <= 999_999_999:
            raise ValueError(f"must be FROM-TO within 1-999999999, got {value!r}")
        return bounds
    return value


OptionalPath = Annotated[Path | None, BeforeValidator(_empty_is_unset)]
OptionalText = Annotated[str | None, BeforeValidator(_empty_is_unset)]
OptionalDate = Annotated[date | None, BeforeValidator(_empty_is_unset)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IWMO_", frozen=True, extra="forbid", populate_by_name=True
    )

    # --- the database and the key ----------------------------------------------------------
    database_url: Annotated[str, BeforeValidator(lambda v: v or DEFAULT_DATABASE_URL)] = (
        DEFAULT_DATABASE_URL
    )
    # Base64 of 32 random bytes; encrypts personal data and keys the BSN lookup hash.
    secret_key: OptionalText = Field(default=None, repr=False)
    secret_key_file: OptionalPath = None  # where a development key is kept when none is set
    # The key ``iwmo secret-key rotate`` changes to (or its --new-key-file).
    new_secret_key: OptionalText = Field(default=None, repr=False)

    # --- messages --------------------------------------------------------------------------
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, ge=1)
    xsd_dir: OptionalPath = None  # an official iWmo 3.2 XSD release to validate against
    # Findings listed per message; the rest are counted (a retour still carries them all).
    max_findings: int = Field(default=100, ge=1)
    # Seconds one message may take to judge; past it, it is refused (finding TIME).
    judge_seconds: float = Field(default=60.0, gt=0)
    # Times ``iwmo reprocess`` tries one message before setting it aside.
    reprocess_attempts: int = Field(default=3, ge=1)
    # The allocation numbers the service hands out to delegations, per municipality.
    delegation_numbers: Annotated[tuple[int, int], NoDecode, BeforeValidator(_range)] = (
        900_000_000,
        999_999_999,
    )
    # Codes accepted besides the CBS list (TR378), e.g. a municipality merged away whose
    # allocations still run; comma-separated in the environment.
    extra_municipality_codes: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_codes)] = ()
    # The day the service takes as today (YYYY-MM-DD), for demonstrations and training on
    # dated data such as the demo's year and examples/: a Dagtekening after it is refused
    # (TR135), and retours and the messages the service writes carry it. Unset: the date
    # in the Netherlands, as in production.
    today: OptionalDate = None

    # --- the server ------------------------------------------------------------------------
    worker_threads: int = Field(default=8, ge=1)  # blocking work in parallel per process
    # Messages judged at once per process (of those threads); the rest wait their turn.
    intake_threads: int = Field(default=2, ge=1)
    # /readyz answers 503 while a request has been in flight longer than this.
    stall_seconds: float = Field(default=120.0, gt=0)
    # Slow clients: the request head, the whole body, and the longest pause within a body.
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=120.0, gt=0)
    body_idle_timeout: float = Field(default=20.0, gt=0)
    # Connections one worker process keeps open at once.
    max_connections: int = Field(default=512, ge=1)
    # Bodies over LARGE_BODY bytes parsed and judged at once per worker process.
    large_bodies: int = Field(default=2, ge=1)

    # --- the web console ----------------------------------------------------------------
    # Minutes a console login lasts; after that the session cookie is refused.
    console_session_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)

    # --- logs and metrics ------------------------------------------------------------------
    log_format: str = Field(default="json", pattern=r"^(?i:json|text)$")
    log_level: str = Field(default="info", pattern=r"^(?i:debug|info|warning|error)$")
    # When set, /metrics requires it as a bearer token.
    metrics_token: OptionalText = Field(default=None, repr=False)
    # prometheus_client's own variable: where several workers keep their metrics.
    prometheus_multiproc_dir: OptionalPath = Field(
        default=None,
        validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir"),
    )

    @field_validator("log_format", "log_level")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment only through from_env(): Settings(...) is exactly what it says.
        return (init_settings, env_settings) if _READ_ENVIRONMENT.get() else (init_settings,)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from the environment; a ValueError in one line naming the variable
        when a value does not fit."""
        token = _READ_ENVIRONMENT.set(True)
        try:
            return cls()
        except (ValidationError, SettingsError) as exc:
            if isinstance(exc, SettingsError):
                raise ValueError(str(exc)) from None
            first = exc.errors()[0]
            field = str(first["loc"][0]).lower() if first["loc"] else ""
            name = (
                "PROMETHEUS_MULTIPROC_DIR"
                if field == "prometheus_multiproc_dir"
                else f"IWMO_{field.upper()}"
            )
            raise ValueError(f"{name}: {first['msg']}") from None
        finally:
            _READ_ENVIRONMENT.reset(token)

    def replace(self, **changes: Any) -> Settings:
        """These settings with some changed (validated like any)."""
        return type(self)(**{**self.model_dump(), **changes})

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
