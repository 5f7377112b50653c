"""Ingest throughput and latency against a running service.

Starts the service as `iwmo serve` runs it (2 uvicorn workers, JSON logs and metrics on)
on PostgreSQL in its own schema, registers the participants, then posts a realistic mix
from this separate process: per client an allocation (301), a start (305), a temporary and
a definitive stop (307), and for one client in four a change request (317) and its
rejection (319). 32 senders work concurrently; each sends whole client chains, in order.
Two runs: at saturation (throughput), and paced at --rate messages per second (latency at
that load). Prints throughput and p50/p95/p99.

Targets (issue "administration"): at least 300 messages/s and p99 under 100 ms.

Usage: python bench/ingest.py [--clients 1500] [--senders 32] [--workers 2]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402  (only to wait for readiness)
from sqlalchemy import create_engine, text  # noqa: E402

from app.administration import participants  # noqa: E402
from app.administration.db import Database  # noqa: E402
from bench.messages import Chain, bsns, chain  # noqa: E402

_CODES = re.compile(rb"RetourCode>([0-9A-Z]{4})<")
_APPROVING = {b"0200", b"8001"}
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
    env = dict(
        os.environ,
        IWMO_DATABASE_URL=schema_url,
        IWMO_SECRET_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
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
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


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


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--database",
        default=os.environ.get(
            "IWMO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    ap.add_argument("--clients", type=int, default=1500)
    ap.add_argument("--senders", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--port", type=int, default=0, help="port for the service (default: a free one)"
    )
    ap.add_argument(
        "--rate", type=float, default=300.0, help="messages per second for the paced run"
    )
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
            report(
                "saturation (each sender sends when its answer is in)",
                *asyncio.run(run(args.port, keys, saturation, args.senders)),
                total,
            )
            total = sum(len(c.messages) for c in paced)
            report(
                f"paced at {args.rate:g} messages/s",
                *asyncio.run(run(args.port, keys, paced, args.senders, rate=args.rate)),
                total,
            )
            metrics = httpx.get(f"http://127.0.0.1:{args.port}/metrics").text
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
    print("targets: at least 300 messages/s, p99 under 100 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
