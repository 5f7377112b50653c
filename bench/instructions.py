"""What the service's Python costs, counted in instructions instead of timed.

On a shared machine the same run can take a fifth longer or shorter from one minute to the
next, so two versions of the service compared by their throughput alone prove little. This
script counts the CPU instructions the intake executes (valgrind's callgrind, in this
process only; PostgreSQL's work is not counted), which repeat to within a fraction of a
percent whatever else the machine is doing:

* **ingest**: per message, over the mix of bench/ingest.py (per client a 301, a 305, two
  307s, and for one client in four a 317 and its 319), sent through the intake in-process
  after a warm-up;
* **declaration**: per line, of one WMO323 of --lines lines, every line granted, after a
  small declaration has warmed up the same code.

Only the part between the markers is counted (instrumentation switched on and off with
callgrind_control), not the set-up. Needs valgrind (Debian's package) and PostgreSQL on
127.0.0.1:5432.

Usage: python bench/instructions.py [--chains 40] [--lines 1000]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import base64
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import arguments  # noqa: E402

_SECRET = base64.b64encode(secrets.token_bytes(32)).decode()
_COLLECTED = re.compile(r"Collected : (\d+)")


def _measured(work: Callable[[], int]) -> None:
    """Child side: tell the parent to switch counting on, do the work, switch it off."""
    print("COUNT-ON", flush=True)
    sys.stdin.readline()
    done = work()
    print("COUNT-OFF", flush=True)
    sys.stdin.readline()
    print(f"DONE {done}", flush=True)


def child_ingest(url: str, chains: int) -> None:
    from app.config import Settings
    from app.intake import Sender
    from app.services import Services
    from bench import ingest
    from bench.messages import bsns, chain

    schema_url, keys = ingest.prepare(url)
    svc = Services.build(Settings(database_url=schema_url, secret_key=_SECRET))
    try:
        senders = ingest.senders_of(svc, keys)
        numbers, people = iter(range(100_000, 10_000_000)), bsns(123_000_000)
        g, a = ingest.GEMEENTEN, ingest.AANBIEDERS

        def messages(first: int, count: int) -> list[tuple[Sender, bytes]]:
            return [
                (senders[code], body)
                for i in range(first, first + count)
                for code, body in chain(
                    i,
                    next(people),
                    g[i % len(g)],
                    a[i % len(a)],
                    next(numbers),
                    with_change=i % 4 == 0,
                ).messages
            ]

        warm, counted = messages(0, 20), messages(20, chains)
        for sender, body in warm:
            svc.intake.receive(sender, body)

        def work() -> int:
            for sender, body in counted:
                svc.intake.receive(sender, body)
            return len(counted)

        _measured(work)
    finally:
        svc.close()
        ingest.drop(url, schema_url)


def child_declaration(url: str, lines: int) -> None:
    from app.config import Settings
    from app.services import Services
    from bench import declaration, hostile, ingest
    from bench.messages import bsns

    schema_url, _ = hostile.prepare(url)
    svc = Services.build(Settings(database_url=schema_url, secret_key=_SECRET))
    try:
        senders = ingest.senders_of(svc, [hostile.GEMEENTE, hostile.AANBIEDER])
        gemeente, aanbieder = senders[hostile.GEMEENTE], senders[hostile.AANBIEDER]
        people = bsns(300_000_000)
        bodies = []
        number = 1_000_000
        for run, size in enumerate((20, lines)):
            allocated = declaration.allocations(size, number, people)
            for _, body in allocated:
                svc.intake.receive(gemeente, body)
            clients = [(bsn, number + i) for i, (bsn, _) in enumerate(allocated)]
            bodies.append(declaration.declaration(clients, f"D{size}R{run}"))
            number += size
        svc.intake.receive(aanbieder, bodies[0])  # the warm-up

        def work() -> int:
            verdict = svc.intake.receive(aanbieder, bodies[1])
            assert b">8001<" in (verdict.retour or b""), "the declaration was not granted"
            return lines

        _measured(work)
    finally:
        svc.close()
        hostile.drop(url, schema_url)


def count(what: str, size: int, url: str) -> tuple[int, int]:
    """Parent side: (instructions counted, units of work) for one child under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/callgrind.out",
                sys.executable,
                __file__,
                "--child",
                what,
                "--size",
                str(size),
                "--database",
                url,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        done = 0
        for line in proc.stdout:
            if line.startswith(("COUNT-ON", "COUNT-OFF")):
                switch = "on" if line.startswith("COUNT-ON") else "off"
                subprocess.run(
                    ["callgrind_control", "-i", switch, str(proc.pid)],
                    check=True,
                    capture_output=True,
                )
                proc.stdin.write("go\n")
                proc.stdin.flush()
            elif line.startswith("DONE"):
                done = int(line.split()[1])
        _, err = proc.communicate()
        found = _COLLECTED.findall(err)
        if proc.returncode != 0 or not found or not done:
            raise SystemExit(f"the {what} run failed:\n{err[-3000:]}")
        return int(found[-1]), done


def main() -> int:
    ap = arguments(__doc__)
    ap.add_argument("--chains", type=int, default=40, help="client chains counted (ingest)")
    ap.add_argument("--lines", type=int, default=1000, help="lines of the declaration counted")
    ap.add_argument("--child", choices=["ingest", "declaration"], help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "ingest":
        child_ingest(args.database, args.size)
        return 0
    if args.child == "declaration":
        child_declaration(args.database, args.size)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("bench/instructions.py needs valgrind: apt-get install valgrind", file=sys.stderr)
        return 2
    print("instructions executed by the intake (callgrind; PostgreSQL's work not counted)")
    total, messages = count("ingest", args.chains, args.database)
    print(
        f"  ingest mix     {total / messages / 1e6:6.2f} million per message ({messages} messages)"
    )
    total, lines = count("declaration", args.lines, args.database)
    per = total / lines / 1e6
    print(f"  WMO323         {per:6.2f} million per line ({lines:,} lines, all granted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
