"""The figures of a demo run, as one JSON object or as text for people.

What the parties did comes from the demo's own ledger; what the service made of it is read
from the database, counting only what this run added (rows after the baseline); the
deployment report comes from the API. No BSN or name appears anywhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from app.administration.db import Database
from app.administration.models import Message, Participant
from app.demo.asgi import Client
from app.demo.population import MUNICIPALITIES, UNIQUE_CLIENTS
from app.demo.region import OPERATOR, Region
from app.demo.scenario import MISTAKES, REFUSED_REQUESTS, YEAR_END, YEAR_START, ClientPlan
from app.demo.traffic import Ledger
from app.routing.models import Delegation, MailboxItem, Relay

LEVEL_NAMES = {1: "IN1", 2: "IN2", 3: "IN3", 4: "IN4"}
WHAT = {
    "WMO301": "decisions and their changes (municipalities)",
    "WMO302": "answers to delegated allocations (subcontractors)",
    "WMO305": "starts (subcontractors)",
    "WMO306": "answers to relayed starts (municipalities)",
    "WMO307": "stops (subcontractors)",
    "WMO308": "answers to relayed stops (municipalities)",
}


async def deployment_report(app: Any, region: Region) -> dict[str, Any]:
    """GET /v1/reports/deployment for 2027, as the operator."""
    http = Client(app, region.parties[OPERATOR].key)
    r = await http.get(
        "/v1/reports/deployment", **{"from": YEAR_START.isoformat(), "to": YEAR_END.isoformat()}
    )
    if r.status_code != 200:
        raise RuntimeError(f"the deployment report: HTTP {r.status_code}")
    data: dict[str, Any] = r.json()
    return data


def collect(
    database: Database,
    region: Region,
    plans: list[ClientPlan],
    ledger: Ledger,
    report: dict[str, Any],
    *,
    seed: int,
    added: bool,
    workers: int,
    timings: dict[str, float],
) -> dict[str, Any]:
    base = region.baseline
    roles = Counter(p.role for p in region.parties.values() if p.code != OPERATOR)
    sent_types: Counter[str] = Counter()
    refused_types: Counter[str] = Counter()
    by_party: dict[str, dict[str, int]] = {}
    for (party, kind), n in sorted(ledger.sent.items()):
        sent_types[kind] += n
        by_party.setdefault(party, {})[kind] = n
    for (_, kind), n in ledger.refused.items():
        refused_types[kind] += n

    with database.read() as s:
        rows = s.execute(
            select(Message.direction, Message.message_type, Message.status, func.count())
            .where(Message.id > base.message_id)
            .group_by(Message.direction, Message.message_type, Message.status)
        ).all()
        received: Counter[str] = Counter()
        produced: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        for direction, message_type, status, n in rows:
            if direction == "in":
                received[message_type or "?"] += n
                statuses[status] += n
            else:
                produced[message_type or "?"] += n
        rejections: Counter[str] = Counter()
        for (findings,) in s.execute(
            select(Message.findings).where(
                Message.id > base.message_id,
                Message.direction == "in",
                Message.status == "rejected",
            )
        ):
            for rule in sorted({f.get("rule", "?") for f in findings or []}):
                rejections[rule] += 1
        by_party_service: dict[str, dict[str, int]] = {}
        # Who posted it (a retour's Afzender is the party it answers).
        for poster, message_type, n in s.execute(
            select(Participant.code, Message.message_type, func.count())
            .join(Participant, Participant.id == Message.participant_id)
            .where(Message.id > base.message_id, Message.direction == "in")
            .group_by(Participant.code, Message.message_type)
        ):
            by_party_service.setdefault(str(poster), {})[str(message_type)] = n
        delegation_rows = s.execute(
            select(Delegation.subcontractor_code, Delegation.function_key, Delegation.status).where(
                Delegation.id > base.delegation_id
            )
        ).all()
        relays = Counter(
            dict(
                s.execute(
                    select(Relay.status, func.count())
                    .where(Relay.id > base.relay_id)
                    .group_by(Relay.status)
                ).all()
            )
        )
        mailbox_rows = s.execute(
            select(
                MailboxItem.recipient_code,
                func.count(),
                func.count(MailboxItem.acked_at),
            )
            .where(MailboxItem.id > base.mailbox_id)
            .group_by(MailboxItem.recipient_code)
        ).all()

    delegations_by_status = Counter(status for _, _, status in delegation_rows)
    delegations_by_sub: dict[str, Counter[str]] = {}
    for sub, function, _ in delegation_rows:
        delegations_by_sub.setdefault(sub, Counter())[function] += 1
    mailboxes = {
        code: {"delivered": int(n), "acknowledged": int(acked), "waiting": int(n) - int(acked)}
        for code, n, acked in mailbox_rows
    }
    expected: Counter[str] = Counter()
    for kind, n in ledger.mistakes.items():
        for rule in MISTAKES[kind].rules:
            expected[rule] += n
    traffic_seconds = timings.get("traffic", 0.0)
    return {
        "database": database.engine.dialect.name,
        "seed": seed,
        "year": 2027,
        "simulated_calendar": {
            "from": YEAR_START.isoformat(),
            "to": YEAR_END.isoformat(),
            "days_with_traffic": ledger.days,
        },
        "added_to_existing_data": added,
        "workers": workers,
        "participants": {
            "municipalities": roles["municipality"],
            "main_contractors": roles["main_contractor"],
            "subcontractors": roles["subcontractor"],
            "operators": 1,
        },
        "clients": _clients(plans),
        "messages": dict(sorted(sent_types.items())),
        "messages_by_party": by_party,
        "accepted": sum(sent_types.values()) - sum(refused_types.values()),
        "rejected": sum(refused_types.values()),
        "rejected_by_type": dict(sorted(refused_types.items())),
        "rejections": dict(sorted(rejections.items())),
        "planted_mistakes": {
            kind: {"rules": list(MISTAKES[kind].rules), "refused": n, "what": MISTAKES[kind].what}
            for kind, n in sorted(ledger.mistakes.items())
        },
        "expected_rejections": dict(sorted(expected.items())),
        "refused_requests": dict(sorted(ledger.refused_requests.items())),
        "refused_requests_planted": {
            kind: REFUSED_REQUESTS[kind][0] for kind in sorted(ledger.refused_requests)
        },
        "unexpected": list(ledger.unexpected),
        "service": {
            "received": dict(sorted(received.items())),
            "received_by_party": {
                k: dict(sorted(v.items())) for k, v in sorted(by_party_service.items())
            },
            "statuses": dict(sorted(statuses.items())),
            "produced": dict(sorted(produced.items())),
        },
        "delegations": {
            "created": ledger.delegations["created"],
            "ended_by_main_contractor": ledger.delegations["ended"],
            "by_status": dict(sorted(delegations_by_status.items())),
            "by_subcontractor": {
                sub: dict(sorted(functions.items()))
                for sub, functions in sorted(delegations_by_sub.items())
            },
        },
        "relays": dict(sorted(relays.items())),
        "mailboxes": {
            "delivered": sum(b["delivered"] for b in mailboxes.values()),
            "acknowledged": sum(b["acknowledged"] for b in mailboxes.values()),
            "waiting": sum(ledger.waiting.values()),
            "by_party": dict(sorted(mailboxes.items())),
        },
        "requests": dict(sorted(ledger.requests.items())),
        "report": _report(report),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "messages_per_second": (
            round(sum(sent_types.values()) / traffic_seconds, 1) if traffic_seconds else None
        ),
    }


def _clients(plans: list[ClientPlan]) -> dict[str, Any]:
    per_municipality = Counter(MUNICIPALITIES[p.client.municipality][0] for p in plans)
    starting = Counter(LEVEL_NAMES[p.client.level] for p in plans)
    over_year: Counter[str] = Counter()
    for p in plans:
        for level in {e.level for e in p.episodes}:
            over_year[LEVEL_NAMES[level]] += 1
    ends = Counter(p.end_reason for p in plans if p.end_reason is not None)
    return {
        "total": len(plans),
        "scale": round(len(plans) / UNIQUE_CLIENTS, 4),
        "per_municipality": dict(per_municipality.most_common()),
        "living_outside_region": sum(p.client.outside_region for p in plans),
        "in_care_on_1_january": sum(p.existing for p in plans),
        "arriving_during_the_year": sum(not p.existing for p in plans),
        "per_level_at_start": dict(sorted(starting.items())),
        "per_level_during_year": dict(sorted(over_year.items())),
        "level_changes": sum(1 for p in plans if len({e.level for e in p.episodes}) > 1),
        "handovers": sum(p.handovers for p in plans),
        "temporary_stops": sum(p.temporary_stops for p in plans),
        "care_ended": dict(sorted(ends.items())),
    }


def _report(report: dict[str, Any]) -> dict[str, Any]:
    contracts = {}
    for c in report.get("contracts", []):
        contracts[c["contract"]] = {
            "variant": c["variant"],
            "rows": [
                {
                    "function": r["function"],
                    "deliverer": r["deliverer"],
                    "deliverer_role": r["deliverer_role"],
                    "active_clients": r["active_clients"],
                    "client_days": r["client_days"],
                    "starts": r["starts"],
                    "stops": r["stops"],
                    "average_duration_days": r["average_duration_days"],
                    "cost": r["cost"],
                }
                for r in c["rows"]
            ],
            "totals": c["totals"],
        }
    return {"from": report.get("from"), "to": report.get("to"), "contracts": contracts}


# --- text ------------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _euro(cents: int | None) -> str:
    return "-" if cents is None else f"EUR {cents / 100:,.0f}"


def render(f: dict[str, Any], region: Region) -> str:
    names = {code: p.name for code, p in region.parties.items()}
    c = f["clients"]
    p = f["participants"]
    out: list[str] = []
    add = out.append
    add(
        f"iwmo demo: the Amersfoort region, {f['simulated_calendar']['from']} to "
        f"{f['simulated_calendar']['to']} (a simulated calendar), on {f['database']}, "
        f"seed {f['seed']}"
    )
    if f["added_to_existing_data"]:
        add("  (added to what the database already held; the report counts that too)")
    add("")
    add(
        f"participants  {p['municipalities']} municipalities, {p['main_contractors']} main "
        f"contractor, {p['subcontractors']} subcontractors, 1 operator (the demo's reader)"
    )
    spread = ", ".join(f"{name} {_n(n)}" for name, n in c["per_municipality"].items())
    add(f"clients       {_n(c['total'])}: {spread}")
    add(f"              {_n(c['living_outside_region'])} of them living outside the region")
    add(
        f"              {_n(c['in_care_on_1_january'])} in care on 1 January, "
        f"{_n(c['arriving_during_the_year'])} arriving during the year"
    )
    levels = ", ".join(f"{k} {_n(v)}" for k, v in c["per_level_during_year"].items())
    changed = _n(c["level_changes"])
    add(f"              per level during the year: {levels} ({changed} changed level)")
    ended = ", ".join(f"{k} {_n(v)}" for k, v in c["care_ended"].items()) or "none"
    add(
        f"              {_n(c['temporary_stops'])} temporary stops, {_n(c['handovers'])} "
        f"handovers; care ended (RedenBeeindiging): {ended}"
    )
    add("")
    add("messages the parties sent (POST /v1/berichten)")
    for kind, n in f["messages"].items():
        add(f"  {kind}  {n:>7,}  {WHAT.get(kind, '')}")
    add(f"  total   {sum(f['messages'].values()):>7,}")
    add(f"  accepted {_n(f['accepted'])}, rejected {_n(f['rejected'])}")
    if f["rejections"]:
        rules = ", ".join(f"{rule} {n}" for rule, n in f["rejections"].items())
        add(f"  rejections per rule: {rules}")
    for m in f["planted_mistakes"].values():
        add(f"    planted: {m['what']}: {m['refused']} x {' + '.join(m['rules'])}")
    for kind, n in f["refused_requests"].items():
        add(f"  refused API requests: {kind} {n} ({f['refused_requests_planted'][kind]})")
    if f["unexpected"]:
        add(f"  UNEXPECTED ({len(f['unexpected'])}):")
        for line in f["unexpected"][:20]:
            add(f"    {line}")
    produced = ", ".join(f"{k} {_n(v)}" for k, v in f["service"]["produced"].items())
    add(f"  the service itself wrote: {produced}")
    add("")
    d = f["delegations"]
    statuses = ", ".join(f"{k} {_n(v)}" for k, v in d["by_status"].items())
    add(
        f"delegations   {_n(d['created'])} created ({statuses}); "
        f"{_n(d['ended_by_main_contractor'])} ended early by the main contractor"
    )
    for sub, functions in d["by_subcontractor"].items():
        spread = ", ".join(f"{k} {_n(v)}" for k, v in functions.items())
        add(f"              {sub} {names.get(sub, '')}: {spread}")
    relays = ", ".join(f"{k} {_n(v)}" for k, v in f["relays"].items()) or "none"
    add(f"relays        {relays}")
    mb = f["mailboxes"]
    add(
        f"mailboxes     {_n(mb['delivered'])} items delivered, {_n(mb['acknowledged'])} "
        f"acknowledged, {_n(mb['waiting'])} waiting"
    )
    add("")
    report = f["report"]
    add(f"deployment report {report['from']} to {report['to']} (GET /v1/reports/deployment)")
    for key, contract in report["contracts"].items():
        t = contract["totals"]
        share = t.get("budget_share")
        share_text = f" ({share:.1%} of the budget)" if share is not None else ""
        add(
            f"  {key} ({contract['variant']}): budget {_euro(t.get('budget'))}, "
            f"internal value delivered {_euro(t.get('cost'))}{share_text}"
        )
        if not contract["rows"]:
            add("    nothing delivered")
            continue
        add(
            f"    {'function':<17} {'deliverer':<44} {'clients':>7} {'client-days':>11} "
            f"{'starts':>6} {'stops':>6} {'value':>14}"
        )
        for r in contract["rows"]:
            who = f"{r['deliverer']} {names.get(r['deliverer'], '')}"[:44]
            stops = sum(r["stops"].values())
            add(
                f"    {r['function'] or '-':<17} {who:<44} {r['active_clients']:>7,} "
                f"{r['client_days']:>11,} {r['starts']:>6,} {stops:>6,} {_euro(r['cost']):>14}"
            )
    add("")
    s = f["seconds"]
    add(
        f"time          {s.get('total', 0):.1f} s: setup {s.get('setup', 0):.1f} s, traffic "
        f"{s.get('traffic', 0):.1f} s ({f['messages_per_second'] or 0:,.0f} messages/s), "
        f"summary {s.get('summary', 0):.1f} s"
    )
    return "\n".join(out)
