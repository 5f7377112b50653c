"""Loading a definition: check it, then write what the plan says, all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.administration.kinds import Variant
from app.administration.models import Participant, ProductCode, utcnow
from app.routing.contracts.plan import LoadReport, Plan, plan
from app.routing.contracts.schema import ContractDef, MunicipalityTerms, SubcontractorTerms
from app.routing.models import (
    Contract,
    ContractMunicipality,
    ContractSubcontractor,
    Function,
    FunctionCatalogue,
)

log = logging.getLogger(__name__)

_NAME_MAX = 200  # ProductCode.omschrijving


def load(
    session: Session,
    data: Any,
    *,
    today: date | None = None,
    dry_run: bool = False,
    extra_municipalities: Collection[str] = (),
) -> LoadReport:
    """Load a definition (a dict as read from a file, or a Definition) in the caller's
    transaction; raises ConfigError (writing nothing) with every problem. With ``dry_run``
    only reports what a load would do. Municipality codes are the CBS list's and
    ``extra_municipalities`` (the service's setting)."""
    planned = plan(session, data, today or clock.today(), extra_municipalities)
    if planned.problems:
        raise planned.problems.error()
    report = planned.report(dry_run)
    if not dry_run:
        apply(session, planned)
        log.info("contract definition loaded: %s", "; ".join(report.summary()))
    return report


def apply(session: Session, planned: Plan) -> None:
    """Write a plan without problems; the caller's transaction makes it all or nothing."""
    assert not planned.problems, "a plan with problems is never written"
    session.add_all(
        Participant(code=p.code, role=p.role, name=p.name, api_key_hash=None, active=True)
        for p in planned.participants
    )
    for catalogue in planned.catalogues:
        session.add(
            FunctionCatalogue(
                key=catalogue.key,
                version=catalogue.version,
                name=catalogue.name,
                functions=[
                    Function(key=f.key, name=f.name, categorie=f.categorie, code=f.code)
                    for f in catalogue.functions
                ],
            )
        )
    session.add_all(
        ProductCode(gemeente=g, categorie=c, code=code, omschrijving=name[:_NAME_MAX])
        for (g, c, code), name in sorted(planned.product_codes.items())
    )
    session.flush()
    ids = _catalogue_ids(session)
    for contract, existing in planned.contracts:
        key, _, version = contract.catalogue.partition("@")
        _write_contract(session, contract, existing, ids[(key, int(version))])
    session.flush()


def _catalogue_ids(session: Session) -> dict[tuple[str, int], int]:
    rows = session.execute(
        select(FunctionCatalogue.key, FunctionCatalogue.version, FunctionCatalogue.id)
    )
    return {(key, version): id_ for key, version, id_ in rows}


def _write_contract(
    session: Session, data: ContractDef, existing: Contract | None, catalogue_id: int
) -> None:
    contract = existing or Contract(key=data.key)
    contract.name = data.name
    contract.main_contractor_code = data.main_contractor
    contract.variant = Variant(data.variant)
    contract.begindatum = data.begindatum
    contract.einddatum = data.einddatum
    contract.catalogue_id = catalogue_id
    terms: dict[str, Any] = {}
    if data.functions is not None:
        terms["functions"] = list(data.functions)
    if data.tariffs:
        terms["tariffs"] = dict(data.tariffs)
    if data.product_tariffs:
        terms["product_tariffs"] = dict(data.product_tariffs)
    contract.terms = terms
    if existing is None:
        session.add(contract)
    else:
        contract.updated_at = utcnow()
    _sync_municipalities(contract, data.municipalities)
    _sync_subcontractors(contract, data.subcontractors)


def _sync_municipalities(contract: Contract, wanted: Mapping[str, MunicipalityTerms]) -> None:
    # Rows are updated in place rather than replaced: deleting and inserting the same
    # (contract, code) in one flush can trip the unique constraint.
    rows = {m.municipality_code: m for m in contract.municipalities}
    for code, row in rows.items():
        if code not in wanted:
            contract.municipalities.remove(row)
    for code, terms in wanted.items():
        budgets = dict(terms.budget or {})
        if code in rows:
            rows[code].budgets = budgets
        else:
            contract.municipalities.append(
                ContractMunicipality(municipality_code=code, budgets=budgets)
            )


def _sync_subcontractors(contract: Contract, wanted: Sequence[SubcontractorTerms]) -> None:
    rows = {s.subcontractor_code: s for s in contract.subcontractors}
    codes = {s.code for s in wanted}
    for code, row in rows.items():
        if code not in codes:
            contract.subcontractors.remove(row)
    for s in wanted:
        if s.code in rows:
            rows[s.code].functions = list(s.functions)
        else:
            contract.subcontractors.append(
                ContractSubcontractor(subcontractor_code=s.code, functions=list(s.functions))
            )
