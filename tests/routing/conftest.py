"""Fixtures and builders for the routing tests: contract definitions, participants with
keys, and delegation rows set up directly in the database."""

from __future__ import annotations

import copy
from datetime import date, time
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.administration import models as db
from app.administration import participants
from app.config import Settings
from app.routing import contracts
from app.routing.models import Contract, Decision, Delegation
from app.services import Services
from tests.administration.conftest import aanbieder, anonymous, app, gemeente, operator  # noqa: F401
from tests.administration.helpers import Party
from tests.conftest import ROOT

REGION = ROOT / "regions" / "amersfoort.toml"

MAIN = "99000001"
SUB = "99000002"
OTHER_SUB = "99000003"

_MINIMAL: dict[str, Any] = {
    "participants": [
        {"code": "0307", "role": "municipality", "name": "Amersfoort"},
        {"code": "0308", "role": "municipality", "name": "Baarn"},
        {"code": MAIN, "role": "main_contractor", "name": "Main"},
        {"code": SUB, "role": "subcontractor", "name": "Sub A"},
        {"code": OTHER_SUB, "role": "subcontractor", "name": "Sub B"},
    ],
    "catalogues": [
        {
            "key": "cat",
            "version": 1,
            "name": "Test catalogue",
            "functions": [
                {"key": "f1", "name": "Function 1", "categorie": "02", "code": "02N01"},
                {"key": "f2", "name": "Function 2", "categorie": "02", "code": "02N02"},
                {"key": "f3", "name": "Function 3", "categorie": "15", "code": "15N01"},
            ],
        }
    ],
    "contracts": [
        {
            "key": "c1",
            "name": "Contract 1",
            "main_contractor": MAIN,
            "variant": "taakgericht",
            "begindatum": "2027-01-01",
            "einddatum": "2030-12-31",
            "catalogue": "cat@1",
            "functions": ["f1", "f2"],
            "municipalities": {
                "0307": {"budget": {"2027": 100_000}},
                "0308": {"budget": {"2027": 50_000}},
            },
            "subcontractors": [
                {"code": SUB, "functions": ["f1", "f2"]},
                {"code": OTHER_SUB, "functions": ["f2"]},
            ],
            "tariffs": {"f1": 1000},
            "product_tariffs": {"02N01": 500},
        }
    ],
}


def minimal() -> dict[str, Any]:
    """A small valid definition: two municipalities, a main contractor, two
    subcontractors, catalogue cat@1 (f1, f2, f3) and task-based contract c1 (f1, f2)."""
    return copy.deepcopy(_MINIMAL)


def load(services: Services, data: Any, **options: Any) -> contracts.LoadReport:
    with services.database.write() as s:
        report = contracts.load(s, data, **options)
    services.contracts.forget()
    return report


def problems(services: Services, data: Any, **options: Any) -> list[str]:
    with services.database.read() as s:
        return contracts.validate(s, data, **options)


def dump(services: Services, key: str) -> dict[str, Any]:
    with services.database.read() as s:
        contract = s.query(Contract).filter_by(key=key).one()
        return contracts.contract_as_dict(contract)


def keyed(api: Any, services: Services, code: str) -> Party:
    """A client for a participant loaded from a file, after giving it a key."""
    with services.database.write() as s:
        key = participants.rotate_key(s, code)
        role = participants.by_code(s, code).role  # type: ignore[union-attr]
    return Party(code, role, TestClient(api, headers={"authorization": f"Bearer {key}"}))


_serial = count(1)


def delegate(
    services: Services,
    contract_key: str,
    *,
    municipality: str = "0307",
    subcontractor: str = SUB,
    function: str = "f1",
    einddatum: date | None = None,
    status: str = "confirmed",
) -> None:
    """A delegation of a function under a contract (reported under the product category
    and code the contract's catalogue gives it), with the minimal decision, allocations,
    client and message rows it refers to."""
    n = next(_serial)
    with services.database.write() as s:
        contract = s.query(Contract).filter_by(key=contract_key).one()
        [(categorie, code)] = [
            (f.categorie, f.code) for f in contract.catalogue.functions if f.key == function
        ]
        client = db.Client(municipality_code=municipality, bsn_hash=f"{n:064x}", bsn_encrypted=b"-")
        message = db.Message(direction="in", sha256=f"{n:064x}", size=1, raw_encrypted=b"-")
        s.add_all([client, message])
        s.flush()
        generic = _allocation(client, contract.main_contractor_code, 2 * n)
        delegated = _allocation(client, subcontractor, 2 * n + 1)
        s.add_all([generic, delegated])
        s.flush()
        decision = Decision(
            contract_id=contract.id,
            toewijzing_id=generic.id,
            client_id=client.id,
            municipality_code=municipality,
            source_message_id=message.id,
        )
        s.add(decision)
        s.flush()
        s.add(
            Delegation(
                decision_id=decision.id,
                contract_id=contract.id,
                client_id=client.id,
                municipality_code=municipality,
                main_contractor_code=contract.main_contractor_code,
                subcontractor_code=subcontractor,
                function_key=function,
                categorie=categorie,
                code=code,
                begindatum=date(2027, 1, 1),
                einddatum=einddatum,
                toewijzing_id=delegated.id,
                toewijzing_nummer=delegated.nummer,
                status=status,
                last_message_id=message.id,
            )
        )


def _allocation(client: db.Client, provider: str, nummer: int) -> db.Toewijzing:
    return db.Toewijzing(
        municipality_code=client.municipality_code,
        nummer=nummer,
        client_id=client.id,
        provider_code=provider,
        toewijzingsdatum=date(2027, 1, 1),
        toewijzingstijd=time(9, 0),
        ingangsdatum=date(2027, 1, 1),
    )


@pytest.fixture
def cli_env(settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI on the test database (``services`` empties it afterwards)."""
    monkeypatch.setenv("IWMO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IWMO_SECRET_KEY", settings.secret_key or "")


@pytest.fixture
def region(services: Services) -> contracts.LoadReport:
    """The shipped Amersfoort region, loaded."""
    return load(services, contracts.parse_file(REGION))


def write_json(path: Path, data: Any) -> Path:
    import json

    path.write_text(json.dumps(data), encoding="utf-8")
    return path
