"""Contracts, function catalogues and participants as operators write them down: the models
that read a contract file (TOML or JSON) and the API's bodies alike.

Each model states the form of what it reads: types, patterns, lengths, code lists, which
fields there are. The OpenAPI document shows them as they are here, and what they refuse
is refused alike by ``iwmo contract load`` (worded by ``problems``) and by the API (422).
What a form cannot state — whether a participant is registered, a catalogue loaded, a
function in it, an einddatum after the begindatum — is checked by ``plan``.

Money is in euro cents throughout.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.jsonfields import (
    AGB_CODE,
    CATALOGUE_REF,
    CBS_CODE,
    JSON_INTEGER,
    KEY,
    MAX_ID,
    OPERATOR_CODE,
    PRODUCT_CODE,
    YEAR,
    Day,
    FunctionKey,
    FunctionKeys,
    Name,
    ProductCategorie,
)
from app.routing.contracts.problems import ConfigError, Expected, Form

TASK_BASED = "taakgericht"
Variant = Literal["taakgericht", "inspanningsgericht", "outputgericht"]
VARIANTS: tuple[str, ...] = get_args(Variant)

Cents = Annotated[
    int, Field(ge=0), JSON_INTEGER, Expected("a whole number of euro cents", shows_input=True)
]
# Tables keyed by codes: the document states the form of their keys, and that no other key
# may appear.
_ONLY_KEYED = {"additionalProperties": False}
Budget = Annotated[
    dict[Annotated[str, Field(pattern=YEAR), Form("{value!r} is not a year")], Cents],
    Field(json_schema_extra=_ONLY_KEYED),
    Expected("a table of year = euro cents"),
]
Tariffs = Annotated[
    dict[Annotated[str, Field(pattern=KEY)], Cents],
    Field(json_schema_extra=_ONLY_KEYED),
    Expected("a table of function key = euro cents"),
]
ProductTariffs = Annotated[
    dict[Annotated[str, Field(pattern=PRODUCT_CODE)], Cents],
    Field(json_schema_extra=_ONLY_KEYED),
    Expected("a table of product code = euro cents"),
]
_FunctionKeys = Annotated[FunctionKeys, Expected("a non-empty list of function keys")]
_Tables = Expected("a list of tables")


# --- participants ------------------------------------------------------------------------------


class _NewParticipant(BaseModel):
    name: Name = Field(examples=["Amersfoort"])


class NewMunicipality(_NewParticipant):
    """A municipality, by its CBS code."""

    code: str = Field(pattern=CBS_CODE, description="its CBS code", examples=["0307"])
    role: Literal["municipality"]
    allow_unknown_municipality: StrictBool = Field(
        default=False,
        description="accept a code missing from the CBS list (e.g. a code kept after a "
        "municipal reorganisation); without it such a code is refused with 409",
        examples=[False],
    )
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "0307", "role": "municipality", "name": "Amersfoort"}]
        },
    )


class NewProvider(_NewParticipant):
    """A provider, main contractor or subcontractor, by its AGB code."""

    code: str = Field(pattern=AGB_CODE, description="its AGB code", examples=["99000002"])
    role: Literal["main_contractor", "subcontractor", "provider"]
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "99000002", "role": "subcontractor", "name": "Zorg BV"}]
        },
    )


class NewOperator(_NewParticipant):
    """An operator, by a short lower-case name."""

    code: str = Field(
        pattern=OPERATOR_CODE,
        description="2-32 lower-case letters, digits, . _ -; starting with a letter or digit",
        examples=["ops"],
    )
    role: Literal["operator"]
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "ops", "role": "operator", "name": "Regional operator"}]
        },
    )


# Operators are registered one by one, never as a side effect of a contract file.
FileParticipant = Annotated[NewMunicipality | NewProvider, Field(discriminator="role")]


# --- catalogues --------------------------------------------------------------------------------


class FunctionDef(BaseModel):
    """One function; no two functions of a catalogue share a key, or a category and code."""

    key: FunctionKey = Field(description="the function's key")
    name: Name = Field(examples=["Begeleiding, intervention level 3"])
    categorie: ProductCategorie = Field(
        description="ProductCategorie (WMO020) the messages name it by", examples=["02"]
    )
    code: str = Field(
        pattern=PRODUCT_CODE, description="ProductCode the messages name it by", examples=["02N03"]
    )
    model_config = ConfigDict(extra="forbid")


_CATALOGUE_EXAMPLE: dict[str, Any] = {
    "key": "amersfoort-wmo",
    "version": 1,
    "name": "Amersfoort region Wmo functions",
    "functions": [
        {
            "key": "begeleiding-in1",
            "name": "Begeleiding, intervention level 1",
            "categorie": "02",
            "code": "02N01",
        },
        {
            "key": "beschermd-wonen",
            "name": "Beschermd wonen (protected living)",
            "categorie": "15",
            "code": "15N01",
        },
    ],
}


class Catalogue(BaseModel):
    key: str = Field(
        pattern=KEY, description="the catalogue's key; with the version it names the catalogue"
    )
    version: Annotated[
        int,
        Field(ge=1, le=MAX_ID, description="a loaded version never changes"),
        JSON_INTEGER,
        Expected("a positive whole number", shows_input=True),
    ]
    name: Name
    functions: Annotated[
        list[FunctionDef],
        Field(
            min_length=1,
            description="the functions, each with the product category and code messages use",
        ),
        Expected("a non-empty list of functions"),
    ]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CATALOGUE_EXAMPLE]})

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"


# --- contracts ---------------------------------------------------------------------------------


class MunicipalityTerms(BaseModel):
    budget: Budget | None = Field(
        default=None,
        description="euro cents per calendar year of the contract; required for a "
        "taakgericht contract",
        examples=[{"2027": 990000000}],
    )
    model_config = ConfigDict(extra="forbid")


Municipalities = Annotated[
    dict[
        Annotated[
            str, Field(pattern=CBS_CODE), Form("{value!r} is not a municipality's 4-digit CBS code")
        ],
        MunicipalityTerms,
    ],
    Field(min_length=1, json_schema_extra=_ONLY_KEYED),
    Expected("a table of municipality codes, at least one"),
]


class SubcontractorTerms(BaseModel):
    code: str = Field(
        pattern=AGB_CODE, description="the subcontractor's AGB code", examples=["99000002"]
    )
    functions: _FunctionKeys = Field(
        description="the function keys it may deliver under the contract",
        examples=[["begeleiding-in1", "begeleiding-in2"]],
    )
    model_config = ConfigDict(extra="forbid")


_CONTRACT_EXAMPLE: dict[str, Any] = {
    "name": "Amersfoort region: Wmo begeleiding (task-based)",
    "main_contractor": "99000001",
    "variant": "taakgericht",
    "begindatum": "2027-01-01",
    "einddatum": "2035-12-31",
    "catalogue": "amersfoort-wmo@1",
    "functions": ["begeleiding-in1", "begeleiding-in2", "begeleiding-in3"],
    "municipalities": {
        "0307": {"budget": {"2027": 990000000}},
        "0308": {"budget": {"2027": 175000000}},
    },
    "subcontractors": [{"code": "99000002", "functions": ["begeleiding-in1", "begeleiding-in2"]}],
    "tariffs": {"begeleiding-in1": 15000, "begeleiding-in2": 30000, "begeleiding-in3": 50000},
}

_RULES = """Beyond what its schema states: the participants it names must be registered (as
a municipality, or a provider), the catalogue loaded and the functions it names in it,
einddatum not before begindatum, budget years within the contract's years, a subcontractor
not the main contractor nor listed twice, and a taakgericht contract needs a budget for
every municipality (409 when not)."""


class _Contract(BaseModel):
    # The key comes first (each kind of contract says whether it is required), so an
    # unknown field's problem lists the fields in the order a file writes them.
    key: str | None = Field(default=None, pattern=KEY)
    name: Name
    main_contractor: str = Field(pattern=AGB_CODE, description="the main contractor's AGB code")
    variant: Variant = Field(description="the execution variant")
    begindatum: Annotated[Day, Expected("a date (YYYY-MM-DD)", shows_input=True)]
    einddatum: Annotated[Day | None, Expected("a date (YYYY-MM-DD)", shows_input=True)] = None
    catalogue: str = Field(
        pattern=CATALOGUE_REF,
        description="key@version, or a key alone for its highest loaded version",
        examples=["amersfoort-wmo@1"],
    )
    functions: _FunctionKeys | None = Field(
        default=None,
        description="the catalogue functions the contract covers; absent: all of them",
    )
    municipalities: Municipalities = Field(
        description="the municipalities taking part, by CBS code"
    )
    subcontractors: Annotated[list[SubcontractorTerms], _Tables] = Field(
        default_factory=list, description="the subcontractors and what each may deliver"
    )
    tariffs: Tariffs | None = Field(
        default=None,
        description="internal tariff per function key: euro cents per client per month",
    )
    product_tariffs: ProductTariffs | None = Field(
        default=None, description="contractual tariff per product code: euro cents per unit"
    )


class ContractIn(_Contract):
    __doc__ = f"A contract to put at its key. {_RULES}"

    key: str | None = Field(
        default=None,
        pattern=KEY,
        description="may be left out; when given it must be the key in the path (409 when not)",
    )
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CONTRACT_EXAMPLE]})


class ContractDef(_Contract):
    __doc__ = f"A contract in a file, with its key; upserted by it. {_RULES}"

    key: str = Field(pattern=KEY, description="the contract's key")
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"key": "amersfoort-begeleiding", **_CONTRACT_EXAMPLE}]},
    )


class ContractOut(ContractDef):
    """A contract as loaded, its catalogue pinned to a version. A subcontractor sees it
    without budgets and tariffs; a municipality sees its own budget only."""

    key: str = Field(pattern=KEY, examples=["amersfoort-begeleiding"])
    model_config = ConfigDict(extra="ignore")


# --- a whole definition ------------------------------------------------------------------------


class Definition(BaseModel):
    """A contract file: participants to register when missing, catalogue versions, and
    contracts; each section optional."""

    participants: Annotated[list[FileParticipant], _Tables] = Field(default_factory=list)
    catalogues: Annotated[list[Catalogue], _Tables] = Field(default_factory=list)
    contracts: Annotated[list[ContractDef], _Tables] = Field(default_factory=list)
    model_config = ConfigDict(extra="forbid")


def parse_file(path: str | Path) -> dict[str, Any]:
    """A definition from a ``.toml`` or ``.json`` file, not yet checked; a file that cannot
    be read raises ConfigError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ConfigError([f"{path}: expected a .toml or .json file"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: {getattr(exc, 'strerror', None) or exc}"]) from exc
    return parse_text(text, str(path))


def parse_text(text: str, name: str) -> dict[str, Any]:
    """A definition from the text of a file called ``name`` (``.toml`` or ``.json``), not
    yet checked; ConfigError when it is neither or cannot be read as what it says."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ConfigError([f"{name}: expected a .toml or .json file"])
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError([f"{name}: not valid {suffix[1:].upper()}: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"{name}: expected a table (object) at the top"])
    return data
