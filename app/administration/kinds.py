"""The administration's words for who takes part and what became of a message: closed
sets, as enums whose values are what the database and the API hold (a ``StrEnum`` member
equals its text, so records read as plain text compare with them directly)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["MessageStatus", "Role", "TextEnum", "Variant"]


class Role(StrEnum):
    """What a participant is to the service."""

    MUNICIPALITY = "municipality"
    MAIN_CONTRACTOR = "main_contractor"
    SUBCONTRACTOR = "subcontractor"
    PROVIDER = "provider"  # a provider in the direct model
    OPERATOR = "operator"  # reads everything, sends no messages


class Variant(StrEnum):
    """The standard's execution variants (uitvoeringsvariant) of an agreement."""

    TAAKGERICHT = "taakgericht"  # task-based: a budget for the whole task
    INSPANNINGSGERICHT = "inspanningsgericht"  # effort-based: hours, days, units
    OUTPUTGERICHT = "outputgericht"  # output-based: a product per period


class MessageStatus(StrEnum):
    """What became of a message."""

    RECEIVED = "received"  # stored, not judged yet
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"  # a WMO323 with some lines refused
    REJECTED = "rejected"
    UNREADABLE = "unreadable"
    FORBIDDEN = "forbidden"
    SET_ASIDE = "set_aside"  # judging failed too often; for an operator
    SENT = "sent"  # produced by the service (a retour, a relay)


class TextEnum(TypeDecorator[StrEnum]):
    """A ``StrEnum`` stored as its text in a VARCHAR column (no database enum type: a new
    member needs no migration of the type, only of the data that may hold it)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(self.enum(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)
