"""Mailboxes: oldest first, paged by cursor, acknowledged once; with several workers
writing at once, a reader that pages with its cursor loses nothing and sees nothing twice."""

from __future__ import annotations

import threading
from typing import Any

from app.config import Settings
from app.services import Services
from tests.administration.helpers import (
    AANBIEDER,
    GEMEENTE,
    Party,
    approved,
    start,
    toewijzing,
    xml,
)
from tests.administration.test_concurrency import second_worker, sender

# BSNs that pass the eleven test, one client each.
BSNS = [f"9999{n:04d}{c}" for n in range(1, 400) for c in range(10)]
BSNS = [
    b
    for b in BSNS
    if sum(int(d) * w for d, w in zip(b[:8], range(9, 1, -1), strict=True)) % 11 == int(b[8])
]


def allocation(i: int) -> bytes:
    msg = toewijzing(ReferentieAanbieder=None, ToewijzingNummer=1000 + i)
    msg.Client.Bsn = BSNS[i]
    return xml(msg)


def items(who: Party, **params: Any) -> list[dict[str, Any]]:
    r = who.get("/v1/mailbox", **params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_an_accepted_message_reaches_its_receiver(gemeente: Party, aanbieder: Party) -> None:
    sent = allocation(0)
    assert approved(gemeente.send(sent))
    [item] = items(aanbieder)
    assert (item["id"], item["kind"], item["message_type"], item["sender_code"]) == (
        1,
        "message",
        "WMO301",
        GEMEENTE,
    )
    body = aanbieder.get(f"/v1/mailbox/{item['id']}")
    assert body.headers["content-type"].startswith("application/xml")
    assert body.content == sent  # the bytes as the municipality sent them
    assert items(gemeente) == []  # the retour went back in the HTTP answer


def test_a_refused_message_is_not_delivered(gemeente: Party, aanbieder: Party) -> None:
    assert approved(gemeente.send(allocation(0)))
    refused = start(nummer=4242)  # no such allocation: TR019
    assert not approved(aanbieder.send(refused))
    assert items(gemeente) == []


def test_paging_acknowledging_and_replaying(gemeente: Party, aanbieder: Party) -> None:
    for i in range(5):
        assert approved(gemeente.send(allocation(i)))
    first = items(aanbieder, limit=2)
    assert [i["id"] for i in first] == [1, 2]
    page = aanbieder.get("/v1/mailbox", limit=2).json()
    assert page["next_after"] == 2
    rest = items(aanbieder, after=2)
    assert [i["id"] for i in rest] == [3, 4, 5]
    for item in first:
        assert aanbieder.client.post(f"/v1/mailbox/{item['id']}/ack").status_code == 204
    assert aanbieder.client.post("/v1/mailbox/1/ack").status_code == 204  # harmless twice
    # Unacknowledged items come again from the start: at least once.
    assert [i["id"] for i in items(aanbieder)] == [3, 4, 5]
    acked = items(aanbieder, include_acked=True)
    assert [i["id"] for i in acked] == [1, 2, 3, 4, 5]
    assert acked[0]["acked_at"] is not None and acked[2]["acked_at"] is None


def test_nobody_reads_or_acknowledges_anothers_mailbox(
    gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    assert approved(gemeente.send(allocation(0)))
    assert gemeente.get("/v1/mailbox/1").status_code == 404
    assert gemeente.client.post("/v1/mailbox/1/ack").status_code == 404
    assert gemeente.get("/v1/mailbox", recipient=AANBIEDER).status_code == 403
    # Operators may look (not acknowledge).
    assert [i["id"] for i in items(operator, recipient=AANBIEDER)] == [1]
    assert items(aanbieder)[0]["acked_at"] is None


def test_two_workers_writing_one_mailbox_lose_and_repeat_nothing(
    services: Services, settings: Settings, gemeente: Party, aanbieder: Party
) -> None:
    """Two service workers deliver to one provider at once while the provider reads with
    its cursor and acknowledges as it goes. Every accepted message arrives exactly once and
    in mailbox order; no page ever shows a gap that is filled later."""
    count = 60
    worker_b = second_worker(settings)
    who = sender(services, GEMEENTE)
    done = threading.Event()
    errors: list[BaseException] = []

    def write(worker: Services, numbers: range) -> None:
        try:
            for i in numbers:
                outcome = worker.intake.receive(who, allocation(i))
                assert outcome.retour is not None
        except BaseException as exc:  # reported below
            errors.append(exc)

    writers = [
        threading.Thread(target=write, args=(services, range(0, count, 2))),
        threading.Thread(target=write, args=(worker_b, range(1, count, 2))),
    ]
    seen: list[dict[str, Any]] = []
    cursor = 0

    def read_page() -> int:
        nonlocal cursor
        page = items(aanbieder, after=cursor, limit=7)
        for item in page:
            # The cursor only moves forward one by one: nothing is skipped.
            assert item["id"] == cursor + 1, (cursor, item["id"])
            seen.append(item)
            cursor = item["id"]
            assert aanbieder.client.post(f"/v1/mailbox/{item['id']}/ack").status_code == 204
        return len(page)

    for t in writers:
        t.start()

    def watch() -> None:
        for t in writers:
            t.join()
        done.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    while not done.is_set():
        read_page()
    while read_page():
        pass
    worker_b.close()
    assert errors == []
    assert len(seen) == count
    assert len({i["message_id"] for i in seen}) == count  # nothing twice
    assert items(aanbieder) == []  # everything acknowledged, nothing left behind
    sent = {
        m["id"]
        for m in gemeente.get("/v1/berichten", message_type="WMO301", limit=500).json()["items"]
    }
    assert {i["message_id"] for i in seen} == sent  # nothing lost
