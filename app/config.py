"""Settings, read from the environment once and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_MESSAGE_BYTES = 20 * 1024 * 1024


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _range(name: str, default: tuple[int, int]) -> tuple[int, int]:
    raw = os.environ.get(name)
    if not raw:
        return default
    low, sep, high = raw.partition("-")
    try:
        bounds = (int(low), int(high))
    except ValueError:
        bounds = (0, -1)
    if not sep or not 1 <= bounds[0] <= bounds[1] <= 999_999_999:
        raise ValueError(f"{name} must be FROM-TO within 1-999999999, got {raw!r}")
    return bounds


def _path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


DEFAULT_DATABASE_URL = "sqlite:///iwmo.db"


@dataclass(frozen=True)
class Settings:
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    xsd_dir: Path | None = None  # an official iWmo 3.2 XSD release to validate against
    database_url: str = DEFAULT_DATABASE_URL
    # Base64 of 32 random bytes; encrypts personal data and keys the BSN lookup hash.
    secret_key: str | None = field(default=None, repr=False)
    secret_key_file: Path | None = None  # where a development key is kept when none is set
    worker_threads: int = 8  # blocking work in parallel per worker process
    # The allocation numbers the service hands out to delegations, per municipality.
    delegation_numbers: tuple[int, int] = (900_000_000, 999_999_999)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            max_message_bytes=_int("IWMO_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES),
            xsd_dir=_path("IWMO_XSD_DIR"),
            database_url=os.environ.get("IWMO_DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=os.environ.get("IWMO_SECRET_KEY") or None,
            secret_key_file=_path("IWMO_SECRET_KEY_FILE"),
            worker_threads=_int("IWMO_WORKER_THREADS", 8),
            delegation_numbers=_range("IWMO_DELEGATION_NUMBERS", (900_000_000, 999_999_999)),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
