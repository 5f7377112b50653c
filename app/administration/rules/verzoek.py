"""Rules on requests (WMO315, WMO317) and answers (WMO319) against the administration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from app.administration import records as rec
from app.administration.context import Context
from app.rules.overlap import care_of, clashes
from app.rules.registry import Violation, at, dagtekening, rule
from app.standard import messages as m

_CUT_OFF = date(2020, 12, 31)


@rule(
    "TR374",
    ["WMO315", "WMO317"],
    "9374",
    "a request only when no earlier request for the client is still pending",
    decision="Pending means neither rejected by a 319 nor granted by a 301 with its "
    "ReferentieAanbieder; requests of this provider for this client count.",
    scope="administration",
    level="message",
    covers="Client (315, 317)",
)
def tr374(msg: Any, ctx: Context) -> Iterator[Violation]:
    pending = ctx.pending_verzoeken()
    if pending:
        refs = ", ".join(v.referentie_aanbieder for v in pending)
        yield at(msg.Client), f"a request for this client is still pending ({refs})"


@rule(
    "TR347",
    ["WMO315", "WMO317"],
    "9347",
    "a ReferentieAanbieder is used once by a provider",
    scope="administration",
    level="line",
    covers="AangevraagdProduct/ReferentieAanbieder (315), Verzoek/ReferentieAanbieder (317)",
)
def tr347(msg: Any, line: m.AangevraagdProduct | m.Verzoek, ctx: Context) -> Iterator[Violation]:
    if ctx.verzoek(line.ReferentieAanbieder) is not None:
        yield (
            at(line, "ReferentieAanbieder"),
            (f"ReferentieAanbieder {line.ReferentieAanbieder} was used before by this provider"),
        )


@rule(
    "TR304",
    ["WMO317", "WMO323", "WMO325"],
    "8187",
    "the client (Bsn) is the one the allocation or declaration line belongs to",
    decision="For a change request: the client must have an allocation at this provider. "
    "For a declaration: a client without any allocation from this municipality is refused "
    "as a client (8187 on the Client, its lines 0233: not judged, IV087); otherwise a line "
    "whose allocation is another client's is refused (8187 on the line). For a declaration "
    "answer: each line must be the declared line of this client.",
    scope="administration",
    level="client",
    covers=(
        "Client/Bsn (317, 323, 325); Prestatie/ToewijzingNummer (323), "
        "Prestatie/ProductReferentie (325)"
    ),
)
def tr304(msg: Any, client: Any, ctx: Context) -> Iterator[Violation]:
    if isinstance(msg, m.WMO317):
        if not ctx.allocations_of_client():
            yield (
                at(client, "Bsn"),
                "this client has no allocation at this provider from this municipality",
            )
        return
    record = ctx.client_of(client)
    if isinstance(msg, m.WMO323) and (record is None or not ctx.has_allocations_here(record)):
        yield at(client, "Bsn"), "this client has no allocation from this municipality"
        return
    for line in client.Prestaties:
        if isinstance(msg, m.WMO323):
            owner = ctx.allocation(line.ToewijzingNummer)
            owner_client = owner.client_id if owner is not None else None
        else:
            declared = ctx.declared_line(line.ProductReferentie.ReferentieNummer)
            owner_client = declared.client_id if declared is not None else None
        if owner_client is not None and (record is None or owner_client != record.id):
            yield at(line), "this line belongs to another client"


def _current(ctx: Context, day: date) -> dict[int, rec.Allocation]:
    return {a.nummer: a for a in ctx.allocations_of_client() if a.current_on(day)}


@rule(
    "TR349",
    ["WMO317"],
    "9349",
    "a change request lists every current allocation as unchanged or to change",
    decision="Current is judged on the request's Dagtekening: an allocation ending on or "
    "after it, or starting later, unless deleted (13/01 with end equal to start).",
    scope="administration",
    level="line",
    covers="Verzoek/OngewijzigdeProducten, Verzoek/TeWijzigenProducten",
)
def tr349(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    listed = {p.ToewijzingNummer for p in v.OngewijzigdeProducten} | {
        p.ToewijzingNummer for p in v.TeWijzigenProducten
    }
    missing = sorted(set(_current(ctx, dagtekening(msg))) - listed)
    if missing:
        yield at(v), f"current allocations missing from the request: {missing}"


@rule(
    "TR350",
    ["WMO317"],
    "9350",
    "each unchanged product is a current allocation",
    scope="administration",
    level="line",
    covers="OngewijzigdProduct/ToewijzingNummer",
)
def tr350(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    current = _current(ctx, dagtekening(msg))
    for p in v.OngewijzigdeProducten:
        if p.ToewijzingNummer not in current:
            yield (
                at(p, "ToewijzingNummer"),
                (f"{p.ToewijzingNummer} is not a current allocation of this client"),
            )


@rule(
    "TR351",
    ["WMO317"],
    "9351",
    "each product to change is a current allocation",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct/ToewijzingNummer",
)
def tr351(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    current = _current(ctx, dagtekening(msg))
    for p in v.TeWijzigenProducten:
        if p.ToewijzingNummer not in current:
            yield (
                at(p, "ToewijzingNummer"),
                (f"{p.ToewijzingNummer} is not a current allocation of this client"),
            )


def _changes(v: m.Verzoek, ctx: Context) -> Iterator[tuple[m.TeWijzigenProduct, rec.Allocation]]:
    for p in v.TeWijzigenProducten:
        allocation = ctx.allocation(p.ToewijzingNummer)
        if (
            allocation is not None
            and ctx.client is not None
            and allocation.client_id == ctx.client.id
        ):
            yield p, allocation


@rule(
    "TR357",
    ["WMO317"],
    "9357",
    "a change that starts on or before the Dagtekening starts on the allocation's start",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct/GewensteIngangsdatum; Dagtekening",
)
def tr357(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    day = dagtekening(msg)
    for p, allocation in _changes(v, ctx):
        if p.GewensteIngangsdatum <= day and p.GewensteIngangsdatum != allocation.ingangsdatum:
            yield (
                at(p, "GewensteIngangsdatum"),
                (
                    "a change in the past must start on the allocation's Ingangsdatum "
                    f"({allocation.ingangsdatum})"
                ),
            )


@rule(
    "TR361",
    ["WMO317"],
    "9361",
    "the products of a change request do not overlap in time for the same product",
    decision="Unchanged products keep their allocation's period; products to change run "
    "from GewensteIngangsdatum to their new (or else the old) Einddatum; overlap "
    "is judged as in TR302.",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct and NieuwProduct: Product, GewensteIngangsdatum, Einddatum",
)
def tr361(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    items: list[tuple[Any, m.Product | None, tuple[date, date | None]]] = []
    for o in v.OngewijzigdeProducten:
        a = ctx.allocation(o.ToewijzingNummer)
        if a is not None:
            items.append((o, _product_of(a), (a.ingangsdatum, a.einddatum)))
    for p, a in _changes(v, ctx):
        items.append((p, _product_of(a), (p.GewensteIngangsdatum, p.Einddatum or a.einddatum)))
    for n in v.NieuweProducten:
        items.append((n, n.Product, (n.GewensteIngangsdatum, n.Einddatum)))
    for later, _ in clashes([(period, care_of(product)) for _, product, period in items]):
        yield at(items[later][0]), "overlaps another product of this request for the same product"


def _product_of(a: rec.Allocation) -> m.Product | None:
    if a.product_categorie is None:
        return None
    return m.Product(Categorie=a.product_categorie, Code=a.product_code)


@rule(
    "TR373",
    ["WMO317"],
    "9373",
    "a changed budget or total volume applies from the allocation's start",
    decision="Following IV092 and IV093: a change to an allocation that has a budget or a "
    "total within its period (Frequentie 6), or that sets one, always runs from the "
    "allocation's Ingangsdatum; a change of the end date alone does not count.",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct/GewensteIngangsdatum, Budget, Omvang",
)
def tr373(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    for p, a in _changes(v, ctx):
        budget_changed = p.Budget is not None and p.Budget != a.budget
        omvang = (p.Omvang.Volume, p.Omvang.Eenheid, p.Omvang.Frequentie) if p.Omvang else None
        total_involved = a.frequentie == "6" or (omvang is not None and omvang[2] == "6")
        total_changed = (
            total_involved and omvang is not None and omvang != (a.volume, a.eenheid, a.frequentie)
        )
        if (budget_changed or total_changed) and p.GewensteIngangsdatum != a.ingangsdatum:
            yield (
                at(p, "GewensteIngangsdatum"),
                (
                    "a budget or total volume changes from the allocation's Ingangsdatum "
                    f"({a.ingangsdatum})"
                ),
            )


def _runs_past_2020(p: m.TeWijzigenProduct, a: rec.Allocation) -> bool:
    end = p.Einddatum or a.einddatum
    return end is None or end > _CUT_OFF


@rule(
    "TR375",
    ["WMO317"],
    "9375",
    "no Omvang for an allocation without Product that runs past 2020",
    decision="Applies when the allocation has no Product at all (generic); an allocation "
    "with a category but no code is TR412's.",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct/Omvang",
)
def tr375(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    for p, a in _changes(v, ctx):
        if p.Omvang is not None and a.product_categorie is None and _runs_past_2020(p, a):
            yield at(p, "Omvang"), "Omvang must be empty: the allocation has no Product"


@rule(
    "TR411",
    ["WMO317"],
    "9411",
    "Omvang is required when the allocation has a product Code",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct/Omvang",
)
def tr411(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    for p, a in _changes(v, ctx):
        if p.Omvang is None and a.product_code is not None:
            yield at(p), "Omvang is required: the allocation has a product Code"


@rule(
    "TR412",
    ["WMO317"],
    "9412",
    "no Omvang when the allocation's Product has no Code and runs past 2020",
    scope="administration",
    level="line",
    covers="TeWijzigenProduct/Omvang",
)
def tr412(msg: Any, v: m.Verzoek, ctx: Context) -> Iterator[Violation]:
    for p, a in _changes(v, ctx):
        if (
            p.Omvang is not None
            and a.product_categorie is not None
            and a.product_code is None
            and _runs_past_2020(p, a)
        ):
            yield at(p, "Omvang"), "Omvang must be empty: the allocation's Product has no Code"


# --- answers (319) ------------------------------------------------------------------------


@rule(
    "TR355",
    ["WMO319"],
    "9355",
    "an answer refers to an earlier request",
    scope="administration",
    level="line",
    covers="Antwoord/ReferentieAanbieder",
)
def tr355(msg: Any, a: m.Antwoord, ctx: Context) -> Iterator[Violation]:
    v = ctx.verzoek(a.ReferentieAanbieder)
    if v is None or v.municipality_code != ctx.municipality_code:
        yield (
            at(a, "ReferentieAanbieder"),
            (
                f"no request with ReferentieAanbieder {a.ReferentieAanbieder} was sent to this "
                "municipality by this provider"
            ),
        )


@rule(
    "TR359",
    ["WMO319"],
    "9359",
    "no answer after the request was granted with a 301",
    scope="administration",
    level="line",
    covers="Antwoord/ReferentieAanbieder",
)
def tr359(msg: Any, a: m.Antwoord, ctx: Context) -> Iterator[Violation]:
    v = ctx.verzoek(a.ReferentieAanbieder)
    if v is not None and v.status == "toegewezen":
        yield at(a, "ReferentieAanbieder"), "this request was already granted by an allocation"


@rule(
    "TR360",
    ["WMO319"],
    "9360",
    "'under review' (2) is only the first answer to a request",
    scope="administration",
    level="line",
    covers="Antwoord/VerzoekAntwoord",
)
def tr360(msg: Any, a: m.Antwoord, ctx: Context) -> Iterator[Violation]:
    v = ctx.verzoek(a.ReferentieAanbieder)
    if v is not None and a.VerzoekAntwoord == "2" and ctx.antwoorden(v.id):
        yield at(a, "VerzoekAntwoord"), "this request was already answered"


@rule(
    "TR365",
    ["WMO319"],
    "9365",
    "after a rejection no further answer follows",
    scope="administration",
    level="line",
    covers="Antwoord/ReferentieAanbieder",
)
def tr365(msg: Any, a: m.Antwoord, ctx: Context) -> Iterator[Violation]:
    v = ctx.verzoek(a.ReferentieAanbieder)
    if v is not None and any(x.verzoek_antwoord != "2" for x in ctx.antwoorden(v.id)):
        yield at(a, "ReferentieAanbieder"), "this request was already rejected"
