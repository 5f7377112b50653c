"""Field types the API's models and parameters share, so every response says times the same
way and every request value is read exactly as the OpenAPI document states it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, NamedTuple

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.convertors import Convertor, register_url_convertor

from app.standard import datatypes

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


# --- request values, read strictly ------------------------------------------------------------
# Pydantic's lax mode would read `0` as 1970-01-01 and as false, `1.5` (as 1), ` 1`, `+1` and
# `1_000` as numbers, `yes` as true and `"7"` or `true` in a JSON body as 7 and 1: values the
# OpenAPI document does not say it takes. Query and path values arrive as text and are read
# as the document writes them (WHOLE_NUMBER, Flag, Day); JSON bodies take what JSON Schema
# says a value of the type is (JSON_INTEGER, StrictBool, Day). JSON Schema counts 17.0 as an
# integer (a number without a fraction), so both take it.

_INTEGER = re.compile(r"(-?[0-9]+)(\.0+)?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (found := _INTEGER.fullmatch(value)):
        try:
            return int(found.group(1))
        except ValueError:  # more digits than Python converts: out of any range
            raise PydanticCustomError("int_too_large", "Input is out of range") from None
    raise PydanticCustomError("int_parsing", "Input should be a whole number, in digits")


def _json_integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise PydanticCustomError("int_type", "Input should be a whole number")


def _flag(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_parsing", "Input should be true or false")


def _day(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # from the database, for a response
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value  # pydantic checks that the day exists
    raise PydanticCustomError("date_type", "Input should be a date: YYYY-MM-DD")


WHOLE_NUMBER = BeforeValidator(_integer)
"""Reads an integer query or path parameter: digits, with an optional minus sign (and a
fraction of zeros: 17.0 is an integer to JSON Schema, and to schemathesis). It goes
last in the parameter's Annotated, after Query() or Path(): pydantic applies bounds given
after a before-validator as a validator of their own and writes them into the OpenAPI
document under their Python names (`ge`, `le`) instead of `minimum` and `maximum`."""

JSON_INTEGER = BeforeValidator(_json_integer)
"""Reads an integer in a JSON body: a JSON number without a fraction, never text or a
boolean. Like WHOLE_NUMBER, it goes after the field's bounds."""

Flag = Annotated[bool, BeforeValidator(_flag)]
"""A boolean query parameter: `true` or `false`."""

Day = Annotated[date, BeforeValidator(_day)]
"""A calendar day in a query or a JSON body: a string YYYY-MM-DD (format `date`)."""


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


# Patterns of the codes and keys requests name things by.
CBS_CODE = r"^[0-9]{4}$"
AGB_CODE = r"^[0-9]{8}$"
OPERATOR_CODE = r"^[a-z0-9][a-z0-9._-]{1,31}$"
PARTICIPANT_CODE = r"^[a-z0-9._-]{2,32}$"  # CBS, AGB, or an operator's name
KEY = r"^[a-z0-9-]{1,64}$"  # a catalogue's, contract's or function's key
PRODUCT_CODE = r"^[0-9A-Za-z]{1,5}$"
YEAR = r"^[0-9]{4}$"
CATALOGUE_REF = r"^[a-z0-9-]{1,64}(@[0-9]{1,10})?$"  # key@version, or a key alone


# --- what the document states, and the service checks, about JSON bodies ------------------------

Name = Annotated[
    str,
    Field(max_length=200, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$", examples=["Amersfoort"]),
]
"""A name: at most 200 characters, not only white space, and no NUL character (which
PostgreSQL cannot store in text)."""

FunctionKey = Annotated[str, Field(pattern=KEY, examples=["begeleiding-in3"])]


def _distinct(values: list[str]) -> list[str]:
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise PydanticCustomError("unique_items", "{twice} listed twice", {"twice": twice})
    return values


FunctionKeys = Annotated[
    list[FunctionKey],
    Field(min_length=1, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_distinct),
]
"""Function keys, at least one, each once."""


class Codes(NamedTuple):
    """A string that is one of a few codes: its check, and its schema (an enum)."""

    check: AfterValidator
    schema: WithJsonSchema


def one_of(codes: tuple[str, ...], what: str) -> Codes:
    def check(value: str) -> str:
        if value not in codes:
            raise PydanticCustomError("enum", "Input should be {what}", {"what": what})
        return value

    return Codes(
        AfterValidator(check),
        WithJsonSchema({"type": "string", "enum": list(codes), "description": what}),
    )


def _code_list(ldt: str) -> Codes:
    """The codes of the code list of a logical datatype, as the message schemas have them."""
    simple = datatypes.get(ldt)
    assert simple.codelist is not None and simple.enumeration, ldt
    listed = f"a code of {simple.codelist.id} {simple.codelist.name}"
    return one_of(simple.enumeration, listed)


_CATEGORIE = _code_list("LDT_ProductCategorie")
ProductCategorie = Annotated[str, _CATEGORIE.check, _CATEGORIE.schema]
_EENHEID = _code_list("LDT_Eenheid")
Eenheid = Annotated[str, _EENHEID.check, _EENHEID.schema]
_FREQUENTIE = _code_list("LDT_Frequentie")
Frequentie = Annotated[str, _FREQUENTIE.check, _FREQUENTIE.schema]
