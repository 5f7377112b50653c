"""Running the demo: check the database, set up the region, plan the year, run the traffic
through the API with the service's clock on the simulated day, and summarise.

The traffic runs in worker processes (two on a machine with two cores or more), each
with its own copy of the service on the same database, as ``iwmo serve --workers 2``
would run it: the service's Python code is what takes the time, and one process uses one
core. Each worker runs the clients of some of the municipalities (split by size) and, in
the shared mailboxes of the main contractor and the subcontractors, handles the items
about those municipalities only.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import queue
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from app.administration import keys
from app.administration.crypto import SecretKeyError, vault_from
from app.administration.db import Database
from app.api import create_app
from app.config import Settings
from app.demo import population, region, scenario, summary
from app.demo.progress import Progress
from app.demo.traffic import Clock, DemoError, Ledger, Traffic, waiting
from app.services import Services

EXIT_OK, EXIT_UNEXPECTED, EXIT_REFUSED = 0, 1, 2


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run(
    settings: Settings,
    *,
    clients: int,
    seed: int,
    force: bool,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    workers: int | None = None,
    keys_file: Path | None = None,
) -> int:
    """Exit 0 when everything went as planned, 1 when the service refused something it
    should not have (or accepted a planted mistake), 2 when the demo could not run.
    ``keys_file`` receives every party's new API key (mode 0600), once the region is set
    up."""
    started = time.perf_counter()
    try:
        # Before any worker starts: a development key is made once, not by each of them.
        vault = vault_from(settings)
    except SecretKeyError as exc:
        err.write(f"iwmo demo: {exc}\n")
        return EXIT_REFUSED
    database = Database(settings.database_url)
    try:
        database.upgrade()
        try:
            keys.verify(database, vault)
        except SecretKeyError as exc:
            err.write(f"iwmo demo: {exc}\n")
            return EXIT_REFUSED
        before = region.baseline(database)
        if before.messages and not force:
            err.write(
                f"iwmo demo: the database already holds {before.messages:,} messages; "
                "the demo adds a region and a year of traffic to a database, so it refuses "
                "one in use. Use an empty database (IWMO_DATABASE_URL=sqlite:///demo.db), "
                "or --force to add to what is there.\n"
            )
            return EXIT_REFUSED
        if before.messages:
            err.write(
                f"iwmo demo: --force: adding to the {before.messages:,} messages already in "
                "the database\n"
            )
        try:
            people = population.generate(clients, seed, bsn_offset=before.clients)
            reg = region.set_up(database, scenario.YEAR_START)
            plans = scenario.plan(people, reg.contract, seed, first_numbers=reg.first_numbers)
        except (ValueError, region.RegionError) as exc:
            err.write(f"iwmo demo: {exc}\n")
            return EXIT_REFUSED
    finally:
        database.dispose()
    if keys_file is not None:
        try:
            write_keys(keys_file, reg.parties)
        except OSError as exc:
            err.write(f"iwmo demo: {keys_file}: {exc.strerror or exc}\n")
            return EXIT_REFUSED
        err.write(
            f"iwmo demo: the API keys of the {len(reg.parties)} parties are in {keys_file} "
            "(readable by you only)\n"
        )

    groups = partition(
        plans,
        workers or default_workers(),
        [code for code, p in reg.parties.items() if p.role == "municipality"],
    )
    progress = Progress(err, sum(len(p.steps) for p in plans))
    setup_done = time.perf_counter()
    try:
        if len(groups) == 1:
            ledger = _traffic(settings, reg, groups[0], _Report(progress, 1).update)
        else:
            ledger = _in_workers(settings, reg, groups, progress)
    except DemoError as exc:
        progress.done()
        err.write(f"iwmo demo: stopped: {exc}\n")
        return EXIT_REFUSED
    progress.done()
    traffic_done = time.perf_counter()

    services = Services.build(settings, clock=Clock(scenario.YEAR_END))
    try:
        app = create_app(settings, services)
        report = asyncio.run(summary.deployment_report(app, reg))
        ledger.waiting = asyncio.run(waiting(app, reg))
        timings = {"setup": setup_done - started, "traffic": traffic_done - setup_done}
        figures = summary.collect(
            services.database,
            reg,
            plans,
            ledger,
            report,
            seed=seed,
            added=bool(before.messages),
            workers=len(groups),
            timings=timings,
        )
    finally:
        services.close()
    ended = time.perf_counter()
    timings["summary"] = ended - traffic_done
    timings["total"] = ended - started
    figures["seconds"] = {k: round(v, 2) for k, v in timings.items()}
    if as_json:
        out.write(json.dumps(figures, ensure_ascii=False) + "\n")
    else:
        out.write(summary.render(figures, reg) + "\n")
    return EXIT_UNEXPECTED if figures["unexpected"] else EXIT_OK


def write_keys(path: Path, parties: Mapping[str, region.Party]) -> None:
    """Every party's API key, as JSON (code -> role, name, key), in a file only its owner
    may read: created with mode 0600, and set to it when it was there already."""
    data = {
        code: {"role": p.role, "name": p.name, "key": p.key} for code, p in sorted(parties.items())
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (json.dumps(data, indent=2) + "\n").encode())
    finally:
        os.close(fd)


# --- workers ---------------------------------------------------------------------------------


def partition(
    plans: Sequence[scenario.ClientPlan], workers: int, municipalities: Sequence[str]
) -> list[tuple[frozenset[str], list[scenario.ClientPlan]]]:
    """The municipalities split over at most ``workers`` groups of about equal numbers of
    clients (largest first, each to the lightest group), with their clients' plans.
    Municipalities without clients go with the first group: they read their mailbox too."""
    sizes: dict[str, int] = {}
    for p in plans:
        sizes[p.client.municipality] = sizes.get(p.client.municipality, 0) + 1
    groups: list[list[str]] = [[] for _ in range(max(1, min(workers, len(sizes))))]
    loads = [0] * len(groups)
    for code in sorted(sizes, key=lambda c: (-sizes[c], c)):
        lightest = loads.index(min(loads))
        groups[lightest].append(code)
        loads[lightest] += sizes[code]
    groups = [g for g, load in zip(groups, loads, strict=True) if load] or groups[:1]
    groups[0].extend(code for code in municipalities if code not in sizes)
    return [(frozenset(g), [p for p in plans if p.client.municipality in g]) for g in groups]


class _Report:
    """Progress of one or more workers, added up."""

    def __init__(self, progress: Progress, workers: int) -> None:
        self.progress = progress
        self.state: list[tuple[int, date, int, int]] = [
            (0, scenario.YEAR_START, 0, 0) for _ in range(workers)
        ]

    def update(
        self, done: int, day: date, messages: int, refused: int, force: bool, worker: int = 0
    ) -> None:
        self.state[worker] = (done, day, messages, refused)
        self.progress.update(
            sum(s[0] for s in self.state),
            min(s[1] for s in self.state),
            sum(s[2] for s in self.state),
            sum(s[3] for s in self.state),
            force=force,
        )


def _traffic(
    settings: Settings,
    reg: region.Region,
    group: tuple[frozenset[str], list[scenario.ClientPlan]],
    report: Any,
) -> Ledger:
    """One worker's share of the year, on its own copy of the service."""
    clock = Clock(scenario.YEAR_START)
    services = Services.build(settings, clock=clock)
    try:
        app = create_app(settings, services)
        municipalities, plans = group
        return asyncio.run(Traffic(app, clock, reg, plans, report, municipalities).run())
    finally:
        services.close()


def _worker(
    index: int,
    settings: Settings,
    reg: region.Region,
    group: tuple[frozenset[str], list[scenario.ClientPlan]],
    channel: Any,
) -> None:
    last = [0.0]

    def report(done: int, day: date, messages: int, refused: int, force: bool) -> None:
        now = time.perf_counter()
        if force or now - last[0] >= 0.2:
            last[0] = now
            channel.put(("progress", index, (done, day, messages, refused, force)))

    try:
        channel.put(("done", index, _traffic(settings, reg, group, report)))
    except DemoError as exc:
        channel.put(("error", index, str(exc)))
    except BaseException as exc:  # the parent must hear of it, whatever it is
        channel.put(("error", index, f"{type(exc).__name__}: {exc}"))


def _in_workers(
    settings: Settings,
    reg: region.Region,
    groups: list[tuple[frozenset[str], list[scenario.ClientPlan]]],
    progress: Progress,
) -> Ledger:
    methods = multiprocessing.get_all_start_methods()
    context: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    channel = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(i, settings, reg, group, channel), name=f"iwmo-demo-{i}"
        )
        for i, group in enumerate(groups)
    ]
    for process in processes:
        process.start()
    shown = _Report(progress, len(groups))
    ledgers: dict[int, Ledger] = {}
    errors: list[str] = []
    try:
        while len(ledgers) + len(errors) < len(processes):
            try:
                kind, index, payload = channel.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in processes if not p.is_alive() and p.exitcode not in (0, None)]
                if dead:
                    name, code = dead[0].name, dead[0].exitcode
                    raise DemoError(f"worker {name} ended with exit code {code}") from None
                continue
            if kind == "progress":
                done, day, messages, refused, force = payload
                shown.update(done, day, messages, refused, force, worker=index)
            elif kind == "done":
                ledgers[index] = payload
            else:
                errors.append(f"worker {index}: {payload}")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    if errors:
        raise DemoError("; ".join(errors))
    total = Ledger()
    for index in sorted(ledgers):
        total.merge(ledgers[index])
    return total
