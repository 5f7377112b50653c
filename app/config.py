"""Settings, read from the environment once and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_MESSAGE_BYTES = 20 * 1024 * 1024
# A body larger than this is "large": read, parsed and judged a few at a time per worker,
# and its memory handed back to the system afterwards.
LARGE_BODY = 1024 * 1024


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be more than 0, got {raw!r}")
    return value


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
    # Findings listed per message; the rest are counted (a retour still carries them all).
    max_findings: int = 100
    # Seconds one message may take to judge; past it, it is refused (finding TIME).
    judge_seconds: float = 60.0
    # Times ``iwmo reprocess`` tries one message before setting it aside.
    reprocess_attempts: int = 3
    # /readyz answers 503 while a request has been in flight longer than this.
    stall_seconds: float = 120.0
    # Slow clients: the request head, the whole body, and the longest pause within a body.
    header_timeout: float = 10.0
    body_timeout: float = 120.0
    body_idle_timeout: float = 20.0
    # Connections one worker process keeps open at once; more are closed at once.
    max_connections: int = 512
    # Bodies over LARGE_BODY bytes parsed and judged at once per worker process.
    large_bodies: int = 2

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
            max_findings=_positive("IWMO_MAX_FINDINGS", 100),
            judge_seconds=_float("IWMO_JUDGE_SECONDS", 60.0),
            reprocess_attempts=_positive("IWMO_REPROCESS_ATTEMPTS", 3),
            stall_seconds=_float("IWMO_STALL_SECONDS", 120.0),
            header_timeout=_float("IWMO_HEADER_TIMEOUT", 10.0),
            body_timeout=_float("IWMO_BODY_TIMEOUT", 120.0),
            body_idle_timeout=_float("IWMO_BODY_IDLE_TIMEOUT", 20.0),
            max_connections=_positive("IWMO_MAX_CONNECTIONS", 512),
            large_bodies=_positive("IWMO_LARGE_BODIES", 2),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
