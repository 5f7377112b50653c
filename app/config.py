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


def _path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


@dataclass(frozen=True)
class Settings:
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    xsd_dir: Path | None = None  # an official iWmo 3.2 XSD release to validate against
    database_url: str = "sqlite:///iwmo.db"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            max_message_bytes=_int("IWMO_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES),
            xsd_dir=_path("IWMO_XSD_DIR"),
            database_url=os.environ.get("IWMO_DATABASE_URL") or "sqlite:///iwmo.db",
        )
