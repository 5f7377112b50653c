"""A page of a mailbox costs a page's worth of rows, whatever the backlog behind it or the
history acknowledged before it, and without fresh planner statistics (no ANALYZE here).
The plan and the rows it touches are read from the database's own EXPLAIN."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from app.routing import mailbox
from app.services import Services

RECIPIENT = "42420001"
ACKED, WAITING, LIMIT = 20_000, 20_000, 100


@pytest.fixture
def backlog(services: Services) -> None:
    """One recipient with 20,000 acknowledged items, then 20,000 waiting."""
    with services.database.engine.begin() as conn:
        message_id = conn.execute(
            text(
                "INSERT INTO messages (direction, sha256, size, raw_encrypted, status, findings, "
                "received_at, attempts, findings_omitted) VALUES ('out', 'x', 0, :raw, 'sent', "
                "'[]', CURRENT_TIMESTAMP, 1, 0) RETURNING id"
            ),
            {"raw": b"-"},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO mailbox_items (recipient_code, seq, message_id, kind, created_at, "
                "acked_at) VALUES (:r, :seq, :m, 'message', CURRENT_TIMESTAMP, "
                "CASE WHEN :seq <= :acked THEN CURRENT_TIMESTAMP END)"
            ),
            [
                {"r": RECIPIENT, "seq": seq, "m": message_id, "acked": ACKED}
                for seq in range(1, ACKED + WAITING + 1)
            ],
        )
        # Other recipients' items around it, so the index must pick one recipient.
        conn.execute(
            text(
                "INSERT INTO mailbox_items (recipient_code, seq, message_id, kind, created_at) "
                "VALUES (:r, :seq, :m, 'message', CURRENT_TIMESTAMP)"
            ),
            [{"r": "0307", "seq": seq, "m": message_id} for seq in range(1, 5_001)],
        )


def _sql(services: Services, after: int) -> tuple[str, bool]:
    stmt = mailbox.page(RECIPIENT, after, LIMIT)
    postgres = not services.database.is_sqlite
    dialect = postgresql.dialect() if postgres else sqlite.dialect()
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})), postgres


@pytest.mark.parametrize("after", [0, ACKED, ACKED + WAITING - LIMIT // 2])
def test_a_page_reads_a_page_whatever_lies_around_it(
    services: Services, backlog: None, after: int
) -> None:
    query, postgres = _sql(services, after)
    with services.database.engine.connect() as conn:
        if postgres:
            [[plan]] = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}")).all()
            nodes = list(_nodes(plan if isinstance(plan, list) else json.loads(plan)))
            scans = [n for n in nodes if n.get("Relation Name") == "mailbox_items"]
            assert [n.get("Index Name") for n in scans] == ["ix_mailbox_waiting"], scans
            [scan] = scans
            # Rows it read: what it returned and what it threw away by a filter.
            touched = scan["Actual Rows"] * scan["Actual Loops"] + scan.get(
                "Rows Removed by Filter", 0
            )
            assert touched <= LIMIT + 1, scan
        else:
            plan = " ".join(
                str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}"))
            )
            assert "ix_mailbox_waiting" in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # read in order, not sorted afterwards
        rows = conn.execute(text(query)).all()
    expected = min(LIMIT, ACKED + WAITING - max(after, ACKED))
    assert len(rows) == expected


def _nodes(plan: Any) -> Any:
    if isinstance(plan, list):
        for item in plan:
            yield from _nodes(item)
    elif isinstance(plan, dict):
        if "Node Type" in plan:
            yield plan
        for value in plan.values():
            if isinstance(value, list | dict):
                yield from _nodes(value)
