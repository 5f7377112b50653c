"""Database access: engine, sessions, schema migrations.

SQLite (the embedded default) gets WAL mode and a busy timeout, and write transactions
start with ``BEGIN IMMEDIATE`` so concurrent workers queue instead of failing; PostgreSQL
gets row locks (``SELECT ... FOR UPDATE``) where messages for one client must not overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from app.administration.models import Base

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
_WRITE = "iwmo_write"


class Database:
    def __init__(self, url: str, *, pool_size: int = 12, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_engine(
                url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(
                # No pre-ping: it would cost a round trip per transaction. Connections are
                # recycled instead, and a lost one fails the request with a 503.
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=8,
                pool_recycle=1800,
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it never writes."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self, *, autoflush: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._sessions(autoflush=autoflush) as session, session.begin():
            if self.is_sqlite:
                # Acquire the connection now, so its BEGIN is an immediate one.
                session.connection(execution_options={_WRITE: True})
            yield session

    def create_all(self) -> None:
        """Create the tables directly (tests); production uses ``upgrade``."""
        Base.metadata.create_all(self.engine)

    def upgrade(self, revision: str = "head") -> None:
        from alembic import command

        command.upgrade(alembic_config(self.url), revision)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _configure_sqlite(engine: Engine) -> None:
    # Take transaction control from pysqlite so BEGIN IMMEDIATE can be issued for writers.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=30000",
            "foreign_keys=ON",
            "synchronous=NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
