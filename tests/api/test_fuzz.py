"""Property-based fuzzing of the whole HTTP API against its own OpenAPI document.

Schemathesis generates requests for every operation from the document (valid and invalid
ones: the documented examples, boundary values, then random data) and sends them
in-process to the ASGI app, authenticated as an operator and as a municipality, over a
region with real data (see ``conftest.py``). Every check schemathesis has runs on every
response; among them, each response must:

* not be a server error (5xx);
* have a status code, content type, headers and body the document lists for the operation;
* refuse what the document says is invalid (4xx), and accept what it says is valid (2xx,
  or a status that is about what the service holds: 403, 404, 409);
* be refused with 401 when sent again without the key, or with a wrong one;
* answer a method the path does not serve with 405 and an ``Allow`` header naming every
  method it does serve.

Bounded and reproducible: a fixed seed, derandomized generation, a small number of
generated examples per operation (besides the documented examples and schemathesis's
coverage cases), no example database. ``IWMO_FUZZ_EXAMPLES`` raises the number for a
longer local hunt. Every operation is fuzzed, the management ones included: the fuzzers
register participants, issue keys, deactivate participants, load catalogues and replace
contracts, so they get a service and a database of their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core.parameters import ParameterLocation
from starlette.types import Receive, Scope, Send

from app.administration import participants
from app.api import create_app, examples
from app.config import Settings
from app.services import Services
from tests.api.conftest import GEMEENTE, OPERATOR, World, build_world, openapi_document
from tests.conftest import TEST_KEY, migrate, own_database, reference_dir

EXAMPLES = int(os.environ.get("IWMO_FUZZ_EXAMPLES", "6"))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20270301,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        # Sequences of calls (where use_after_free and ensure_resource_availability apply)
        # need OpenAPI links, which the document does not declare.
        "phases": {"stateful": {"enabled": False}},
    }
)

load_all_checks()
CHECKS = list(REGISTERED_CHECKS.get_all())
"""Every check schemathesis knows, none left out."""

FUZZERS = {"operator": OPERATOR, "gemeente": GEMEENTE}
"""The roles the fuzzers call as (by the world's role name), and their codes."""


def _messages() -> list[bytes]:
    """iWmo 3.2 messages: the document's own examples and the published ones."""
    published = sorted((reference_dir() / "examples").glob("WMO*.xml"))
    return [
        examples.ALLOCATION.encode(),
        examples.CHANGE_REQUEST.encode(),
        *(path.read_bytes() for path in published),
    ]


# The XML bodies are iWmo messages: the document says so in words and each message's XSD
# says what one is, which schemathesis cannot read. It is taught the format with the
# messages above, so what it sends as valid is a message; what is not one (empty, blank,
# broken) the hostile-input tests send.
schemathesis.openapi.media_type("application/xml", st.sampled_from(_messages()))


class _Service:
    """The fuzzers' service, as the ASGI application the schema sends every request to:
    the fuzzers' own and those the checks send themselves (the same without a key, with a
    wrong one). The schema is built when the module loads; the service in its fixture."""

    api: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.api is not None, "the fuzzed fixture sets the service"
        await self.api(scope, receive, send)


SERVICE = _Service()
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)
schema.app = SERVICE


class Fuzzed:
    """The fuzzers' own service: the application, its services and the world in it."""

    def __init__(self, api: FastAPI, services: Services, world: World) -> None:
        self.api, self.services, self.world = api, services, world
        self.keys = {
            role: world[role].client.headers["authorization"].removeprefix("Bearer ")
            for role in FUZZERS
        }

    def keep_keys(self) -> None:
        """Give the fuzzers back their keys and their access: a generated code may name one
        of them when keys are issued or participants deactivated."""
        with self.services.database.write() as s:
            for role, code in FUZZERS.items():
                p = participants.by_code(s, code)
                assert p is not None
                p.active = True
                p.api_key_hash = participants.hash_key(self.keys[role])
        self.api.state.key_cache.clear()
        self.services.intake.participants.forget()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    with own_database(Path(tmp_path_factory.mktemp("fuzz"))) as url:
        settings = Settings(database_url=migrate(url), secret_key=TEST_KEY)
        services = Services.build(settings)
        api = create_app(settings, services)
        SERVICE.api = api
        try:
            yield Fuzzed(api, services, build_world(api, services))
        finally:
            SERVICE.api = None
            services.close()


def _call(case: Any, fuzzed: Fuzzed, role: str) -> None:
    key = {"Authorization": f"Bearer {fuzzed.keys[role]}"}
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        # The case is about the key itself (none, or a broken one): sent as generated, it
        # must be refused with 401.
        key = {}
    else:
        # The key in the case (what the schema's security asks for, in place of what was
        # generated) and as the caller's own, so the checks know it is a real key and send
        # the request again without it and with a wrong one.
        case.headers = {**(case.headers or {}), **key}
    try:
        case.call_and_validate(headers=key or None, checks=CHECKS)
    finally:
        if case.path.startswith("/v1/participants/"):
            fuzzed.keep_keys()


@schema.parametrize()
def test_as_an_operator(case: Any, fuzzed: Fuzzed) -> None:
    _call(case, fuzzed, "operator")


@schema.parametrize()
def test_as_a_municipality(case: Any, fuzzed: Fuzzed) -> None:
    _call(case, fuzzed, "gemeente")


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


def _operator(fuzzed: Fuzzed) -> TestClient:
    headers = {"authorization": f"Bearer {fuzzed.keys['operator']}"}
    return TestClient(fuzzed.api, raise_server_exceptions=False, headers=headers)


def test_out_of_range_numbers_are_refused_not_failed(fuzzed: Fuzzed) -> None:
    client = _operator(fuzzed)
    failed = set()
    for method, path, name, url, query in _requests(TOO_LARGE, "integer"):
        r = client.request(method, url, params=query)
        if r.status_code != 422:
            failed.add((method, path, name))
        else:
            assert r.headers["content-type"] == "application/problem+json"
    assert failed == set()


def test_text_with_a_nul_byte_is_refused_not_failed(fuzzed: Fuzzed) -> None:
    """PostgreSQL cannot hold a NUL in text: such a value is refused before it gets there,
    or as an invalid value when it does (never 'database unavailable'); on SQLite it may
    simply find nothing."""
    client = _operator(fuzzed)
    asked = 0
    for method, _, _, url, query in _requests("a\x00b", "string"):
        asked += 1
        r = client.request(method, url, params=query)
        assert r.status_code in (200, 404, 422), (method, url, query, r.status_code)
    assert asked > 15
