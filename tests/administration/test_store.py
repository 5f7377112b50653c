"""The intake's SQL layer: statements committed on their own, and a row inserted with
another pointing at it in one statement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.administration.db import Database
from app.administration.store import Store
from app.config import Settings


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    # One pooled connection, so every block below gets the same one back.
    database = Database(settings.database_url, pool_size=1)
    store = Store(database.engine)
    with store.transaction() as tx:
        key = "INTEGER PRIMARY KEY" if store.sqlite else "SERIAL PRIMARY KEY"
        tx.execute(f"CREATE TABLE notes (id {key}, text TEXT, answer_id INTEGER, status TEXT)")
    yield store
    with store.transaction() as tx:
        tx.execute("DROP TABLE notes")
    database.dispose()


def _texts(store: Store) -> list[str]:
    with store.transaction() as tx:
        return [row[0] for row in tx.all("SELECT text FROM notes ORDER BY id")]


def test_an_autocommit_block_has_committed_each_statement_when_it_returns(
    store: Store,
) -> None:
    before = store.transactions, store.statements, store.round_trips
    with store.autocommit() as tx:
        tx.execute("INSERT INTO notes (text) VALUES (?)", ("kept",))
    # One statement, and on PostgreSQL no BEGIN and COMMIT around it: one round trip.
    assert store.transactions - before[0] == 1
    assert store.statements - before[1] == 1
    assert store.round_trips - before[2] == 1
    assert _texts(store) == ["kept"]


def test_an_autocommit_statement_is_committed_before_the_block_ends(
    store: Store, settings: Settings
) -> None:
    if store.sqlite:
        pytest.skip("on SQLite an autocommit block is one ordinary transaction")
    other = Database(settings.database_url, pool_size=1)
    try:
        with store.autocommit() as tx:
            tx.execute("INSERT INTO notes (text) VALUES (?)", ("early",))
            # Seen from another connection while the block is still open: committed.
            assert _texts(Store(other.engine)) == ["early"]
    finally:
        other.dispose()


def test_after_a_failed_autocommit_block_transactions_roll_back_again(store: Store) -> None:
    with pytest.raises(Exception, match=r"no such table|does not exist"), store.autocommit() as tx:
        tx.execute("SELECT * FROM no_such_table")
    # The same pooled connection: its next transaction must still be one transaction.
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES (?)", ("undone",))
        raise RuntimeError("abandon the transaction")
    assert _texts(store) == []
    with store.autocommit() as tx:
        tx.execute("INSERT INTO notes (text) VALUES (?)", ("after",))
    assert _texts(store) == ["after"]


def test_insert_and_point_links_the_new_row_from_the_old_one(store: Store) -> None:
    with store.transaction() as tx:
        first = tx.insert("notes", {"text": "question", "status": "received"})
    before = store.statements
    with store.transaction() as tx:
        answer = tx.insert_and_point(
            "notes",
            {"text": "answer", "status": "sent"},
            first,
            {"status": "answered"},
            "answer_id",
        )
    statements = store.statements - before
    with store.transaction() as tx:
        rows = tx.all("SELECT id, text, answer_id, status FROM notes ORDER BY id")
    assert rows == [(first, "question", answer, "answered"), (answer, "answer", None, "sent")]
    assert statements == (2 if store.sqlite else 1)
