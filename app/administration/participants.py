"""Participants and their API keys. Only a SHA-256 of each key is stored: keys are long
random strings, so a plain hash is enough to make a stolen database useless for logging in."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.administration.kinds import Role
from app.administration.models import Participant
from app.standard import gemeenten

if TYPE_CHECKING:
    from app.administration.db import Database

MUNICIPALITY = Role.MUNICIPALITY
MAIN_CONTRACTOR = Role.MAIN_CONTRACTOR
SUBCONTRACTOR = Role.SUBCONTRACTOR
PROVIDER = Role.PROVIDER
OPERATOR = Role.OPERATOR
ROLES = tuple(Role)
PROVIDER_ROLES = (MAIN_CONTRACTOR, SUBCONTRACTOR, PROVIDER)

_AGB = re.compile(r"[0-9]{8}")
_OPERATOR = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")


class ParticipantError(ValueError):
    pass


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "iwmo_" + secrets.token_urlsafe(32)


def check_code(
    code: str,
    role: str,
    *,
    allow_unknown_municipality: bool = False,
    extra_municipalities: Collection[str] = (),
) -> None:
    if role not in ROLES:
        raise ParticipantError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if role == MUNICIPALITY:
        if not re.fullmatch(r"[0-9]{4}", code):
            raise ParticipantError("a municipality is identified by its 4-digit CBS code")
        if not allow_unknown_municipality and not gemeenten.known(code, extra_municipalities):
            raise ParticipantError(f"{code} is not a CBS municipality code")
    elif role in PROVIDER_ROLES:
        if not _AGB.fullmatch(code):
            raise ParticipantError("a provider is identified by its 8-digit AGB code")
    elif not _OPERATOR.fullmatch(code):
        raise ParticipantError("an operator code is 2-32 lower-case letters, digits, . _ -")


def add(
    session: Session,
    code: str,
    role: str,
    name: str,
    *,
    allow_unknown_municipality: bool = False,
    extra_municipalities: Collection[str] = (),
) -> tuple[Participant, str]:
    """Register a participant; returns it with its new API key (shown once, never stored)."""
    check_code(
        code,
        role,
        allow_unknown_municipality=allow_unknown_municipality,
        extra_municipalities=extra_municipalities,
    )
    if session.scalar(select(Participant).where(Participant.code == code)) is not None:
        raise ParticipantError(f"a participant with code {code} already exists")
    key = new_key()
    participant = Participant(
        code=code, role=role, name=name, api_key_hash=hash_key(key), active=True
    )
    session.add(participant)
    session.flush()
    return participant, key


def rotate_key(session: Session, code: str) -> str:
    participant = session.scalar(select(Participant).where(Participant.code == code))
    if participant is None:
        raise ParticipantError(f"no participant with code {code}")
    key = new_key()
    participant.api_key_hash = hash_key(key)
    return key


def authenticate(session: Session, key: str) -> Participant | None:
    if not key.startswith("iwmo_"):
        return None
    participant = session.scalar(
        select(Participant).where(Participant.api_key_hash == hash_key(key))
    )
    return participant if participant is not None and participant.active else None


def by_code(session: Session, code: str) -> Participant | None:
    return session.scalar(select(Participant).where(Participant.code == code))


class Directory:
    """Which participants exist, remembered for a short while: asked for every message."""

    TTL = 30.0

    def __init__(self, database: Database) -> None:
        self._db = database
        self._known: dict[str, float] = {}
        self._lock = threading.Lock()

    def active(self, code: str) -> bool:
        with self._lock:
            if self._known.get(code, 0.0) > time.monotonic():
                return True
        with self._db.read() as s:
            found = s.scalar(
                select(Participant.id).where(Participant.code == code, Participant.active)
            )
        if found is not None:
            with self._lock:
                self._known[code] = time.monotonic() + self.TTL
        return found is not None

    def forget(self) -> None:
        """Ask the database again next time (after a participant was deactivated)."""
        with self._lock:
            self._known.clear()
