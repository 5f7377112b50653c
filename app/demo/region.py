"""Setting up the region on the database: the configuration file, an API key for every
party, and where this run's numbers start so that they never collide with an earlier
run's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.administration import participants
from app.administration.db import Database
from app.administration.models import Client, Message, Participant, Toewijzing
from app.demo.population import MUNICIPALITIES
from app.demo.scenario import Contract
from app.routing import contracts
from app.routing.models import Delegation, MailboxItem, Relay

REGION_FILE = Path(__file__).resolve().parents[2] / "regions" / "amersfoort.toml"
CONTRACT = "amersfoort-begeleiding"
OPERATOR = "demo-operator"
LEVEL_CODES = {1: "02N01", 2: "02N02", 3: "02N03", 4: "02N04"}
FIRST_DECISION_NUMBER = 27_000_001  # a municipality's own numbers, well below 900000000


class RegionError(Exception):
    pass


@dataclass(frozen=True)
class Party:
    code: str
    role: str
    name: str
    key: str


@dataclass(frozen=True)
class Baseline:
    """What the database held before the run: the run's own rows come after these ids."""

    messages: int
    message_id: int
    clients: int
    delegation_id: int
    relay_id: int
    mailbox_id: int


@dataclass(frozen=True)
class Region:
    parties: dict[str, Party]
    contract: Contract
    functions: dict[int, str]  # level -> the contract's function key
    first_numbers: dict[str, int]  # municipality -> the first decision number to use
    baseline: Baseline


def baseline(database: Database) -> Baseline:
    with database.read() as s:

        def last(column: Any) -> int:
            return int(s.scalar(select(func.coalesce(func.max(column), 0))) or 0)

        return Baseline(
            messages=int(s.scalar(select(func.count(Message.id))) or 0),
            message_id=last(Message.id),
            clients=int(s.scalar(select(func.count(Client.id))) or 0),
            delegation_id=last(Delegation.id),
            relay_id=last(Relay.id),
            mailbox_id=last(MailboxItem.id),
        )


def set_up(database: Database, today: date, path: Path = REGION_FILE) -> Region:
    """Load the region file (a second time changes nothing), give every party a new API
    key, and register the operator the demo reads its figures with."""
    try:
        data = contracts.parse_file(path)
        with database.write() as s:
            contracts.load(s, data, today=today)
    except contracts.ConfigError as exc:
        raise RegionError(f"{path}: " + "; ".join(exc.problems)) from exc
    contract = _contract(data)
    parties: dict[str, Party] = {}
    with database.write() as s:
        for p in data.get("participants", []):
            key = participants.rotate_key(s, p["code"])
            parties[p["code"]] = Party(p["code"], p["role"], p["name"], key)
        operator = participants.by_code(s, OPERATOR)
        if operator is None:
            _, key = participants.add(s, OPERATOR, participants.OPERATOR, "Demo operator")
        else:
            key = participants.rotate_key(s, OPERATOR)
        parties[OPERATOR] = Party(OPERATOR, participants.OPERATOR, "Demo operator", key)
        rows = s.execute(
            select(Toewijzing.municipality_code, func.max(Toewijzing.nummer))
            .where(Toewijzing.nummer < 900_000_000)
            .group_by(Toewijzing.municipality_code)
        ).all()
        roles = {code: role for code, role in s.execute(select(Participant.code, Participant.role))}
    missing = [code for code in MUNICIPALITIES if roles.get(code) != participants.MUNICIPALITY]
    if missing:
        raise RegionError(f"{path} does not register municipalities {', '.join(missing)}")
    used = {code: int(n) for code, n in rows}
    first = {code: max(FIRST_DECISION_NUMBER, used.get(code, 0) + 1) for code in MUNICIPALITIES}
    return Region(
        parties=parties,
        contract=contract[0],
        functions=contract[1],
        first_numbers=first,
        baseline=baseline(database),
    )


def _contract(data: dict[str, Any]) -> tuple[Contract, dict[int, str]]:
    """The begeleiding contract as the plan needs it: which subcontractors may deliver
    each level, and the internal tariffs."""
    try:
        [raw] = [c for c in data["contracts"] if c["key"] == CONTRACT]
        [catalogue] = [
            c for c in data["catalogues"] if f"{c['key']}@{c['version']}" == raw["catalogue"]
        ]
    except (KeyError, ValueError) as exc:
        raise RegionError(f"the region file has no contract {CONTRACT} with its catalogue") from exc
    by_code = {f["code"]: f["key"] for f in catalogue["functions"]}
    functions = {level: by_code[code] for level, code in LEVEL_CODES.items() if code in by_code}
    if len(functions) != len(LEVEL_CODES):
        raise RegionError(f"the catalogue of {CONTRACT} lacks begeleiding IN1..IN4")
    allowed = {
        level: [s["code"] for s in raw["subcontractors"] if key in s["functions"]]
        for level, key in functions.items()
    }
    if not all(allowed.values()):
        raise RegionError(f"{CONTRACT} has no subcontractor for every begeleiding level")
    tariffs = {level: int(raw["tariffs"][key]) for level, key in functions.items()}
    contract = Contract(
        main_contractor=raw["main_contractor"],
        allowed=allowed,
        tariffs=tariffs,
        subcontractors=[s["code"] for s in raw["subcontractors"]],
    )
    return contract, functions
