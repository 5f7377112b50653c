"""The body limit on every endpoint but the XML ones (``app.api.bodies.BodyLimit``).

The tests on ``app`` expect the middleware registered in ``create_app``; the others wrap a
small application of their own."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.api.bodies import XML_ENDPOINTS, BodyLimit, read_capped
from tests.administration.helpers import Party
from tests.hardening.support import CHUNK, XML, Source, auth, measured, post_streamed

MB = 1024 * 1024
LIMIT = MB  # the JSON limit create_app registers
PROBLEM = "application/problem+json"


def _too_large(r: Any, *words: str) -> dict[str, Any]:
    assert r.status_code == 413, r.text[:500]
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["connection"] == "close"
    problem: dict[str, Any] = r.json()
    assert problem["type"] == "urn:iwmo-hub:problem:too_large"
    assert problem["status"] == 413
    assert problem["title"] == "the request body is too large"
    for word in words:
        assert word in problem["detail"]
    return problem


def _json_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation that takes a body, but the XML ones; path
    parameters filled in."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation and (method.upper(), path) not in XML_ENDPOINTS:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


# --- registered in create_app -----------------------------------------------------------------


def test_every_json_endpoint_refuses_a_body_over_1mib_unread(
    app: FastAPI, aanbieder: Party
) -> None:
    routes = _json_routes(app)
    assert ("POST", "/v1/clienten/zoeken") in routes
    body = json.dumps({"bsn": "999900006", "pad": "x" * (2 * MB)}).encode()
    for method, path in routes:
        source = Source(len(body), head=body[:100])
        headers = {
            "content-type": "application/json",
            "content-length": str(len(body)),
            **auth(aanbieder),
        }
        r = post_streamed(app, path, source, headers, method=method)
        _too_large(r, f"{len(body):,} bytes", "1,048,576 bytes")
        assert source.taken == 0, (method, path)


def test_a_json_body_streamed_over_1mib_is_cut(app: FastAPI, aanbieder: Party) -> None:
    source = Source(50 * MB, head=b'{"bsn": "')
    headers = {"content-type": "application/json", **auth(aanbieder)}
    r, peak = measured(lambda: post_streamed(app, "/v1/clienten/zoeken", source, headers))
    _too_large(r, "1,048,576 bytes")
    assert LIMIT < source.taken <= LIMIT + CHUNK
    assert peak < 4 * MB


def test_a_json_body_under_the_limit_is_handled(app: FastAPI, aanbieder: Party) -> None:
    body = json.dumps({"bsn": "999900006", "pad": "x" * (LIMIT - 100)}).encode()
    assert len(body) <= LIMIT
    r = aanbieder.client.post(
        "/v1/clienten/zoeken", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 200, r.text[:500]
    assert r.json() == []


def test_the_xml_endpoints_keep_their_own_limit(app: FastAPI, gemeente: Party) -> None:
    body = b"<Bericht>" + b"<x/>" * MB + b"</Bericht>"  # 4 MiB, under the message limit
    r = gemeente.client.post("/v1/berichten", content=body, headers=XML)
    assert r.status_code == 400  # judged by the service and stored, not cut off
    assert r.json()["type"] == "urn:iwmo-hub:problem:unknown_root"
    assert gemeente.get(f"/v1/berichten/{r.json()['message_id']}").json()["size"] == len(body)
    r = TestClient(app).post("/v1/validate", content=body, headers=XML)
    assert r.status_code == 200
    assert r.json()["message"] is None


# --- the middleware on its own ----------------------------------------------------------------


async def _greedy(request: Request) -> Response:
    """Reads its body whole, however large: what the middleware must stop."""
    body = await request.body()
    return JSONResponse({"read": len(body)})


async def _careful(request: Request) -> Response:
    body = await read_capped(request, 1000, keep=10)
    return JSONResponse({"too_large": body.too_large, "size": body.size, "head": len(body.data)})


class _Early:
    """Starts its answer before it reads the body (an ASGI application of its own)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"started;", "more_body": True})
        read = 0
        while True:
            message = await receive()
            read += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        await send(
            {
                "type": "http.response.body",
                "body": b"%s after %d" % (message["type"].encode(), read),
            }
        )


def _toy(**limits: Any) -> Any:
    app = Starlette(
        routes=[
            Route("/v1/berichten", _greedy, methods=["POST"]),
            Route("/v1/validate", _careful, methods=["POST"]),
            Route("/v1/other", _greedy, methods=["POST", "GET"]),
            Route("/v1/early", _Early(), methods=["POST"]),
        ]
    )
    return BodyLimit(app, **limits)


def test_a_body_over_the_limit_is_refused_by_its_length() -> None:
    r = TestClient(_toy(json_limit=1000)).post("/v1/other", content=b"x" * 1001)
    _too_large(r, "1,001 bytes", "1,000 bytes")
    r = TestClient(_toy(json_limit=1000)).post("/v1/other", content=b"x" * 1000)
    assert r.json() == {"read": 1000}


def test_a_stream_over_the_limit_is_cut_and_the_application_never_sees_it() -> None:
    source = Source(10 * MB)
    r = post_streamed(_toy(json_limit=1000), "/v1/other", source, {})
    _too_large(r, "at least")
    assert source.taken == CHUNK  # the first chunk was already over


def test_xml_endpoints_are_left_to_their_handlers() -> None:
    app = _toy(json_limit=1000, xml_limit=1000)
    # Declared over the limit: the handler decides (and here keeps the first 10 bytes).
    r = post_streamed(app, "/v1/validate", Source(5000, chunk=100), {"content-length": "5000"})
    assert r.json() == {"too_large": True, "size": 5000, "head": 10}
    r = post_streamed(app, "/v1/validate", Source(5000, chunk=100), {})
    assert r.json() == {"too_large": True, "size": 1100, "head": 10}


def test_an_xml_handler_that_reads_past_the_xml_limit_is_stopped() -> None:
    source = Source(10 * MB, chunk=100)
    r = post_streamed(_toy(xml_limit=1000), "/v1/berichten", source, {})
    _too_large(r, "at least 1,100 bytes", "1,000 bytes")
    assert source.taken == 1100
    # Without an xml_limit the middleware leaves XML bodies alone.
    r = post_streamed(_toy(), "/v1/berichten", Source(5000, chunk=100), {})
    assert r.json() == {"read": 5000}


def test_requests_without_a_body_pass() -> None:
    r = TestClient(_toy(json_limit=10)).get("/v1/other")
    assert r.status_code == 200 and r.json() == {"read": 0}


def test_an_answer_already_started_is_not_replaced() -> None:
    r = post_streamed(_toy(json_limit=1000), "/v1/early", Source(5000, chunk=100), {})
    assert r.status_code == 200
    # The application was told the client left; its answer stands, no 413 mixed in.
    assert r.content == b"started;http.disconnect after 1000"


@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
def test_other_scopes_pass_untouched(scope_type: str) -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def nothing() -> dict[str, Any]:
        return {}

    async def ignore(message: Any) -> None:
        return None

    asyncio.run(BodyLimit(inner, json_limit=1)({"type": scope_type}, nothing, ignore))
    assert seen == [scope_type]
