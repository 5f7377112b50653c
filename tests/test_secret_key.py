"""The secret key: its fingerprint kept with the data, and checked before anything runs on
the data (``iwmo serve`` in the parent process, the app factory, ``/readyz``, the commands
that open personal data)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from app.administration import keys
from app.administration import models as db
from app.administration.crypto import vault_of
from app.administration.db import Database, alembic_config
from app.api import create_app, serve_app
from app.cli import main
from app.config import Settings
from app.services import Services
from tests.administration.helpers import (
    AANBIEDER,
    BSN,
    GEMEENTE,
    approved,
    party,
    toewijzing,
    xml,
)
from tests.conftest import TEST_DATABASE_URL, own_database

KEY = base64.b64encode(b"a" * 32).decode()
OTHER = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, at the latest schema, without a fingerprint yet."""
    with own_database(tmp_path) as found:
        database = Database(found)
        database.upgrade()
        database.dispose()
        yield found


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the environment the ``iwmo`` command reads."""

    def set_env(url: str, key: str | None, new: str | None = None) -> None:
        monkeypatch.setenv("IWMO_DATABASE_URL", url)
        for name, value in (("IWMO_SECRET_KEY", key), ("IWMO_NEW_SECRET_KEY", new)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        monkeypatch.delenv("IWMO_SECRET_KEY_FILE", raising=False)

    return set_env


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run replaced: the calls it would have had (none means no worker started)."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    return calls


@dataclass
class Stored:
    message_id: int
    body: bytes
    authorization: str  # the municipality's API key, as a header
    client_id: int


def populate(url: str, key: str | None, *, messages: int = 1) -> Stored:
    """A municipality allocates to a provider ``messages`` times, for one client: clients,
    messages and their retours, encrypted under ``key``."""
    settings = Settings(database_url=url, secret_key=key)
    services = Services.build(settings)
    try:
        app = create_app(settings, services)
        gemeente = party(app, services, GEMEENTE, "municipality", "Diemen")
        party(app, services, AANBIEDER, "provider", "Aanbieder BV")
        for _ in range(messages):
            body = xml(toewijzing(ReferentieAanbieder=None))
            r = gemeente.send(body)
            assert approved(r), r.text
        [client] = gemeente.client.post("/v1/clienten/zoeken", json={"bsn": BSN}).json()
        return Stored(
            int(r.headers["location"].rsplit("/", 1)[1]),
            body,
            gemeente.client.headers["authorization"],
            int(client["id"]),
        )
    finally:
        services.close()


def snapshot(url: str) -> dict[str, Any]:
    """Everything the key protects, and the fingerprint."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {
            "messages": conn.execute(text("SELECT id, raw_encrypted FROM messages")).all(),
            "clients": conn.execute(text("SELECT id, bsn_hash, bsn_encrypted FROM clients")).all(),
            "fingerprint": conn.execute(
                text("SELECT fingerprint FROM secret_key_fingerprint")
            ).all(),
        }
    engine.dispose()
    return {
        name: sorted(
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows
        )
        for name, rows in found.items()
    }


def fingerprint(url: str) -> str | None:
    rows = snapshot(url)["fingerprint"]
    return rows[0][0] if rows else None


def count(url: str, model: Any) -> int:
    database = Database(url)
    try:
        with database.read() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        database.dispose()


def one_line(err: str, prefix: str = "iwmo: ") -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(prefix)
    for key in (KEY, OTHER, NEW):
        assert key not in err
    return lines[0]


# --- the fingerprint ---------------------------------------------------------------------------


def test_the_fingerprint_identifies_the_key_and_reveals_nothing_of_it() -> None:
    raw = b"a" * 32
    vault = vault_of(KEY, "IWMO_SECRET_KEY")
    assert vault.fingerprint == vault_of(KEY, "elsewhere").fingerprint
    assert vault.fingerprint != vault_of(OTHER, "IWMO_SECRET_KEY").fingerprint
    # Neither the key nor a key derived from it for another purpose: publishing the
    # fingerprint must not hand out the BSN lookup key or the encryption key.
    others = {
        _derive(raw, purpose).hex()
        for purpose in (b"iwmo-hub/encryption/v1", b"iwmo-hub/bsn-lookup/v1")
    }
    assert vault.fingerprint not in {raw.hex(), KEY, *others}
    assert len(bytes.fromhex(vault.fingerprint)) == 32


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def test_the_first_start_records_the_fingerprint(url: str) -> None:
    assert fingerprint(url) is None
    Services.build(Settings(database_url=url, secret_key=KEY)).close()
    assert fingerprint(url) == vault_of(KEY, "IWMO_SECRET_KEY").fingerprint
    database = Database(url)
    try:
        assert keys.verify(database, vault_of(KEY, "IWMO_SECRET_KEY")) == keys.MATCHED
    finally:
        database.dispose()


def test_another_key_is_refused_and_files_no_client_anew(url: str) -> None:
    stored = populate(url, KEY)
    before = snapshot(url)
    with pytest.raises(keys.WrongKey) as refused:
        Services.build(Settings(database_url=url, secret_key=OTHER))
    assert "IWMO_SECRET_KEY is not the key" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert snapshot(url) == before
    assert stored.client_id == before["clients"][0][0]


def test_a_database_from_before_adopts_a_key_only_once_it_decrypts_the_data(url: str) -> None:
    populate(url, KEY)
    # As it was before fingerprints were kept: data, but no fingerprint.
    command.downgrade(alembic_config(url), "0003")
    command.upgrade(alembic_config(url), "head")
    assert fingerprint(url) is None
    before = snapshot(url)

    with pytest.raises(keys.WrongKey) as refused:
        Services.build(Settings(database_url=url, secret_key=OTHER))
    assert "cannot decrypt the personal data already in this database" in str(refused.value)
    assert snapshot(url) == before  # nothing adopted

    database = Database(url)
    try:
        vault = vault_of(KEY, "IWMO_SECRET_KEY")
        assert keys.verify(database, vault, record=False) == keys.ADOPTED
        assert fingerprint(url) is None  # a check writes nothing
        assert keys.verify(database, vault) == keys.ADOPTED
        assert fingerprint(url) == vault.fingerprint
        assert keys.verify(database, vault) == keys.MATCHED
    finally:
        database.dispose()


def test_a_database_never_upgraded_is_refused(tmp_path: Path) -> None:
    with own_database(tmp_path) as bare, pytest.raises(keys.SchemaOutOfDate) as refused:
        Services.build(Settings(database_url=bare, secret_key=KEY))
    assert "run iwmo db upgrade" in str(refused.value)


# --- serve and the other commands --------------------------------------------------------------


def test_serve_refuses_a_wrong_key_before_any_worker_starts(
    url: str, env: Any, uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    populate(url, KEY)
    env(url, OTHER)
    capsys.readouterr()
    assert main(["serve", "--workers", "2"]) != 0
    assert uvicorn_calls == []
    assert "IWMO_SECRET_KEY is not the key" in one_line(capsys.readouterr().err)


def test_serve_refuses_a_missing_key_on_postgresql(
    env: Any, uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    # The key is checked before the database is opened: no server needed on SQLite runs.
    postgresql = TEST_DATABASE_URL or "postgresql+psycopg://iwmo@127.0.0.1:9/iwmo"
    assert postgresql.startswith("postgresql")
    env(postgresql, None)
    assert main(["serve", "--workers", "2"]) != 0
    assert uvicorn_calls == []
    assert "IWMO_SECRET_KEY must be set" in one_line(capsys.readouterr().err)


def test_serve_refuses_a_malformed_key(
    url: str, env: Any, uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    env(url, "not base64 of 32 bytes")
    assert main(["serve", "--workers", "2"]) != 0
    assert uvicorn_calls == []
    assert "must be base64 of 32 random bytes" in one_line(capsys.readouterr().err)


def test_serve_records_the_key_before_the_workers_start(
    url: str, env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.append(fingerprint(url)))
    env(url, KEY)
    assert main(["serve", "--workers", "2"]) == 0
    assert seen == [vault_of(KEY, "IWMO_SECRET_KEY").fingerprint]


def test_serve_on_sqlite_without_a_key_makes_the_development_key_before_the_workers(
    tmp_path: Path, env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers would otherwise race to generate two keys."""
    import uvicorn

    sqlite = f"sqlite:///{tmp_path / 'dev.db'}"
    Database(sqlite).upgrade()
    key_file = tmp_path / "dev.db.key"
    seen: list[bool] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.append(key_file.is_file()))
    env(sqlite, None)
    assert main(["serve", "--workers", "2"]) == 0
    assert seen == [True]
    assert fingerprint(sqlite) == vault_of(key_file.read_text(), "file").fingerprint


def test_reprocess_refuses_a_wrong_key(
    url: str, env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(url, KEY)
    env(url, OTHER)
    capsys.readouterr()
    assert main(["reprocess", "--older-than", "0"]) != 0
    assert "IWMO_SECRET_KEY is not the key" in one_line(capsys.readouterr().err)


def test_demo_refuses_a_wrong_key_before_any_traffic(
    url: str, env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(url, KEY)
    before = count(url, db.Message)
    env(url, OTHER)
    capsys.readouterr()
    assert main(["demo", "--clients", "1", "--force", "--workers", "1"]) != 0
    err = capsys.readouterr().err
    assert "IWMO_SECRET_KEY is not the key" in err
    assert count(url, db.Message) == before
    assert count(url, db.Client) == 1


# --- the app factory and readiness -------------------------------------------------------------


def test_the_app_factory_refuses_a_wrong_key(
    url: str, env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(url, KEY)
    with pytest.raises(keys.WrongKey):
        create_app(Settings(database_url=url, secret_key=OTHER))
    # As ``uvicorn app.api:serve_app --factory`` starts it (its log set-up left out: it
    # would take over the test run's logging).
    monkeypatch.setattr("app.api.logs.configure", lambda: None)
    env(url, OTHER)
    with pytest.raises(keys.WrongKey):
        serve_app()
    env(url, KEY)
    assert serve_app().state.services.vault.fingerprint == fingerprint(url)


def test_readyz_is_never_ok_with_a_wrong_key(url: str) -> None:
    populate(url, KEY)
    settings = Settings(database_url=url, secret_key=KEY)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json() == {"status": "ok"}
        # Another key recorded under a service left running.
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE secret_key_fingerprint SET fingerprint = :f"),
                {"f": vault_of(NEW, "new").fingerprint},
            )
        engine.dispose()
        r = client.get("/readyz")
        assert (r.status_code, r.json()) == (503, {"status": "wrong secret key"})
