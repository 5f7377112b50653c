"""Memory a large message costs: at most ten times its size while it is checked, handed back
to the system afterwards; and only a few large messages checked at once per worker.

Each class runs in a fresh Python process, so that its peak (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from app.api.limits import LARGE_BODY, Judging, LargeBodies, collect_garbage_less_often
from tests.conftest import ROOT, reference_dir

MB = 1024 * 1024

_SCRIPT = textwrap.dedent(
    """
    import gc, json, resource, sys
    from pathlib import Path
    from app.api.limits import give_back_memory
    from app.config import Settings
    from app.validation import Validator

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    validator = Validator(Settings(max_message_bytes=64 * 1024 * 1024))
    example = Path(sys.argv[2]).read_bytes()
    validator.check(example)  # schemas compiled, code warmed up
    data = Path(sys.argv[1]).read_bytes()
    gc.collect()
    give_back_memory()
    base_rss, base_peak = rss(), peak()
    report = validator.check(data)
    verdict = [report.problem, report.schema_valid, len(report.findings)]
    del report
    gc.collect()
    give_back_memory()
    print(json.dumps({"peak": peak() - base_peak, "kept": rss() - base_rss, "verdict": verdict}))
    """
)


def _body(kind: str, example: bytes) -> bytes:
    size = 19 * MB
    if kind == "elements-not-a-message":
        return b"<r>" + b"<a/>" * (size // 4) + b"</r>"
    text = example.decode()
    start = text.index("<wmo323:Client>")
    end = text.rindex("</wmo323:Client>") + len("</wmo323:Client>")
    if kind == "empty-clients":
        return (text[:start] + "<wmo323:Client/>" * (size // 16) + text[end:]).encode()
    client = text[start:end]
    count = size // len(client)
    clients = "".join(
        client.replace("<wmo323:ReferentieNummer>", f"<wmo323:ReferentieNummer>R{i}-", 1)
        for i in range(count)
    )
    return (text[:start] + clients + text[end:]).encode()


@pytest.mark.parametrize("kind", ["elements-not-a-message", "empty-clients", "valid-clients"])
def test_a_large_message_costs_at_most_ten_times_its_size(kind: str, tmp_path: Path) -> None:
    example = reference_dir() / "examples" / "WMO323.xml"
    body = _body(kind, example.read_bytes())
    path = tmp_path / "body.xml"
    path.write_bytes(body)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(path), str(example)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["peak"] <= 10 * len(body), (kind, found, len(body))
    # What was used is handed back: a worker does not keep its peak.
    assert found["kept"] <= max(len(body) // 4, 8 * MB), (kind, found)


def test_only_a_few_large_messages_are_checked_at_once() -> None:
    gate = LargeBodies(2)
    inside = 0
    most = 0

    async def judge(size: int) -> None:
        nonlocal inside, most
        async with gate.turn(size):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    async def run(sizes: list[int]) -> None:
        await asyncio.gather(*(judge(s) for s in sizes))

    asyncio.run(run([LARGE_BODY + 1] * 6))
    assert most == 2
    most = 0
    asyncio.run(run([LARGE_BODY] * 6))  # small ones do not wait
    assert most == 6


def test_only_intake_threads_messages_are_judged_at_once() -> None:
    judging = Judging(2)
    lock = threading.Lock()
    inside = 0
    most = 0
    threads: set[int] = set()

    def judge(n: int) -> int:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
            threads.add(threading.get_ident())
        time.sleep(0.02)
        with lock:
            inside -= 1
        return n * 2

    async def run() -> list[int]:
        return list(await asyncio.gather(*(judging.run(judge, n) for n in range(8))))

    assert asyncio.run(run()) == [n * 2 for n in range(8)]
    assert most == 2
    assert threading.get_ident() not in threads  # off the event loop


def test_a_worker_collects_cyclic_garbage_less_often_but_still_collects() -> None:
    saved = gc.get_threshold()
    try:
        collect_garbage_less_often()
        young, middle, old = gc.get_threshold()
        assert young >= 10_000 and middle >= 10 and old >= 10
        assert gc.isenabled()
    finally:
        gc.set_threshold(*saved)
