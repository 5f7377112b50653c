from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import Settings
from app.services import Services
from tests.administration.helpers import AANBIEDER, GEMEENTE, Party, party


@pytest.fixture
def app(settings: Settings, services: Services) -> Any:
    return create_app(settings, services)


@pytest.fixture
def gemeente(app: Any, services: Services) -> Party:
    return party(app, services, GEMEENTE, "municipality", "Diemen")


@pytest.fixture
def aanbieder(app: Any, services: Services) -> Party:
    return party(app, services, AANBIEDER, "provider", "Aanbieder BV")


@pytest.fixture
def operator(app: Any, services: Services) -> Party:
    return party(app, services, "ops", "operator", "Operator")


@pytest.fixture
def anonymous(app: Any) -> TestClient:
    return TestClient(app)
