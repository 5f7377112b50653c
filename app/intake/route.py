"""Stage 6: route a judged message — the service's own checks first, then the relay of a
subcontractor's start or stop at function level, then decisions and mailboxes.

Routing composes messages of its own (the main contractor's relay, a subcontractor's 301);
they go through the same judge as every message (``Judge.judge_composed``). A relay that
the municipality's decision refuses refuses the subcontractor's message too: the two levels
never disagree.
"""

from __future__ import annotations

from typing import Any

from app.administration.context import Context
from app.administration.store import Tx
from app.findings import Finding
from app.intake.judge import Judge, refuses_message
from app.routing.mailbox import Delivery
from app.routing.router import Router
from app.standard.catalogue import MessageType

__all__ = ["judge_and_route"]


def judge_and_route(
    judge: Judge,
    router: Router,
    tx: Tx,
    mt: MessageType,
    msg: Any,
    ctx: Context,
    refused_lines: list[Finding],
) -> tuple[list[Finding], list[Delivery]]:
    """Judge and apply a message, then route it: its findings, and where it (and what its
    routing composed) goes. ``refused_lines`` are message-rule findings that refuse a
    line, not the message."""
    prechecked = router.precheck(tx, ctx, mt, msg)
    if refuses_message(mt, prechecked, service_checks=True):
        return prechecked, []
    if prechecked:
        # The service's own checks refused some lines: the others are judged all the same,
        # so the retour tells every problem at once (nothing is applied).
        return judge.judge(mt, msg, ctx, [*refused_lines, *prechecked]), []
    plan = router.relay_plan(tx, ctx, mt, msg)
    if plan:
        tx.execute("SAVEPOINT relay")
    findings = judge.judge(mt, msg, ctx, refused_lines)
    deliveries: list[Delivery] = []
    if plan and not findings:
        findings, deliveries = router.relay(tx, ctx, msg, ctx.message_id, plan)
        if findings:
            # The relay was refused: so is the subcontractor's message, as if never applied.
            tx.execute("ROLLBACK TO SAVEPOINT relay")
            return findings, []
    if not findings or ctx.granted_any:
        deliveries += router.after(tx, ctx, mt, msg, ctx.message_id, relayed=bool(plan))
    return findings, deliveries
