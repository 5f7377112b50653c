"""Two workers taking messages for the same client at once give the same result as one
after the other: the client (or, for declarations, the provider) row is locked while a
message is judged and applied."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import func, select

from app.administration import models as db
from app.config import Settings
from app.intake import Sender, Verdict
from app.services import Services
from tests.administration.helpers import Party, start, toewijzing, verdict, xml

PAIRS = 12


def race(jobs: list[Callable[[], Verdict]]) -> list[Verdict]:
    """Run the jobs at the same moment, one thread each."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # surfaced by the assertions below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def second_worker(settings: Settings) -> Services:
    return Services.build(settings)


def sender(services: Services, code: str) -> Sender:
    with services.database.read() as s:
        p = s.scalar(select(db.Participant).where(db.Participant.code == code))
        assert p is not None
        return Sender(p.id, p.code, p.role)


def test_two_starts_for_one_allocation_at_once(
    services: Services, settings: Settings, gemeente: Party, aanbieder: Party
) -> None:
    # One allocation per client; then two different starts for it, raced by two workers.
    bsns = [
        "999990007",
        "999990019",
        "999990020",
        "999990032",
        "999990044",
        "999990056",
        "999990068",
        "999990081",
        "999990093",
        "999990111",
        "999990123",
        "999990135",
    ]
    for i, bsn in enumerate(bsns[:PAIRS]):
        msg = toewijzing(ReferentieAanbieder=None, ToewijzingNummer=1000 + i)
        msg.Client.Bsn = bsn
        assert gemeente.send(msg).status_code == 200
    worker_b = second_worker(settings)
    who = sender(services, aanbieder.code)
    jobs: list[Callable[[], Verdict]] = []
    for i, bsn in enumerate(bsns[:PAIRS]):
        for worker, day in ((services, 5), (worker_b, 6)):
            body = xml(start(nummer=1000 + i, begindatum=date(2023, 1, day), bsn=bsn))
            jobs.append(partial(worker.intake.receive, who, body))
    outcomes = race(jobs)
    worker_b.close()
    for i in range(PAIRS):
        pair = outcomes[2 * i : 2 * i + 2]
        assert all(isinstance(o, Verdict) and o.retour is not None for o in pair), pair
        codes = sorted(
            verdict(_retour(o), "/Bericht/Client/StartProducten/StartProduct[1]") for o in pair
        )
        assert codes == ["9326", "approved"], (i, codes)  # exactly one start, as if in turn
    with services.database.read() as s:
        assert s.scalar(select(func.count()).select_from(db.Start)) == PAIRS


def test_same_identification_raced_is_accepted_once(
    services: Services, settings: Settings, gemeente: Party, aanbieder: Party
) -> None:
    worker_b = second_worker(settings)
    who = sender(services, gemeente.code)
    first = toewijzing(ReferentieAanbieder=None)
    other = toewijzing(ReferentieAanbieder=None, ToewijzingNummer=202)
    other.Header.BerichtIdentificatie = first.Header.BerichtIdentificatie
    outcomes = race(
        [
            lambda: services.intake.receive(who, xml(first)),
            lambda: worker_b.intake.receive(who, xml(other)),
        ]
    )
    worker_b.close()
    headers = sorted(verdict(_retour(o), "/Bericht/Header") for o in outcomes)
    assert headers == ["9056", "approved"]


def test_new_client_from_two_workers_at_once(
    services: Services, settings: Settings, gemeente: Party, aanbieder: Party
) -> None:
    worker_b = second_worker(settings)
    who = sender(services, gemeente.code)
    a = toewijzing(ReferentieAanbieder=None, ToewijzingNummer=301)
    b = toewijzing(ReferentieAanbieder=None, ToewijzingNummer=302)
    outcomes = race(
        [lambda: services.intake.receive(who, xml(a)), lambda: worker_b.intake.receive(who, xml(b))]
    )
    worker_b.close()
    assert [o.retour is not None for o in outcomes] == [True, True]
    with services.database.read() as s:
        assert s.scalar(select(func.count()).select_from(db.Client)) == 1
        assert s.scalar(select(func.count()).select_from(db.Toewijzing)) == 2


def test_same_bytes_from_two_workers_are_processed_once(
    services: Services, settings: Settings, gemeente: Party, aanbieder: Party
) -> None:
    worker_b = second_worker(settings)
    who = sender(services, gemeente.code)
    body = xml(toewijzing(ReferentieAanbieder=None))
    outcomes = race(
        [lambda: services.intake.receive(who, body), lambda: worker_b.intake.receive(who, body)]
    )
    worker_b.close()
    assert outcomes[0].retour == outcomes[1].retour
    with services.database.read() as s:
        assert s.scalar(select(func.count()).select_from(db.ToewijzingVersie)) == 1
        assert s.scalar(select(func.count()).select_from(db.Message)) == 2  # the 301, its 302


def _retour(verdict: Verdict) -> bytes:
    assert verdict.retour is not None, verdict
    return verdict.retour
