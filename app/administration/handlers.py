"""Applying an accepted message to the administration, line by line.

Each outbound message type has a handler: which objects are its lines (the unit that is
judged and applied in order), and what applying one does. Applying changes the records in
memory, so later lines see it, and queues the writes; the pipeline performs them only when
the message is accepted (a declaration keeps its granted and refused lines alike).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.administration import records as r
from app.administration.context import Context
from app.administration.store import Tx, values_of
from app.standard import messages as m

Apply = Callable[[Any, Any, Context], None]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Handler:
    lines: Callable[[Any], list[Any]]
    apply_line: Apply
    # Declarations are judged per line: a refused line is recorded as refused while the
    # others are granted. Everything else is all or nothing.
    per_line: bool = False
    begin: Callable[[Any, Context], None] | None = None
    refuse_line: Callable[[Any, Any, Context, list[str]], None] | None = None
    # The Client classes the lines are under, judged before their lines.
    clients: Callable[[Any], list[Any]] = lambda msg: [msg.Client]


def _insert(ctx: Context, table: str, record: r.Record, **extra: Callable[[], Any]) -> None:
    """Queue an insert of a record; ``extra`` columns are computed at write time (the ids
    of records inserted before it)."""
    ctx.insert(table, record, extra)


def _update(ctx: Context, table: str, record: r.Record, *names: str, **fixed: Any) -> None:
    """Queue an update of some columns of a record (and of columns it does not carry)."""

    def write(tx: Tx) -> None:
        assert record.id is not None
        tx.update(table, record.id, {**values_of(record, *names), **fixed})

    ctx.write(write)


# --- 301 allocations ------------------------------------------------------------------------


def allocation_values(p: m.ToegewezenProduct) -> dict[str, Any]:
    return {
        "product_categorie": p.Product.Categorie if p.Product else None,
        "product_code": p.Product.Code if p.Product else None,
        "toewijzingsdatum": p.Toewijzingsdatum,
        "toewijzingstijd": p.Toewijzingstijd,
        "ingangsdatum": p.Ingangsdatum,
        "einddatum": p.Einddatum,
        "reden_wijziging": p.RedenWijziging,
        "volume": p.Omvang.Volume if p.Omvang else None,
        "eenheid": p.Omvang.Eenheid if p.Omvang else None,
        "frequentie": p.Omvang.Frequentie if p.Omvang else None,
        "budget": p.Budget,
        "referentie_aanbieder": p.ReferentieAanbieder,
    }


# What an allocation says, as opposed to how a 301 annotates it: RedenWijziging is empty
# on an allocation repeated unchanged (IV099) and ReferentieAanbieder is filled only when
# a request is honoured (IV093, IV097), so neither makes a repeat a new version.
_ANNOTATIONS = ("reden_wijziging", "referentie_aanbieder")


def repeats(allocation: r.Allocation, values: dict[str, Any]) -> bool:
    """Whether a line repeats the allocation as it stands. A deletion (13 or 01 with end
    equal to start) is news even when the dates were already equal; a deleted allocation
    repeated without its reason stays deleted."""
    if any(getattr(allocation, k) != v for k, v in values.items() if k not in _ANNOTATIONS):
        return False
    deleting = r.withdrawn(values["ingangsdatum"], values["einddatum"], values["reden_wijziging"])
    return allocation.deleted or not deleting


def _apply_allocation(msg: m.WMO301, p: m.ToegewezenProduct, ctx: Context) -> None:
    assert ctx.client is not None
    values = allocation_values(p)
    now = _now()
    if p.ReferentieAanbieder is not None:
        # Honoured, whether the allocation changes or is repeated unchanged (IV093).
        verzoek = ctx.verzoek(p.ReferentieAanbieder)
        if verzoek is not None and verzoek.pending:
            verzoek.status = "toegewezen"
            ctx.honoured_now.add(verzoek.id or 0)
            _update(ctx, "verzoeken", verzoek, "status", updated_at=now)
    allocation = ctx.allocation(p.ToewijzingNummer)
    if allocation is None:
        allocation = r.Allocation(
            municipality_code=ctx.municipality_code,
            nummer=p.ToewijzingNummer,
            client_id=ctx.client.id or 0,
            provider_code=ctx.provider_code,
            version=1,
            created_at=now,
            updated_at=now,
            **values,
        )
        ctx.remember_allocation(allocation)
        _insert(ctx, "toewijzingen", allocation)
    elif repeats(allocation, values):
        return  # an unchanged allocation repeated, as every 301 must: not a new version
    elif (p.Toewijzingsdatum, p.Toewijzingstijd) < (
        allocation.toewijzingsdatum,
        allocation.toewijzingstijd,
    ):
        # An older decision received late: the allocation with the latest Toewijzingsdatum
        # and -tijd is the current one, whatever the order of receipt (IV013, OP080). It
        # joins the history, where the state on any date is read by that order.
        allocation.version += 1
        _update(ctx, "toewijzingen", allocation, "version")
    else:
        allocation.version += 1
        allocation.updated_at = now
        for k, v in values.items():
            setattr(allocation, k, v)
        _update(ctx, "toewijzingen", allocation, "version", "updated_at", *r.ALLOCATION_FIELDS)
    version = dict(values, version=allocation.version, message_id=ctx.message_id, recorded_at=now)
    ctx.write(
        lambda tx: tx.insert("toewijzing_versies", {**version, "toewijzing_id": allocation.id})
    )


# --- 305 / 307 deliveries ------------------------------------------------------------------


def _event(ctx: Context, kind: str, status: str, start: r.Start, stop: r.Stop | None) -> None:
    now = _now()
    ctx.write(
        lambda tx: tx.insert(
            "levering_events",
            {
                "kind": kind,
                "status_aanlevering": status,
                "start_id": start.id,
                "stop_id": stop.id if stop is not None else None,
                "message_id": ctx.message_id,
                "recorded_at": now,
            },
        )
    )


def _apply_start(msg: m.WMO305, line: m.StartProduct, ctx: Context) -> None:
    from app.administration.rules.levering import matching_start

    assert ctx.client is not None and ctx.client.id is not None
    if line.StatusAanlevering == "3":
        start = matching_start(line, ctx)
        assert start is not None  # TR063 guarantees it
        start.deleted_by_id = ctx.message_id
        _update(ctx, "starts", start, "deleted_by_id")
        _event(ctx, "start", "3", start, None)
        return
    allocation = ctx.allocation(line.ToewijzingNummer) if line.ToewijzingNummer else None
    start = r.Start(
        client_id=ctx.client.id,
        municipality_code=ctx.municipality_code,
        provider_code=ctx.provider_code,
        toewijzing_nummer=line.ToewijzingNummer,
        product_categorie=line.Product.Categorie if line.Product else None,
        product_code=line.Product.Code if line.Product else None,
        toewijzing_ingangsdatum=line.ToewijzingIngangsdatum,
        begindatum=line.Begindatum,
        message_id=ctx.message_id,
        allocation=allocation,
    )
    ctx.remember_start(start)
    _insert(
        ctx,
        "starts",
        start,
        toewijzing_id=lambda: allocation.id if allocation else None,
        recorded_at=_now,
    )
    _event(ctx, "start", line.StatusAanlevering, start, None)


def _apply_stop(msg: m.WMO307, line: m.StopProduct, ctx: Context) -> None:
    from app.administration.rules.levering import live_stops, matching_start

    start = matching_start(line, ctx, same_product=False)
    assert start is not None  # TR069 and TR063 guarantee it
    if line.StatusAanlevering == "3":
        stop = next(
            s
            for s in live_stops(start)
            if (s.reden_beeindiging, s.einddatum) == (line.RedenBeeindiging, line.Einddatum)
        )
        stop.deleted_by_id = ctx.message_id
        _update(ctx, "stops", stop, "deleted_by_id")
    else:
        stop = r.Stop(
            reden_beeindiging=line.RedenBeeindiging,
            einddatum=line.Einddatum,
            message_id=ctx.message_id,
        )
        start.stops.append(stop)
        _insert(ctx, "stops", stop, start_id=lambda: start.id, recorded_at=_now)
    _event(ctx, "stop", line.StatusAanlevering, start, stop)


# --- 315 / 317 requests, 319 answers -----------------------------------------------------------


def _omvang(o: m.Omvang | None) -> dict[str, Any] | None:
    return (
        None
        if o is None
        else {"Volume": o.Volume, "Eenheid": o.Eenheid, "Frequentie": o.Frequentie}
    )


def _product(p: m.Product | None) -> dict[str, Any] | None:
    return None if p is None else {"Categorie": p.Categorie, "Code": p.Code}


def _iso(day: Any) -> str | None:
    return day.isoformat() if day is not None else None


def _new_request(ctx: Context, kind: str, referentie: str, details: dict[str, Any]) -> None:
    assert ctx.client is not None and ctx.client.id is not None
    now = _now()
    verzoek = r.Request(
        kind=kind,
        client_id=ctx.client.id,
        municipality_code=ctx.municipality_code,
        provider_code=ctx.provider_code,
        referentie_aanbieder=referentie,
        details=details,
        message_id=ctx.message_id,
    )
    ctx.remember_verzoek(verzoek)
    _insert(ctx, "verzoeken", verzoek, created_at=lambda: now, updated_at=lambda: now)


def _apply_vot(msg: m.WMO315, p: m.AangevraagdProduct, ctx: Context) -> None:
    _new_request(
        ctx,
        "VOT",
        p.ReferentieAanbieder,
        {
            "Product": _product(p.Product),
            "ToewijzingIngangsdatum": _iso(p.ToewijzingIngangsdatum),
            "ToewijzingEinddatum": _iso(p.ToewijzingEinddatum),
            "Omvang": _omvang(p.Omvang),
            "Budget": p.Budget,
            "BeschikkingNummer": p.BeschikkingNummer,
        },
    )


def _apply_vow(msg: m.WMO317, v: m.Verzoek, ctx: Context) -> None:
    _new_request(
        ctx,
        "VOW",
        v.ReferentieAanbieder,
        {
            "RedenVerzoek": v.RedenVerzoek,
            "OngewijzigdeProducten": [o.ToewijzingNummer for o in v.OngewijzigdeProducten],
            "TeWijzigenProducten": [
                {
                    "ToewijzingNummer": p.ToewijzingNummer,
                    "GewensteIngangsdatum": _iso(p.GewensteIngangsdatum),
                    "Einddatum": _iso(p.Einddatum),
                    "Omvang": _omvang(p.Omvang),
                    "Budget": p.Budget,
                }
                for p in v.TeWijzigenProducten
            ],
            "NieuweProducten": [
                {
                    "Product": _product(n.Product),
                    "GewensteIngangsdatum": _iso(n.GewensteIngangsdatum),
                    "Einddatum": _iso(n.Einddatum),
                    "Omvang": _omvang(n.Omvang),
                    "Budget": n.Budget,
                }
                for n in v.NieuweProducten
            ],
        },
    )


def _apply_antwoord(msg: m.WMO319, a: m.Antwoord, ctx: Context) -> None:
    verzoek = ctx.verzoek(a.ReferentieAanbieder)
    assert verzoek is not None and verzoek.id is not None  # TR355 guarantees it
    answer = r.Answer(
        verzoek_id=verzoek.id,
        verzoek_antwoord=a.VerzoekAntwoord,
        reden_afwijzing=a.RedenAfwijzingVerzoek,
    )
    _insert(ctx, "antwoorden", answer, message_id=lambda: ctx.message_id, recorded_at=_now)
    verzoek.status = "in_onderzoek" if a.VerzoekAntwoord == "2" else "afgewezen"
    verzoek.reden_afwijzing = a.RedenAfwijzingVerzoek
    _update(ctx, "verzoeken", verzoek, "status", "reden_afwijzing", updated_at=_now())


# --- 323 declarations, 325 answers -----------------------------------------------------------


def _prestaties(msg: m.WMO323) -> list[m.Prestatie]:
    # Credits first: a declaration may credit a line and declare it anew in one message
    # (IV086), in either order, and the new debit must see the credit (TR389).
    lines = [p for c in msg.Declaratie.Clienten for p in c.Prestaties]
    return sorted(lines, key=lambda p: p.IngediendBedrag.DebetCredit != "C")


def _begin_declaratie(msg: m.WMO323, ctx: Context) -> None:
    d = msg.Declaratie
    lines = [p for c in d.Clienten for p in c.Prestaties]
    ctx.preload_lines(
        [p.ToewijzingNummer for p in lines],
        [
            ref
            for ref in (
                number
                for p in lines
                for number in (
                    p.ProductReferentie.ReferentieNummer,
                    p.ProductReferentie.VorigReferentieNummer,
                )
            )
            if ref is not None
        ],
    )
    record = r.Declaration(
        provider_code=ctx.provider_code,
        municipality_code=ctx.municipality_code,
        declaratienummer=d.DeclaratieNummer,
        periode_begin=d.DeclaratiePeriode.Begindatum,
        periode_eind=d.DeclaratiePeriode.Einddatum,
        dagtekening=d.DeclaratieDagtekening,
        totaal_ingediend=d.TotaalIngediendBedrag.signed,
        message_id=ctx.message_id,
    )
    _insert(ctx, "declaraties", record, recorded_at=_now)
    ctx.declaration = record  # the lines below attach to it


def _record_line(p: m.Prestatie, ctx: Context, status: str, codes: list[str]) -> r.Line:
    declaration = ctx.declaration
    assert declaration is not None
    client = ctx.client_of_line(p)
    allocation = ctx.allocation(p.ToewijzingNummer)
    line = r.Line(
        provider_code=ctx.provider_code,
        client_id=client.id if client else None,
        toewijzing_id=allocation.id
        if allocation is not None and allocation.provider_code == ctx.provider_code
        else None,
        referentienummer=p.ProductReferentie.ReferentieNummer,
        vorig_referentienummer=p.ProductReferentie.VorigReferentieNummer,
        toewijzing_nummer=p.ToewijzingNummer,
        product_categorie=p.ProductCategorie,
        product_code=p.ProductCode,
        periode_begin=p.ProductPeriode.Begindatum,
        periode_eind=p.ProductPeriode.Einddatum,
        volume=p.GeleverdVolume,
        eenheid=p.Eenheid,
        tarief=p.ProductTarief,
        bedrag=p.IngediendBedrag.signed,
        status=status,
        retourcodes=codes,
    )
    declaration.lines.append(line)
    ctx.remember_line(line)
    _insert(ctx, "prestaties", line, declaratie_id=lambda: declaration.id)
    return line


def _grant_prestatie(msg: m.WMO323, p: m.Prestatie, ctx: Context) -> None:
    line = _record_line(p, ctx, "toegekend", [])
    ctx.granted_now(line)
    vorige = p.ProductReferentie.VorigReferentieNummer
    if p.IngediendBedrag.DebetCredit == "C" and vorige is not None:
        debit = ctx.prestatie(vorige)
        if debit is not None:
            # For the record (which credit took it back); the rules judge a debit credited
            # by the current verdicts on its credits (Context.uncredited_debits).
            ctx.write(
                lambda tx: tx.update("prestaties", debit.id or 0, {"credited_by_id": line.id})
            )


def _refuse_prestatie(msg: m.WMO323, p: m.Prestatie, ctx: Context, codes: list[str]) -> None:
    _record_line(p, ctx, "afgewezen", codes)


def _antwoord_lines(msg: m.WMO325) -> list[m.Prestatie]:
    a = msg.DeclaratieAntwoord
    return [] if a is None else [p for c in a.Clienten for p in c.Prestaties]


def _begin_antwoord(msg: m.WMO325, ctx: Context) -> None:
    d = ctx.declaration
    assert d is not None
    a = msg.DeclaratieAntwoord
    d.answer_message_id = ctx.message_id
    d.totaal_toegekend = a.TotaalToegekendBedrag.signed if a is not None else 0
    _update(ctx, "declaraties", d, "answer_message_id", "totaal_toegekend")
    refused_whole = a is None or bool(set(a.RetourCodes) - {"0200", "8001"})
    for line in d.lines:
        line.status = "afgewezen" if refused_whole else "toegekend"
        line.retourcodes = list(a.RetourCodes) if a is not None and refused_whole else []
        _update(ctx, "prestaties", line, "status", "retourcodes")


def _apply_antwoord_line(msg: m.WMO325, p: m.Prestatie, ctx: Context) -> None:
    declared = ctx.declared_line(p.ProductReferentie.ReferentieNummer)
    assert declared is not None  # TR366 guarantees it
    declared.status = "afgewezen"
    declared.retourcodes = list(p.RetourCodes)
    _update(ctx, "prestaties", declared, "status", "retourcodes")


HANDLERS: dict[str, Handler] = {
    "WMO301": Handler(lambda msg: list(msg.Client.ToegewezenProducten), _apply_allocation),
    "WMO305": Handler(lambda msg: list(msg.Client.StartProducten), _apply_start),
    "WMO307": Handler(lambda msg: list(msg.Client.StopProducten), _apply_stop),
    "WMO315": Handler(lambda msg: list(msg.Client.AangevraagdeProducten), _apply_vot),
    "WMO317": Handler(lambda msg: [msg.Client.Verzoek], _apply_vow),
    "WMO319": Handler(lambda msg: [msg.Antwoord], _apply_antwoord, clients=lambda msg: []),
    "WMO323": Handler(
        _prestaties,
        _grant_prestatie,
        per_line=True,
        begin=_begin_declaratie,
        refuse_line=_refuse_prestatie,
        clients=lambda msg: list(msg.Declaratie.Clienten),
    ),
    "WMO325": Handler(
        _antwoord_lines,
        _apply_antwoord_line,
        begin=_begin_antwoord,
        clients=lambda msg: list(msg.DeclaratieAntwoord.Clienten) if msg.DeclaratieAntwoord else [],
    ),
}
