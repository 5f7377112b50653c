# ruff: noqa: F811  (fixtures imported from tests.administration.conftest are parameters)
"""Faults: the database failing in the middle of a message, a worker killed while judging.
Nothing is half-applied, nothing is lost, and ``iwmo reprocess`` finishes the job exactly
once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from app.administration import models as db
from app.administration.store import Tx
from app.cli import main
from app.config import Settings
from app.services import Services
from tests.administration.conftest import aanbieder, app, gemeente, operator  # noqa: F401
from tests.administration.helpers import GEMEENTE, Party, approved, ident, toewijzing, xml
from tests.administration.test_concurrency import second_worker, sender
from tests.conftest import ROOT


def driver_error(settings: Settings) -> type[Exception]:
    """The exception the database driver raises when the connection breaks."""
    if settings.database_url.startswith("postgresql"):
        import psycopg

        return psycopg.OperationalError
    return sqlite3.OperationalError


def count(services: Services, model: Any) -> int:
    with services.database.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def status_of(services: Services, message_id: int) -> str:
    with services.database.read() as s:
        return str(s.scalar(select(db.Message.status).where(db.Message.id == message_id)))


def reprocess(capsys: pytest.CaptureFixture[str], settings: Settings, monkeypatch: Any) -> str:
    monkeypatch.setenv("IWMO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IWMO_SECRET_KEY", settings.secret_key or "")
    capsys.readouterr()
    assert main(["reprocess", "--older-than", "0"]) == 0
    return capsys.readouterr().err


@pytest.fixture
def failing_apply(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """The connection breaks when the allocation's version is written: after the first
    writes of the apply, before the commit."""
    error = driver_error(settings)
    state = {"broken": True}
    real = Tx.execute

    def execute(self: Tx, text: str, params: Any = ()) -> Any:
        if state["broken"] and text.startswith("INSERT INTO toewijzing_versies"):
            raise error("server closed the connection unexpectedly")
        return real(self, text, params)

    monkeypatch.setattr(Tx, "execute", execute)
    return state


def test_database_failing_mid_message_gives_503_and_changes_nothing(
    services: Services,
    settings: Settings,
    gemeente: Party,
    aanbieder: Party,
    operator: Party,
    failing_apply: dict[str, bool],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = xml(toewijzing(ReferentieAanbieder=None))
    r = gemeente.send(body)
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "5"
    assert r.json()["type"].endswith("database_unavailable")
    # The bytes were stored first; nothing of the apply remains.
    [message] = operator.get("/v1/berichten").json()["items"]
    assert (message["status"], message["message_type"]) == ("received", None)
    assert count(services, db.Toewijzing) == 0
    assert count(services, db.IdentificatieClaim) == 0

    failing_apply["broken"] = False  # the database is back
    assert "1 HTTP 200" in reprocess(capsys, settings, monkeypatch)
    assert status_of(services, message["id"]) == "accepted"
    assert count(services, db.Toewijzing) == 1
    assert "none waiting" in reprocess(capsys, settings, monkeypatch)
    # The sender, sending again, gets the answer the reprocessing stored.
    again = gemeente.send(body)
    assert again.headers.get("x-iwmo-replayed") == "true"
    assert approved(again)
    assert count(services, db.Toewijzing) == 1


def test_the_sender_sending_again_finishes_it_too(
    services: Services, gemeente: Party, aanbieder: Party, failing_apply: dict[str, bool]
) -> None:
    body = xml(toewijzing(ReferentieAanbieder=None))
    assert gemeente.send(body).status_code == 503
    failing_apply["broken"] = False
    r = gemeente.send(body)
    assert approved(r)
    assert r.headers.get("x-iwmo-replayed") is None  # judged now, not replayed
    assert count(services, db.Toewijzing) == 1


def test_no_database_at_all_gives_503(gemeente: Party, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from app.administration.store import Store

    def down(self: Store) -> Any:
        raise OperationalError("connect", {}, Exception("connection refused"))

    monkeypatch.setattr(Store, "transaction", down)
    r = gemeente.send(xml(toewijzing(ReferentieAanbieder=None)))
    assert r.status_code == 503
    assert r.json()["detail"] == "nothing was changed; send the message again later"


def _break_connections(services: Services) -> int:
    """Break the connections the service holds, as a database restart does: on PostgreSQL
    the server ends their backends; SQLite has no server, so they are closed under the
    pool's feet. Returns how many were broken."""
    pool: Any = services.database.engine.pool
    idle = [pool._pool.get_nowait() for _ in range(pool._pool.qsize())]
    if services.database.url.startswith("postgresql"):
        pids = [record.dbapi_connection.info.backend_pid for record in idle]
        engine = create_engine(services.database.url)
        with engine.begin() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        engine.dispose()
    else:
        for record in idle:
            record.dbapi_connection.close()
    for record in idle:
        pool._pool.put_nowait(record)
    return len(idle)


def test_a_database_restart_between_messages_costs_the_sender_nothing(
    services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    """Every pooled connection dies with the restart; the next messages are received on
    fresh connections instead of failing once for each stale one."""
    assert approved(gemeente.send(xml(toewijzing(ReferentieAanbieder=None))))
    assert _break_connections(services) >= 1
    for _ in range(3):
        r = gemeente.send(xml(ident(toewijzing(ReferentieAanbieder=None))))
        assert r.status_code == 200, r.text
        assert approved(r)
    statuses = [m["status"] for m in operator.get("/v1/berichten").json()["items"]]
    assert statuses.count("accepted") == 4


def test_a_connection_lost_while_judging_is_received_again_once(
    services: Services, gemeente: Party, aanbieder: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection breaks in the middle of judging (after the bytes were stored): the
    message is judged again on a new connection, and applied once."""
    real = Tx.execute
    broken = {"left": 1}

    def execute(self: Tx, sql: str, params: Any = ()) -> Any:
        if broken["left"] and sql.startswith("INSERT INTO toewijzing_versies"):
            broken["left"] -= 1
            self._cur.connection.close()  # the server goes away mid-transaction
        return real(self, sql, params)

    monkeypatch.setattr(Tx, "execute", execute)
    r = gemeente.send(xml(toewijzing(ReferentieAanbieder=None)))
    assert broken["left"] == 0
    assert approved(r)
    assert count(services, db.Toewijzing) == 1
    assert count(services, db.ToewijzingVersie) == 1
    assert count(services, db.Message) == 2  # the 301 (stored once) and its 302


_KILLED = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from app.config import Settings
    from app.services import Services
    from app.intake import Sender
    from app.intake.store import Inbox

    def killed(*args, **kwargs):
        os._exit(137)  # as if the worker was killed: no cleanup, the transaction is open

    services = Services.build(Settings(database_url={url!r}, secret_key={key!r}))
    # The retour is stored after the message was applied, before the commit.
    Inbox.keep_answer = killed
    services.intake.receive(Sender({pid}, {code!r}, "municipality"), sys.stdin.buffer.read())
    """
)


def test_a_worker_killed_while_judging_loses_nothing(
    services: Services,
    settings: Settings,
    gemeente: Party,
    aanbieder: Party,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    who = sender(services, GEMEENTE)
    script = _KILLED.format(
        root=str(ROOT),
        url=settings.database_url,
        key=settings.secret_key,
        pid=who.id,
        code=who.code,
    )
    body = xml(toewijzing(ReferentieAanbieder=None))
    done = subprocess.run(
        [sys.executable, "-c", script], input=body, capture_output=True, timeout=120
    )
    assert done.returncode == 137, done.stderr.decode()[-2000:]
    with services.database.read() as s:
        [message] = s.scalars(select(db.Message)).all()
    assert message.status == "received"  # stored; the judging died with the worker
    assert count(services, db.Toewijzing) == 0

    assert "1 HTTP 200" in reprocess(capsys, settings, monkeypatch)
    assert status_of(services, message.id) == "accepted"
    assert count(services, db.Toewijzing) == 1
    assert count(services, db.ToewijzingVersie) == 1
    retours = [m for m in _messages(services) if m.direction == "out"]
    assert [m.message_type for m in retours] == ["WMO302"]


def test_two_reprocessors_at_once_judge_once(
    services: Services,
    settings: Settings,
    gemeente: Party,
    aanbieder: Party,
    failing_apply: dict[str, bool],
) -> None:
    assert gemeente.send(xml(toewijzing(ReferentieAanbieder=None))).status_code == 503
    failing_apply["broken"] = False
    [waiting] = services.intake.unfinished(0)
    worker_b = second_worker(settings)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def run(worker: Services) -> None:
        barrier.wait()
        results.append(worker.intake.reprocess(waiting))

    threads = [threading.Thread(target=run, args=(w,)) for w in (services, worker_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    worker_b.close()
    judged = [r for r in results if r is not None and not r.replayed]
    assert len(judged) == 1  # the other saw it finished (None) or got the stored answer
    assert count(services, db.Toewijzing) == 1
    assert [m.message_type for m in _messages(services) if m.direction == "out"] == ["WMO302"]


def _messages(services: Services) -> list[db.Message]:
    with services.database.read() as s:
        return list(s.scalars(select(db.Message).order_by(db.Message.id)))
