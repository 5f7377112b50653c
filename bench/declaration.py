"""Large declarations against a live service: time and memory per size.

Starts the service as `iwmo serve` runs it (2 workers, PostgreSQL, its own schema). For each
size it allocates that many clients (one WMO301 each, posted concurrently, not timed), then
posts one WMO323 for February 2026 with one line per client on its allocation — every line
valid, so every line is judged and granted — and prints the time to the WMO325, the time
per line, the worker's peak memory (VmHWM, reset before) against the body, and the verdict.

Targets (issue "large declarations in linear time"): a 50,000-line declaration answered in
under 10 s with under 300 MB peak in the worker; at most 0.2 ms per line at every size.

Usage: python bench/declaration.py [--sizes 1000 5000 20000 50000]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.standard import codec  # noqa: E402
from app.standard import messages as m  # noqa: E402
from bench.hostile import (  # noqa: E402
    AANBIEDER,
    GEMEENTE,
    drop,
    peak_growth,
    prepare,
    reset_peaks,
    serve,
    workers_of,
)
from bench.ingest import Connection, arguments, free_port, wait_ready  # noqa: E402
from bench.messages import _aanbieder_header, bsns, chain  # noqa: E402

MB = 1024 * 1024
BEGIN = date(2026, 1, 5)  # the allocations run from here for 360 days (bench.messages)
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))
VOLUME, TARIEF = 12, 5_000  # 12 hours at 50 euros: within 3 hours a week (5 weeks touched)


def allocations(count: int, first_number: int, people: object) -> list[tuple[str, bytes]]:
    """One WMO301 per client: (BSN, message)."""
    out = []
    for i in range(count):
        bsn = next(people)  # type: ignore[call-overload]
        c = chain(i, bsn, GEMEENTE, AANBIEDER, first_number + i, begin=BEGIN)
        out.append((bsn, c.messages[0][1]))
    return out


def declaration(clients: list[tuple[str, int]], number: str) -> bytes:
    begin, end = FEBRUARY
    day = date(2026, 3, 5)
    lines = [
        m.DeclaratieClient(
            Bsn=bsn,
            Prestaties=[
                m.Prestatie(
                    ProductReferentie=m.Referentie(ReferentieNummer=f"{number}-{i}"),
                    ToewijzingNummer=nummer,
                    ProductCategorie="02",
                    ProductCode="02N03",
                    ProductPeriode=m.GeslotenPeriode(Begindatum=begin, Einddatum=end),
                    GeleverdVolume=VOLUME,
                    Eenheid="04",
                    ProductTarief=TARIEF,
                    IngediendBedrag=m.BedragMetDC(Bedrag=VOLUME * TARIEF, DebetCredit="D"),
                )
            ],
        )
        for i, (bsn, nummer) in enumerate(clients)
    ]
    total = VOLUME * TARIEF * len(clients)
    msg = m.WMO323(
        Header=_aanbieder_header("WMO323", GEMEENTE, AANBIEDER, day),
        Declaratie=m.Declaratie(
            DeclaratieNummer=number,
            DeclaratiePeriode=m.GeslotenPeriode(Begindatum=begin, Einddatum=end),
            DeclaratieDagtekening=day,
            TotaalIngediendBedrag=m.TotaalBedragMetDC(TotaalBedrag=total, DebetCredit="D"),
            Clienten=lines,
        ),
    )
    return codec.to_bytes(msg)


async def _post_all(port: int, key: str, bodies: list[bytes], senders: int = 16) -> int:
    queue = list(bodies)
    refused = 0

    async def sender() -> None:
        nonlocal refused
        conn = Connection("127.0.0.1", port)
        while queue:
            body = queue.pop()
            status, answer = await conn.post("/v1/berichten", body, key)
            if status != 200 or b"RetourCode" in answer:
                refused += 1
        if conn.writer is not None:
            conn.writer.close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    return refused


def main() -> int:
    ap = arguments(__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 50000])
    args = ap.parse_args()
    port = free_port()
    schema_url, keys = prepare(args.database)
    people = bsns(300_000_000)
    number = 1_000_000
    print("size | time to the WMO325 | per line | worker peak | body | verdict")
    with tempfile.TemporaryFile() as log:
        server = serve(schema_url, port, 2, log)
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            pids = workers_of(server)
            for run, size in enumerate(args.sizes):
                allocated = allocations(size, number, people)
                number += size
                refused = asyncio.run(
                    _post_all(port, keys[GEMEENTE], [body for _, body in allocated])
                )
                if refused:
                    print(f"  {refused} allocations refused: the declaration would be too")
                clients = [(bsn, number - size + i) for i, (bsn, _) in enumerate(allocated)]
                body = declaration(clients, f"D{size}R{run}")
                before = reset_peaks(pids)
                started = time.perf_counter()
                r = httpx.post(
                    f"http://127.0.0.1:{port}/v1/berichten",
                    content=body,
                    headers={
                        "content-type": "application/xml",
                        "authorization": f"Bearer {keys[AANBIEDER]}",
                    },
                    timeout=600,
                )
                seconds = time.perf_counter() - started
                peak = peak_growth(before)
                granted = b">8001<" in r.content
                verdict = "fully granted (8001)" if granted else f"HTTP {r.status_code}, refused"
                print(
                    f"{size:>6,} | {seconds:6.2f} s | {seconds / size * 1000:.3f} ms | "
                    f"+{peak / MB:.0f} MB | {len(body) / MB:.1f} MB | {verdict}"
                )
        finally:
            server.terminate()
            server.wait(20)
            drop(args.database, schema_url)
    print("targets: 50,000 lines under 10 s and 300 MB; at most 0.2 ms per line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
