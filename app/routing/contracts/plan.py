"""Checking a definition against what is stored, and deciding what loading it would write.

The models (``schema``) have found what is wrong with the definition's form; this one pass
over what they read finds what does not fit together or with what is stored: participants
not registered or in another role, a catalogue version missing or loaded with other
content, functions not in the catalogue, an einddatum before the begindatum, budget years
outside the contract, a change that takes away what delegations in force still use. Every
problem is named with where it is, so one run shows all that needs fixing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.administration.models import Participant, ProductCode
from app.administration.participants import (
    MUNICIPALITY,
    PROVIDER_ROLES,
    ParticipantError,
    check_code,
)
from app.routing.contracts.export import catalogue_definition, contract_definition
from app.routing.contracts.problems import Flaws, Problems, entries, maybe, read
from app.routing.contracts.schema import (
    TASK_BASED,
    Catalogue,
    ContractDef,
    Definition,
    FileParticipant,
    FunctionDef,
    MunicipalityTerms,
    NewMunicipality,
    SubcontractorTerms,
    Variant,
)
from app.routing.models import Contract, Delegation, FunctionCatalogue

WITHDRAWN = "withdrawn"


@dataclass
class LoadReport:
    """What a load did (or, dry, would do), as labels like ``contract amersfoort-wmo``."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    product_codes_added: list[str] = field(default_factory=list)  # "0307 02 02N01"
    dry_run: bool = False

    def outcome(self, label: str) -> str | None:
        """'created', 'updated' or 'unchanged' for a label, None when not in the load."""
        for name in ("created", "updated", "unchanged"):
            if label in getattr(self, name):
                return name
        return None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.product_codes_added)

    def summary(self) -> list[str]:
        lines = [
            f"{name}: {_grouped(getattr(self, name))}"
            for name in ("created", "updated", "unchanged")
            if getattr(self, name)
        ]
        if self.product_codes_added:
            lists: dict[str, list[str]] = {}
            for entry in self.product_codes_added:
                gemeente, _, code = entry.partition(" ")
                lists.setdefault(gemeente, []).append(code)
            added = "; ".join(f"{g}: {', '.join(codes)}" for g, codes in lists.items())
            lines.append(f"product codes added: {added}")
        if not lines:
            lines.append("nothing to load")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


def _grouped(labels: Iterable[str]) -> str:
    kinds: dict[str, list[str]] = {}
    for label in labels:
        kind, _, name = label.partition(" ")
        kinds.setdefault(kind, []).append(name)
    return "; ".join(
        f"{len(names)} {kind}{'s' if len(names) != 1 else ''} ({', '.join(names)})"
        for kind, names in kinds.items()
    )


@dataclass
class Plan:
    """What loading a definition writes, once ``problems`` is empty."""

    problems: Problems
    participants: list[FileParticipant] = field(default_factory=list)  # to register
    participants_known: list[str] = field(default_factory=list)
    catalogues: list[Catalogue] = field(default_factory=list)  # to create
    catalogues_known: list[str] = field(default_factory=list)
    # Contracts to write, each as stored (catalogue pinned, lists in catalogue order), with
    # the stored contract it replaces.
    contracts: list[tuple[ContractDef, Contract | None]] = field(default_factory=list)
    contracts_known: list[str] = field(default_factory=list)
    in_file: list[ContractDef] = field(default_factory=list)  # every contract, as stored
    # Product codes to add: (gemeente, categorie, code) -> omschrijving.
    product_codes: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def report(self, dry_run: bool) -> LoadReport:
        r = LoadReport(dry_run=dry_run)
        r.created += [f"participant {x.code}" for x in self.participants]
        r.unchanged += [f"participant {code}" for code in self.participants_known]
        r.created += [f"catalogue {c.ref}" for c in self.catalogues]
        r.unchanged += [f"catalogue {ref}" for ref in self.catalogues_known]
        for data, existing in self.contracts:
            (r.created if existing is None else r.updated).append(f"contract {data.key}")
        r.unchanged += [f"contract {key}" for key in self.contracts_known]
        r.product_codes_added = [f"{g} {c} {code}" for g, c, code in sorted(self.product_codes)]
        return r


def validate(
    session: Session,
    data: Any,
    *,
    today: date | None = None,
    extra_municipalities: Collection[str] = (),
) -> list[str]:
    """Every problem of a definition, each with its location; empty when it can be loaded."""
    planned = plan(session, data, today or clock.today(), extra_municipalities)
    return planned.problems.found


def plan(
    session: Session, data: object, today: date, extra_municipalities: Collection[str] = ()
) -> Plan:
    """Check a definition (a dict as read from a file, or a Definition) and decide what
    loading it writes; every problem goes to the plan's ``problems``. Municipality codes
    are the CBS list's and ``extra_municipalities`` (the service's setting)."""
    result = Plan(Problems(list(Definition.model_fields)))
    reading = read(Definition, data, result.problems)
    definition = reading.value
    if definition is None:
        return result
    ctx = _Context(session, today, tuple(extra_municipalities))
    _plan_participants(result, ctx, definition.participants, reading.flaws.under("participants"))
    _plan_catalogues(result, ctx, definition.catalogues, reading.flaws.under("catalogues"))
    _plan_contracts(result, ctx, definition.contracts, reading.flaws.under("contracts"))
    if not result.problems:
        _plan_product_codes(result, ctx)
    return result


@dataclass(frozen=True)
class _Catalogue:
    """What contracts need of a catalogue: its functions (key -> categorie, code) in
    order, and their names."""

    ref: str
    functions: dict[str, tuple[str, str]]
    names: dict[str, str]

    def codes(self, keys: Iterable[str]) -> set[str]:
        return {self.functions[k][1] for k in keys if k in self.functions}


class _Context:
    """What is stored, and what the definition adds to it, as the checks need it."""

    def __init__(
        self, session: Session, today: date, extra_municipalities: tuple[str, ...]
    ) -> None:
        self.session = session
        self.today = today
        self.extra_municipalities = extra_municipalities
        self.roles: dict[str, str] = {
            code: role for code, role in session.execute(select(Participant.code, Participant.role))
        }
        self.stored: dict[tuple[str, int], FunctionCatalogue] = {
            (c.key, c.version): c
            for c in session.scalars(
                select(FunctionCatalogue).options(selectinload(FunctionCatalogue.functions))
            )
        }
        self.catalogues: dict[tuple[str, int], _Catalogue] = {
            ref: _Catalogue(
                c.ref,
                {f.key: (f.categorie, f.code) for f in c.functions},
                {f.key: f.name for f in c.functions},
            )
            for ref, c in self.stored.items()
        }

    def resolve(self, p: Problems, where: str, ref: str | None) -> _Catalogue | None:
        """The catalogue a contract names: ``key@version``, or a key for its highest."""
        if ref is None:
            return None
        key, at, version = ref.partition("@")
        if at:
            found = self.catalogues.get((key, int(version)))
        else:
            versions = [v for k, v in self.catalogues if k == key]
            found = self.catalogues.get((key, max(versions))) if versions else None
        if found is None:
            p.add(where, f"no catalogue {ref} is loaded or defined in this file")
        return found

    def role_check(self, p: Problems, where: str, code: str, roles: Sequence[str]) -> bool:
        role = self.roles.get(code)
        if role is None:
            p.add(where, f"{code} is not a registered participant (nor defined under participants)")
            return False
        if role not in roles:
            wanted = "a municipality" if roles == (MUNICIPALITY,) else "a provider"
            p.add(where, f"{code} is registered as {role}, not as {wanted}")
            return False
        return True


# --- participants ------------------------------------------------------------------------------


def _plan_participants(
    plan: Plan, ctx: _Context, items: Sequence[FileParticipant], flaws: Flaws
) -> None:
    p = plan.problems
    seen: set[str] = set()
    for i, entry in entries(items):
        where = f"participants[{i}]"
        if entry is None:
            continue
        code, role = maybe(entry.code), maybe(entry.role)
        if flaws.at(i):
            # Not registered, but the contracts that name it are not told it is missing.
            if code is not None and role is not None:
                ctx.roles.setdefault(code, role)
            continue
        assert code is not None and role is not None  # a well-formed entry has both
        unknown_ok = isinstance(entry, NewMunicipality) and entry.allow_unknown_municipality
        try:
            check_code(
                code,
                role,
                allow_unknown_municipality=unknown_ok,
                extra_municipalities=ctx.extra_municipalities,
            )
        except ParticipantError as exc:  # the CBS list, which the service holds
            p.add(f"{where}.code", str(exc))
            continue
        if code in seen:
            p.add(f"{where}.code", f"{code} is defined twice")
            continue
        seen.add(code)
        stored = ctx.roles.get(code)
        if stored is None:
            plan.participants.append(entry)
            ctx.roles[code] = role
        elif stored != role:
            p.add(f"{where}.role", f"{code} is already registered as {stored}, not {role}")
        else:
            plan.participants_known.append(code)


# --- catalogues --------------------------------------------------------------------------------


def _plan_catalogues(plan: Plan, ctx: _Context, items: Sequence[Catalogue], flaws: Flaws) -> None:
    p = plan.problems
    seen: set[tuple[str, int]] = set()
    for i, catalogue in entries(items):
        where = f"catalogues[{i}]"
        if catalogue is None:
            continue
        before = len(p)
        key, version = maybe(catalogue.key), maybe(catalogue.version)
        functions, names = _functions(p, where, maybe(catalogue.functions))
        if key is None or version is None:
            continue
        ref = f"{key}@{version}"
        if (key, version) in seen:
            p.add(f"{where}.version", f"{ref} is defined twice in this file")
            continue
        seen.add((key, version))
        # Even a catalogue with problems is indexed by its function keys, so the contracts
        # that use it are still checked and every problem shows up in one run.
        ctx.catalogues.setdefault((key, version), _Catalogue(ref, functions, names))
        if flaws.at(i) or len(p) > before:
            continue
        _compare_catalogue(plan, ctx, where, catalogue)


def _functions(
    p: Problems, where: str, functions: Sequence[FunctionDef] | None
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """A catalogue's functions by key (categorie and code, and name); those with problems
    too, with what is known of them."""
    found: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}
    by_code: dict[tuple[str, str], str] = {}
    for j, f in entries(functions):
        here = f"{where}.functions[{j}]"
        if f is None:
            continue
        key, categorie, code = maybe(f.key), maybe(f.categorie), maybe(f.code)
        if key is not None and key in found:
            p.add(f"{here}.key", f"{key} is defined twice")
            continue
        if categorie is not None and code is not None:
            other = by_code.get((categorie, code))
            if other is not None:
                p.add(f"{here}.code", f"{categorie} {code} is already used by {other}")
            by_code.setdefault((categorie, code), key or "?")
        if key is not None:
            found[key] = (categorie or "", code or "")
            names[key] = maybe(f.name) or key
    return found, names


def _compare_catalogue(plan: Plan, ctx: _Context, where: str, catalogue: Catalogue) -> None:
    key, version = catalogue.key, catalogue.version
    stored = ctx.stored.get((key, version))
    if stored is None:
        plan.catalogues.append(catalogue)
        return
    if _content(catalogue_definition(stored)) == _content(catalogue):
        plan.catalogues_known.append(stored.ref)
        return
    latest = max(v for k, v in ctx.stored if k == key)
    plan.problems.conflict(
        where,
        f"{key}@{version} is already loaded with other content; a loaded version never "
        f"changes: publish it as version {latest + 1}",
    )


def _content(catalogue: Catalogue) -> tuple[str, list[tuple[str, str, str, str]]]:
    # The order functions are listed in means nothing; their content does.
    return catalogue.name, sorted((f.key, f.name, f.categorie, f.code) for f in catalogue.functions)


# --- contracts ---------------------------------------------------------------------------------


def _plan_contracts(plan: Plan, ctx: _Context, items: Sequence[ContractDef], flaws: Flaws) -> None:
    p = plan.problems
    keys = [key for _, c in entries(items) if c is not None and (key := maybe(c.key))]
    stored = {
        c.key: c
        for c in ctx.session.scalars(
            select(Contract)
            .where(Contract.key.in_(keys))
            .options(
                selectinload(Contract.municipalities),
                selectinload(Contract.subcontractors),
                selectinload(Contract.catalogue),
            )
        )
    }
    seen: set[str] = set()
    for i, raw in entries(items):
        where = f"contracts[{i}]"
        if raw is None:
            continue
        contract = _check_contract(p, where, raw, ctx, flaws.under(i))
        if contract is None:
            continue
        if contract.key in seen:
            p.add(f"{where}.key", f"{contract.key} is defined twice")
            continue
        seen.add(contract.key)
        plan.in_file.append(contract)
        existing = stored.get(contract.key)
        if existing is None:
            plan.contracts.append((contract, None))
            continue
        _check_in_use(p, where, contract, existing, ctx)
        if contract_definition(existing).model_dump() == contract.model_dump():
            plan.contracts_known.append(existing.key)
        else:
            plan.contracts.append((contract, existing))


def _check_contract(
    p: Problems, where: str, c: ContractDef, ctx: _Context, flaws: Flaws
) -> ContractDef | None:
    """The contract as it would be stored, or None when it has problems."""
    before = len(p)
    main = maybe(c.main_contractor)
    if main is not None:
        ctx.role_check(p, f"{where}.main_contractor", main, PROVIDER_ROLES)
    variant = maybe(c.variant)
    begin, end = maybe(c.begindatum), maybe(c.einddatum)
    if begin is not None and end is not None and end < begin:
        p.add(f"{where}.einddatum", f"{end} is before begindatum {begin}")
    catalogue = ctx.resolve(p, f"{where}.catalogue", maybe(c.catalogue))
    chosen = maybe(c.functions)
    covered = _covered(p, f"{where}.functions", chosen, catalogue)
    municipalities = _municipalities(
        p,
        f"{where}.municipalities",
        maybe(c.municipalities),
        ctx,
        (variant, begin, end),
        flaws.under("municipalities"),
    )
    subcontractors = _subcontractors(
        p, f"{where}.subcontractors", maybe(c.subcontractors), ctx, main, (catalogue, covered)
    )
    tariffs = _tariffs(p, f"{where}.tariffs", maybe(c.tariffs), catalogue, covered, by_code=False)
    product_tariffs = _tariffs(
        p, f"{where}.product_tariffs", maybe(c.product_tariffs), catalogue, covered, by_code=True
    )
    if flaws.at() or len(p) > before or catalogue is None or covered is None:
        return None
    order = list(catalogue.functions)
    return ContractDef(
        key=c.key,
        name=c.name,
        main_contractor=c.main_contractor,
        variant=c.variant,
        begindatum=c.begindatum,
        einddatum=c.einddatum,
        catalogue=catalogue.ref,
        functions=None if chosen is None else [k for k in order if k in covered],
        municipalities=dict(sorted(municipalities.items())),
        subcontractors=[
            SubcontractorTerms(code=code, functions=[k for k in order if k in allowed])
            for code, allowed in sorted(subcontractors.items())
        ],
        tariffs=tariffs or None,
        product_tariffs=product_tariffs or None,
    )


def _covered(
    p: Problems, where: str, chosen: list[str] | None, catalogue: _Catalogue | None
) -> set[str] | None:
    """The function keys the contract covers: the chosen ones, or the whole catalogue."""
    if catalogue is None:
        return None
    if chosen is None:
        return set(catalogue.functions)
    for name in chosen:
        if name not in catalogue.functions:
            p.add(where, f"{name} is not a function of {catalogue.ref}")
    return {name for name in chosen if name in catalogue.functions}


def _function_ok(
    p: Problems, where: str, name: str, catalogue: _Catalogue, covered: set[str]
) -> bool:
    if name not in catalogue.functions:
        p.add(where, f"{name} is not a function of {catalogue.ref}")
        return False
    if name not in covered:
        p.add(where, f"{name} is not one of the contract's functions")
        return False
    return True


def _municipalities(
    p: Problems,
    where: str,
    value: Mapping[str, MunicipalityTerms] | None,
    ctx: _Context,
    terms: tuple[Variant | None, date | None, date | None],
    flaws: Flaws,
) -> dict[str, MunicipalityTerms]:
    variant, begin, end = terms
    if begin is not None and end is not None and end < begin:
        begin = end = None  # reported already; no period to hold the budget years against
    found: dict[str, MunicipalityTerms] = {}
    for code, t in (value or {}).items():
        here = f"{where}.{code}"
        if t is None:
            continue
        ctx.role_check(p, here, code, (MUNICIPALITY,))
        budget = maybe(t.budget)
        for year in budget or {}:
            if begin is not None and not (
                begin.year <= int(year) <= (end.year if end is not None else 9999)
            ):
                period = f"{begin}..{end or ''}"
                p.add(f"{here}.budget.{year}", f"{year} is outside the contract period {period}")
        if variant == TASK_BASED and not budget and not flaws.at(code, "budget"):
            p.add(f"{here}.budget", "a taakgericht contract needs a yearly budget here")
        found[code] = MunicipalityTerms(budget=dict(sorted(budget.items())) if budget else None)
    return found


def _subcontractors(
    p: Problems,
    where: str,
    value: Sequence[SubcontractorTerms] | None,
    ctx: _Context,
    main: str | None,
    scope: tuple[_Catalogue | None, set[str] | None],
) -> dict[str, set[str]]:
    catalogue, covered = scope
    found: dict[str, set[str]] = {}
    for i, s in entries(value):
        here = f"{where}[{i}]"
        if s is None:
            continue
        code, names = maybe(s.code), maybe(s.functions)
        if code is not None:
            if code == main:
                p.add(
                    f"{here}.code", f"{code} is the main contractor; it may deliver every function"
                )
            elif code in found:
                p.add(f"{here}.code", f"{code} is listed twice")
            ctx.role_check(p, f"{here}.code", code, PROVIDER_ROLES)
        allowed: set[str] = set()
        if names is not None and catalogue is not None and covered is not None:
            allowed = {
                n for n in names if _function_ok(p, f"{here}.functions", n, catalogue, covered)
            }
        if code is not None:
            found.setdefault(code, allowed)
    return found


def _tariffs(
    p: Problems,
    where: str,
    value: Mapping[str, int] | None,
    catalogue: _Catalogue | None,
    covered: set[str] | None,
    *,
    by_code: bool,
) -> dict[str, int]:
    if value is None or catalogue is None or covered is None:
        return {}
    found: dict[str, int] = {}
    codes = catalogue.codes(covered)
    for name, cents in value.items():
        if by_code and name not in codes:
            p.add(
                f"{where}.{name}",
                f"{name} is not the product code of one of the contract's functions",
            )
        elif by_code or _function_ok(p, f"{where}.{name}", name, catalogue, covered):
            found[name] = cents
    # Catalogue order, so a dump reads like the catalogue.
    order = [c for _, c in catalogue.functions.values()] if by_code else list(catalogue.functions)
    return {k: found[k] for k in sorted(found, key=order.index)}


def _check_in_use(
    p: Problems, where: str, contract: ContractDef, existing: Contract, ctx: _Context
) -> None:
    """Refuse to take away what delegations in force still rely on: they were made under
    the contract as it was, and the messages about them are judged against it."""
    rows = ctx.session.execute(
        select(
            Delegation.municipality_code,
            Delegation.main_contractor_code,
            Delegation.subcontractor_code,
            Delegation.function_key,
            Delegation.categorie,
            Delegation.code,
            func.count(),
        )
        .where(
            Delegation.contract_id == existing.id,
            Delegation.status != WITHDRAWN,
            or_(Delegation.einddatum.is_(None), Delegation.einddatum >= ctx.today),
        )
        .group_by(
            Delegation.municipality_code,
            Delegation.main_contractor_code,
            Delegation.subcontractor_code,
            Delegation.function_key,
            Delegation.categorie,
            Delegation.code,
        )
    ).all()
    if not rows:
        return
    catalogue = ctx.catalogues[_ref_key(contract.catalogue)]
    covered = set(contract.functions or catalogue.functions)
    allowed = {s.code: set(s.functions) for s in contract.subcontractors}
    issues: dict[tuple[str, str], int] = {}
    for municipality, main, sub, function, categorie, code, count in rows:
        for issue in _lost(contract, covered, allowed, municipality, main, sub, function):
            issues[issue] = issues.get(issue, 0) + count
        if function in catalogue.functions and catalogue.functions[function] != (categorie, code):
            issue = ("catalogue", f"{function} was delegated as {categorie} {code}")
            issues[issue] = issues.get(issue, 0) + count
    for (part, what), count in issues.items():
        p.conflict(
            f"{where}.{part}",
            f"{what}; {count} delegation{'s' if count != 1 else ''} in force still "
            f"use{'s' if count == 1 else ''} it: end or withdraw them first",
        )


def _lost(
    contract: ContractDef,
    covered: set[str],
    allowed: Mapping[str, set[str]],
    municipality: str,
    main: str,
    sub: str,
    function: str,
) -> list[tuple[str, str]]:
    """What a delegation relies on that the new contract no longer has, as (part, what)."""
    lost: list[tuple[str, str]] = []
    if function not in covered:
        lost.append(("functions", f"{function} would no longer be a function of the contract"))
    if municipality not in contract.municipalities:
        lost.append(("municipalities", f"{municipality} would leave the contract"))
    if main != contract.main_contractor:
        lost.append(("main_contractor", f"{main} would no longer be the main contractor"))
    if sub != contract.main_contractor and function not in allowed.get(sub, set()):
        lost.append(("subcontractors", f"{sub} would no longer be allowed {function}"))
    return lost


def _ref_key(ref: str) -> tuple[str, int]:
    key, _, version = ref.partition("@")
    return key, int(version)


# --- product codes -----------------------------------------------------------------------------


def _plan_product_codes(plan: Plan, ctx: _Context) -> None:
    """TR381 would refuse a function's product code that is not on the municipality's
    product code list, so every contract in the definition puts its functions' codes on the
    lists of its own municipalities — and no others: regions may use one category with
    different codes. Nothing is removed, and a municipality's list only grows: when a
    contract gives it its first own codes in a category, the service-wide default's codes
    of that category come along, so what the municipality accepted before it still does."""
    listed: dict[tuple[str, str], dict[str, str]] = {}  # (gemeente, categorie) -> code, name
    for g, c, code, name in ctx.session.execute(
        select(
            ProductCode.gemeente, ProductCode.categorie, ProductCode.code, ProductCode.omschrijving
        )
    ):
        listed.setdefault((g, c), {})[code] = name
    wanted: dict[tuple[str, str, str], str] = {}
    for contract in plan.in_file:
        catalogue = ctx.catalogues[_ref_key(contract.catalogue)]
        for key in contract.functions or catalogue.functions:
            categorie, code = catalogue.functions[key]
            for gemeente in contract.municipalities:
                if (gemeente, categorie) not in listed:
                    for known, name in listed.get(("", categorie), {}).items():
                        wanted.setdefault((gemeente, categorie, known), name)
                wanted.setdefault((gemeente, categorie, code), catalogue.names.get(key, key))
    plan.product_codes = {
        k: v for k, v in wanted.items() if k[2] not in listed.get((k[0], k[1]), {})
    }
