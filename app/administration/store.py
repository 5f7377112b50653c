"""Plain SQL for the intake, on the DBAPI connection itself.

The ORM (``models``) defines the schema and serves the read API; the hot path of the intake
talks SQL directly because SQLAlchemy's per-statement overhead would otherwise cost more
than the database work itself (measured: 0.25-0.5 ms CPU per statement against 0.1 ms with
the driver alone). SQL here is written once for SQLite and PostgreSQL: ``?`` placeholders,
``ON CONFLICT ... RETURNING``; the few differences (FOR UPDATE, value formats) are handled
by ``Tx``.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from functools import cache
from threading import Lock
from typing import Any, TypeVar

from sqlalchemy import Engine

from app.administration import records as r

R = TypeVar("R", bound=r.Record)


class Tx:
    """One transaction on one connection."""

    def __init__(self, cursor: Any, sqlite: bool) -> None:
        self._cur = cursor
        self.sqlite = sqlite
        # Statements sent to the database (an executemany or a COPY counts once): what a
        # message costs in round trips, pinned by tests and printed by the benchmarks.
        self.statements = 0
        self._json: Any = None
        # Values the driver takes as they are: most of them, not worth a call each.
        self._as_is = _AS_IS_SQLITE if sqlite else _AS_IS_PG
        if not sqlite:
            from psycopg.types.json import Json

            self._json = Json

    def sql(self, text: str) -> str:
        return _sqlite_sql(text) if self.sqlite else _pg_sql(text)

    def _value(self, value: Any) -> Any:
        if self.sqlite:
            if isinstance(value, datetime):
                return value.strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(value, time):
                return value.strftime("%H:%M:%S.%f")
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, dict | list):
                return json.dumps(value)
            return value
        if isinstance(value, _Array):
            return value.values
        if isinstance(value, dict | list):
            return self._json(value)
        return value

    def _params(self, values: Iterable[Any]) -> list[Any]:
        as_is, convert = self._as_is, self._value
        return [v if type(v) in as_is else convert(v) for v in values]

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        self.statements += 1
        return self._cur.execute(self.sql(text), self._params(params))

    def execute_many(self, text: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows of parameters (one round trip where the driver
        pipelines them)."""
        self.statements += 1
        self._cur.executemany(self.sql(text), (self._params(row) for row in rows))

    def one(self, text: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.execute(text, params).fetchone()
        return tuple(row) if row is not None else None

    def scalar(self, text: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(text, params)
        return row[0] if row is not None else None

    def all(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.execute(text, params).fetchall()]

    # --- records ------------------------------------------------------------------------

    def load(
        self,
        cls: type[R],
        table: str,
        where: str,
        params: Sequence[Any] = (),
        order: str = "id",
        limit: int | None = None,
    ) -> list[R]:
        columns = _columns(cls)
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self.all(
            f"SELECT id, {', '.join(columns)} FROM {table} WHERE {where} ORDER BY {order}{tail}",
            params,
        )
        return [self._record(cls, columns, row) for row in rows]

    def _record(self, cls: type[R], columns: tuple[str, ...], row: tuple[Any, ...]) -> R:
        values = dict(zip(("id", *columns), row, strict=True))
        if self.sqlite:
            for name, convert in _readers(cls).items():
                if values.get(name) is not None:
                    values[name] = convert(values[name])
        return cls(**values)

    def insert(self, table: str, values: dict[str, Any]) -> int:
        names = list(values)
        marks = ", ".join("?" for _ in names)
        new_id = self.scalar(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) RETURNING id",
            list(values.values()),
        )
        return int(new_id)

    def insert_many(self, table: str, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert rows with the same columns; their ids, in order. In a few statements
        however many rows: on PostgreSQL by COPY or the driver's pipeline, on SQLite by one
        executemany."""
        if len(rows) <= 1:  # no batch to set up for one row
            return [self.insert(table, row) for row in rows]
        names = list(rows[0])
        if self.sqlite:
            return self._insert_numbered(table, names, rows)
        if len(rows) >= _COPY_FROM:
            return self._copy(table, names, rows)
        # Fewer than _COPY_FROM rows: one executemany, pipelined by the driver.
        self.statements += 1
        self._cur.executemany(
            self.sql(
                f"INSERT INTO {table} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)}) RETURNING id"
            ),
            [self._params(map(row.__getitem__, names)) for row in rows],
            returning=True,
        )
        ids = []
        while True:
            ids.append(int(self._cur.fetchone()[0]))
            if not self._cur.nextset():
                break
        return ids

    def _copy(self, table: str, names: list[str], rows: Sequence[dict[str, Any]]) -> list[int]:
        """Many rows into one table by COPY, with ids drawn from its sequence first: a
        fraction of the server's work for as many INSERT statements."""
        ids = [
            int(new_id)
            for (new_id,) in self.all(
                "SELECT nextval(s) FROM pg_get_serial_sequence(?, 'id') AS s, "
                "generate_series(1, ?)",
                [table, len(rows)],
            )
        ]
        self.statements += 1
        with self._cur.copy(f"COPY {table} (id, {', '.join(names)}) FROM STDIN") as copy:
            for new_id, row in zip(ids, rows, strict=True):
                copy.write_row([new_id, *self._params(map(row.__getitem__, names))])
        return ids

    def _insert_numbered(
        self, table: str, names: list[str], rows: Sequence[dict[str, Any]]
    ) -> list[int]:
        """SQLite: rows numbered as SQLite would number them (the next after the highest;
        the transaction holds the only write lock) and written by one executemany."""
        first = int(self.scalar(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
        ids = list(range(first, first + len(rows)))
        self.execute_many(
            f"INSERT INTO {table} (id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' for _ in names)})",
            ([new_id, *[row[n] for n in names]] for new_id, row in zip(ids, rows, strict=True)),
        )
        return ids

    def load_in(
        self,
        cls: type[R],
        table: str,
        where: str,
        params: Sequence[Any],
        column: str,
        values: Sequence[Any],
        order: str = "id",
        *,
        by_key: bool = False,
    ) -> list[R]:
        """``load`` of the rows whose ``column`` is one of ``values``, in one query however
        many values there are; ``by_key`` as for ``select_in``."""
        columns = _columns(cls)
        rows = self.select_in(
            f"id, {', '.join(columns)}", table, where, params, column, values, order, by_key=by_key
        )
        return [self._record(cls, columns, row) for row in rows]

    def array(self, values: Sequence[Any]) -> Any:
        """``values`` as one array parameter (PostgreSQL only)."""
        assert not self.sqlite
        return _Array(list(values))

    def select_in(
        self,
        select: str,
        table: str,
        where: str,
        params: Sequence[Any],
        column: str,
        values: Iterable[Any],
        order: str | None = None,
        *,
        by_key: bool = False,
    ) -> list[tuple[Any, ...]]:
        """``SELECT select FROM table WHERE where`` for the rows whose ``column`` is one of
        ``values`` (whole numbers or text), in one statement with the values as one
        parameter (an array on PostgreSQL, a JSON array SQLite unpacks): short, parsed at
        once, with no limit on parameters to stay under.

        ``by_key`` when an index starts with ``where``'s equalities and ``column`` (and
        no other index starts with ``where``'s equalities alone): on PostgreSQL each value
        is then looked up on its own through it (a LATERAL join), one probe per value
        whatever the planner knows. With "= ANY(list)", a table never analysed (a server
        without autovacuum) was read by an index's first column alone and each row tested
        against the whole list: rows times values, 4.6 s for 50,000 allocations. Where
        another index starts with ``where``'s equalities, the probe may be planned
        through that one instead (a municipality's allocations read whole for each of
        5,000 clients: 1.6 s): leave those equalities out and filter the rows after."""
        distinct = list(dict.fromkeys(values))
        if not distinct:
            return []
        tail = f" ORDER BY {order}" if order else ""
        if self.sqlite:
            return self.all(
                f"SELECT {select} FROM {table} WHERE {where} "
                f"AND {column} IN (SELECT value FROM json_each(?)){tail}",
                [*params, json.dumps(distinct)],
            )
        if not by_key:
            return self.all(
                f"SELECT {select} FROM {table} WHERE {where} AND {column} = ANY(?){tail}",
                [*params, _Array(distinct)],
            )
        kind = "bigint" if all(isinstance(v, int) for v in distinct) else "text"
        return self.all(
            f"SELECT _t.* FROM unnest(?::{kind}[]) AS _v(v) CROSS JOIN LATERAL "
            # OFFSET 0 keeps the subquery a subquery: flattened into a join, the planner
            # would be free again to put the table outside and the list inside.
            f"(SELECT {select} FROM {table} WHERE {where} AND {column} = _v.v OFFSET 0) AS _t"
            f"{tail}",
            [_Array(distinct), *params],
        )

    def update(self, table: str, id_: int, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*values.values(), id_])

    def insert_and_point(
        self, table: str, values: dict[str, Any], id_: int, updates: dict[str, Any], link: str
    ) -> int:
        """Insert a row and update row ``id_`` of the same table, its ``link`` column set to
        the new row's id; the new id. On PostgreSQL one statement (the insert in a WITH),
        on SQLite two."""
        if self.sqlite:
            new_id = self.insert(table, values)
            self.update(table, id_, {**updates, link: new_id})
            return new_id
        sets = ", ".join(f"{k} = ?" for k in updates)
        return int(
            self.scalar(
                f"WITH _new AS (INSERT INTO {table} ({', '.join(values)}) "
                f"VALUES ({', '.join('?' for _ in values)}) RETURNING id) "
                f"UPDATE {table} SET {sets}, {link} = _new.id FROM _new "
                f"WHERE {table}.id = ? RETURNING _new.id",
                [*values.values(), *updates.values(), id_],
            )
        )

    def lock(self, text: str) -> str:
        """SQL with FOR UPDATE where the database has row locks (SQLite locks it all)."""
        return text if self.sqlite else f"{text} FOR UPDATE"


_AS_IS_SQLITE = frozenset({str, int, float, bytes, bool, type(None)})
_AS_IS_PG = _AS_IS_SQLITE | {date, datetime, time}


@cache
def _pg_sql(text: str) -> str:
    return text.replace("%", "%%").replace("?", "%s")


@cache
def _sqlite_sql(text: str) -> str:
    return text


_COPY_FROM = 64  # rows at once from which COPY is quicker than a pipeline of INSERTs


@dataclass(frozen=True)
class _Array:
    """Values sent to PostgreSQL as one array parameter."""

    values: list[Any]


_SKIP = {"id", "dirty", "stops", "allocation", "lines"}


_COLUMNS: dict[type, tuple[str, ...]] = {}
_READERS: dict[type, dict[str, Any]] = {}


def _columns(cls: type) -> tuple[str, ...]:
    found = _COLUMNS.get(cls)
    if found is None:
        found = _COLUMNS[cls] = tuple(f.name for f in fields(cls) if f.name not in _SKIP)
    return found


def _readers(cls: type) -> dict[str, Any]:
    """Converters for values SQLite returns as text."""
    found = _READERS.get(cls)
    if found is None:
        found = _READERS[cls] = _find_readers(cls)
    return found


def _find_readers(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    readers: dict[str, Any] = {}
    for name in _columns(cls):
        hint = hints[name]
        kinds = set(typing.get_args(hint)) or {hint}
        if datetime in kinds:
            readers[name] = datetime.fromisoformat
        elif date in kinds:
            readers[name] = date.fromisoformat
        elif time in kinds:
            readers[name] = time.fromisoformat
        elif typing.get_origin(hint) in (dict, list) or hint in (dict, list):
            readers[name] = lambda v: json.loads(v) if isinstance(v, str) else v
    return readers


def values_of(record: r.Record, *names: str) -> dict[str, Any]:
    return {n: getattr(record, n) for n in (names or _columns(type(record)))}


_counting = Lock()


class ConnectionLost(Exception):
    """The database connection broke during a transaction (a database restart, a
    failover, a killed backend). Whether a commit under way took effect is unknown, so only
    work that is safe to repeat may be retried."""


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        # Transactions committed (an autocommit block counts as one) and the statements
        # they sent (their commits not counted): what the benchmarks print per message,
        # and what the tests pin.
        self.transactions = 0
        self.statements = 0
        # Round trips to the database: the statements, and on PostgreSQL a BEGIN and a
        # COMMIT per transaction (none for statements committed on their own).
        self.round_trips = 0

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction: committed when the block ends, rolled back on any error.
        On SQLite it begins IMMEDIATE, so writers queue instead of failing. A broken
        connection raises ``ConnectionLost``."""
        conn = self.engine.raw_connection()
        try:
            try:
                cursor = conn.cursor()
                if self.sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                tx = Tx(cursor, self.sqlite)
                yield tx
                if self.sqlite:
                    cursor.execute("COMMIT")
                else:
                    conn.commit()
                self._count(tx, 0 if self.sqlite else 2)
            except BaseException as exc:
                self._raise_if_lost(exc, conn)
                conn.rollback()
                raise
        finally:
            conn.close()

    @contextmanager
    def autocommit(self) -> Iterator[Tx]:
        """Statements each committed on its own, for work that is a single statement (or
        a few, each complete in itself): on PostgreSQL it saves the BEGIN and the COMMIT,
        two of the three round trips a one-statement transaction takes. On SQLite, where
        they cost no round trip, it is an ordinary transaction."""
        if self.sqlite:
            with self.transaction() as tx:
                yield tx
            return
        conn = self.engine.raw_connection()
        driver: Any = conn.driver_connection
        try:
            try:
                driver.autocommit = True
                tx = Tx(conn.cursor(), self.sqlite)
                yield tx
                driver.autocommit = False
                self._count(tx, 0)
            except BaseException as exc:
                self._raise_if_lost(exc, conn)
                driver.autocommit = False
                raise
        finally:
            conn.close()

    def _count(self, tx: Tx, framing: int) -> None:
        with _counting:
            self.transactions += 1
            self.statements += tx.statements
            self.round_trips += tx.statements + framing

    def _raise_if_lost(self, exc: BaseException, conn: Any) -> None:
        """``ConnectionLost`` when ``exc`` broke the connection."""
        dialect = self.engine.dialect
        if isinstance(exc, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            exc, conn.dbapi_connection, None
        ):
            conn.invalidate(exc)
            # What broke this connection (a restart, a failover) broke the idle ones in
            # the pool too: replace them all now rather than fail one request for each of
            # them. Connections in use are dropped when they are returned.
            self.engine.dispose(close=False)
            raise ConnectionLost(type(exc).__name__) from exc
