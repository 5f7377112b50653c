"""Shared fixtures. Tests that need the published reference fail (never skip) without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.config import Settings
from app.standard.schema import Schemas
from app.validation import Validator

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("IWMO_REFERENCE_DIR", ROOT.parent / "shared" / "iwmo-3.2"))
OUTBOUND = ("WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323")


def reference_dir() -> Path:
    if not (REFERENCE / "xsd").is_dir() or not (REFERENCE / "examples").is_dir():
        pytest.fail(
            f"the published iWmo 3.2 reference is missing at {REFERENCE}; "
            "set IWMO_REFERENCE_DIR or place ../shared/iwmo-3.2 beside the project"
        )
    return REFERENCE


@pytest.fixture(scope="session")
def reference() -> Path:
    return reference_dir()


@pytest.fixture(scope="session")
def examples(reference: Path) -> dict[str, bytes]:
    found = {p.stem: p.read_bytes() for p in sorted((reference / "examples").glob("WMO*.xml"))}
    assert set(found) == set(OUTBOUND), f"expected the seven outbound examples, got {set(found)}"
    return found


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return Schemas()


@pytest.fixture(scope="session")
def validator(schemas: Schemas) -> Validator:
    return Validator(Settings(), schemas=schemas)
