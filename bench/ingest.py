"""Ingest throughput and latency against a running service.

Starts the service as `iwmo serve` runs it (2 uvicorn workers, JSON logs and metrics on)
on PostgreSQL in its own schema, registers the participants, then posts a realistic mix
from this separate process: per client an allocation (301), a start (305), a temporary and
a definitive stop (307), and for one client in four a change request (317) and its
rejection (319). 32 senders work concurrently; each sends whole client chains, in order.
Two runs: at saturation (throughput), and paced at --rate messages per second (latency at
that load). Prints throughput and p50/p95/p99, and what a message costs: CPU milliseconds
of the service's workers, of PostgreSQL and of this load generator, and the statements and
transactions per message type (counted in-process, one chain sent through the intake).

Beside them, the floor measured in the same run: pgbench running, per "message", the same
shape of work the service asks of PostgreSQL (a transaction storing the raw bytes, then one
of ten statements reading, locking, inserting and updating rows of the same sizes), with as
many clients as the service has judging threads. What the service reaches against that is
what its own Python costs.

Targets (issue 14): at least 800 messages/s saturated, p99 under 50 ms at 300/s.

Usage: python bench/ingest.py [--clients 1500] [--senders 32] [--workers 2]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402  (only to wait for readiness)
from sqlalchemy import create_engine, text  # noqa: E402

from app.administration import participants  # noqa: E402
from app.administration.db import Database  # noqa: E402
from app.config import Settings  # noqa: E402
from app.intake import Sender  # noqa: E402
from app.services import Services  # noqa: E402
from bench.messages import Chain, bsns, chain  # noqa: E402

_CODES = re.compile(rb"RetourCode>([0-9A-Z]{4})<")
_APPROVING = {b"0200", b"8001"}
_SECRET = base64.b64encode(secrets.token_bytes(32)).decode()
GEMEENTEN = ["0307", "0308", "0313", "0327", "0342", "0351"]
AANBIEDERS = ["42420001", "42420002", "42420003", "42420004"]


def prepare(url: str) -> tuple[str, dict[str, str]]:
    """A fresh schema with the participants; returns its URL and their API keys."""
    schema = f"iwmo_bench_{secrets.token_hex(3)}"
    with create_engine(url).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    schema_url = f"{url}{sep}options=-csearch_path%3D{schema}"
    database = Database(schema_url)
    database.upgrade()
    keys = {}
    with database.write() as s:
        for code in GEMEENTEN:
            keys[code] = participants.add(s, code, "municipality", code)[1]
        for code in AANBIEDERS:
            keys[code] = participants.add(s, code, "provider", code)[1]
    database.dispose()
    return schema_url, keys


def drop(url: str, schema_url: str) -> None:
    schema = schema_url.rsplit("%3D", 1)[1]
    with create_engine(url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def serve(schema_url: str, port: int, workers: int, log: Any) -> subprocess.Popen[bytes]:
    """The service exactly as `iwmo serve` runs it: JSON request and message logs (to
    ``log``), metrics on."""
    env = dict(os.environ, IWMO_DATABASE_URL=schema_url, IWMO_SECRET_KEY=_SECRET)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve makes a fresh one
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )


def _ticks(pid: int) -> tuple[int, int]:
    """(own, reaped children's) CPU ticks of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds used by the service's workers, by PostgreSQL (every postgres process,
    and the backends that ended, through the postmaster's reaped-children count) and by
    this process, between ``start()`` and ``stop()``."""

    def __init__(self, server: int) -> None:
        self.server = server
        self.hz = os.sysconf("SC_CLK_TCK")
        self._workers: dict[int, int] = {}

    def _sample(self) -> dict[str, float]:
        workers = {p: sum(_ticks(p)) for p in _children(self.server)}
        self._workers = {p: t - self._workers.get(p, 0) for p, t in workers.items()}
        service = sum(_ticks(self.server)) + sum(workers.values())
        postgres = 0
        for pid in _postgres_pids():
            with contextlib.suppress(OSError):
                own, reaped = _ticks(pid)
                postgres += own + reaped
        me = os.times()
        return {
            "service": service / self.hz,
            "postgres": postgres / self.hz,
            "load generator": me.user + me.system,
        }

    def start(self) -> None:
        self._workers = {}
        self._before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        return {k: after[k] - self._before[k] for k in after}

    def split(self) -> str:
        """How the service's CPU between start() and stop() fell on its worker processes
        (an even split: the load was balanced over them)."""
        used = sorted((t for t in self._workers.values() if t > 0), reverse=True)
        total = sum(used) or 1
        return " / ".join(f"{t / total:.0%}" for t in used)


def senders_of(svc: Services, codes: Iterable[str]) -> dict[str, Sender]:
    """The registered participants of these codes, as the intake knows a sender."""
    senders = {}
    with svc.database.read() as s:
        for code in codes:
            p = participants.by_code(s, code)
            assert p is not None
            senders[code] = Sender(p.id, p.code, p.role)
    return senders


def statements_per_type(schema_url: str, keys: dict[str, str], c: Chain) -> dict[str, str]:
    """Send one chain through the intake in this process and count, per message type, the
    transactions and statements each message took (its retour included)."""
    settings = Settings(database_url=schema_url, secret_key=_SECRET)
    svc = Services.build(settings)
    try:
        store = svc.intake.store
        if not hasattr(store, "statements"):
            return {"(this version does not count statements)": ""}
        senders = senders_of(svc, keys)
        found: dict[str, str] = {}
        for code, body in c.messages:
            kind = re.search(rb"<(wmo\d+):Bericht", body)
            before = store.transactions, store.statements, getattr(store, "round_trips", 0)
            svc.intake.receive(senders[code], body)
            name = kind.group(1).decode().upper() if kind else "?"
            trips = getattr(store, "round_trips", 0) - before[2]
            found.setdefault(
                name,
                f"{store.statements - before[1]} statements in "
                f"{store.transactions - before[0]} transactions"
                + (f", {trips} round trips" if trips else ""),
            )
        return found
    finally:
        svc.close()


# The floor: per message, the raw bytes stored in a transaction of their own, then one
# transaction that locks the stored row, upserts the client, claims the identification,
# reads the allocation and the product codes, inserts two rows of the new record and the
# retour, updates the message with its verdict and delivers to a mailbox: the statements
# a WMO301 sends, on tables of the same shape with rows of the same sizes.
_FLOOR_SCHEMA = """
CREATE TABLE fm (id bigserial PRIMARY KEY, sha text UNIQUE, raw bytea, status text,
  kind text, sender text, receiver text, ident text, findings jsonb, at timestamptz);
CREATE TABLE fc (id bigserial PRIMARY KEY, m text, h text, enc bytea, at timestamptz,
  UNIQUE (m, h));
CREATE TABLE fcl (s text, t text, i text, mid bigint, PRIMARY KEY (s, t, i));
CREATE TABLE fa (id bigserial PRIMARY KEY, m text, n bigint, client bigint, p text,
  UNIQUE (m, n));
CREATE TABLE fv (id bigserial PRIMARY KEY, a bigint REFERENCES fa, cat text, code text,
  b date, e date, vol int);
CREATE TABLE fp (g text, cat text, code text);
CREATE INDEX ON fp (cat, g);
CREATE TABLE fk (r text PRIMARY KEY, last bigint);
CREATE TABLE fi (r text, seq bigint, mid bigint, kind text, at timestamptz,
  PRIMARY KEY (r, seq));
INSERT INTO fp SELECT '', '0' || mod(i, 9), 'C' || i FROM generate_series(1, 500) i;
"""
_FLOOR_SCRIPT = r"""
\set n random(1, 1000000000)
\set r random(1, 10)
BEGIN;
INSERT INTO fm (sha, raw, status, at) VALUES (md5(random()::text) || :n,
  convert_to(repeat(md5(random()::text), 70), 'UTF8'), 'received', now()) RETURNING id \gset
COMMIT;
BEGIN;
SELECT status FROM fm WHERE id = :id FOR UPDATE;
INSERT INTO fc (m, h, enc, at) VALUES ('0307', md5(:n::text), '\x00112233445566778899', now())
  ON CONFLICT (m, h) DO UPDATE SET m = excluded.m RETURNING id AS client \gset
INSERT INTO fcl VALUES ('0307', 'WMO301', md5(random()::text), :id) ON CONFLICT DO NOTHING;
SELECT id, m, n, client, p FROM fa WHERE m = '0307' AND n = :n FOR UPDATE;
SELECT g, code FROM fp WHERE cat = '01' AND g IN ('0307', '');
INSERT INTO fa (m, n, client, p) VALUES ('0307', :n, :client, '42420001')
  ON CONFLICT DO NOTHING RETURNING id AS alloc \gset
INSERT INTO fv (a, cat, code, b, e, vol) VALUES (:alloc, '01', '01A01', now(), now(), 10);
INSERT INTO fm (sha, raw, status, kind, sender, receiver, ident, at) VALUES (
  md5(random()::text) || 'out' || :n, convert_to(repeat(md5(random()::text), 40), 'UTF8'),
  'accepted', 'WMO302', '0307', '42420001', md5(random()::text), now()) RETURNING id AS out \gset
UPDATE fm SET status = 'accepted', kind = 'WMO301', sender = '0307', receiver = '42420001',
  ident = md5(random()::text), findings = '[]', at = now() WHERE id = :id;
WITH c AS (INSERT INTO fk VALUES ('r' || :r, 1) ON CONFLICT (r) DO UPDATE SET last = fk.last + 1
  RETURNING last) INSERT INTO fi SELECT 'r' || :r, c.last, :out, 'message', now() FROM c;
COMMIT;
"""


def floor(url: str, clients: int, seconds: int = 15) -> str:
    """Messages per second pgbench reaches with the statements of a WMO301 (see above),
    ``clients`` at once, in a scratch schema."""
    pgbench = shutil.which("pgbench") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if pgbench is None:
        return "pgbench not found"
    schema = f"iwmo_floor_{secrets.token_hex(3)}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}; SET search_path TO {schema};"))
        conn.exec_driver_sql(_FLOOR_SCHEMA)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(_FLOOR_SCRIPT)
            script.flush()
            parsed = engine.url
            out = subprocess.run(
                [
                    str(pgbench),
                    "-n",
                    "-M",
                    "prepared",
                    "-f",
                    script.name,
                    "-c",
                    str(clients),
                    "-j",
                    "2",
                    "-T",
                    str(seconds),
                    "-h",
                    parsed.host or "127.0.0.1",
                    "-p",
                    str(parsed.port or 5432),
                    "-U",
                    parsed.username or "postgres",
                    parsed.database or "postgres",
                ],
                env=dict(os.environ, PGOPTIONS=f"-csearch_path={schema}"),
                capture_output=True,
                text=True,
                check=False,
            )
        tps = re.search(r"tps = ([0-9.]+)", out.stdout)
        return f"{float(tps.group(1)):.0f} messages/s" if tps else out.stderr.strip()[-300:]
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def free_port() -> int:
    """A port nothing listens on now (another run's service may still hold the last one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the service did not become ready")


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator must cost far less CPU
    than the service it measures (httpx costs more than the service's own work here)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, key: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/xml\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and b"close" in value.lower():
                close = True
        body = await self.reader.readexactly(length)
        if close:  # as any HTTP client does: the next request on a new connection
            self.writer.close()
            self.reader = self.writer = None
        return status, body


async def run(
    port: int, keys: dict[str, str], chains: list[Chain], senders: int, rate: float | None = None
) -> tuple[list[float], Counter[int], float, int]:
    """Send the chains with ``senders`` concurrent connections. Without ``rate`` each sender
    sends as fast as answers come back (saturation); with it, messages are started on a
    fixed schedule of ``rate`` per second (an open loop), so latency is measured at that
    load rather than at saturation."""
    queue: asyncio.Queue[Chain] = asyncio.Queue()
    for c in chains:
        queue.put_nowait(c)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    refused = 0
    start = time.perf_counter()
    sent = 0

    async def sender() -> None:
        nonlocal refused, sent
        conn = Connection("127.0.0.1", port)
        while not queue.empty():
            c = queue.get_nowait()
            for code, body in c.messages:
                if rate is not None:
                    due = start + sent / rate
                    sent += 1
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                t0 = time.perf_counter()
                status, answer = await conn.post("/v1/berichten", body, keys[code])
                latencies.append(time.perf_counter() - t0)
                statuses[status] += 1
                if answer.startswith(b"<?xml") and set(_CODES.findall(answer)) - _APPROVING:
                    refused += 1
        if conn.writer is not None:
            conn.writer.close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    return latencies, statuses, time.perf_counter() - start, refused


def report(
    title: str,
    latencies: list[float],
    statuses: Counter[int],
    elapsed: float,
    refused: int,
    total: int,
) -> None:
    latencies = sorted(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(f"{title}")
    print(f"  throughput    {total / elapsed:.0f} messages/s  ({total} in {elapsed:.1f} s)")
    print(
        f"  latency       p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms"
    )
    print(f"  HTTP          {dict(statuses)}; retours with a refusal: {refused}")


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """The options every live-service bench takes: its text as help, and --database
    (``IWMO_BENCH_DATABASE_URL``, by default the local PostgreSQL's database test)."""
    ap = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--database",
        default=os.environ.get(
            "IWMO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    return ap


def main() -> int:
    ap = arguments(__doc__)
    ap.add_argument("--clients", type=int, default=1500)
    ap.add_argument("--senders", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--port", type=int, default=0, help="port for the service (default: a free one)"
    )
    ap.add_argument(
        "--rate", type=float, default=300.0, help="messages per second for the paced run"
    )
    ap.add_argument("--floor-clients", type=int, default=8, help="pgbench clients for the floor")
    args = ap.parse_args()
    if not args.port:
        args.port = free_port()

    schema_url, keys = prepare(args.database)
    numbers = iter(range(100_000, 10_000_000))
    people = bsns(123_000_000)

    def chains(count: int) -> list[Chain]:
        return [
            chain(
                i,
                next(people),
                GEMEENTEN[i % len(GEMEENTEN)],
                AANBIEDERS[i % len(AANBIEDERS)],
                next(numbers),
                with_change=i % 4 == 0,
            )
            for i in range(count)
        ]

    warmup, saturation, paced = chains(60), chains(args.clients), chains(args.clients)
    with tempfile.TemporaryFile() as log:
        server = serve(schema_url, args.port, args.workers, log)
        try:
            wait_ready(f"http://127.0.0.1:{args.port}")
            asyncio.run(run(args.port, keys, warmup, 8))
            total = sum(len(c.messages) for c in saturation)
            print(
                f"{args.senders} concurrent senders, service with {args.workers} uvicorn "
                f"workers on PostgreSQL; mix per client: 301, 305, 307 (temporary), 307 "
                f"(definitive), and for one client in four 317 + 319"
            )
            meter = CpuMeter(server.pid)
            meter.start()
            report(
                "saturation (each sender sends when its answer is in)",
                *asyncio.run(run(args.port, keys, saturation, args.senders)),
                total,
            )
            used = meter.stop()
            print(
                "  CPU per message "
                + ", ".join(f"{name} {sec / total * 1000:.2f} ms" for name, sec in used.items())
            )
            print(f"  the service's CPU by worker process: {meter.split()}")
            total = sum(len(c.messages) for c in paced)
            report(
                f"paced at {args.rate:g} messages/s",
                *asyncio.run(run(args.port, keys, paced, args.senders, rate=args.rate)),
                total,
            )
            metrics = httpx.get(f"http://127.0.0.1:{args.port}/metrics").text
            print("statements per message (one chain, its retours included):")
            for kind, cost in statements_per_type(schema_url, keys, chains(4)[0]).items():
                print(f"  {kind}  {cost}")
        finally:
            server.terminate()
            server.wait(10)
            drop(args.database, schema_url)
        log.seek(0)
        lines = log.read().splitlines()
        judged = sum(b'"msg": "message judged"' in line for line in lines)
        print(
            f"logging and metrics on: {len(lines)} JSON log lines ({judged} 'message judged'), "
            f"{len(metrics.splitlines())} lines of /metrics"
        )
    print(
        f"floor: pgbench with a WMO301's statements, {args.floor_clients} clients: "
        f"{floor(args.database, args.floor_clients)}"
    )
    print("targets: at least 800 messages/s saturated, p99 under 50 ms at 300/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
