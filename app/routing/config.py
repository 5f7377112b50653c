"""Contracts and function catalogues as operators write them down, and loading them.

A definition is a dict (read from TOML or JSON) with three optional lists:

* ``participants`` to register when missing (without an API key: ``iwmo participant
  rotate-key`` gives one);
* ``catalogues``: versions of a function catalogue. A loaded (key, version) never changes,
  because contracts point at it and delegations were made under it; a change is a new
  version;
* ``contracts``, upserted by key; their municipalities and subcontractors are replaced.

Everything is checked before anything is written and every problem is reported with where
it is (``contracts[0].subcontractors[1].functions: ...``), so one run shows all that needs
fixing. A load is one transaction: a file with one bad part changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.administration.models import Participant, ProductCode, utcnow
from app.administration.participants import (
    MAIN_CONTRACTOR,
    MUNICIPALITY,
    PROVIDER,
    PROVIDER_ROLES,
    SUBCONTRACTOR,
    ParticipantError,
    check_code,
)
from app.routing.models import (
    Contract,
    ContractMunicipality,
    ContractSubcontractor,
    Delegation,
    Function,
    FunctionCatalogue,
)
from app.standard import codelists

log = logging.getLogger(__name__)

TASK_BASED = "taakgericht"
VARIANTS = (TASK_BASED, "inspanningsgericht", "outputgericht")
# Operators are registered one by one, never as a side effect of a contract file.
FILE_ROLES = (MUNICIPALITY, MAIN_CONTRACTOR, SUBCONTRACTOR, PROVIDER)
WITHDRAWN = "withdrawn"

_KEY = re.compile(r"[a-z0-9-]{1,64}")
_PRODUCT_CODE = re.compile(r"[0-9A-Za-z]{1,5}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")
_NAME_MAX = 200

_TOP = ("participants", "catalogues", "contracts")
_PARTICIPANT_FIELDS = (("code", "role", "name"), ("allow_unknown_municipality",))
_CATALOGUE_FIELDS = (("key", "version", "name", "functions"), ())
_FUNCTION_FIELDS = (("key", "name", "categorie", "code"), ())
_CONTRACT_FIELDS = (
    ("key", "name", "main_contractor", "variant", "begindatum", "catalogue", "municipalities"),
    ("einddatum", "functions", "subcontractors", "tariffs", "product_tariffs"),
)
_SUBCONTRACTOR_FIELDS = (("code", "functions"), ())
_MUNICIPALITY_FIELDS = ((), ("budget",))


class ConfigError(ValueError):
    """A definition that cannot be loaded. ``problems`` lists every one, with its location;
    ``conflicts`` those that are in the way of what is stored (a catalogue version loaded
    with other content, a contract change that takes away what delegations still use)."""

    def __init__(self, problems: Sequence[str], conflicts: Sequence[str] = ()) -> None:
        self.problems = list(problems)
        self.conflicts = list(conflicts)
        super().__init__("; ".join(self.problems))

    @property
    def only_conflicts(self) -> bool:
        return bool(self.problems) and len(self.conflicts) == len(self.problems)


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


# --- reading files -----------------------------------------------------------------------------


def parse_file(path: str | Path) -> dict[str, Any]:
    """A definition from a ``.toml`` or ``.json`` file; unreadable files raise ConfigError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ConfigError([f"{path}: expected a .toml or .json file"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: {getattr(exc, 'strerror', None) or exc}"]) from exc
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError([f"{path}: not valid {suffix[1:].upper()}: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a table (object) at the top"])
    return data


# --- reading back ------------------------------------------------------------------------------


def catalogue_as_dict(catalogue: FunctionCatalogue) -> dict[str, Any]:
    """A loaded catalogue in the input shape."""
    return {
        "key": catalogue.key,
        "version": catalogue.version,
        "name": catalogue.name,
        "functions": [
            {"key": f.key, "name": f.name, "categorie": f.categorie, "code": f.code}
            for f in catalogue.functions
        ],
    }


def contract_as_dict(contract: Contract) -> dict[str, Any]:
    """A loaded contract in the input shape, its catalogue pinned to a version: loading it
    again changes nothing."""
    terms = contract.terms or {}
    out: dict[str, Any] = {
        "key": contract.key,
        "name": contract.name,
        "main_contractor": contract.main_contractor_code,
        "variant": contract.variant,
        "begindatum": contract.begindatum.isoformat(),
    }
    if contract.einddatum is not None:
        out["einddatum"] = contract.einddatum.isoformat()
    out["catalogue"] = contract.catalogue.ref
    if terms.get("functions") is not None:
        out["functions"] = list(terms["functions"])
    out["municipalities"] = {
        m.municipality_code: _municipality_terms(m.budgets)
        for m in sorted(contract.municipalities, key=lambda m: m.municipality_code)
    }
    out["subcontractors"] = [
        {"code": s.subcontractor_code, "functions": list(s.functions or ())}
        for s in sorted(contract.subcontractors, key=lambda s: s.subcontractor_code)
    ]
    for name in ("tariffs", "product_tariffs"):
        if terms.get(name):
            out[name] = {k: int(v) for k, v in terms[name].items()}
    return out


def _municipality_terms(budgets: Mapping[str, Any] | None) -> dict[str, Any]:
    if not budgets:
        return {}
    return {"budget": {str(y): int(v) for y, v in sorted(budgets.items())}}


# --- checking ----------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []
        self.conflicts: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")

    def conflict(self, where: str, what: str) -> None:
        self.add(where, what)
        self.conflicts.append(self.found[-1])

    def error(self) -> ConfigError:
        return ConfigError(self.found, self.conflicts)


def _fields(
    p: _Problems, where: str, table: Mapping[str, Any], spec: tuple[tuple[str, ...], ...]
) -> None:
    required, optional = spec
    for name in required:
        if table.get(name) is None:
            p.add(f"{where}.{name}", "missing")
    for name in table:
        if name not in required and name not in optional:
            known = ", ".join((*required, *optional))
            p.add(f"{where}.{name}", f"unknown field; expected {known}")


def _table(p: _Problems, where: str, value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if value is not None:
        p.add(where, "expected a table (an object)")
    return None


def _entry(p: _Problems, where: str, value: Any) -> dict[str, Any] | None:
    """An entry of a list or table, which must itself be a table."""
    if isinstance(value, dict):
        return value
    p.add(where, "expected a table (an object)")
    return None


def _tables(p: _Problems, where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    p.add(where, "expected a list of tables")
    return []


def _text(p: _Problems, where: str, value: Any, limit: int = _NAME_MAX) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        p.add(where, "expected non-empty text")
        return None
    if len(value) > limit:
        p.add(where, f"longer than {limit} characters")
        return None
    return value


def _key(p: _Problems, where: str, value: Any) -> str | None:
    text = _text(p, where, value, 64)
    if text is not None and not _KEY.fullmatch(text):
        p.add(where, f"{text!r} is not a key: use lower-case letters, digits and -")
        return None
    return text


def _money(p: _Problems, where: str, value: Any) -> int | None:
    # bool is an int in Python; TOML and JSON true must not pass as 1 cent.
    if isinstance(value, bool) or not isinstance(value, int):
        p.add(where, f"expected a whole number of euro cents, got {value!r}")
        return None
    if value < 0:
        p.add(where, f"{value} is negative")
        return None
    return value


def _day(p: _Problems, where: str, value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    p.add(where, f"expected a date (YYYY-MM-DD), got {value!r}")
    return None


def _names(p: _Problems, where: str, value: Any) -> list[str] | None:
    """A non-empty list of distinct function keys."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        p.add(where, "expected a non-empty list of function keys")
        return None
    seen: set[str] = set()
    for name in value:
        if name in seen:
            p.add(where, f"{name} is listed twice")
        seen.add(name)
    return list(value)


@dataclass(frozen=True)
class _Catalogue:
    """What contracts need of a catalogue: its functions (key -> categorie, code) in order."""

    ref: str
    functions: dict[str, tuple[str, str]]

    def codes(self, keys: Iterable[str]) -> set[str]:
        return {self.functions[k][1] for k in keys if k in self.functions}


@dataclass
class _Plan:
    problems: _Problems = field(default_factory=_Problems)
    participants: list[Participant] = field(default_factory=list)  # to add
    participants_known: list[str] = field(default_factory=list)
    catalogues: list[dict[str, Any]] = field(default_factory=list)  # to create
    catalogues_known: list[str] = field(default_factory=list)
    contracts: list[tuple[dict[str, Any], Contract | None]] = field(default_factory=list)
    contracts_known: list[str] = field(default_factory=list)
    in_file: list[dict[str, Any]] = field(default_factory=list)  # every contract, as checked
    # Product codes to add: (gemeente, categorie, code) -> omschrijving.
    product_codes: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def report(self, dry_run: bool) -> LoadReport:
        r = LoadReport(dry_run=dry_run)
        r.created += [f"participant {x.code}" for x in self.participants]
        r.unchanged += [f"participant {code}" for code in self.participants_known]
        r.created += [f"catalogue {c['key']}@{c['version']}" for c in self.catalogues]
        r.unchanged += [f"catalogue {ref}" for ref in self.catalogues_known]
        for data, existing in self.contracts:
            (r.created if existing is None else r.updated).append(f"contract {data['key']}")
        r.unchanged += [f"contract {key}" for key in self.contracts_known]
        r.product_codes_added = [f"{g} {c} {code}" for g, c, code in sorted(self.product_codes)]
        return r


class _Context:
    """What is stored, and what the definition adds to it, as the checks need it."""

    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.today = today
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
            ref: _Catalogue(c.ref, {f.key: (f.categorie, f.code) for f in c.functions})
            for ref, c in self.stored.items()
        }

    def resolve(self, p: _Problems, where: str, value: Any) -> _Catalogue | None:
        text = _text(p, where, value, 80)
        if text is None:
            return None
        key, at, version = text.partition("@")
        if at and not version.isdigit():
            p.add(where, f"{text!r} is not key@version or key")
            return None
        if at:
            found = self.catalogues.get((key, int(version)))
        else:
            versions = [v for k, v in self.catalogues if k == key]
            found = self.catalogues.get((key, max(versions))) if versions else None
        if found is None:
            p.add(where, f"no catalogue {text} is loaded or defined in this file")
        return found

    def role_check(self, p: _Problems, where: str, code: str, roles: Sequence[str]) -> bool:
        role = self.roles.get(code)
        if role is None:
            p.add(where, f"{code} is not a registered participant (nor defined under participants)")
            return False
        if role not in roles:
            wanted = "a municipality" if roles == (MUNICIPALITY,) else "a provider"
            p.add(where, f"{code} is registered as {role}, not as {wanted}")
            return False
        return True


def _plan(session: Session, data: Any, today: date) -> _Plan:
    plan = _Plan()
    p = plan.problems
    if not isinstance(data, dict):
        p.add("(top)", "expected a table (object) with participants, catalogues, contracts")
        return plan
    for name in data:
        if name not in _TOP:
            p.add(name, f"unknown section; expected {', '.join(_TOP)}")
    ctx = _Context(session, today)
    _plan_participants(plan, ctx, _tables(p, "participants", data.get("participants")))
    _plan_catalogues(plan, ctx, _tables(p, "catalogues", data.get("catalogues")))
    _plan_contracts(plan, ctx, _tables(p, "contracts", data.get("contracts")))
    if not p.found:
        _plan_product_codes(plan, ctx)
    return plan


# --- participants ------------------------------------------------------------------------------


def _plan_participants(plan: _Plan, ctx: _Context, items: list[Any]) -> None:
    p = plan.problems
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"participants[{i}]"
        t = _entry(p, where, raw)
        if t is None:
            continue
        before = len(p.found)
        _fields(p, where, t, _PARTICIPANT_FIELDS)
        code = _text(p, f"{where}.code", t.get("code"), 32)
        role = _text(p, f"{where}.role", t.get("role"), 20)
        name = _text(p, f"{where}.name", t.get("name"))
        unknown_ok = t.get("allow_unknown_municipality", False)
        if not isinstance(unknown_ok, bool):
            p.add(f"{where}.allow_unknown_municipality", "expected true or false")
        if role is not None and role not in FILE_ROLES:
            p.add(f"{where}.role", f"{role!r} is not one of {', '.join(FILE_ROLES)}")
            role = None
        if code is None or role is None or name is None or len(p.found) > before:
            continue
        try:
            check_code(code, role, allow_unknown_municipality=unknown_ok is True)
        except ParticipantError as exc:
            p.add(f"{where}.code", str(exc))
            continue
        if code in seen:
            p.add(f"{where}.code", f"{code} is defined twice")
            continue
        seen.add(code)
        stored = ctx.roles.get(code)
        if stored is None:
            plan.participants.append(
                Participant(code=code, role=role, name=name, api_key_hash=None, active=True)
            )
            ctx.roles[code] = role
        elif stored != role:
            p.add(f"{where}.role", f"{code} is already registered as {stored}, not {role}")
        else:
            plan.participants_known.append(code)


# --- catalogues --------------------------------------------------------------------------------


def _plan_catalogues(plan: _Plan, ctx: _Context, items: list[Any]) -> None:
    p = plan.problems
    seen: set[tuple[str, int]] = set()
    for i, raw in enumerate(items):
        where = f"catalogues[{i}]"
        t = _entry(p, where, raw)
        if t is None:
            continue
        before = len(p.found)
        _fields(p, where, t, _CATALOGUE_FIELDS)
        key = _key(p, f"{where}.key", t.get("key"))
        version = _version(p, f"{where}.version", t.get("version"))
        name = _text(p, f"{where}.name", t.get("name"))
        functions = _functions(p, where, t.get("functions"))
        if key is None or version is None:
            continue
        ref = f"{key}@{version}"
        if (key, version) in seen:
            p.add(f"{where}.version", f"{ref} is defined twice in this file")
            continue
        seen.add((key, version))
        # Even a catalogue with problems is indexed by its function keys, so the contracts
        # that use it are still checked and every problem shows up in one run.
        ctx.catalogues.setdefault(
            (key, version),
            _Catalogue(ref, {f["key"]: (f["categorie"] or "", f["code"] or "") for f in functions}),
        )
        if len(p.found) > before or name is None:
            continue
        data = {"key": key, "version": version, "name": name, "functions": functions}
        _compare_catalogue(plan, ctx, where, data)


def _version(p: _Problems, where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        p.add(where, f"expected a positive whole number, got {value!r}")
        return None
    return value


def _functions(p: _Problems, where: str, value: Any) -> list[dict[str, Any]]:
    """The functions of a catalogue; the keys of bad ones too (with what is known)."""
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        p.add(f"{where}.functions", "expected a non-empty list of functions")
        return []
    found: list[dict[str, Any]] = []
    by_key: set[str] = set()
    by_code: dict[tuple[str, str], str] = {}
    for j, raw in enumerate(value):
        here = f"{where}.functions[{j}]"
        t = _entry(p, here, raw)
        if t is None:
            continue
        _fields(p, here, t, _FUNCTION_FIELDS)
        key = _key(p, f"{here}.key", t.get("key"))
        name = _text(p, f"{here}.name", t.get("name"))
        categorie = _categorie(p, f"{here}.categorie", t.get("categorie"))
        code = _product_code(p, f"{here}.code", t.get("code"))
        if key is not None and key in by_key:
            p.add(f"{here}.key", f"{key} is defined twice")
            continue
        if categorie is not None and code is not None:
            other = by_code.get((categorie, code))
            if other is not None:
                p.add(f"{here}.code", f"{categorie} {code} is already used by {other}")
            by_code.setdefault((categorie, code), key or "?")
        if key is not None:
            by_key.add(key)
            found.append({"key": key, "name": name, "categorie": categorie, "code": code})
    return found


def _categorie(p: _Problems, where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in codelists.PRODUCT_CATEGORIE:
        p.add(where, f"{value!r} is not a ProductCategorie (WMO020)")
        return None
    return value


def _product_code(p: _Problems, where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _PRODUCT_CODE.fullmatch(value):
        p.add(where, f"{value!r} is not a ProductCode (1-5 letters or digits)")
        return None
    return value


def _compare_catalogue(plan: _Plan, ctx: _Context, where: str, data: dict[str, Any]) -> None:
    key, version = data["key"], data["version"]
    stored = ctx.stored.get((key, version))
    if stored is None:
        plan.catalogues.append(data)
        return
    if _same_catalogue(catalogue_as_dict(stored), data):
        plan.catalogues_known.append(stored.ref)
        return
    latest = max(v for k, v in ctx.stored if k == key)
    plan.problems.conflict(
        where,
        f"{key}@{version} is already loaded with other content; a loaded version never "
        f"changes: publish it as version {latest + 1}",
    )


def _same_catalogue(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    # The order functions are listed in means nothing; their content does.
    def content(c: Mapping[str, Any]) -> tuple[Any, ...]:
        functions = sorted(tuple(sorted(f.items())) for f in c["functions"])
        return (c["name"], functions)

    return content(a) == content(b)


# --- contracts ---------------------------------------------------------------------------------


def _plan_contracts(plan: _Plan, ctx: _Context, items: list[Any]) -> None:
    p = plan.problems
    keys = [t.get("key") for t in items if isinstance(t, dict)]
    stored = {
        c.key: c
        for c in ctx.session.scalars(
            select(Contract)
            .where(Contract.key.in_([k for k in keys if isinstance(k, str)]))
            .options(
                selectinload(Contract.municipalities),
                selectinload(Contract.subcontractors),
                selectinload(Contract.catalogue),
            )
        )
    }
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"contracts[{i}]"
        data = _check_contract(p, where, raw, ctx)
        if data is None:
            continue
        if data["key"] in seen:
            p.add(f"{where}.key", f"{data['key']} is defined twice")
            continue
        seen.add(data["key"])
        plan.in_file.append(data)
        existing = stored.get(data["key"])
        if existing is None:
            plan.contracts.append((data, None))
            continue
        _check_in_use(p, where, data, existing, ctx)
        if contract_as_dict(existing) == data:
            plan.contracts_known.append(existing.key)
        else:
            plan.contracts.append((data, existing))


def _check_contract(p: _Problems, where: str, raw: Any, ctx: _Context) -> dict[str, Any] | None:
    """The contract in its stored shape (``contract_as_dict``), or None with problems."""
    t = _entry(p, where, raw)
    if t is None:
        return None
    before = len(p.found)
    _fields(p, where, t, _CONTRACT_FIELDS)
    key = _key(p, f"{where}.key", t.get("key"))
    name = _text(p, f"{where}.name", t.get("name"))
    main = _text(p, f"{where}.main_contractor", t.get("main_contractor"), 32)
    if main is not None:
        ctx.role_check(p, f"{where}.main_contractor", main, PROVIDER_ROLES)
    variant = t.get("variant")
    if variant is not None and variant not in VARIANTS:
        p.add(f"{where}.variant", f"{variant!r} is not one of {', '.join(VARIANTS)}")
    begin = _day(p, f"{where}.begindatum", t.get("begindatum"))
    end = _day(p, f"{where}.einddatum", t.get("einddatum"))
    if begin is not None and end is not None and end < begin:
        p.add(f"{where}.einddatum", f"{end} is before begindatum {begin}")
    catalogue = ctx.resolve(p, f"{where}.catalogue", t.get("catalogue"))
    chosen = _names(p, f"{where}.functions", t.get("functions"))
    covered = _covered(p, f"{where}.functions", chosen, catalogue)
    municipalities = _municipalities(
        p, f"{where}.municipalities", t.get("municipalities"), ctx, (variant, begin, end)
    )
    subcontractors = _subcontractors(
        p, f"{where}.subcontractors", t.get("subcontractors"), ctx, main, (catalogue, covered)
    )
    tariffs = _tariffs(p, f"{where}.tariffs", t.get("tariffs"), catalogue, covered, by_code=False)
    product_tariffs = _tariffs(
        p, f"{where}.product_tariffs", t.get("product_tariffs"), catalogue, covered, by_code=True
    )
    if len(p.found) > before or catalogue is None or covered is None:
        return None
    assert key and name and main and begin  # reported as missing otherwise
    order = list(catalogue.functions)
    out: dict[str, Any] = {
        "key": key,
        "name": name,
        "main_contractor": main,
        "variant": variant,
        "begindatum": begin.isoformat(),
    }
    if end is not None:
        out["einddatum"] = end.isoformat()
    out["catalogue"] = catalogue.ref
    if chosen is not None:
        out["functions"] = [k for k in order if k in covered]
    out["municipalities"] = dict(sorted(municipalities.items()))
    out["subcontractors"] = [
        {"code": code, "functions": [k for k in order if k in allowed]}
        for code, allowed in sorted(subcontractors.items())
    ]
    if tariffs:
        out["tariffs"] = tariffs
    if product_tariffs:
        out["product_tariffs"] = product_tariffs
    return out


def _covered(
    p: _Problems, where: str, chosen: list[str] | None, catalogue: _Catalogue | None
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
    p: _Problems, where: str, name: str, catalogue: _Catalogue, covered: set[str]
) -> bool:
    if name not in catalogue.functions:
        p.add(where, f"{name} is not a function of {catalogue.ref}")
        return False
    if name not in covered:
        p.add(where, f"{name} is not one of the contract's functions")
        return False
    return True


def _municipalities(
    p: _Problems,
    where: str,
    value: Any,
    ctx: _Context,
    terms: tuple[Any, date | None, date | None],
) -> dict[str, dict[str, Any]]:
    variant, begin, end = terms
    if begin is not None and end is not None and end < begin:
        begin = end = None  # reported already; no period to hold the budget years against
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        p.add(where, "expected a table of municipality codes, at least one")
        return {}
    found: dict[str, dict[str, Any]] = {}
    for code, raw in value.items():
        here = f"{where}.{code}"
        t = _entry(p, here, raw)
        if t is None:
            continue
        _fields(p, here, t, _MUNICIPALITY_FIELDS)
        ctx.role_check(p, here, str(code), (MUNICIPALITY,))
        budget = _budget(p, f"{here}.budget", t.get("budget"), begin, end)
        if variant == TASK_BASED and not t.get("budget"):
            p.add(f"{here}.budget", "a taakgericht contract needs a yearly budget here")
        found[str(code)] = {"budget": budget} if budget else {}
    return found


def _budget(
    p: _Problems, where: str, value: Any, begin: date | None, end: date | None
) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        p.add(where, "expected a table of year = euro cents")
        return {}
    found: dict[str, int] = {}
    for year, amount in value.items():
        text = str(year)
        if not _YEAR.fullmatch(text):
            p.add(where, f"{year!r} is not a year")
            continue
        cents = _money(p, f"{where}.{text}", amount)
        if begin is not None and not (
            begin.year <= int(text) <= (end.year if end is not None else 9999)
        ):
            period = f"{begin}..{end or ''}"
            p.add(f"{where}.{text}", f"{text} is outside the contract period {period}")
        if cents is not None:
            found[text] = cents
    return dict(sorted(found.items()))


def _subcontractors(
    p: _Problems,
    where: str,
    value: Any,
    ctx: _Context,
    main: str | None,
    scope: tuple[_Catalogue | None, set[str] | None],
) -> dict[str, set[str]]:
    catalogue, covered = scope
    found: dict[str, set[str]] = {}
    for i, raw in enumerate(_tables(p, where, value)):
        here = f"{where}[{i}]"
        t = _entry(p, here, raw)
        if t is None:
            continue
        _fields(p, here, t, _SUBCONTRACTOR_FIELDS)
        code = _text(p, f"{here}.code", t.get("code"), 32)
        names = _names(p, f"{here}.functions", t.get("functions"))
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
    p: _Problems,
    where: str,
    value: Any,
    catalogue: _Catalogue | None,
    covered: set[str] | None,
    *,
    by_code: bool,
) -> dict[str, int]:
    if value is None:
        return {}
    what = "product code" if by_code else "function key"
    if not isinstance(value, dict):
        p.add(where, f"expected a table of {what} = euro cents")
        return {}
    found: dict[str, int] = {}
    codes = catalogue.codes(covered) if catalogue is not None and covered is not None else None
    for name, amount in value.items():
        cents = _money(p, f"{where}.{name}", amount)
        if catalogue is None or covered is None:
            continue
        if by_code and codes is not None and name not in codes:
            p.add(
                f"{where}.{name}",
                f"{name} is not the product code of one of the contract's functions",
            )
            continue
        if not by_code and not _function_ok(p, f"{where}.{name}", name, catalogue, covered):
            continue
        if cents is not None:
            found[name] = cents
    if catalogue is None:
        return found
    # Catalogue order, so a dump reads like the catalogue.
    order = [c for _, c in catalogue.functions.values()] if by_code else list(catalogue.functions)
    return {k: found[k] for k in sorted(found, key=order.index)}


def _check_in_use(
    p: _Problems, where: str, data: dict[str, Any], existing: Contract, ctx: _Context
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
    catalogue = ctx.catalogues[_ref_key(data["catalogue"])]
    covered = set(data.get("functions") or catalogue.functions)
    allowed = {s["code"]: set(s["functions"]) for s in data["subcontractors"]}
    issues: dict[tuple[str, str], int] = {}
    for municipality, main, sub, function, categorie, code, count in rows:
        for issue in _lost(data, catalogue, covered, allowed, municipality, main, sub, function):
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
    data: Mapping[str, Any],
    catalogue: _Catalogue,
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
    if municipality not in data["municipalities"]:
        lost.append(("municipalities", f"{municipality} would leave the contract"))
    if main != data["main_contractor"]:
        lost.append(("main_contractor", f"{main} would no longer be the main contractor"))
    if sub != data["main_contractor"] and function not in allowed.get(sub, set()):
        lost.append(("subcontractors", f"{sub} would no longer be allowed {function}"))
    return lost


def _ref_key(ref: str) -> tuple[str, int]:
    key, _, version = ref.partition("@")
    return key, int(version)


# --- product codes -----------------------------------------------------------------------------


def _plan_product_codes(plan: _Plan, ctx: _Context) -> None:
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
    names: dict[tuple[str, int], dict[str, str]] = {
        ref: {f.key: f.name for f in c.functions} for ref, c in ctx.stored.items()
    }
    for new in plan.catalogues:
        names[(new["key"], new["version"])] = {f["key"]: f["name"] for f in new["functions"]}
    wanted: dict[tuple[str, str, str], str] = {}
    for data in plan.in_file:
        ref = _ref_key(data["catalogue"])
        catalogue = ctx.catalogues[ref]
        for key in data.get("functions") or catalogue.functions:
            categorie, code = catalogue.functions[key]
            for gemeente in data["municipalities"]:
                if (gemeente, categorie) not in listed:
                    for known, name in listed.get(("", categorie), {}).items():
                        wanted.setdefault((gemeente, categorie, known), name)
                wanted.setdefault((gemeente, categorie, code), names[ref].get(key, key))
    plan.product_codes = {
        k: v for k, v in wanted.items() if k[2] not in listed.get((k[0], k[1]), {})
    }


# --- loading -----------------------------------------------------------------------------------


def validate(session: Session, data: Any, *, today: date | None = None) -> list[str]:
    """Every problem of a definition, each with its location; empty when it can be loaded."""
    return _plan(session, data, today or clock.today()).problems.found


def load(
    session: Session, data: Any, *, today: date | None = None, dry_run: bool = False
) -> LoadReport:
    """Load a definition in the caller's transaction; raises ConfigError (writing nothing)
    with every problem. With ``dry_run`` only reports what a load would do."""
    plan = _plan(session, data, today or clock.today())
    if plan.problems.found:
        raise plan.problems.error()
    report = plan.report(dry_run)
    if not dry_run:
        _apply(session, plan)
        log.info("contract definition loaded: %s", "; ".join(report.summary()))
    return report


def _apply(session: Session, plan: _Plan) -> None:
    session.add_all(plan.participants)
    for data in plan.catalogues:
        session.add(
            FunctionCatalogue(
                key=data["key"],
                version=data["version"],
                name=data["name"],
                functions=[Function(**f) for f in data["functions"]],
            )
        )
    session.add_all(
        ProductCode(gemeente=g, categorie=c, code=code, omschrijving=name[:_NAME_MAX])
        for (g, c, code), name in sorted(plan.product_codes.items())
    )
    session.flush()
    ids = _catalogue_ids(session)
    for data, existing in plan.contracts:
        _write_contract(session, data, existing, ids[_ref_key(data["catalogue"])])
    session.flush()


def _catalogue_ids(session: Session) -> dict[tuple[str, int], int]:
    rows = session.execute(
        select(FunctionCatalogue.key, FunctionCatalogue.version, FunctionCatalogue.id)
    )
    return {(key, version): id_ for key, version, id_ in rows}


def _write_contract(
    session: Session, data: dict[str, Any], existing: Contract | None, catalogue_id: int
) -> None:
    contract = existing or Contract(key=data["key"])
    contract.name = data["name"]
    contract.main_contractor_code = data["main_contractor"]
    contract.variant = data["variant"]
    contract.begindatum = date.fromisoformat(data["begindatum"])
    end = data.get("einddatum")
    contract.einddatum = date.fromisoformat(end) if end else None
    contract.catalogue_id = catalogue_id
    terms: dict[str, Any] = {}
    for name in ("functions", "tariffs", "product_tariffs"):
        if name in data:
            terms[name] = data[name]
    contract.terms = terms
    if existing is None:
        session.add(contract)
    else:
        contract.updated_at = utcnow()
    _sync_municipalities(contract, data["municipalities"])
    _sync_subcontractors(contract, data["subcontractors"])


def _sync_municipalities(contract: Contract, wanted: Mapping[str, Mapping[str, Any]]) -> None:
    # Rows are updated in place rather than replaced: deleting and inserting the same
    # (contract, code) in one flush can trip the unique constraint.
    rows = {m.municipality_code: m for m in contract.municipalities}
    for code, row in rows.items():
        if code not in wanted:
            contract.municipalities.remove(row)
    for code, terms in wanted.items():
        budgets = dict(terms.get("budget", {}))
        if code in rows:
            rows[code].budgets = budgets
        else:
            contract.municipalities.append(
                ContractMunicipality(municipality_code=code, budgets=budgets)
            )


def _sync_subcontractors(contract: Contract, wanted: Sequence[Mapping[str, Any]]) -> None:
    rows = {s.subcontractor_code: s for s in contract.subcontractors}
    codes = {s["code"] for s in wanted}
    for code, row in rows.items():
        if code not in codes:
            contract.subcontractors.remove(row)
    for s in wanted:
        if s["code"] in rows:
            rows[s["code"]].functions = list(s["functions"])
        else:
            contract.subcontractors.append(
                ContractSubcontractor(subcontractor_code=s["code"], functions=list(s["functions"]))
            )
