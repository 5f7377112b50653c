"""A client: search by BSN (through the keyed hash), and a client's page with a timeline of
its decisions, allocations, delegations, deliveries and declarations, as far as the
viewer may see them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from app import access
from app.administration import models as db
from app.administration.crypto import BSN
from app.clock import today
from app.console import i18n, timeline
from app.console.timeline import Bar
from app.console.web import Viewer, lang, not_found, page, render, services
from app.routing import models as rm


def mask(bsn: str) -> str:
    return "•" * (len(bsn) - 3) + bsn[-3:]


def bars(s: Session, who: Viewer, client_id: int) -> list[Bar]:
    found: list[Bar] = []
    decisions = s.execute(
        select(rm.Decision, db.Toewijzing, rm.Contract.key)
        .join(rm.Contract, rm.Contract.id == rm.Decision.contract_id)
        .join(db.Toewijzing, db.Toewijzing.id == rm.Decision.toewijzing_id)
        .where(rm.Decision.client_id == client_id, access.reads_decision(who))
    ).all()
    decision_allocations = {t.id for _, t, _ in decisions}
    for _d, t, contract in decisions:
        found.append(
            Bar("lane_decision", f"{t.nummer}", t.ingangsdatum, t.einddatum, f"{contract}")
        )
    for t in s.scalars(
        select(db.Toewijzing)
        .where(db.Toewijzing.client_id == client_id, access.reads_record(who, db.Toewijzing))
        .order_by(db.Toewijzing.ingangsdatum)
    ):
        if t.id in decision_allocations:
            continue
        product = "/".join(p for p in (t.product_categorie, t.product_code) if p) or "—"
        found.append(
            Bar("lane_allocation", f"{t.nummer} {product}", t.ingangsdatum, t.einddatum,
                f"{t.municipality_code} → {t.provider_code}")
        )  # fmt: skip
    for g in s.scalars(
        select(rm.Delegation)
        .where(rm.Delegation.client_id == client_id, access.reads_delegation(who))
        .order_by(rm.Delegation.begindatum)
    ):
        found.append(
            Bar("lane_delegation", f"{g.function_key} → {g.subcontractor_code}", g.begindatum,
                g.einddatum, str(g.status))
        )  # fmt: skip
    for st in s.scalars(
        select(db.Start)
        .where(
            db.Start.client_id == client_id,
            db.Start.deleted_by_id.is_(None),
            access.reads_record(who, db.Start),
        )
        .order_by(db.Start.begindatum)
    ):
        stops = [x for x in st.stops if x.deleted_by_id is None]
        final = [x for x in stops if x.reden_beeindiging != "20"]
        end = max((x.einddatum for x in final), default=None)
        reasons = ", ".join(f"{x.einddatum} ({x.reden_beeindiging})" for x in stops)
        product = "/".join(p for p in (st.product_categorie, st.product_code) if p) or "—"
        found.append(
            Bar("lane_delivery", f"{product} {st.provider_code}", st.begindatum, end, reasons)
        )
    for p in s.scalars(
        select(db.Prestatie)
        .join(db.Declaratie, db.Declaratie.id == db.Prestatie.declaratie_id)
        .where(db.Prestatie.client_id == client_id, access.reads_record(who, db.Declaratie))
        .order_by(db.Prestatie.periode_begin)
    ):
        found.append(
            Bar("lane_declaration", f"{p.product_code} {p.status}", p.periode_begin,
                p.periode_eind, p.referentienummer)
        )  # fmt: skip
    return found


def _search_page(request: Request, who: Viewer) -> Response:
    return render(request, "clients.html", who, found=None,
                  searched=request.query_params.get("searched"))  # fmt: skip


client_search_page = page(_search_page)


def _client(request: Request, who: Viewer) -> Response:
    client_id = request.path_params["client_id"]
    svc = services(request)
    language = lang(request)
    with svc.database.read() as s:
        client = s.scalar(
            select(db.Client).where(db.Client.id == client_id, access.reads_client(who))
        )
        if client is None:
            return not_found(request, who)
        try:
            bsn = svc.vault.decrypt(client.bsn_encrypted, BSN).decode("ascii")
        except ValueError:  # not a BSN this key encrypted
            bsn = "?????????"
        found = bars(s, who, client_id)
        names = {lane: i18n.translate(language, lane) for lane in timeline.LANES}
        svg = timeline.render(
            found, names, today(), f"{i18n.translate(language, 'timeline')} {client_id}"
        )
        return render(
            request,
            "client.html",
            who,
            client=client,
            bsn=bsn if access.sees_bsn(who) else mask(bsn),
            bars=found,
            svg=svg,
            lane_names=names,
        )


client_page = page(_client)
