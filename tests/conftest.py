"""Shared fixtures. Tests that need the published reference fail (never skip) without it.

Database tests run on SQLite by default and on PostgreSQL when IWMO_TEST_DATABASE_URL is
set (CI does both); each run gets its own PostgreSQL schema, dropped afterwards.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.config import Settings
from app.services import Services
from app.standard.schema import Schemas
from app.tables import metadata as _metadata
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


# --- database ------------------------------------------------------------------------------

TEST_DATABASE_URL = os.environ.get("IWMO_TEST_DATABASE_URL", "")
TEST_KEY = base64.b64encode(b"k" * 32).decode()


@contextmanager
def own_database(directory: Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file in ``directory``, or on PostgreSQL (when
    IWMO_TEST_DATABASE_URL says so) a fresh schema, dropped afterwards."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        yield f"sqlite:///{directory / 'iwmo.db'}"
        return
    schema = f"iwmo_test_{secrets.token_hex(4)}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    try:
        yield f"{TEST_DATABASE_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def migrate(url: str) -> str:
    """Bring the database at ``url`` to the latest schema with the real migrations."""
    from app.administration.db import Database

    database = Database(url)
    database.upgrade()
    database.dispose()
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with own_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """The test database, brought to the latest schema by the real migrations."""
    return migrate(database_url)


def wipe(url: str) -> None:
    engine = create_engine(url)
    tables = [t.name for t in reversed(_metadata.sorted_tables)]
    with engine.begin() as conn:
        if url.startswith("postgresql"):
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, secret_key=TEST_KEY)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    svc = Services.build(settings)
    yield svc
    svc.close()
    wipe(settings.database_url)


@pytest.fixture(autouse=True)
def findings_never_repeat_personal_data(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test with a service, which between them make every rule across messages
    find something: no finding it stored repeats a BSN, name, birth date or address of any
    message it stored (see tests/personal.py)."""
    if "services" not in request.fixturenames:
        yield
        return
    from tests.personal import stored_leaks

    svc = request.getfixturevalue("services")  # set up first, so torn down after this
    yield
    leaks = stored_leaks(svc)
    assert not leaks, "\n".join(leaks[:10])


# --- reporting -------------------------------------------------------------------------------


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print how often each rule fired in the comparison with the published validation."""
    from tests.differential import SUMMARY

    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "rules compared with the published validation")
        for line in lines:
            terminalreporter.write_line(line)
