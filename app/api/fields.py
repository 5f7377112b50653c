"""Field types the API's models share, so every response says times the same way."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, Field, WithJsonSchema

MAX_ID = 2**31 - 1
"""The largest id the service hands out (ids are 32-bit integers in PostgreSQL): a larger
one in a request is refused as invalid rather than looked for."""


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; the service writes them in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[
    datetime,
    AfterValidator(_utc),
    Field(examples=["2027-03-01T09:12:03.512Z"]),
]
"""When the service recorded something: always in UTC, with its zone (RFC 3339)."""

LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?$",
            "description": "a time of day as the message states it (xs:time without a zone, "
            "Dutch local time)",
            "examples": ["09:30:00"],
        }
    ),
]
"""A time of day from a message (LDT_Tijd): local, without a zone."""


def id_path(what: str) -> Any:
    """A path parameter naming an object by its id."""
    return Path(ge=1, le=MAX_ID, description=f"the {what}'s id", examples=[1])


def id_query(what: str) -> Any:
    """A query parameter filtering on an object's id."""
    return Query(ge=1, le=MAX_ID, description=f"only those of this {what} (its id)", examples=[1])


ClientFilter = Annotated[int | None, id_query("client")]
"""The ``client_id`` filter the lists share."""


# Patterns of the codes and keys requests name things by.
CBS_CODE = r"^[0-9]{4}$"
AGB_CODE = r"^[0-9]{8}$"
PARTICIPANT_CODE = r"^[a-z0-9._-]{2,32}$"  # CBS, AGB, or an operator's name
KEY = r"^[a-z0-9-]{1,64}$"  # a catalogue's or contract's key
