"""Loaded catalogues and contracts in the file format: what ``iwmo contract show`` prints and
the API answers, and what loading compares a definition with. Loading an export again
changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.routing.contracts.schema import Catalogue, ContractDef
from app.routing.models import Contract, FunctionCatalogue


def catalogue_definition(catalogue: FunctionCatalogue) -> Catalogue:
    return Catalogue.model_validate(
        {
            "key": catalogue.key,
            "version": catalogue.version,
            "name": catalogue.name,
            "functions": [
                {"key": f.key, "name": f.name, "categorie": f.categorie, "code": f.code}
                for f in catalogue.functions
            ],
        }
    )


def catalogue_as_dict(catalogue: FunctionCatalogue) -> dict[str, Any]:
    """A loaded catalogue in the input shape."""
    return catalogue_definition(catalogue).model_dump(mode="json")


def contract_definition(contract: Contract) -> ContractDef:
    """A loaded contract, its catalogue pinned to a version; its subcontractors and
    municipalities in the order of their codes."""
    terms = contract.terms or {}
    return ContractDef.model_validate(
        {
            "key": contract.key,
            "name": contract.name,
            "main_contractor": contract.main_contractor_code,
            "variant": contract.variant,
            "begindatum": contract.begindatum,
            "einddatum": contract.einddatum,
            "catalogue": contract.catalogue.ref,
            "functions": terms.get("functions"),
            "municipalities": {
                m.municipality_code: {"budget": _budget(m.budgets)}
                for m in sorted(contract.municipalities, key=lambda m: m.municipality_code)
            },
            "subcontractors": [
                {"code": s.subcontractor_code, "functions": list(s.functions or ())}
                for s in sorted(contract.subcontractors, key=lambda s: s.subcontractor_code)
            ],
            "tariffs": terms.get("tariffs") or None,
            "product_tariffs": terms.get("product_tariffs") or None,
        }
    )


def contract_as_dict(contract: Contract) -> dict[str, Any]:
    """A loaded contract in the input shape (dates as text, as JSON has them); what it does
    not have is left out."""
    return contract_definition(contract).model_dump(mode="json", exclude_none=True)


def _budget(budgets: Mapping[str, Any] | None) -> dict[str, int] | None:
    return {str(y): int(v) for y, v in sorted(budgets.items())} if budgets else None
