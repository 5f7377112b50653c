"""Console pages on the demo's year of data.

Loads ``iwmo demo`` (the whole region, 2,212 clients and a year of traffic, unless
``--clients``) into a temporary SQLite database — and into PostgreSQL when ``--postgres
URL`` is given (a schema of its own, dropped afterwards) — or uses a database that already
holds the demo (``--database URL``, with ``IWMO_SECRET_KEY`` or its development key file).
Then logs in to the console as the operator, a municipality, the main contractor and a
subcontractor, asks each page ``--runs`` times in-process (no network), and prints per page
and party the median and the 95th percentile in milliseconds.

Target (issue 13): every console page answers within 200 ms. No test asserts a time.

Usage: python bench/console.py [--clients N] [--runs 20] [--postgres URL] [--database URL]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from app.administration import models as db  # noqa: E402
from app.administration import participants  # noqa: E402
from app.api import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.services import Services  # noqa: E402

PARTIES = {
    "operator": "demo-operator",
    "municipality": "0307",
    "main_contractor": "99000001",
    "subcontractor": "99000002",
}


def load_demo(url: str, key: str, clients: int | None) -> None:
    env = {**os.environ, "IWMO_DATABASE_URL": url, "IWMO_SECRET_KEY": key}
    iwmo = str(Path(sys.executable).with_name("iwmo"))
    subprocess.run([iwmo, "db", "upgrade"], env=env, check=True)
    args = [iwmo, "demo", "--json"] + (["--clients", str(clients)] if clients else [])
    started = time.perf_counter()
    # Exit 1 means something unplanned was refused: the data are there all the same.
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode == 2:
        raise SystemExit(done.stderr)
    print(f"demo loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def pages(svc: Services) -> dict[str, list[str]]:
    """The pages to time: every page, a message and a client each party may open."""
    with svc.database.read() as s:
        message = s.scalar(select(func.max(db.Message.id)))
        client = s.scalar(select(func.max(db.Client.id)))
    common = [
        "/console/",
        "/console/messages",
        "/console/messages?type=WMO305&status=accepted",
        "/console/clients",
        "/console/deployment",
        "/console/deployment.csv?form=excel&by=month",
    ]
    operator = ["/console/participants", "/console/contracts", "/console/catalogues"]
    return {
        "common": common,
        "operator": operator,
        "message": [f"/console/messages/{message}"],
        "client": [f"/console/clients/{client}"],
    }


def login(app: object, key: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    r = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert found is not None
    r = client.post("/console/login", data={"api_key": key, "csrf": found.group(1)})
    assert r.status_code == 200 and "/console/login" not in str(r.url), r.text[:300]
    return client


def own_pages(client: TestClient, kind: str) -> list[str]:
    """A message and a client this party may open: the newest in its own lists."""
    r = client.get("/console/messages")
    found = re.findall(r'href="(/console/messages/\d+)"', r.text)
    if kind == "message":
        return found[:1]
    if not found:
        return []
    r = client.get(found[0])
    return re.findall(r'href="(/console/clients/\d+)"', r.text)[:1]


def measure(url: str, clients: int | None, runs: int, key: str) -> None:
    settings = Settings(database_url=url, secret_key=key)
    svc = Services.build(settings)
    app = create_app(settings, svc)
    keys = {}
    with svc.database.write() as s:
        for role, code in PARTIES.items():
            keys[role] = participants.rotate_key(s, code)
    listed = pages(svc)
    with svc.database.read() as s:
        messages = s.scalar(select(func.count()).select_from(db.Message))
        n_clients = s.scalar(select(func.count()).select_from(db.Client))
    print(f"\n{url.split('?')[0]}: {messages:,} messages, {n_clients:,} clients; {runs} runs")
    print(f"{'party':<16} {'page':<48} {'median ms':>10} {'p95 ms':>8}")
    worst = 0.0
    for role, key_ in keys.items():
        client = login(app, key_)
        wanted = list(listed["common"])
        wanted += own_pages(client, "message") + own_pages(client, "client")
        if role == "operator":
            wanted += listed["operator"]
        for page in wanted:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                r = client.get(page)
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, (role, page, r.status_code)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            worst = max(worst, p95)
            print(f"{role:<16} {page:<48} {statistics.median(times):>10.1f} {p95:>8.1f}")
    print(f"slowest p95: {worst:.1f} ms (target 200 ms)")
    svc.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=None, help="a smaller demo region")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="also on PostgreSQL at this URL (own schema)")
    parser.add_argument("--database", help="a database that already holds the demo")
    args = parser.parse_args()
    key = os.environ.get("IWMO_SECRET_KEY") or base64.b64encode(secrets.token_bytes(32)).decode()
    if args.database:
        settings = Settings(
            database_url=args.database, secret_key=os.environ.get("IWMO_SECRET_KEY")
        )
        measure(
            settings.database_url,
            args.clients,
            args.runs,
            settings.secret_key or _dev_key(args.database),
        )
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'iwmo.db'}"
        load_demo(url, key, args.clients)
        measure(url, args.clients, args.runs, key)
    if args.postgres:
        schema = f"iwmo_bench_{secrets.token_hex(4)}"
        admin = create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in args.postgres else "?"
        url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
        try:
            load_demo(url, key, args.clients)
            measure(url, args.clients, args.runs, key)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    return 0


def _dev_key(url: str) -> str:
    """The development key kept beside a SQLite file (as ``iwmo`` makes it)."""
    path = Path(url.removeprefix("sqlite:///") + ".key")
    return path.read_text(encoding="utf-8").strip()


if __name__ == "__main__":
    raise SystemExit(main())
