"""Ingest throughput and latency against a running service.

Starts the service (uvicorn, 2 workers) on PostgreSQL in its own schema, registers the
participants, then posts a realistic mix from this separate process: per client an
allocation (301), a start (305), a temporary and a definitive stop (307), and for one client
in four a change request (317) and its rejection (319). 32 senders work concurrently; each
sends whole client chains, in order. Prints throughput and p50/p95/p99 latency.

Targets (issue "administration"): at least 300 messages/s and p99 under 100 ms.

Usage: python bench/ingest.py [--clients 1500] [--senders 32] [--workers 2]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from app.administration import participants  # noqa: E402
from app.administration.db import Database  # noqa: E402
from bench.messages import Chain, bsns, chain  # noqa: E402

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


def serve(schema_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, IWMO_DATABASE_URL=schema_url,
               IWMO_SECRET_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.api:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], cwd=ROOT, env=env)


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


async def run(base: str, keys: dict[str, str], chains: list[Chain], senders: int
              ) -> tuple[list[float], Counter[int], float, int]:
    queue: asyncio.Queue[Chain] = asyncio.Queue()
    for c in chains:
        queue.put_nowait(c)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    refused = 0
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def sender() -> None:
            nonlocal refused
            while not queue.empty():
                c = queue.get_nowait()
                for code, body in c.messages:
                    t0 = time.perf_counter()
                    r = await client.post("/v1/berichten", content=body, headers={
                        "content-type": "application/xml",
                        "authorization": f"Bearer {keys[code]}"})
                    latencies.append(time.perf_counter() - t0)
                    statuses[r.status_code] += 1
                    if b"<wmo3" in r.content[:200] and b">0200<" not in r.content:
                        refused += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(senders)))
        elapsed = time.perf_counter() - t0
    return latencies, statuses, elapsed, refused


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=os.environ.get(
        "IWMO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--clients", type=int, default=1500)
    ap.add_argument("--senders", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()

    schema_url, keys = prepare(args.database)
    numbers = iter(range(100_000, 10_000_000))
    people = bsns(123_000_000)
    chains = [chain(i, next(people), GEMEENTEN[i % len(GEMEENTEN)],
                    AANBIEDERS[i % len(AANBIEDERS)], next(numbers), with_change=i % 4 == 0)
              for i in range(args.clients)]
    total = sum(len(c.messages) for c in chains)
    warmup = [chain(10_000_000 + i, next(people), GEMEENTEN[0], AANBIEDERS[0], next(numbers))
              for i in range(40)]
    server = serve(schema_url, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_ready(base)
        asyncio.run(run(base, keys, warmup, 8))
        latencies, statuses, elapsed, refused = asyncio.run(
            run(base, keys, chains, args.senders))
    finally:
        server.terminate()
        server.wait(10)
        drop(args.database, schema_url)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(f"messages        {total} ({args.clients} clients, mix 301/305/307/317/319)")
    print(f"senders         {args.senders} concurrent, service with {args.workers} workers")
    print(f"elapsed         {elapsed:.1f} s")
    print(f"throughput      {total / elapsed:.0f} messages/s   (target >= 300)")
    print(f"latency p50     {statistics.median(latencies) * 1000:.1f} ms")
    print(f"latency p95     {pct(0.95):.1f} ms")
    print(f"latency p99     {pct(0.99):.1f} ms   (target < 100)")
    print(f"HTTP statuses   {dict(statuses)}")
    print(f"refused by rules {refused} (the 319s reject their 317: expected "
          f"{sum(1 for c in chains if len(c.messages) > 4)} refusals are 0 here)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
