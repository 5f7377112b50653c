"""Field types the API's models and parameters share, so every response says times the same
way and every request value is read exactly as the OpenAPI document states it. The types of
JSON bodies live in ``app.jsonfields`` (contract files share them) and are re-exported here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.convertors import Convertor, register_url_convertor

from app.jsonfields import (
    AGB_CODE,
    CATALOGUE_REF,
    CBS_CODE,
    JSON_INTEGER,
    KEY,
    MAX_ID,
    NAME,
    OPERATOR_CODE,
    PARTICIPANT_CODE,
    PRODUCT_CODE,
    YEAR,
    Codes,
    Day,
    Eenheid,
    Frequentie,
    FunctionKey,
    FunctionKeys,
    Name,
    ProductCategorie,
    one_of,
)

__all__ = [
    "AGB_CODE",
    "CATALOGUE_REF",
    "CBS_CODE",
    "JSON_INTEGER",
    "KEY",
    "MAX_ID",
    "NAME",
    "OPERATOR_CODE",
    "PARTICIPANT_CODE",
    "PRODUCT_CODE",
    "WHOLE_NUMBER",
    "YEAR",
    "ClientFilter",
    "Codes",
    "Day",
    "Eenheid",
    "Flag",
    "Frequentie",
    "FunctionKey",
    "FunctionKeys",
    "LocalTime",
    "Name",
    "ProductCategorie",
    "Timestamp",
    "id_path",
    "id_query",
    "one_of",
]


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


# --- query and path values, read strictly ----------------------------------------------------
# Query and path values arrive as text and are read as the document writes them
# (WHOLE_NUMBER, Flag, Day): pydantic's lax mode would read `0` as false, ` 1`, `+1` and
# `1_000` as numbers and `yes` as true. JSON bodies are read by the types of
# app.jsonfields (JSON_INTEGER, StrictBool, Day), re-exported here.

_INTEGER = re.compile(r"(-?[0-9]+)(\.0+)?")


def _integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (found := _INTEGER.fullmatch(value)):
        try:
            return int(found.group(1))
        except ValueError:  # more digits than Python converts: out of any range
            raise PydanticCustomError("int_too_large", "Input is out of range") from None
    raise PydanticCustomError("int_parsing", "Input should be a whole number, in digits")


def _flag(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_parsing", "Input should be true or false")


WHOLE_NUMBER = BeforeValidator(_integer)
"""Reads an integer query or path parameter: digits, with an optional minus sign (and a
fraction of zeros: 17.0 is an integer to JSON Schema, and to schemathesis). It goes
last in the parameter's Annotated, after Query() or Path(): pydantic applies bounds given
after a before-validator as a validator of their own and writes them into the OpenAPI
document under their Python names (`ge`, `le`) instead of `minimum` and `maximum`."""

Flag = Annotated[bool, BeforeValidator(_flag)]
"""A boolean query parameter: `true` or `false`."""


class _Digits(Convertor[str]):
    """Path segments of ids are digits: so a word beside an id (`/clienten/zoeken`) is never
    taken for one, and a wrong method on it is answered 405, not 422. The value stays text
    for WHOLE_NUMBER to read (a number too large for Python's int would otherwise fail in the
    router)."""

    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("digits", _Digits())


def id_path(what: str) -> Any:
    """A path parameter naming an object by its id (in the route: ``{name:digits}``)."""
    return Path(ge=1, le=MAX_ID, description=f"the {what}'s id", examples=[1])


def id_query(what: str) -> Any:
    """A query parameter filtering on an object's id."""
    return Query(ge=1, le=MAX_ID, description=f"only those of this {what} (its id)", examples=[1])


ClientFilter = Annotated[int | None, id_query("client"), WHOLE_NUMBER]
"""The ``client_id`` filter the lists share."""
