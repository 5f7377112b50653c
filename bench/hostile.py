"""Hostile input against a live service: what each kind costs, and whether others still get
their answers meanwhile.

Starts the service as `iwmo serve` runs it (2 uvicorn workers, PostgreSQL, its own schema),
then drives one hostile class at a time. For each it prints the HTTP status(es), the time
the attack took, that time per MB of input, the largest peak memory of a worker process
while it ran (VmHWM, reset before each class) against the body's size, and the slowest
answer to a valid message a well-behaved party posted every 0.2 s meanwhile.

Targets (issue "safe in front of real parties"): no class slower than 1 s per MB of input or
above ten times the body in worker memory; the valid message answered within 1 s.

Usage: python bench/hostile.py [--workers 2] [--database postgresql+psycopg://...]
       [--only CLASS ...]
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from app.administration import participants  # noqa: E402
from app.administration.db import Database  # noqa: E402
from bench.ingest import arguments, free_port, wait_ready  # noqa: E402
from bench.messages import bsns  # noqa: E402

MB = 1024 * 1024
REFERENCE = Path(os.environ.get("IWMO_REFERENCE_DIR", ROOT.parent / "shared" / "iwmo-3.2"))
GEMEENTE, AANBIEDER, OTHER = "0384", "42420001", "42420002"
# Short timeouts, so the slow-client classes finish in seconds (the defaults are 10, 120
# and 20 s); the service is otherwise as `iwmo serve` runs it.
TIMEOUTS = {"IWMO_HEADER_TIMEOUT": "5", "IWMO_BODY_TIMEOUT": "15", "IWMO_BODY_IDLE_TIMEOUT": "5"}


# --- the service --------------------------------------------------------------------------


def prepare(url: str) -> tuple[str, dict[str, str]]:
    schema = f"iwmo_hostile_{secrets.token_hex(3)}"
    with create_engine(url).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    schema_url = f"{url}{sep}options=-csearch_path%3D{schema}"
    database = Database(schema_url)
    database.upgrade()
    keys = {}
    with database.write() as s:
        keys[GEMEENTE] = participants.add(s, GEMEENTE, "municipality", GEMEENTE)[1]
        for code in (AANBIEDER, OTHER):
            keys[code] = participants.add(s, code, "provider", code)[1]
    database.dispose()
    return schema_url, keys


def drop(url: str, schema_url: str) -> None:
    schema = schema_url.rsplit("%3D", 1)[1]
    with create_engine(url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def serve(schema_url: str, port: int, workers: int, log: Any) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        IWMO_DATABASE_URL=schema_url,
        IWMO_SECRET_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        IWMO_LOG_LEVEL="warning",
        **TIMEOUTS,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    return subprocess.Popen([*command, "--workers", str(workers)], cwd=ROOT, env=env, stderr=log)


def workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    found = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True, text=True
    ).stdout.split()
    # uvicorn's supervisor runs the workers as its children (a resource tracker aside).
    return [int(p) for p in found if "app.cli" in _cmdline(int(p)) or _is_python(int(p))]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _is_python(pid: int) -> bool:
    return "multiprocessing" in _cmdline(pid) and "resource_tracker" not in _cmdline(pid)


def _status(pid: int, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset_peaks(pids: Iterable[int]) -> dict[int, int]:
    """Reset each worker's peak (VmHWM) to its current size; returns the current sizes."""
    sizes = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        sizes[pid] = _status(pid, "VmRSS")
    return sizes


def peak_growth(before: dict[int, int]) -> int:
    return max((_status(pid, "VmHWM") - rss for pid, rss in before.items()), default=0)


# --- raw HTTP -------------------------------------------------------------------------------


def post(
    port: int,
    path: str,
    body: bytes | Callable[[socket.socket], None],
    key: str | None = None,
    *,
    length: int | None = None,
    chunked: bool = False,
    timeout: float = 120,
) -> int:
    """POST and return the status (0 when the connection ended without one)."""
    head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/xml\r\n"
    if key:
        head += f"Authorization: Bearer {key}\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    else:
        size = length if length is not None else len(body) if isinstance(body, bytes) else 0
        head += f"Content-Length: {size}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        try:
            conn.sendall(head.encode() + b"Connection: close\r\n\r\n")
            if isinstance(body, bytes):
                conn.sendall(body)
            else:
                body(conn)
        except OSError:
            pass  # the service may cut off what it refuses; its answer is still read
        return _read_status(conn)


def _read_status(conn: socket.socket) -> int:
    received = b""
    try:
        while b"\r\n" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError:
        pass
    m = re.match(rb"HTTP/1\.1 (\d{3})", received)
    return int(m.group(1)) if m else 0


def chunks_of(total: int, piece: bytes) -> Callable[[socket.socket], None]:
    def send(conn: socket.socket) -> None:
        sent = 0
        while sent < total:
            data = piece[: total - sent]
            conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            sent += len(data)
        conn.sendall(b"0\r\n\r\n")

    return send


# --- messages -----------------------------------------------------------------------------

_ids = iter(range(1, 10**11))


def valid_301(bsn: bytes = b"999900006") -> bytes:
    data = (REFERENCE / "examples" / "WMO301.xml").read_bytes()
    data = data.replace(b"<wmo301:Bsn>999900006<", b"<wmo301:Bsn>" + bsn + b"<", 1)
    return re.sub(
        rb"<iwmo:Identificatie>[^<]*</iwmo:Identificatie>",
        b"<iwmo:Identificatie>H%011d</iwmo:Identificatie>" % next(_ids),
        data,
        count=1,
    )


def _declaration(clients: Callable[[str], str], size: int) -> bytes:
    """The published WMO323 with its clients repeated (with other line numbers) up to
    about ``size`` bytes."""
    text_ = (REFERENCE / "examples" / "WMO323.xml").read_text()
    start = text_.index("<wmo323:Client>")
    end = text_.rindex("</wmo323:Client>") + len("</wmo323:Client>")
    block = text_[start:end]
    count = max(1, size // len(block))
    body = "".join(
        clients(re.sub(r"<iwmo:ReferentieNummer>", f"<iwmo:ReferentieNummer>{i}-", block))
        for i in range(count)
    )
    head = re.sub(
        r"<wmo323:Afzender>\d+</wmo323:Afzender>",
        f"<wmo323:Afzender>{AANBIEDER}</wmo323:Afzender>",
        text_[:start],
    )
    return (head + body + text_[end:]).encode()


def bad_bsns(size: int) -> bytes:
    return _declaration(lambda c: re.sub(r"<wmo323:Bsn>\d+<", "<wmo323:Bsn>x<", c), size)


def valid_lines(size: int) -> bytes:
    """Every client its own BSN: schema-valid, each line judged (and refused: no allocation
    is known), so the WMO325 lists every line."""
    people = bsns(200_000_000)
    numbers = iter(range(1_000_000, 900_000_000))

    def own_clients(block: str) -> str:
        block = re.sub(r"<wmo323:Bsn>\d+<", lambda _: f"<wmo323:Bsn>{next(people)}<", block)
        return re.sub(
            r"<wmo323:ToewijzingNummer>\d+<",
            lambda _: f"<wmo323:ToewijzingNummer>{next(numbers)}<",
            block,
        )

    data = _declaration(own_clients, size)
    signed = {b"D": 1, b"C": -1}
    total = sum(
        int(amount) * signed[sign]
        for amount, sign in re.findall(
            rb"<iwmo:Bedrag>(\d+)</iwmo:Bedrag>\s*<iwmo:DebetCredit>([DC])<", data
        )
    )
    return re.sub(
        rb"(<wmo323:TotaalIngediendBedrag>\s*<iwmo:TotaalBedrag>)\d+(</iwmo:TotaalBedrag>\s*"
        rb"<iwmo:DebetCredit>)[DC]",
        lambda m: (
            m.group(1) + str(abs(total)).encode() + m.group(2) + (b"C" if total < 0 else b"D")
        ),
        data,
        count=1,
    )


def empty_clients(size: int) -> bytes:
    text_ = (REFERENCE / "examples" / "WMO323.xml").read_text()
    start = text_.index("<wmo323:Client>")
    end = text_.rindex("</wmo323:Client>") + len("</wmo323:Client>")
    return (text_[:start] + "<wmo323:Client/>" * (size // 16) + text_[end:]).encode()


def billion_laughs() -> bytes:
    entities = "".join(
        f'<!ENTITY l{i} "{"&l" + str(i - 1) + ";" * 10 if i else "lol"}">' for i in range(10)
    )
    return f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><r>&l9;</r>'.encode()


def external_entity() -> bytes:
    return b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


# --- the classes ------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    statuses: list[int]
    seconds: float
    size: int
    peak: int
    probe: list[float] = field(default_factory=list)


def attack_slowloris(port: int, count: int = 2000) -> list[int]:
    """``count`` connections that send half a request head and stop."""
    conns = []
    for _ in range(count):
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=30)
            c.sendall(b"POST /v1/validate HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
            conns.append(c)
        except OSError:
            break
    statuses = [_read_status(c) for c in conns]
    for c in conns:
        c.close()
    return [len(conns), sum(s == 408 for s in statuses), sum(s == 503 for s in statuses)]


def attack_trickle(port: int) -> list[int]:
    def trickle(conn: socket.socket) -> None:
        for _ in range(60):
            conn.sendall(b"<")
            time.sleep(2)

    return [post(port, "/v1/validate", trickle, length=1000, timeout=60)]


def classes(keys: dict[str, str]) -> dict[str, tuple[int, Callable[[int], list[int]]]]:
    key = keys[AANBIEDER]
    bodies = {
        "bad-bsns-10mb": bad_bsns(10 * MB),
        "bad-bsns-165kb-x8": bad_bsns(165 * 1024),
        "dense-elements-19mb": b"<r>" + b"<a/>" * (19 * MB // 4) + b"</r>",
        "empty-clients-19mb": empty_clients(19 * MB),
        "valid-lines-19mb": valid_lines(19 * MB),
        "text-11mb": valid_301().replace(b">Wit<", b">" + b"x" * 11_000_000 + b"<", 1),
        "deep-nesting": b"<a>" * 100_000 + b"</a>" * 100_000,
        "billion-laughs": billion_laughs(),
        "external-entity": external_entity(),
    }

    def one(name: str, path: str = "/v1/berichten") -> tuple[int, Callable[[int], list[int]]]:
        data = bodies[name]
        return len(data), lambda port: [post(port, path, data, key)]

    def eight(port: int) -> list[int]:
        data = bodies["bad-bsns-165kb-x8"]
        out: list[int] = []
        threads = [
            threading.Thread(target=lambda: out.append(post(port, "/v1/validate", data)))
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    return {
        "bad-bsns-10mb": one("bad-bsns-10mb"),
        "bad-bsns-165kb-x8 (unauthenticated)": (8 * len(bodies["bad-bsns-165kb-x8"]), eight),
        "dense-elements-19mb": one("dense-elements-19mb"),
        "empty-clients-19mb": one("empty-clients-19mb"),
        "valid-lines-19mb (WMO325 lists them all)": one("valid-lines-19mb"),
        "text-11mb": one("text-11mb"),
        "deep-nesting": one("deep-nesting"),
        "billion-laughs": one("billion-laughs"),
        "external-entity": one("external-entity"),
        # Over the default limit of 64 MiB.
        "oversize-80mb-declared": (
            80 * MB,
            lambda port: [
                post(port, "/v1/berichten", b"<a>" + b"x" * (80 * MB - 3), key, length=80 * MB)
            ],
        ),
        "oversize-200mb-chunked": (
            200 * MB,
            lambda port: [
                post(port, "/v1/berichten", chunks_of(200 * MB, b"x" * MB), key, chunked=True)
            ],
        ),
        "forged-retour": (0, lambda port: [_forged_retour(port, keys)]),
        "slowloris-2000 (connections, 408s, 503s)": (0, attack_slowloris),
        "trickled-body (1 byte / 2 s)": (0, attack_trickle),
    }


def _forged_retour(port: int, keys: dict[str, str]) -> int:
    """Provider OTHER answers the municipality's 301 to provider AANBIEDER."""
    original = valid_301()
    assert post(port, "/v1/berichten", original, keys[GEMEENTE]) == 200
    head = original.split(b"<wmo301:Client>")[0]
    ident = re.search(rb"<iwmo:Identificatie>([^<]*)<", head)
    assert ident is not None
    retour = (
        head.replace(b"wmo301", b"wmo302")
        .replace(b"<wmo302:BerichtCode>414<", b"<wmo302:BerichtCode>415<")
        .replace(f"<wmo302:Ontvanger>{AANBIEDER}<".encode(), f"<wmo302:Ontvanger>{OTHER}<".encode())
        .replace(
            b"</wmo302:XsdVersie>",
            b"</wmo302:XsdVersie><wmo302:IdentificatieRetour>R1</wmo302:IdentificatieRetour>"
            b"<wmo302:DagtekeningRetour>2023-05-06</wmo302:DagtekeningRetour>"
            b"<wmo302:XsdVersieRetour><iwmo:BasisschemaXsdVersie>1.0.0"
            b"</iwmo:BasisschemaXsdVersie><iwmo:BerichtXsdVersie>1.0.0"
            b"</iwmo:BerichtXsdVersie></wmo302:XsdVersieRetour>"
            b"<wmo302:RetourCodes><wmo302:RetourCode>0001</wmo302:RetourCode>"
            b"</wmo302:RetourCodes>",
        )
        + b"</wmo302:Bericht>"
    )
    return post(port, "/v1/berichten", retour, keys[OTHER])


def probe(port: int, key: str, stop: threading.Event, latencies: list[float]) -> None:
    """A well-behaved municipality posting a valid message every 0.2 s, about a client the
    attacks do not name (messages about one client are judged one after the other, so a
    declaration naming it would make it wait, as it should)."""
    while not stop.is_set():
        started = time.perf_counter()
        status = post(port, "/v1/berichten", valid_301(b"999900031"), key, timeout=60)
        latencies.append(time.perf_counter() - started if status == 200 else float("inf"))
        stop.wait(0.2)


def main() -> int:
    ap = arguments(__doc__)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="run only classes whose name starts so")
    args = ap.parse_args()
    port = free_port()
    schema_url, keys = prepare(args.database)
    results: list[Result] = []
    with tempfile.TemporaryFile() as log:
        server = serve(schema_url, port, args.workers, log)
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            pids = workers_of(server)
            print(
                f"service: {args.workers} workers on PostgreSQL (pids {pids}); "
                + ", ".join(f"{k}={v}" for k, v in TIMEOUTS.items())
            )
            for name, (size, attack) in classes(keys).items():
                if args.only and not any(name.startswith(o) for o in args.only):
                    continue
                before = reset_peaks(pids)
                stop, latencies = threading.Event(), []
                prober = threading.Thread(
                    target=probe, args=(port, keys[GEMEENTE], stop, latencies)
                )
                prober.start()
                started = time.perf_counter()
                statuses = attack(port)
                seconds = time.perf_counter() - started
                stop.set()
                prober.join()
                results.append(
                    Result(name, statuses, seconds, size, peak_growth(before), latencies)
                )
                _print(results[-1])
        finally:
            server.terminate()
            server.wait(20)
            drop(args.database, schema_url)
    worst_probe = max((max(r.probe, default=0) for r in results), default=0)
    print(f"slowest valid answer during any attack: {worst_probe * 1000:.0f} ms")
    print("targets: at most 1 s per MB, at most 10 x the body in memory, valid answer in 1 s")
    return 0


def _print(r: Result) -> None:
    mb = r.size / MB
    per_mb = f"{r.seconds / mb:.3f} s/MB" if mb >= 0.1 else "-"
    ratio = f"{r.peak / r.size:.1f} x body" if r.size >= MB else "-"
    slowest = max(r.probe, default=0)
    median = statistics.median(r.probe) if r.probe else 0
    print(
        f"{r.name:<45} status {r.statuses}  {r.seconds:7.2f} s  {per_mb:>12}  "
        f"worker peak +{r.peak / MB:6.1f} MB ({ratio})  valid answer: median "
        f"{median * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms ({len(r.probe)} sent)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
