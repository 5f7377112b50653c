"""Value types of the JSON documents the service reads: API bodies and contract files alike.

Each type is read strictly and states itself in the OpenAPI document, so what a request may
hold is what the document says. They sit below the API and the routing package, which both
declare their shapes with them (``app.api.fields`` adds what only HTTP needs: query and path
values, response times).

Pydantic's lax mode would read `0` as 1970-01-01, `"7"` or `true` as 7 and 1, `1.5` as 1:
values the document does not say it takes. JSON bodies take what JSON Schema says a value
of the type is (JSON_INTEGER, StrictBool, Day). JSON Schema counts 17.0 as an integer (a
number without a fraction), so JSON_INTEGER takes it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, NamedTuple

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.standard import datatypes

MAX_ID = 2**31 - 1
"""The largest id the service hands out (ids are 32-bit integers in PostgreSQL): a larger
one in a request is refused as invalid rather than looked for."""

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _json_integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise PydanticCustomError("int_type", "Input should be a whole number")


def _day(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # from the database for a response, or a TOML date
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value  # pydantic checks that the day exists
    raise PydanticCustomError("date_type", "Input should be a date: YYYY-MM-DD")


JSON_INTEGER = BeforeValidator(_json_integer)
"""Reads an integer in a JSON body: a JSON number without a fraction, never text or a
boolean. It goes after the field's bounds: pydantic applies bounds given after a
before-validator as a validator of their own and writes them into the OpenAPI document
under their Python names (`ge`, `le`) instead of `minimum` and `maximum`."""

Day = Annotated[date, BeforeValidator(_day)]
"""A calendar day in a query or a JSON body: a string YYYY-MM-DD (format `date`)."""


# Patterns of the codes and keys requests name things by.
CBS_CODE = r"^[0-9]{4}$"
AGB_CODE = r"^[0-9]{8}$"
OPERATOR_CODE = r"^[a-z0-9][a-z0-9._-]{1,31}$"
PARTICIPANT_CODE = r"^[a-z0-9._-]{2,32}$"  # CBS, AGB, or an operator's name
KEY = r"^[a-z0-9-]{1,64}$"  # a catalogue's, contract's or function's key
PRODUCT_CODE = r"^[0-9A-Za-z]{1,5}$"
YEAR = r"^[0-9]{4}$"
CATALOGUE_REF = r"^[a-z0-9-]{1,64}(@[0-9]{1,10})?$"  # key@version, or a key alone
NAME = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not only white space; no NUL


Name = Annotated[str, Field(max_length=200, pattern=NAME, examples=["Amersfoort"])]
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


def one_of(codes: tuple[str, ...], what: str, named: str | None = None) -> Codes:
    """``what`` describes the codes in the document; ``named`` (default ``what``) names them
    where a problem with a value is worded: ``'99' is not a ProductCategorie (WMO020)``."""

    def check(value: str) -> str:
        if value not in codes:
            raise PydanticCustomError(
                "enum", "Input should be {what}", {"what": what, "named": named or what}
            )
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
    named = f"a {simple.codelist.name} ({simple.codelist.id})"
    return one_of(simple.enumeration, listed, named)


_CATEGORIE = _code_list("LDT_ProductCategorie")
ProductCategorie = Annotated[str, _CATEGORIE.check, _CATEGORIE.schema]
_EENHEID = _code_list("LDT_Eenheid")
Eenheid = Annotated[str, _EENHEID.check, _EENHEID.schema]
_FREQUENTIE = _code_list("LDT_Frequentie")
Frequentie = Annotated[str, _FREQUENTIE.check, _FREQUENTIE.schema]
