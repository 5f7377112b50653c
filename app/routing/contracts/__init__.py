"""Contracts and function catalogues as operators write them down, and loading them.

A definition (a TOML or JSON file, or an API body) has three optional lists:

* ``participants`` to register when missing (without an API key: ``iwmo participant
  rotate-key`` gives one);
* ``catalogues``: versions of a function catalogue. A loaded (key, version) never changes,
  because contracts point at it and delegations were made under it; a change is a new
  version;
* ``contracts``, upserted by key; their municipalities and subcontractors are replaced.

One job a module:

* ``schema``: the models that read a definition, shared with the API's bodies, and
  reading a file;
* ``problems``: pydantic's errors worded with where they are
  (``contracts[0].subcontractors[1].functions: ...``), and what is well-formed kept;
* ``plan``: checking what the models cannot (against each other and what is stored), and
  deciding what to write;
* ``apply``: writing it, all or nothing;
* ``export``: loaded catalogues and contracts in the file format.

Everything is checked before anything is written and every problem is reported at once.
"""

from app.routing.contracts.apply import load
from app.routing.contracts.export import (
    catalogue_as_dict,
    catalogue_definition,
    contract_as_dict,
    contract_definition,
)
from app.routing.contracts.plan import LoadReport, validate
from app.routing.contracts.problems import ConfigError
from app.routing.contracts.schema import (
    TASK_BASED,
    VARIANTS,
    Catalogue,
    ContractDef,
    ContractIn,
    ContractOut,
    Definition,
    FileParticipant,
    FunctionDef,
    MunicipalityTerms,
    NewMunicipality,
    NewOperator,
    NewProvider,
    SubcontractorTerms,
    parse_file,
    parse_text,
)

__all__ = [
    "TASK_BASED",
    "VARIANTS",
    "Catalogue",
    "ConfigError",
    "ContractDef",
    "ContractIn",
    "ContractOut",
    "Definition",
    "FileParticipant",
    "FunctionDef",
    "LoadReport",
    "MunicipalityTerms",
    "NewMunicipality",
    "NewOperator",
    "NewProvider",
    "SubcontractorTerms",
    "catalogue_as_dict",
    "catalogue_definition",
    "contract_as_dict",
    "contract_definition",
    "load",
    "parse_file",
    "parse_text",
    "validate",
]
