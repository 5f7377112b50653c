"""Which secret key the personal data is encrypted with, and changing it.

The database keeps the fingerprint of that key (table ``secret_key_fingerprint``, one row;
the fingerprint is an HKDF output of its own, see ``crypto.Vault``). Whatever opens the
vault on a database checks it first (``verify``): a process with another key stops before
it does anything, rather than failing on every stored message and filing known clients
anew under a BSN hash that matches none of theirs. ``rotate`` moves everything to a new
key in one transaction.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from app.administration.crypto import BSN, RAW, SecretKeyError, Vault
from app.administration.db import Database
from app.administration.models import SecretKeyFingerprint, utcnow

log = logging.getLogger(__name__)

TABLE = SecretKeyFingerprint.__tablename__

# What verify found (the stored fingerprint is the key's; there was none and the database
# holds no personal data; there was none and the key decrypts what is stored).
MATCHED, RECORDED, ADOPTED = "matched", "recorded", "adopted"


class WrongKey(SecretKeyError):
    """The key is not the one the database's personal data is encrypted with."""


class SchemaOutOfDate(SecretKeyError):
    """The database has no table for the fingerprint: ``iwmo db upgrade`` was not run."""


@dataclass(frozen=True)
class Encrypted:
    """A column of ciphertexts, and the columns of its row holding a keyed hash of the
    plaintext (how each is computed)."""

    table: str
    column: str
    purpose: bytes
    noun: str  # one row, in messages
    hashes: Mapping[str, Callable[[Vault, bytes], str]] = field(default_factory=dict)


def _bsn_hash(vault: Vault, bsn: bytes) -> str:
    return vault.bsn_hash(bsn.decode("ascii"))


# Everything the key protects. A test checks that the models hold no other ciphertext or
# keyed hash: one added without an entry here would be unreadable after a rotation.
ENCRYPTED = (
    Encrypted("messages", "raw_encrypted", RAW, "message"),
    Encrypted("clients", "bsn_encrypted", BSN, "client", {"bsn_hash": _bsn_hash}),
)


def verify(database: Database, vault: Vault, *, record: bool = True) -> str:
    """Check that ``vault`` holds the key the database's personal data is encrypted with.

    MATCHED: the stored fingerprint is the vault's. A database without a fingerprint (new,
    or from before fingerprints were kept) is given the vault's: RECORDED when it holds no
    personal data, ADOPTED when it does and the key has decrypted the newest ciphertext of
    each kind. With ``record`` false nothing is written. Raises ``WrongKey`` for another
    key, ``SchemaOutOfDate`` when the database was never upgraded.
    """
    stored = _read_fingerprint(database)
    if stored is not None:
        _compare(stored, vault)
        return MATCHED
    if not record:
        with database.engine.connect() as conn:
            return _probe(conn, vault)
    with database.write() as session:
        conn = session.connection()
        # Another process may have recorded one since the read above.
        stored = _fingerprint(conn)
        if stored is not None:
            _compare(stored, vault)
            return MATCHED
        outcome = _probe(conn, vault)
        # Of two processes starting at once, the first to commit records its key; the
        # other reads it back below and is refused when its key is another.
        conn.execute(_insert(conn, vault.fingerprint).on_conflict_do_nothing(index_elements=["id"]))
        stored = _fingerprint(conn)
    _compare(stored or "", vault)
    log.info("recorded the secret key's fingerprint", extra={"outcome": outcome})
    return outcome


@dataclass(frozen=True)
class Rotation:
    """How many rows of each table were re-encrypted."""

    rows: dict[str, int]

    def summary(self) -> str:
        nouns = {e.table: e.noun for e in ENCRYPTED}
        parts = [
            f"{n:,} {nouns.get(table, table)}{'' if n == 1 else 's'}"
            for table, n in self.rows.items()
        ]
        return f"secret key rotated: re-encrypted {' and '.join(parts)}, BSN hashes recomputed"


def rotate(
    database: Database,
    old: Vault,
    new: Vault,
    *,
    batch_rows: int = 500,
    batch_bytes: int = 32 * 1024 * 1024,
) -> Rotation:
    """Re-encrypt every ciphertext and recompute every keyed hash under ``new``, and record
    its fingerprint: one transaction, so a failure anywhere leaves everything under ``old``.

    Rows are read in batches of at most ``batch_rows`` rows and (ciphertexts) about
    ``batch_bytes`` bytes, so memory stays bounded however large the database. Refused with
    ``WrongKey`` when ``old`` is not the key the data is encrypted with.
    """
    if hmac.compare_digest(old.fingerprint, new.fingerprint):
        raise SecretKeyError("the new key is the key already in use")
    _read_fingerprint(database)  # SchemaOutOfDate before anything is locked
    rows: dict[str, int] = {}
    with database.write() as session:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            # Writers wait until the rotation commits, so nothing is written under the old
            # key behind it (the service should be stopped; this covers one left running).
            # SQLite's BEGIN IMMEDIATE already keeps every other writer out.
            tables = ", ".join([TABLE, *(e.table for e in ENCRYPTED)])
            conn.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
        stored = _fingerprint(conn)
        if stored is None:
            _probe(conn, old)
        else:
            _compare(stored, old)
        for entry in ENCRYPTED:
            rows[entry.table] = _reencrypt(conn, entry, old, new, batch_rows, batch_bytes)
        conn.execute(
            _insert(conn, new.fingerprint).on_conflict_do_update(
                index_elements=["id"],
                set_={"fingerprint": new.fingerprint, "recorded_at": utcnow()},
            )
        )
    return Rotation(rows)


# --- internals ---------------------------------------------------------------------------


def _read_fingerprint(database: Database) -> str | None:
    with database.engine.connect() as conn:
        try:
            return _fingerprint(conn)
        except DBAPIError:
            conn.rollback()
            if inspect(conn).has_table(TABLE):
                raise
    raise SchemaOutOfDate(
        "the database schema is out of date (it has no secret key fingerprint): "
        "run iwmo db upgrade first"
    )


def _fingerprint(conn: Connection) -> str | None:
    found = conn.execute(text(f"SELECT fingerprint FROM {TABLE} WHERE id = 1")).scalar()
    return None if found is None else str(found)


def _insert(conn: Connection, fingerprint: str) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(SecretKeyFingerprint).values(
        id=1, fingerprint=fingerprint, recorded_at=utcnow()
    )


def _compare(stored: str, vault: Vault) -> None:
    if not hmac.compare_digest(stored, vault.fingerprint):
        raise WrongKey(
            f"{vault.source} is not the key the personal data in this database is encrypted "
            "with; start with that key (iwmo secret-key rotate changes it)"
        )


def _probe(conn: Connection, vault: Vault) -> str:
    """RECORDED when nothing is encrypted yet; ADOPTED when ``vault`` decrypts the newest
    ciphertext of each kind; WrongKey otherwise."""
    found = False
    for entry in ENCRYPTED:
        blob = conn.execute(
            text(f"SELECT {entry.column} FROM {entry.table} ORDER BY id DESC LIMIT 1")
        ).scalar()
        if blob is None:
            continue
        found = True
        try:
            vault.decrypt(bytes(blob), entry.purpose)
        except ValueError:
            raise WrongKey(
                f"{vault.source} cannot decrypt the personal data already in this database: "
                "it was encrypted with another key"
            ) from None
    return ADOPTED if found else RECORDED


def _reencrypt(
    conn: Connection,
    entry: Encrypted,
    old: Vault,
    new: Vault,
    batch_rows: int,
    batch_bytes: int,
) -> int:
    sizes = text(
        f"SELECT id, length({entry.column}) FROM {entry.table} "
        "WHERE id > :after ORDER BY id LIMIT :limit"
    )
    fetch = text(
        f"SELECT id, {entry.column} FROM {entry.table} WHERE id IN :ids ORDER BY id"
    ).bindparams(bindparam("ids", expanding=True))
    sets = ", ".join(f"{name} = :{name}" for name in [entry.column, *entry.hashes])
    update = text(f"UPDATE {entry.table} SET {sets} WHERE id = :id")
    done, after = 0, 0
    while True:
        found = conn.execute(sizes, {"after": after, "limit": batch_rows})
        batch = [(int(row_id), int(size or 0)) for row_id, size in found]
        if not batch:
            return done
        for ids in _chunks(batch, batch_bytes):
            changes = []
            for row_id, blob in conn.execute(fetch, {"ids": ids}):
                plain = _decrypt(old, bytes(blob), entry, int(row_id))
                values = {"id": row_id, entry.column: new.encrypt(plain, entry.purpose)}
                for name, compute in entry.hashes.items():
                    values[name] = compute(new, plain)
                changes.append(values)
            conn.execute(update, changes)
            done += len(changes)
        after = batch[-1][0]


def _chunks(sizes: Sequence[tuple[int, int]], limit: int) -> Iterator[list[int]]:
    """The ids in runs of at most ``limit`` bytes (a larger row alone)."""
    run: list[int] = []
    total = 0
    for row_id, size in sizes:
        if run and total + size > limit:
            yield run
            run, total = [], 0
        run.append(row_id)
        total += size
    if run:
        yield run


def _decrypt(vault: Vault, blob: bytes, entry: Encrypted, row_id: int) -> bytes:
    try:
        return vault.decrypt(blob, entry.purpose)
    except ValueError:
        raise SecretKeyError(
            f"{entry.noun} {row_id} cannot be decrypted with {vault.source}; nothing was changed"
        ) from None
