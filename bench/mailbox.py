"""Mailbox pages against a live service with a large backlog.

Starts the service as `iwmo serve` runs it (2 workers, PostgreSQL, its own schema), gives
one provider 50,000 acknowledged items and then 50,000 waiting (without ANALYZE: the
planner has no fresh statistics, as on a server without autovacuum), and pages through the
waiting ones 100 at a time, as a provider's software would. Prints the first page's time,
the median and slowest page, and the time to page to the end; then the same for a
recipient with only 100 waiting behind its acknowledged history.

Target (issue "large declarations ... mailboxes that page in constant time"): every page
costs the same, whatever the backlog or the history.

Usage: python bench/mailbox.py [--waiting 50000] [--acked 50000]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.hostile import AANBIEDER, GEMEENTE, drop, prepare, serve  # noqa: E402
from bench.ingest import arguments, free_port, wait_ready  # noqa: E402


def fill(schema_url: str, recipient: str, acked: int, waiting: int) -> None:
    engine = create_engine(schema_url)
    with engine.begin() as conn:
        message_id = conn.execute(
            text(
                "INSERT INTO messages (direction, sha256, size, raw_encrypted, status, findings, "
                "received_at, attempts, findings_omitted) VALUES ('out', 'x', 1, :raw, 'sent', "
                "'[]', now(), 1, 0) RETURNING id"
            ),
            {"raw": b"-"},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO mailbox_items (recipient_code, seq, message_id, kind, created_at, "
                "acked_at) SELECT :r, s, :m, 'message', now(), "
                "CASE WHEN s <= :acked THEN now() END FROM generate_series(1, :n) AS s"
            ),
            {"r": recipient, "m": message_id, "acked": acked, "n": acked + waiting},
        )
        conn.execute(
            text(
                "INSERT INTO mailbox_counters (recipient_code, last) VALUES (:r, :n) "
                "ON CONFLICT (recipient_code) DO UPDATE SET last = excluded.last"
            ),
            {"r": recipient, "n": acked + waiting},
        )
    engine.dispose()


def page_through(base: str, key: str) -> list[float]:
    times = []
    after = 0
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {key}"}) as client:
        while True:
            started = time.perf_counter()
            r = client.get("/v1/mailbox", params={"after": after, "limit": 100})
            times.append(time.perf_counter() - started)
            r.raise_for_status()
            body = r.json()
            if body["next_after"] is None:
                return times
            after = body["next_after"]


def report(title: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(
        f"{title}: {len(ms)} pages; first {ms[0]:.1f} ms, median {statistics.median(ms):.1f} ms, "
        f"slowest {max(ms):.1f} ms; to the end {sum(ms) / 1000:.2f} s"
    )


def main() -> int:
    ap = arguments(__doc__)
    ap.add_argument("--waiting", type=int, default=50_000)
    ap.add_argument("--acked", type=int, default=50_000)
    args = ap.parse_args()
    schema_url, keys = prepare(args.database)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = serve(schema_url, port, 2, log)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base)  # the key is recorded with the data at the first start
            fill(schema_url, AANBIEDER, args.acked, args.waiting)
            fill(schema_url, GEMEENTE, args.acked, 100)
            print(
                f"PostgreSQL, 2 workers, no ANALYZE; {args.acked:,} acknowledged items, then "
                "the waiting ones"
            )
            report(f"{args.waiting:,} waiting", page_through(base, keys[AANBIEDER]))
            report("100 waiting", page_through(base, keys[GEMEENTE]))
        finally:
            server.terminate()
            server.wait(20)
            drop(args.database, schema_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
