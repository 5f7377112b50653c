"""The secret key: its fingerprint kept with the data, checked before anything runs on the
data (``iwmo serve`` in the parent process, the app factory, ``/readyz``, the commands that
open personal data), and changed with ``iwmo secret-key rotate`` in one transaction."""

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
from sqlalchemy import LargeBinary, create_engine, event, func, select, text

from app.administration import keys
from app.administration import models as db
from app.administration.crypto import SecretKeyError, Vault, vault_of
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
    monkeypatch.setattr("app.api.logs.configure", lambda *args: None)
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
        # The key changed under a service left running.
        database = Database(url)
        keys.rotate(database, vault_of(KEY, "old"), vault_of(NEW, "new"))
        database.dispose()
        r = client.get("/readyz")
        assert (r.status_code, r.json()) == (503, {"status": "wrong secret key"})
    with TestClient(create_app(Settings(database_url=url, secret_key=NEW))) as client:
        assert client.get("/readyz").status_code == 200


# --- rotation ----------------------------------------------------------------------------------


def test_rotation_round_trip(
    url: str, env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = populate(url, KEY, messages=2)
    before = snapshot(url)
    new_key_file = tmp_path / "new.key"
    new_key_file.write_text(NEW + "\n")
    env(url, KEY)
    capsys.readouterr()
    assert main(["secret-key", "rotate", "--new-key-file", str(new_key_file)]) == 0
    summary = one_line(capsys.readouterr().err, "secret key rotated: ")
    assert f"re-encrypted {len(before['messages'])} messages and 1 client," in summary
    assert len(before["clients"]) == 1
    assert "set IWMO_SECRET_KEY to the new key" in summary

    after = snapshot(url)
    assert [row[0] for row in after["messages"]] == [row[0] for row in before["messages"]]
    assert not {row[1] for row in after["messages"]} & {row[1] for row in before["messages"]}
    assert not {row[1] for row in after["clients"]} & {row[1] for row in before["clients"]}
    assert after["fingerprint"] == [(vault_of(NEW, "new").fingerprint,)]

    # The old key is refused from now on; the new one opens everything.
    assert main(["secret-key", "check"]) == 1
    assert "IWMO_SECRET_KEY is not the key" in one_line(capsys.readouterr().err)
    env(url, NEW)
    assert main(["secret-key", "check"]) == 0
    capsys.readouterr()
    settings = Settings(database_url=url, secret_key=NEW)
    with TestClient(
        create_app(settings), headers={"authorization": stored.authorization}
    ) as gemeente:
        r = gemeente.get(f"/v1/berichten/{stored.message_id}/xml")
        assert (r.status_code, r.content) == (200, stored.body)
        assert gemeente.get(f"/v1/berichten/{stored.message_id}/retour").status_code == 200
        found = gemeente.post("/v1/clienten/zoeken", json={"bsn": BSN}).json()
        assert [c["id"] for c in found] == [stored.client_id]
        # A new message about the client is filed under the same client.
        r = gemeente.post(
            "/v1/berichten",
            content=xml(toewijzing(ReferentieAanbieder=None)),
            headers={"content-type": "application/xml"},
        )
        assert approved(r), r.text
    assert count(url, db.Client) == 1


def test_rotation_refuses_a_wrong_old_key(
    url: str, env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(url, KEY)
    before = snapshot(url)
    env(url, OTHER, new=NEW)
    capsys.readouterr()
    assert main(["secret-key", "rotate"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "IWMO_SECRET_KEY is not the key" in line and "nothing was changed" in line
    assert snapshot(url) == before
    # Nor is "rotating" to the key in use a rotation.
    env(url, KEY, new=KEY)
    assert main(["secret-key", "rotate"]) == 2
    assert "already in use" in one_line(capsys.readouterr().err)
    assert snapshot(url) == before


def test_rotation_is_all_or_nothing(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(url, KEY, messages=3)
    before = snapshot(url)
    new = vault_of(NEW, "new")
    encrypted: list[bytes] = []
    real = Vault.encrypt

    def encrypt(data: bytes, purpose: bytes) -> bytes:
        if len(encrypted) == 4:
            raise RuntimeError("the disk is full")
        encrypted.append(data)
        return real(new, data, purpose)

    monkeypatch.setattr(new, "encrypt", encrypt)
    database = Database(url)
    try:
        with pytest.raises(RuntimeError):
            # One row a batch: three batches were written before the failure.
            keys.rotate(database, vault_of(KEY, "old"), new, batch_rows=1)
        assert len(encrypted) == 4
        assert snapshot(url) == before
        assert keys.verify(database, vault_of(KEY, "old")) == keys.MATCHED
    finally:
        database.dispose()


def test_rotation_reads_in_bounded_batches(url: str) -> None:
    populate(url, KEY, messages=3)
    messages = count(url, db.Message)
    database = Database(url)
    fetched: list[int] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "raw_encrypted FROM messages WHERE id IN" in statement:
            fetched.append(len(params))

    try:
        rotation = keys.rotate(
            database, vault_of(KEY, "old"), vault_of(NEW, "new"), batch_rows=2, batch_bytes=1
        )
    finally:
        database.dispose()
    # No more than one message's ciphertext in memory at a time under a 1-byte budget.
    assert fetched == [1] * messages
    assert rotation.rows == {"messages": messages, "clients": 1}
    settings = Settings(database_url=url, secret_key=NEW)
    services = Services.build(settings)
    try:
        with services.database.read() as s:
            for blob in s.scalars(select(db.Message.raw_encrypted)):
                assert services.vault.decrypt(blob, b"message")
    finally:
        services.close()


def test_rotation_with_the_development_key_updates_its_file(
    tmp_path: Path, env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite = f"sqlite:///{tmp_path / 'dev.db'}"
    Database(sqlite).upgrade()
    populate(sqlite, None)
    key_file = tmp_path / "dev.db.key"
    old = key_file.read_text().strip()
    env(sqlite, None, new=NEW)
    capsys.readouterr()
    assert main(["secret-key", "rotate"]) == 0
    summary = one_line(capsys.readouterr().err, "secret key rotated: ")
    assert "the development key file now holds the new key" in summary
    assert key_file.read_text().strip() == NEW != old
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert main(["secret-key", "check"]) == 0


def test_check_writes_nothing_and_says_what_it_found(
    url: str, env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env(url, KEY)
    assert main(["secret-key", "check"]) == 0
    assert "holds no personal data yet" in capsys.readouterr().out
    assert fingerprint(url) is None
    env(url, None)
    assert main(["secret-key", "check"]) == 1
    line = one_line(capsys.readouterr().err)
    if url.startswith("postgresql"):
        assert "IWMO_SECRET_KEY must be set" in line
    else:  # a check makes no development key either
        assert "there is no development key" in line
        assert not Path(url.removeprefix("sqlite:///") + ".key").exists()


def test_every_ciphertext_and_keyed_hash_is_rotated() -> None:
    """A column of ciphertexts or keyed hashes added without telling ``keys`` would be
    left under the old key by a rotation."""
    columns = [(t.name, c) for t in db.Base.metadata.sorted_tables for c in t.columns]
    ciphertexts = {(t, c.name) for t, c in columns if isinstance(c.type, LargeBinary)}
    assert ciphertexts == {(e.table, e.column) for e in keys.ENCRYPTED}
    # API keys are long random strings, hashed without the secret key (participants.py).
    hashed = {(t, c.name) for t, c in columns if c.name.endswith("_hash")}
    keyed = {(e.table, name) for e in keys.ENCRYPTED for name in e.hashes}
    assert hashed - {("participants", "api_key_hash")} == keyed


def test_a_row_the_old_key_cannot_decrypt_stops_the_rotation(url: str) -> None:
    populate(url, KEY)
    engine = create_engine(url)
    with engine.begin() as conn:
        stray = vault_of(OTHER, "other").encrypt(b"<x/>", b"message")
        conn.execute(text("UPDATE messages SET raw_encrypted = :b WHERE id = 1"), {"b": stray})
    engine.dispose()
    before = snapshot(url)
    database = Database(url)
    try:
        with pytest.raises(SecretKeyError, match="message 1 cannot be decrypted"):
            keys.rotate(database, vault_of(KEY, "IWMO_SECRET_KEY"), vault_of(NEW, "new"))
    finally:
        database.dispose()
    assert snapshot(url) == before


def test_large_data_is_compressed_before_it_is_encrypted() -> None:
    """A large message is stored compressed (XML shrinks about tenfold), a small one as it
    is; both come back as they went in, and neither decrypts under another purpose."""
    from app.administration.crypto import BSN, RAW, Vault

    vault = Vault(b"v" * 32)
    large = b"<wmo323:Prestatie>" * 100_000
    small = b"<wmo301:Bericht/>"
    sealed_large, sealed_small = vault.encrypt(large, RAW), vault.encrypt(small, RAW)
    assert len(sealed_large) < len(large) // 10
    assert len(sealed_small) == len(small) + 1 + 12 + 16
    assert vault.decrypt(sealed_large, RAW) == large
    assert vault.decrypt(bytes(sealed_small), RAW) == small
    with pytest.raises(ValueError):
        vault.decrypt(sealed_large, BSN)
