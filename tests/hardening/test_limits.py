"""Size limits on XML bodies: refused by Content-Length before reading, or as soon as the
stream passes the limit; what is refused is still stored (its first 64 KiB); memory never
grows with what a client sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select
from starlette.types import Message

from app.administration import models as db
from app.api import create_app
from app.api.bodies import DRAIN_FACTOR
from app.config import DEFAULT_MAX_MESSAGE_BYTES, Settings
from app.intake import TOO_LARGE_KEPT
from app.rules.constraints import elfproef
from app.services import Services
from tests.administration.helpers import Party, approved, declaratie, prestatie, xml
from tests.hardening.support import (
    CHUNK,
    XML,
    Source,
    auth,
    measured,
    message,
    pieces,
    post_streamed,
    raw,
    recorded,
    refused,
)

MB = 1024 * 1024
FIFTY_MB = 50 * MB
# Over the default limit (which admits a 50,000-line declaration) by a margin.
OVER_DEFAULT = DEFAULT_MAX_MESSAGE_BYTES + 16 * MB


@pytest.fixture
def hub(settings: Settings, services: Services) -> Iterator[Callable[[int], FastAPI]]:
    """Apps with another message size limit, on the same database as ``app``."""
    built: list[Services] = []

    def build(limit: int) -> FastAPI:
        svc = Services.build(settings.replace(max_message_bytes=limit))
        built.append(svc)
        return create_app(svc.settings, svc)

    yield build
    for svc in built:
        svc.close()


def stored_count(services: Services) -> int:
    with services.database.read() as s:
        return int(s.scalar(select(func.count()).select_from(db.Message)) or 0)


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    hub: Callable[[int], FastAPI], gemeente: Party
) -> None:
    source = Source(FIFTY_MB)
    headers = {**XML, **auth(gemeente), "content-length": str(FIFTY_MB)}
    r = post_streamed(hub(MB), "/v1/berichten", source, headers)
    problem = refused(r, 413, "too_large", "52,428,800 bytes", "1,048,576 bytes")
    assert problem["code"] == "IB012"
    assert r.headers["connection"] == "close"
    # Only the head was read, to keep a record of what it was.
    assert source.taken <= TOO_LARGE_KEPT + CHUNK
    seen = recorded(gemeente, problem["message_id"])
    assert (seen["status"], seen["size"]) == ("unreadable", FIFTY_MB)
    assert raw(gemeente, problem["message_id"]) == source.first(TOO_LARGE_KEPT)


@pytest.mark.parametrize("limit", [MB, DEFAULT_MAX_MESSAGE_BYTES], ids=["1MiB", "default"])
def test_a_50mb_stream_is_cut_at_the_limit_in_bounded_memory(
    limit: int,
    hub: Callable[[int], FastAPI],
    gemeente: Party,
    record_property: Callable[[str, object], None],
) -> None:
    app = hub(limit)
    size = max(FIFTY_MB, 3 * limit)
    source = Source(size)  # no Content-Length: sent chunked
    r, peak = measured(
        lambda: post_streamed(app, "/v1/berichten", source, {**XML, **auth(gemeente)})
    )
    record_property("peak_bytes", peak)
    record_property("read_bytes", source.taken)
    problem = refused(r, 413, "too_large", f"{limit:,} bytes")
    # Past the limit the body is read on without being kept, to know it by a hash of all
    # of it, up to four times the limit ...
    assert limit < source.taken <= min(size, DRAIN_FACTOR * limit + CHUNK)
    if DRAIN_FACTOR * limit >= size:
        assert source.taken == size
    # ... holding no more than the limit: well below the body's size.
    assert peak < limit * 1.2 + 2 * MB
    assert peak < size / 2
    seen = recorded(gemeente, problem["message_id"])
    assert (seen["status"], seen["size"]) == ("unreadable", source.taken)
    assert raw(gemeente, problem["message_id"]) == source.first(TOO_LARGE_KEPT)


def test_a_body_over_the_default_limit_in_one_piece_is_refused_and_its_head_stored(
    gemeente: Party,
) -> None:
    body = b"<wmo301:Bericht>" + b"x" * (OVER_DEFAULT - 16)
    r = gemeente.client.post("/v1/berichten", content=body, headers=XML)
    problem = refused(r, 413, "too_large", f"{OVER_DEFAULT:,} bytes")
    seen = recorded(gemeente, problem["message_id"])
    assert (seen["status"], seen["size"]) == ("unreadable", OVER_DEFAULT)
    assert raw(gemeente, problem["message_id"]) == body[:TOO_LARGE_KEPT]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_limit_is_exact(
    chunked: bool, hub: Callable[[int], FastAPI], gemeente: Party, aanbieder: Party
) -> None:
    headers = {**XML, **auth(gemeente)}

    def send(body: bytes, limit: int) -> Any:
        if chunked:
            return post_streamed(hub(limit), "/v1/berichten", pieces(body), headers)
        return TestClient(hub(limit)).post("/v1/berichten", content=body, headers=headers)

    body = message()
    assert approved(send(body, len(body)))
    # Another message (the same bytes again would get the stored answer, whatever the limit).
    other = message()
    assert len(other) == len(body)
    refused(send(other, len(other) - 1), 413, "too_large", f"{len(other) - 1:,} bytes")


def test_validate_refuses_over_the_limit_without_storing(
    hub: Callable[[int], FastAPI], services: Services
) -> None:
    app = hub(MB)
    declared = Source(FIFTY_MB)
    r = post_streamed(app, "/v1/validate", declared, {**XML, "content-length": str(FIFTY_MB)})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "urn:iwmo-hub:problem:too_large"
    assert "52,428,800 bytes" in problem["detail"] and "1,048,576 bytes" in problem["detail"]
    assert declared.taken == 0
    chunked = Source(FIFTY_MB)
    r = post_streamed(app, "/v1/validate", chunked, XML)
    assert r.status_code == 413
    assert r.json()["type"] == "urn:iwmo-hub:problem:too_large"
    assert MB < chunked.taken <= MB + CHUNK
    r = TestClient(app).post("/v1/validate", content=message(), headers=XML)
    assert r.status_code == 200 and r.json()["findings"] == []
    assert stored_count(services) == 0


def test_no_body_is_read_before_authentication(app: FastAPI, services: Services) -> None:
    source = Source(FIFTY_MB)
    r = post_streamed(app, "/v1/berichten", source, {**XML, "content-length": str(FIFTY_MB)})
    assert r.status_code == 401
    assert source.taken == 0
    assert stored_count(services) == 0


@pytest.mark.parametrize("path", ["/v1/berichten", "/v1/validate"])
def test_a_client_that_leaves_mid_body_gets_no_5xx_and_nothing_is_stored(
    path: str, app: FastAPI, services: Services, gemeente: Party
) -> None:
    """The body stops half way: the client disconnected."""
    messages: list[Message] = [
        {"type": "http.request", "body": message()[:500], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(msg: Message) -> None:
        sent.append(msg)

    headers = [(b"content-type", b"application/xml")] + [
        (k.encode(), v.encode()) for k, v in auth(gemeente).items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("hub", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400
    assert b"incomplete_body" in sent[1]["body"]
    assert stored_count(services) == 0


def _bsns() -> Iterator[str]:
    for n in count(100_000_000):
        if elfproef(f"{n:09d}"):
            yield f"{n:09d}"


CLIENTS = 5000


def test_a_declaration_for_5000_clients_just_under_the_limit_is_answered(
    hub: Callable[[int], FastAPI],
    gemeente: Party,
    aanbieder: Party,
) -> None:
    """Schema-valid; no client has an allocation from the municipality, so each is refused
    as a client (8187, TR304) and the WMO325 lists all 5,000 lines as not judged (0233)."""
    bsn = _bsns()
    body = xml(
        declaratie(
            *[(next(bsn), prestatie(f"R{i:07d}", nummer=10_000 + i)) for i in range(CLIENTS)]
        )
    )
    client = TestClient(hub(len(body) + 1))
    r = client.post("/v1/berichten", content=body, headers={**XML, **auth(aanbieder)})
    assert r.status_code == 200, r.text[:2000]
    assert r.headers["content-type"] == "application/xml"
    answer = etree.fromstring(r.content)
    lines = answer.findall(
        ".//{*}DeclaratieAntwoord/{*}Clienten/{*}Client/{*}Prestaties/{*}Prestatie"
    )
    assert len(lines) == CLIENTS
    assert {c.text for line in lines for c in line.iterfind("{*}RetourCodes/{*}RetourCode")} == {
        "0233"
    }
    clients = answer.findall(".//{*}DeclaratieAntwoord/{*}Clienten/{*}Client")
    assert {c.findtext("{*}RetourCodes/{*}RetourCode") for c in clients} == {"8187"}
    message_id = int(r.headers["location"].rsplit("/", 1)[1])
    seen = recorded(aanbieder, message_id)
    assert (seen["status"], seen["size"]) == ("rejected", len(body))
    # The record lists the first findings and counts the rest; the WMO325 above has them all.
    assert len(seen["findings"]) == 100
    assert seen["findings_omitted"] == CLIENTS - 100


def test_a_large_body_is_known_by_a_hash_of_all_of_it(
    hub: Callable[[int], FastAPI], gemeente: Party
) -> None:
    """Two different bodies over the limit that begin alike are two messages; the same body
    sent twice is one, answered from the record; a body too long to read to its end is
    never taken for another."""
    app = hub(100_000)  # bodies up to 400,000 bytes are read to their end
    headers = {**XML, **auth(gemeente)}

    def send(size: int) -> dict[str, Any]:
        r = post_streamed(app, "/v1/berichten", Source(size), headers)
        problem = refused(r, 413, "too_large")
        problem["replayed"] = r.headers.get("x-iwmo-replayed") == "true"
        return problem

    first, other = send(200_000), send(300_000)
    assert first["message_id"] != other["message_id"]
    assert not other["replayed"]
    assert recorded(gemeente, other["message_id"])["size"] == 300_000
    again = send(200_000)
    assert (again["message_id"], again["replayed"]) == (first["message_id"], True)
    cut_off = [send(1_000_000), send(1_000_000)]
    assert cut_off[0]["message_id"] != cut_off[1]["message_id"]
    assert not cut_off[1]["replayed"]
