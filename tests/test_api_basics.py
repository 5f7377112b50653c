"""Health, readiness, docs and the stateless validation endpoint."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import Settings


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/v1/validate" in spec["paths"]


def test_validate_endpoint_reports_findings(client: TestClient, examples: dict[str, bytes]) -> None:
    ok = client.post(
        "/v1/validate", content=examples["WMO315"], headers={"content-type": "application/xml"}
    )
    assert ok.status_code == 200
    assert ok.json() == {"message": "WMO315", "schema_valid": True, "findings": []}
    bad = client.post("/v1/validate", content=b"<x>", headers={"content-type": "application/xml"})
    assert bad.json()["findings"][0]["rule"] == "XML"
