# ruff: noqa: F811  (fixtures imported from tests.administration.conftest are parameters)
"""Structured logs with request ids and no personal data; Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import Settings
from app.observability import logs
from app.observability.metrics import MESSAGES
from app.services import Services
from tests.administration.conftest import aanbieder, anonymous, app, gemeente, operator  # noqa: F401
from tests.administration.helpers import BSN, Party, approved, start, toewijzing, xml

# Personal data in the published WMO301: the client's BSN and names, a relation's, a street.
PERSONAL = [BSN, "Wit", "Jansen", "Tim", "Vries", "Mentor", "Dijkhof", "straat"]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, formatted as the service formats it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # The test client's own request log (httpx) is not the service's: keep it out, as the
    # service's log configuration does.
    client_log = logging.getLogger("httpx")
    client_level = client_log.level
    client_log.setLevel(logging.WARNING)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)
    client_log.setLevel(client_level)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_every_response_has_a_request_id(gemeente: Party) -> None:
    r = gemeente.get("/v1/berichten")
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])
    mine = gemeente.client.get("/v1/berichten", headers={"x-request-id": "trace-42.a_b"})
    assert mine.headers["x-request-id"] == "trace-42.a_b"
    odd = gemeente.client.get("/v1/berichten", headers={"x-request-id": "x" * 65})
    assert re.fullmatch(r"[0-9a-f]{16}", odd.headers["x-request-id"])


def test_log_lines_are_json_with_the_request_id_and_no_personal_data(
    gemeente: Party, aanbieder: Party, json_log: io.StringIO
) -> None:
    r = gemeente.client.post(
        "/v1/berichten",
        content=xml(toewijzing(ReferentieAanbieder=None)),
        headers={"content-type": "application/xml", "x-request-id": "req-1"},
    )
    assert approved(r)
    found = lines(json_log)
    judged = [line for line in found if line["msg"] == "message judged"]
    assert [(j["message_type"], j["verdict"], j["request_id"]) for j in judged] == [
        ("WMO301", "accepted", "req-1")
    ]
    [request] = [line for line in found if line["msg"] == "request"]
    assert (request["route"], request["status"], request["participant"]) == (
        "/v1/berichten",
        200,
        gemeente.code,
    )
    # A refused message, whose findings describe personal data, and a client search.
    bad = start(bsn=BSN, nummer=4242)
    aanbieder.send(bad)
    gemeente.client.post("/v1/clienten/zoeken", json={"bsn": BSN})
    text = json_log.getvalue()
    for value in PERSONAL:
        assert value not in text, value


def test_paths_are_logged_without_their_query(gemeente: Party, json_log: io.StringIO) -> None:
    gemeente.get("/v1/berichten", bsn=BSN)  # a query nobody should send: never logged
    [request] = [line for line in lines(json_log) if line["msg"] == "request"]
    assert request["path"] == "/v1/berichten"
    assert BSN not in json_log.getvalue()


def test_text_format_for_people() -> None:
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x", "n": 1})
    token = logs.request_id.set("r1")
    try:
        assert logs.TextFormatter().format(record) == "info    x: [r1] hello n=1"
    finally:
        logs.request_id.reset(token)


def test_uvicorns_coloured_copy_of_a_message_is_left_out() -> None:
    record = logging.makeLogRecord(
        {
            "msg": "Started server process [%d]",
            "args": (7,),
            "levelname": "INFO",
            "name": "uvicorn.error",
            "color_message": "Started server process [\x1b[36m%d\x1b[0m]",
        }
    )
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["msg"] == "Started server process [7]"
    assert "color_message" not in line
    assert "color_message" not in logs.TextFormatter().format(record)


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{"):
            got = ",".join(sorted(line[line.index("{") + 1 : line.index("}")].split(",")))
            if got == wanted:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics(gemeente: Party, aanbieder: Party, anonymous: TestClient) -> None:
    before = MESSAGES.labels("WMO301", "accepted")._value.get()
    body = xml(toewijzing(ReferentieAanbieder=None))
    assert approved(gemeente.send(body))
    gemeente.send(body)  # the same again: replayed
    gemeente.get("/v1/berichten/999999")
    r = anonymous.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    now = _sample(text, "iwmo_messages_total", message_type="WMO301", verdict="accepted")
    assert now == before + 1
    assert _sample(text, "iwmo_messages_total", message_type="WMO301", verdict="replayed") >= 1
    assert "iwmo_message_duration_seconds_bucket" in text
    # Routes by template, never by concrete path.
    assert 'route="/v1/berichten/{message_id}"' in text
    assert "/v1/berichten/999999" not in text
    # The provider has one item waiting in its mailbox.
    assert _sample(text, "iwmo_mailbox_backlog", recipient=aanbieder.code) == 1
    assert _sample(text, "iwmo_mailbox_oldest_seconds", recipient=aanbieder.code) >= 0


def test_metrics_token(settings: Settings, services: Services) -> None:
    # The service as started with IWMO_METRICS_TOKEN set.
    anonymous = TestClient(create_app(settings.replace(metrics_token="s3cret"), services))
    assert anonymous.get("/metrics").status_code == 401
    wrong = anonymous.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = anonymous.get("/metrics", headers={"authorization": "Bearer s3cret"})
    assert right.status_code == 200


def test_configure_sets_one_json_handler_and_quiets_client_logs() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("httpx").level)
    try:
        logs.configure("json", "warning")
        [handler] = root.handlers
        assert isinstance(handler.formatter, logs.JsonFormatter)
        assert root.level == logging.WARNING
        assert logging.getLogger("uvicorn.access").disabled
        assert logging.getLogger("httpx").level == logging.WARNING
        logs.configure("text")
        assert isinstance(root.handlers[0].formatter, logs.TextFormatter)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        logging.getLogger("httpx").setLevel(saved[2])
        logging.getLogger("uvicorn.access").disabled = False
