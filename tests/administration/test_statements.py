"""What a message costs the database, counted rather than timed: the statements and
transactions per message type are pinned, and a declaration's statements do not grow with
its lines. A change that adds a round trip per message, or one per line, fails here."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.administration.store import Store
from app.services import Services
from tests.administration.helpers import (
    Party,
    afgewezen,
    approved,
    declaratie,
    prestatie,
    retour_codes,
    start,
    toegewezen,
    toewijzingen,
    xml,
)

MARCH = date(2023, 3, 1)


def _cost(store: Store, send: Any) -> tuple[int, int]:
    """(transactions, statements) that ``send()`` took."""
    before = store.transactions, store.statements
    send()
    return store.transactions - before[0], store.statements - before[1]


def _trips(store: Store, send: Any) -> int:
    """Round trips to the database that ``send()`` took."""
    before = store.round_trips
    send()
    return store.round_trips - before


def _store(services: Services) -> Store:
    return services.intake.store


def test_statements_per_wmo301_and_wmo305_are_pinned(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    store = _store(services)
    answers: list[Any] = []
    allocation = toewijzingen(toegewezen(101))
    trips: list[int] = []
    cost301 = _cost(
        store,
        lambda: trips.append(_trips(store, lambda: answers.append(gemeente.send(allocation)))),
    )
    cost305 = _cost(
        store, lambda: trips.append(_trips(store, lambda: answers.append(aanbieder.send(start()))))
    )
    assert all(approved(r) for r in answers)
    # Two transactions each: the raw bytes stored on their own first, then everything the
    # verdict needs at once: the stored message locked; the client; the identification
    # claimed; the allocation read; the product code list (a 301, the first time: it is
    # cached) or the delivery read (a 305); the new record in two rows (allocation and
    # version, or start and delivery event); the retour stored with the verdict; the
    # mailbox. PostgreSQL stores the retour and records the verdict in one statement, and
    # moves the mailbox counter and writes the item in one.
    assert cost301 == (2, WMO301_STATEMENTS[store.sqlite])
    assert cost305 == (2, WMO305_STATEMENTS[store.sqlite])
    if not store.sqlite:
        # The raw bytes are one INSERT committed by itself (no BEGIN, no COMMIT); the
        # second transaction adds its BEGIN and COMMIT to its statements.
        assert trips == [WMO301_STATEMENTS[False] + 2, WMO305_STATEMENTS[False] + 2]


# Pinned per database (keyed by "is SQLite").
WMO301_STATEMENTS = {False: 10, True: 12}
WMO305_STATEMENTS = {False: 10, True: 12}


def _allocate(gemeente: Party, clients: int) -> list[str]:
    """One allocation (of 2023, numbered 1000 on) for each of ``clients`` clients; their
    BSNs."""
    bsns = [_bsn(900_000 + n) for n in range(clients)]
    for n, bsn in enumerate(bsns):
        r = gemeente.send(toewijzingen(toegewezen(1000 + n), bsn=bsn))
        assert approved(r), retour_codes(r.content)
    return bsns


def _bsn(n: int) -> str:
    """A BSN that passes the eleven test, from a running number."""
    digits = f"{n:08d}"
    total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True))
    for last in range(10):
        if (total - last) % 11 == 0:
            return digits + str(last)
    return _bsn(n + 1)


def _lines(allocated: list[str], unallocated: list[str], first: int) -> list[tuple[str, Any]]:
    """A month of care for each client: on its allocation (numbered from ``first``) for
    the allocated ones, on a number the municipality never gave for the others."""
    lines = [
        (bsn, prestatie(f"A{first + c:05d}", nummer=1000 + first + c, begin=MARCH))
        for c, bsn in enumerate(allocated)
    ]
    lines += [
        (bsn, prestatie(f"U{first + c:05d}", nummer=5000 + first + c, begin=MARCH))
        for c, bsn in enumerate(unallocated)
    ]
    return lines


@pytest.mark.slow
def test_a_declaration_of_1000_lines_takes_as_many_statements_as_one_of_100(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    store = _store(services)
    bsns = _allocate(gemeente, 110)
    others = [_bsn(800_000 + n) for n in range(990)]
    # 100 lines: 10 on an allocation, 90 refused for want of one; 1,000 lines: ten times
    # each.
    small = declaratie(*_lines(bsns[:10], others[:90], 0), periode=MARCH)
    large = declaratie(*_lines(bsns[10:], others[90:], 10), periode=MARCH)
    answers: list[bytes] = []
    cost_small = _cost(store, lambda: answers.append(aanbieder.send(xml(small)).content))
    cost_large = _cost(store, lambda: answers.append(aanbieder.send(xml(large)).content))
    refused = [afgewezen(body) for body in answers]
    assert [len(r) for r in refused] == [90, 900]
    assert all(ref.startswith("U") for r in refused for ref in r)
    assert cost_small[0] == cost_large[0] == 2
    # Rows are written in batches of thousands, so both take the same statements; a
    # statement per line (or per few hundred) fails here.
    assert cost_small[1] == cost_large[1], (cost_small, cost_large)


def test_a_long_list_of_values_is_looked_up_not_scanned_for(services: Services) -> None:
    """Where a table was never analysed (no autovacuum), "= ANY(list)" or "IN (list)" let
    PostgreSQL read a whole range and test every row against every value (4.6 s for
    50,000 allocations). Asked to, the store looks each value up through the index on the
    list's column instead, unique (a municipality's allocation numbers) or not (a
    client's allocations): one probe per value."""
    store = _store(services)
    values = list(range(0, 40_000, 2))
    with store.transaction() as tx:
        tx.execute(
            "CREATE TEMPORARY TABLE lookup (id INTEGER PRIMARY KEY, g TEXT, k INTEGER, c INTEGER)"
        )
        tx.execute("CREATE UNIQUE INDEX ix_lookup ON lookup (g, k)")
        tx.execute("CREATE INDEX ix_lookup_c ON lookup (c, g)")
        tx.execute_many(
            "INSERT INTO lookup (id, g, k, c) VALUES (?, ?, ?, ?)",
            ([k, "a", k, k // 2] for k in range(40_000)),
        )
        plan_of = "EXPLAIN QUERY PLAN" if store.sqlite else "EXPLAIN"
        tx_all = tx.all
        seen: list[str] = []

        def explaining(text: str, params: Any = ()) -> list[tuple[Any, ...]]:
            seen.append(" | ".join(str(row[-1]) for row in tx_all(f"{plan_of} {text}", params)))
            return tx_all(text, params)

        tx.all = explaining  # type: ignore[method-assign]
        by_key = tx.select_in("id", "lookup", "g = ?", ["a"], "k", values, by_key=True)
        assert sorted(row[0] for row in by_key) == values
        # Through a non-unique index, and with no equality another index could start
        # with (ix_lookup starts with g), as Context.has_allocations_here asks.
        by_client = tx.select_in("id", "lookup", "TRUE", (), "c", values, by_key=True)
        # Two rows for each value of c below 20,000.
        wanted = set(values)
        assert sorted(row[0] for row in by_client) == [k for k in range(40_000) if k // 2 in wanted]
        for plan, index in zip(seen, ["ix_lookup", "ix_lookup_c"], strict=True):
            if store.sqlite:
                assert "SEARCH lookup USING" in plan and "SCAN lookup" not in plan, plan
            else:
                # Each value looked up through the index; the table never read whole, no
                # row tested against the whole list.
                assert f"{index} " in plan and "Seq Scan on lookup" not in plan, plan
                assert "ANY" not in plan, plan
        tx.execute("DROP TABLE lookup")
