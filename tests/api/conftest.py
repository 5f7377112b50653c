"""A small region with real data, built through the API, for the tests that look at the API
as a whole (fuzzing, the authorization matrix, the OpenAPI document).

The world: the shipped Amersfoort region; municipality 0307 allocates a generic decision
to the main contractor, which delegates begeleiding IN3 to subcontractor A; subcontractor A
confirms and starts, and the start is relayed to 0307, which accepts it. A second
delegation (begeleiding IN1 to subcontractor A) is sent but not started. Apart from the
contract, 0307 allocates a product directly to a plain provider, which declares on it.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, compile_path

from app import retour
from app.administration import participants
from app.administration.db import Database
from app.api import create_app
from app.config import Settings
from app.routing import contracts
from app.services import Services
from tests.administration.conftest import app  # noqa: F401
from tests.administration.helpers import (
    OTHER_BSN,
    Party,
    approved,
    declaratie,
    party,
    prestatie,
    start,
    toegewezen,
    toewijzingen,
)
from tests.conftest import TEST_KEY
from tests.routing.conftest import REGION, keyed

TODAY = date(2027, 3, 1)
GEMEENTE, OTHER_GEMEENTE = "0307", "0308"
MAIN, SUB, OTHER_SUB = "99000001", "99000002", "99000003"
PROVIDER = "12345678"  # a plain provider, in no contract
OPERATOR = "ops"
DECISION = 5001  # the municipality's allocation number of the generic decision
DIRECT = 7001  # the municipality's allocation number of the direct allocation

# Every role of the authorization matrix, in the order its rows list them.
ROLES = ("anonymous", "gemeente", "gemeente2", "main", "sub", "sub2", "provider", "operator")


@dataclass
class World:
    """The parties (by role name) and the ids of what they made."""

    parties: dict[str, Party]
    anonymous: TestClient
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, role: str) -> Party:
        return self.parties[role]


def set_clock(services: Services) -> None:
    """The messages are dated 2027: judge them as on 1 March 2027."""
    services.intake.clock = lambda: TODAY


def load_region(services: Services) -> None:
    with services.database.write() as s:
        contracts.load(s, contracts.parse_file(REGION))
    services.contracts.forget()


def _mailbox(who: Party) -> list[dict[str, Any]]:
    r = who.get("/v1/mailbox")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _fetch(who: Party, item: dict[str, Any]) -> Any:
    from tests.administration.helpers import decode

    r = who.get(f"/v1/mailbox/{item['id']}")
    assert r.status_code == 200, r.text
    return decode(r.content)


def _delegate(main: Party, decision_id: int, function: str, subcontractor: str) -> int:
    r = main.client.post(
        "/v1/delegations",
        json={
            "decision_id": decision_id,
            "function": function,
            "subcontractor": subcontractor,
            "begindatum": "2027-02-01",
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def build_world(api: Any, services: Services) -> World:
    """Load the region and play the chain through the API; see the module's docstring."""
    set_clock(services)
    load_region(services)
    parties = {
        "gemeente": keyed(api, services, GEMEENTE),
        "gemeente2": keyed(api, services, OTHER_GEMEENTE),
        "main": keyed(api, services, MAIN),
        "sub": keyed(api, services, SUB),
        "sub2": keyed(api, services, OTHER_SUB),
        "provider": party(api, services, PROVIDER, participants.PROVIDER, "Plain provider"),
        "operator": party(api, services, OPERATOR, participants.OPERATOR, "Operator"),
    }
    world = World(parties, TestClient(api))
    gemeente, main, sub = parties["gemeente"], parties["main"], parties["sub"]
    ids = world.ids

    # The generic decision (no product, a budget, 2027) to the main contractor.
    decision = toewijzingen(
        toegewezen(
            DECISION,
            Product=None,
            Omvang=None,
            Budget=1_500_000,
            Toewijzingsdatum=date(2027, 1, 5),
            Ingangsdatum=date(2027, 1, 1),
            Einddatum=date(2027, 12, 31),
        ),
        gemeente=GEMEENTE,
        aanbieder=MAIN,
        dagtekening=date(2027, 1, 5),
    )
    r = gemeente.send(decision)
    assert approved(r)
    ids["decision_message"] = int(r.headers["location"].rsplit("/", 1)[1])
    [found] = main.get("/v1/decisions").json()["items"]
    ids["decision"] = int(found["id"])
    ids["client"] = int(found["client_id"])
    [allocation] = main.get("/v1/toewijzingen", client_id=ids["client"]).json()["items"]
    ids["decision_allocation"] = int(allocation["id"])

    # Delegated to subcontractor A, which confirms with its WMO302 and starts.
    ids["delegation"] = _delegate(main, ids["decision"], "begeleiding-in3", SUB)
    [item] = _mailbox(sub)
    ids["sub_item"] = int(item["id"])
    delegated = _fetch(sub, item)
    assert sub.send(retour.build(delegated, dagtekening=TODAY)).status_code == 200
    sub_start = start(
        nummer=900_000_000,
        begindatum=date(2027, 2, 3),
        categorie="02",
        code="02N03",
        ingangsdatum=date(2027, 2, 1),
        gemeente=GEMEENTE,
        aanbieder=SUB,
    )
    sub_start.Header.BerichtIdentificatie.Dagtekening = TODAY
    r = sub.send(sub_start)
    assert approved(r)
    ids["sub_start_message"] = int(r.headers["location"].rsplit("/", 1)[1])
    [relay] = main.get("/v1/relays").json()["items"]
    ids["relay"] = int(relay["id"])

    # The municipality receives the relayed start and accepts it.
    [item] = _mailbox(gemeente)
    ids["gemeente_item"] = int(item["id"])
    relayed = _fetch(gemeente, item)
    assert gemeente.send(retour.build(relayed, dagtekening=TODAY)).status_code == 200
    assert main.get(f"/v1/relays/{ids['relay']}").json()["status"] == "accepted"
    ids["main_item"] = int(_mailbox(main)[0]["id"])

    [delegated] = sub.get("/v1/toewijzingen").json()["items"]
    ids["delegated_allocation"] = int(delegated["id"])

    deliveries = {
        d["provider_code"]: d["id"] for d in gemeente.get("/v1/leveringen").json()["items"]
    }
    ids["sub_delivery"], ids["main_delivery"] = deliveries[SUB], deliveries[MAIN]

    # A second delegation, sent but not started (so it may still be withdrawn).
    ids["delegation2"] = _delegate(main, ids["decision"], "begeleiding-in1", SUB)

    # Outside the contract: a direct allocation of 0307 to the plain provider, declared on.
    provider = parties["provider"]
    direct = toewijzingen(toegewezen(DIRECT), bsn=OTHER_BSN, gemeente=GEMEENTE, aanbieder=PROVIDER)
    assert approved(gemeente.send(direct))
    [allocation] = provider.get("/v1/toewijzingen").json()["items"]
    ids["direct_allocation"] = int(allocation["id"])
    ids["direct_client"] = int(allocation["client_id"])
    r = provider.send(
        declaratie(
            (OTHER_BSN, prestatie("R1", nummer=DIRECT)), gemeente=GEMEENTE, aanbieder=PROVIDER
        )
    )
    assert r.status_code == 200, r.text
    [declaration] = provider.get("/v1/declaraties").json()["items"]
    ids["declaration"] = int(declaration["id"])
    ids["provider_item"] = int(_mailbox(provider)[0]["id"])
    return world


@pytest.fixture
def world(app: Any, services: Services) -> World:  # noqa: F811
    return build_world(app, services)


@cache
def offline_app() -> FastAPI:
    """The application on an empty database of its own: enough for its routes and its
    OpenAPI document, which touch no data. The tables must exist all the same: the service
    checks its key against the database before it starts."""
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='iwmo-offline-')) / 'iwmo.db'}"
    database = Database(url)
    database.create_all()
    database.dispose()
    settings = Settings(database_url=url, secret_key=TEST_KEY)
    return create_app(settings, Services.build(settings))


def endpoints(api: FastAPI) -> list[tuple[str, str, BaseRoute]]:
    """Every (method, path, route) the application serves, HEAD aside, from ``app.routes``,
    the path as the OpenAPI document writes it (``{message_id}``, not the route's
    ``{message_id:digits}``). FastAPI 0.16x keeps included routers as such in
    ``app.routes``; older versions list their routes with the prefix applied."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        contexts: Any = api.routes
    else:
        contexts = iter_route_contexts(api.routes)
    found = []
    for context in contexts:
        route = getattr(context, "original_route", context)
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                found.append((method, compile_path(context.path)[1], route))
    return found


def openapi_document() -> dict[str, Any]:
    """The service's own OpenAPI document, as ``GET /openapi.json`` serves it."""
    return copy.deepcopy(offline_app().openapi())
