"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app.administration import product_codes
from app.administration.db import Database, alembic_config
from app.tables import metadata
from tests.conftest import TEST_DATABASE_URL


def test_migrated_schema_matches_the_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def _fresh_url(tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """An empty database of the kind the suite runs on, and how to remove it."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'fresh.db'}", lambda: None
    schema = f"iwmo_fresh_{secrets.token_hex(4)}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{sep}options=-csearch_path%3D{schema}", drop


def test_the_product_code_list_becomes_the_service_wide_default(tmp_path: Path) -> None:
    url, drop = _fresh_url(tmp_path)
    database = Database(url)
    try:
        database.upgrade("0003")
        with database.write() as s:
            s.execute(
                text(
                    "INSERT INTO product_codes (categorie, code, omschrijving) "
                    "VALUES ('02', '02A01', 'Begeleiding'), ('01', '01A01', 'Hulp')"
                )
            )
        database.upgrade()
        with database.write() as s:
            assert product_codes.listed(s) == [
                product_codes.Entry("01", "01A01", "Hulp"),
                product_codes.Entry("02", "02A01", "Begeleiding"),
            ]
            # The same code may now be on a municipality's list beside the default.
            product_codes.load(s, [product_codes.Entry("02", "02A01", "eigen")], gemeente="0307")
        with database.read() as s:
            assert [e.gemeente for e in product_codes.effective(s, "0307")] == ["", "0307"]
        # Down again: only the default fits the single list there was.
        command.downgrade(alembic_config(url), "0003")
        with database.read() as s:
            rows = s.execute(text("SELECT categorie, code FROM product_codes ORDER BY code"))
            assert [tuple(r) for r in rows] == [("01", "01A01"), ("02", "02A01")]
    finally:
        database.dispose()
        drop()
