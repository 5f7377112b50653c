"""Property-based fuzzing of the whole HTTP API against its own OpenAPI document.

Schemathesis generates requests for every operation from the document (valid and invalid
ones: the documented examples, boundary values, then random data) and sends them
in-process to the ASGI app, authenticated as an operator and as a municipality, over a
region with real data (see ``conftest.py``). Every response must:

* not be a server error (5xx);
* have a status code the document lists for the operation;
* have a content type the document lists for that status;
* match the documented schema of its body.

Bounded and reproducible: a fixed seed, derandomized generation, a small number of examples
per operation, no example database. ``IWMO_FUZZ_EXAMPLES`` raises the number for a longer
local hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api import create_app
from app.config import Settings
from app.services import Services
from tests.api.conftest import (
    World,
    build_world,
    openapi_document,
)
from tests.conftest import TEST_KEY, wipe

EXAMPLES = int(os.environ.get("IWMO_FUZZ_EXAMPLES", "6"))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20270301,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        # Stateful sequences need links the document does not declare.
        "phases": {"stateful": {"enabled": False}},
    }
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_world(migrated_url: str) -> Iterator[tuple[Any, World]]:
    """One world for the whole module: the fuzzers read and change it in turn."""
    settings = Settings(database_url=migrated_url, secret_key=TEST_KEY)
    services = Services.build(settings)
    api = create_app(settings, services)
    try:
        yield api, build_world(api, services)
    finally:
        services.close()
        wipe(migrated_url)


def _call(case: Any, fuzz_world: tuple[Any, World], role: str) -> None:
    api, world = fuzz_world
    key = world[role].client.headers["authorization"]
    case.call_and_validate(app=api, headers={"authorization": key}, checks=CHECKS)


@schema.parametrize()
def test_as_an_operator(case: Any, fuzz_world: tuple[Any, World]) -> None:
    _call(case, fuzz_world, "operator")


@schema.parametrize()
def test_as_a_municipality(case: Any, fuzz_world: tuple[Any, World]) -> None:
    _call(case, fuzz_world, "gemeente")


# --- what fuzzing found, pinned ----------------------------------------------------------------

TOO_LARGE = 2**63  # beyond SQLite's integers, and PostgreSQL's


def _requests(value: Any, kind: str) -> Iterator[tuple[str, str, str, str, dict[str, Any]]]:
    """For every parameter of the given JSON type: the request with that value in it."""
    for path, item in schema.raw_schema["paths"].items():
        for method, op in item.items():
            parameters = op.get("parameters", [])
            for parameter in parameters:
                types = {parameter["schema"].get("type")} | {
                    branch.get("type") for branch in parameter["schema"].get("anyOf", ())
                }
                if kind not in types or parameter["in"] not in ("path", "query"):
                    continue
                others = {p["name"]: "1" for p in parameters if p["in"] == "path"}
                if parameter["in"] == "path":
                    quoted = quote(str(value), safe="")
                    url, query = path.format(**{**others, parameter["name"]: quoted}), {}
                else:
                    url, query = path.format(**others), {parameter["name"]: value}
                yield method, path, parameter["name"], url, query


def _operator(fuzz_world: tuple[Any, World]) -> TestClient:
    api, world = fuzz_world
    headers = {"authorization": world["operator"].client.headers["authorization"]}
    return TestClient(api, raise_server_exceptions=False, headers=headers)


def test_out_of_range_numbers_are_refused_not_failed(fuzz_world: tuple[Any, World]) -> None:
    client = _operator(fuzz_world)
    failed = set()
    for method, path, name, url, query in _requests(TOO_LARGE, "integer"):
        r = client.request(method, url, params=query)
        if r.status_code != 422:
            failed.add((method, path, name))
        else:
            assert r.headers["content-type"] == "application/problem+json"
    assert failed == set()


def test_text_with_a_nul_byte_is_refused_not_failed(fuzz_world: tuple[Any, World]) -> None:
    """PostgreSQL cannot hold a NUL in text: such a value is refused before it gets there,
    or as an invalid value when it does (never 'database unavailable'); on SQLite it may
    simply find nothing."""
    client = _operator(fuzz_world)
    asked = 0
    for method, _, _, url, query in _requests("a\x00b", "string"):
        asked += 1
        r = client.request(method, url, params=query)
        assert r.status_code in (200, 404, 422), (method, url, query, r.status_code)
    assert asked > 15
