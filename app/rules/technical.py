"""Technical rules (TR) that the receiver checks within one message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from app.rules.overlap import care_of, clashes
from app.rules.registry import Index, Violation, at, collapsed, dagtekening, rule
from app.standard import messages as m

_OK_CODES = {"0200", "8001"}


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


@rule(
    "TR002",
    ["WMO301", "WMO305", "WMO307", "WMO315"],
    "0001",
    "a birth date lies at most 120 years before the Dagtekening, unless unknown",
    decision="Applies to every Geboortedatum in the message, the client's and the relations'. "
    "Unknown is DatumGebruik 3 with Datum 1900-01-01. The date 120 years on is compared "
    "as year, month and day, so a 29 February that year lacks still counts.",
    covers="Geboortedatum/Datum, Geboortedatum/DatumGebruik (client and relations); Dagtekening",
)
def tr002(msg: Any, ix: Index) -> Iterator[Violation]:
    day = dagtekening(msg)
    limit = (day.year, day.month, day.day)
    for g in ix.all(m.Geboortedatum):
        unknown = g.DatumGebruik == "3" and g.Datum == date(1900, 1, 1)
        if not unknown and (g.Datum.year + 120, g.Datum.month, g.Datum.day) < limit:
            yield at(g, "Datum"), "Geboortedatum lies more than 120 years before the Dagtekening"


@rule(
    "TR006",
    ["WMO301"],
    "0001",
    "a Contact has a Telefoon, or an Adres with Huis and Postcode",
    decision="Applies to the client's contacts and to each relation's contact.",
    covers="Contact/Telefoon, Contact/Adres/Huis, Contact/Adres/Postcode (client and relations)",
)
def tr006(msg: Any, ix: Index) -> Iterator[Violation]:
    for c in ix.all(m.Contact):
        address = c.Adres is not None and c.Adres.Huis is not None and c.Adres.Postcode is not None
        if c.Telefoon is None and not address:
            yield at(c), "Contact needs a Telefoon, or an Adres with Huis and Postcode"


@rule(
    "TR018",
    ["WMO307"],
    "0001",
    "a stop's Einddatum is on or after its Begindatum",
    covers="StopProduct/Einddatum, StopProduct/Begindatum",
)
def tr018(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.StopProduct):
        if p.Einddatum < p.Begindatum:
            yield at(p, "Einddatum"), f"Einddatum {p.Einddatum} is before Begindatum {p.Begindatum}"


@rule(
    "TR061",
    ["WMO301"],
    "0001",
    "the client has an address of Soort 01 (BRP), 02 (correspondence) or 03 (residence)",
    decision="As the published validation reads it: a Contact of Soort 01, 02 or 03 is "
    "enough, whether it holds an Adres or only a telephone number.",
    covers="Client/Contactgegevens/Contact/Soort",
)
def tr061(msg: Any, ix: Index) -> Iterator[Violation]:
    client = msg.Client
    if not any(c.Soort in ("01", "02", "03") for c in client.Contactgegevens):
        yield (
            at(client, "Contactgegevens"),
            "the client needs a Contact of Soort 01, 02 or 03 (BRP, correspondence, residence)",
        )


# Logical keys per message class, from the key elements in the published condition table.
_KEYS: dict[type, Callable[[Any], tuple[object, ...]]] = {
    m.ToewijzingClient: lambda c: (c.Bsn,),
    m.StartClient: lambda c: (c.Bsn,),
    m.StopClient: lambda c: (c.Bsn,),
    m.AanvraagClient: lambda c: (c.Bsn,),
    m.VerzoekClient: lambda c: (c.Bsn,),
    m.DeclaratieClient: lambda c: (c.Bsn,),
    m.Relatie: lambda r: (r.Nummer,),
    m.ToegewezenProduct: lambda p: (p.ToewijzingNummer,),
    m.StartProduct: lambda p: (p.ToewijzingNummer, *_product(p.Product), p.Begindatum),
    m.StopProduct: lambda p: (
        p.ToewijzingNummer,
        *_product(p.Product),
        p.Begindatum,
        p.RedenBeeindiging,
        p.Einddatum,
    ),
    m.AangevraagdProduct: lambda p: (p.ReferentieAanbieder,),
    m.OngewijzigdProduct: lambda p: (p.ToewijzingNummer,),
    m.TeWijzigenProduct: lambda p: (p.ToewijzingNummer,),
    m.NieuwProduct: lambda p: (*_product(p.Product), p.GewensteIngangsdatum),
    m.Prestatie: lambda p: (
        p.ProductReferentie.ReferentieNummer,
        p.ProductReferentie.VorigReferentieNummer,
    ),
}


def _product(product: m.Product | None) -> tuple[str | None, str | None]:
    return (product.Categorie, product.Code) if product is not None else (None, None)


@rule(
    "TR101",
    ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO323", "WMO325"],
    "0001",
    "no duplicate lines: each class's logical key is unique under its parent",
    decision="Keys are the key elements of the published condition table: Bsn for a client, "
    "Nummer for a relation, ToewijzingNummer for allocated, unchanged and changed "
    "products, ToewijzingNummer+Product+Begindatum for a start (plus "
    "RedenBeeindiging+Einddatum for a stop), ReferentieAanbieder for a requested "
    "product, Product+GewensteIngangsdatum for a new product, and "
    "ReferentieNummer+VorigReferentieNummer for a performance. The client's contacts "
    "are keyed by Soort. Lines with one key are reported once, at the last of them.",
    covers=(
        "the lines of Client, Relatie, Contact, ToegewezenProduct, StartProduct, StopProduct, "
        "AangevraagdProduct, OngewijzigdProduct, TeWijzigenProduct, NieuwProduct, Prestatie by "
        "their keys"
    ),
)
def tr101(msg: Any, ix: Index) -> Iterator[Violation]:
    for cls, key in _KEYS.items():
        found = ix.all(cls)
        if len(found) < 2:
            continue  # one line cannot repeat itself
        groups: dict[tuple[object, ...], list[Any]] = {}
        for obj in found:
            parent = at(obj).rsplit("/", 2)[0]  # the container's owner
            groups.setdefault((parent, *key(obj)), []).append(obj)
        for same in groups.values():
            if len(same) > 1:
                yield at(same[-1]), _duplicate(cls.__iwmo_xsd_name__, same)  # type: ignore[attr-defined]
    if isinstance(msg, m.WMO301):
        by_soort: dict[str, list[Any]] = {}
        for c in msg.Client.Contactgegevens:
            by_soort.setdefault(c.Soort, []).append(c)
        for same in by_soort.values():
            if len(same) > 1:
                yield at(same[-1]), _duplicate(f"Contact of Soort {same[0].Soort}", same)


def _duplicate(what: str, same: list[Any]) -> str:
    others = ", ".join(at(o).rsplit("/", 1)[-1] for o in same[:-1])
    return f"duplicate {what}: same key as {others}"


def _not_after(msg: Any, obj: Any, name: str) -> Iterator[Violation]:
    # Dates here may be birth dates: described by where they are, never by their value.
    if getattr(obj, name) > dagtekening(msg):
        yield at(obj, name), f"{name} lies after the Dagtekening of the message"


@rule(
    "TR134",
    ["WMO301", "WMO305", "WMO307", "WMO315", "WMO323", "WMO325"],
    "0001",
    "a date that records the past is not after the message's Dagtekening",
    decision="The dates the published validation checks: Geboortedatum of the client (and of "
    "relations in a 301), Toewijzingsdatum (301), a start's Begindatum (305), a stop's "
    "Einddatum (307), the Begindatum of DeclaratiePeriode (323) and of each ProductPeriode "
    "(323, 325). DeclaratieDagtekening is not among them.",
    covers=(
        "Geboortedatum/Datum (client; relations in 301), ToegewezenProduct/Toewijzingsdatum (301),"
        " StartProduct/Begindatum (305), StopProduct/Einddatum (307), DeclaratiePeriode/Begindatum"
        " (323), ProductPeriode/Begindatum (323, 325); Dagtekening"
    ),
)
def tr134(msg: Any, ix: Index) -> Iterator[Violation]:
    for g in ix.all(m.Geboortedatum):
        yield from _not_after(msg, g, "Datum")
    for p in ix.all(m.ToegewezenProduct):
        yield from _not_after(msg, p, "Toewijzingsdatum")
    for start in ix.all(m.StartProduct):
        yield from _not_after(msg, start, "Begindatum")
    for stop in ix.all(m.StopProduct):
        yield from _not_after(msg, stop, "Einddatum")
    if isinstance(msg, m.WMO323):
        yield from _not_after(msg, msg.Declaratie.DeclaratiePeriode, "Begindatum")
    for p in ix.all(m.Prestatie):
        yield from _not_after(msg, p.ProductPeriode, "Begindatum")


@rule(
    "TR137",
    ["WMO323", "WMO325"],
    "0001",
    "a period ends on or after its start and not after the Dagtekening",
    decision="Applies to each ProductPeriode and to the DeclaratiePeriode: care is declared "
    "once delivered. Both conditions are checked, each on its own.",
    covers=(
        "DeclaratiePeriode (323) and ProductPeriode (323, 325): Begindatum, Einddatum; Dagtekening"
    ),
)
def tr137(msg: Any, ix: Index) -> Iterator[Violation]:
    periods = [p.ProductPeriode for p in ix.all(m.Prestatie)]
    if isinstance(msg, m.WMO323):
        periods.insert(0, msg.Declaratie.DeclaratiePeriode)
    for period in periods:
        if period.Einddatum < period.Begindatum:
            yield (
                at(period, "Einddatum"),
                f"Einddatum {period.Einddatum} is before Begindatum {period.Begindatum}",
            )
        yield from _not_after(msg, period, "Einddatum")


def _overlapping(
    items: list[Any],
    period: Callable[[Any], tuple[date, date | None]],
    product: Callable[[Any], m.Product | None],
    what: str,
) -> Iterator[Violation]:
    lines = [(period(item), care_of(product(item))) for item in items]
    for later, earlier in clashes(lines):
        name = at(items[earlier]).rsplit("/", 1)[-1]
        yield at(items[later]), f"{what} overlaps {name} for the same product"


_OVERLAP_DECISION = (
    "Two lines clash when their periods share a day (an open end runs forever) and they are "
    "the same product: same Categorie and Code, or same Categorie when either lacks a Code. "
    "A line without Product clashes with everything except categories 11-14, which never "
    "clash. The later line is reported, once, naming of the earlier lines it clashes with "
    "the one that ends last."
)


@rule(
    "TR302",
    ["WMO301"],
    "0001",
    "an allocated product occurs more than once only in periods that do not overlap",
    decision=_OVERLAP_DECISION + " Deleted allocations (Einddatum equal to Ingangsdatum with "
    "RedenWijziging 13 or 01) do not count.",
    covers="ToegewezenProduct/Product, Ingangsdatum, Einddatum, RedenWijziging",
)
def tr302(msg: Any, ix: Index) -> Iterator[Violation]:
    current = [
        p
        for p in ix.all(m.ToegewezenProduct)
        if not (p.Einddatum == p.Ingangsdatum and p.RedenWijziging in ("13", "01"))
    ]
    return _overlapping(
        current, lambda p: (p.Ingangsdatum, p.Einddatum), lambda p: p.Product, "ToegewezenProduct"
    )


@rule(
    "TR386",
    ["WMO315"],
    "0001",
    "a requested product occurs more than once only in periods that do not overlap",
    decision=_OVERLAP_DECISION,
    covers="AangevraagdProduct/Product, ToewijzingIngangsdatum, ToewijzingEinddatum",
)
def tr386(msg: Any, ix: Index) -> Iterator[Violation]:
    return _overlapping(
        ix.all(m.AangevraagdProduct),
        lambda p: (p.ToewijzingIngangsdatum, p.ToewijzingEinddatum),
        lambda p: p.Product,
        "AangevraagdProduct",
    )


@rule(
    "TR410",
    ["WMO317"],
    "0001",
    "a new product occurs more than once only in periods that do not overlap",
    decision=_OVERLAP_DECISION,
    covers="NieuwProduct/Product, GewensteIngangsdatum, Einddatum",
)
def tr410(msg: Any, ix: Index) -> Iterator[Violation]:
    return _overlapping(
        ix.all(m.NieuwProduct),
        lambda p: (p.GewensteIngangsdatum, p.Einddatum),
        lambda p: p.Product,
        "NieuwProduct",
    )


@rule(
    "TR315",
    ["WMO323"],
    "0001",
    "each VorigReferentieNummer occurs once in the message",
    decision="A later VorigReferentieNummer repeats an earlier one when, with its spaces "
    "collapsed, it equals the earlier one as written: the published validation's comparison.",
    covers="Prestatie/ProductReferentie/VorigReferentieNummer",
)
def tr315(msg: Any, ix: Index) -> Iterator[Violation]:
    earlier: set[str] = set()
    for p in ix.all(m.Prestatie):
        vorige = p.ProductReferentie.VorigReferentieNummer
        if vorige is None:
            continue
        if collapsed(vorige) in earlier:
            yield (
                at(p.ProductReferentie, "VorigReferentieNummer"),
                "this VorigReferentieNummer is credited twice in this message",
            )
        earlier.add(vorige)


@rule(
    "TR316",
    ["WMO323"],
    "0001",
    "a debit line is not credited in the same message",
    decision="Whichever comes first, the credit or its debit; a line whose "
    "VorigReferentieNummer is its own ReferentieNummer credits itself. Values compare as in "
    "TR315. Reported at the credit's VorigReferentieNummer.",
    covers="Prestatie/ProductReferentie/ReferentieNummer, VorigReferentieNummer",
)
def tr316(msg: Any, ix: Index) -> Iterator[Violation]:
    found: dict[str, str] = {}
    numbers: set[str] = set()
    credits: dict[str, list[Any]] = {}  # earlier VorigReferentieNummer as written -> lines
    for p in ix.all(m.Prestatie):
        ref = p.ProductReferentie
        nummer, vorige = collapsed(ref.ReferentieNummer), collapsed(ref.VorigReferentieNummer)
        where = at(
            ref, "VorigReferentieNummer" if ref.VorigReferentieNummer else "ReferentieNummer"
        )
        if vorige in numbers or nummer == vorige:
            found.setdefault(where, "this line credits a line of this same message")
        for credit in credits.get(nummer, ()):
            found.setdefault(
                at(credit, "VorigReferentieNummer"), "this line is credited in this same message"
            )
        numbers.add(ref.ReferentieNummer)
        if ref.VorigReferentieNummer is not None:
            credits.setdefault(ref.VorigReferentieNummer, []).append(ref)
    yield from found.items()


@rule(
    "TR319",
    ["WMO323"],
    "9319",
    "performances lie within the current or an earlier declaration period",
    decision="Checked within the message: neither date of a ProductPeriode may lie after "
    "the DeclaratiePeriode's end. Its code is its own, not 0001: it refuses the "
    "performance, and the declaration's other lines are judged as usual (IV087).",
    covers="ProductPeriode/Begindatum, ProductPeriode/Einddatum, DeclaratiePeriode/Einddatum",
)
def tr319(msg: Any, ix: Index) -> Iterator[Violation]:
    end = msg.Declaratie.DeclaratiePeriode.Einddatum
    for p in ix.all(m.Prestatie):
        for name in ("Begindatum", "Einddatum"):
            if getattr(p.ProductPeriode, name) > end:
                yield (
                    at(p.ProductPeriode, name),
                    f"{name} lies after the declaration period ({end})",
                )


@rule(
    "TR335",
    ["WMO323"],
    "0001",
    "a performance ends at most 5 years before the DeclaratieDagtekening",
    covers="ProductPeriode/Einddatum, Declaratie/DeclaratieDagtekening",
)
def tr335(msg: Any, ix: Index) -> Iterator[Violation]:
    limit = years_before(msg.Declaratie.DeclaratieDagtekening, 5)
    for p in ix.all(m.Prestatie):
        if p.ProductPeriode.Einddatum < limit:
            yield (
                at(p.ProductPeriode, "Einddatum"),
                ("ProductPeriode ended more than 5 years before the DeclaratieDagtekening"),
            )


@rule(
    "TR342",
    ["WMO325"],
    "0001",
    "a declaration answer lists only rejected lines, and they explain the difference",
    decision="As the published validation checks it: when the answer as a whole is rejected "
    "(a code other than 0200 and 8001 on DeclaratieAntwoord) TotaalToegekendBedrag is 0; "
    "otherwise the listed lines add up (debit plus, credit minus) to TotaalIngediendBedrag "
    "minus TotaalToegekendBedrag. Every listed line counts as rejected, whatever its codes "
    "(IV087: granted lines are not listed), so the totals must account for it.",
    covers=(
        "DeclaratieAntwoord/TotaalIngediendBedrag, TotaalToegekendBedrag, RetourCodes; listed "
        "Prestatie/IngediendBedrag"
    ),
)
def tr342(msg: Any, ix: Index) -> Iterator[Violation]:
    a = msg.DeclaratieAntwoord
    if a is None:
        return
    if set(a.RetourCodes) - _OK_CODES:
        if a.TotaalToegekendBedrag.TotaalBedrag != 0:
            yield (
                at(a, "TotaalToegekendBedrag"),
                "TotaalToegekendBedrag must be 0 when the declaration is rejected as a whole",
            )
        return
    rejected = sum(p.IngediendBedrag.signed for p in ix.all(m.Prestatie))
    difference = a.TotaalIngediendBedrag.signed - a.TotaalToegekendBedrag.signed
    if rejected != difference:
        yield (
            at(a, "TotaalToegekendBedrag"),
            (
                f"the listed lines add up to {rejected} cents, but submitted minus granted is "
                f"{difference} cents"
            ),
        )


@rule(
    "TR352",
    ["WMO317"],
    "0001",
    "a change request holds at least one unchanged or one changed product",
    covers="Verzoek/OngewijzigdeProducten, Verzoek/TeWijzigenProducten",
)
def tr352(msg: Any, ix: Index) -> Iterator[Violation]:
    v = msg.Client.Verzoek
    if not v.OngewijzigdeProducten and not v.TeWijzigenProducten:
        yield at(v), "the request must list the current allocations as unchanged or to change"


@rule(
    "TR353",
    ["WMO317"],
    "0001",
    "a change request holds at least one changed or one new product",
    covers="Verzoek/TeWijzigenProducten, Verzoek/NieuweProducten",
)
def tr353(msg: Any, ix: Index) -> Iterator[Violation]:
    v = msg.Client.Verzoek
    if not v.TeWijzigenProducten and not v.NieuweProducten:
        yield at(v), "the request changes nothing: add a product to change or a new product"


@rule(
    "TR358",
    ["WMO323"],
    "0001",
    "TotaalIngediendBedrag is the sum of the lines (debit - credit)",
    covers="Declaratie/TotaalIngediendBedrag, Prestatie/IngediendBedrag",
)
def tr358(msg: Any, ix: Index) -> Iterator[Violation]:
    total = msg.Declaratie.TotaalIngediendBedrag
    lines = sum(p.IngediendBedrag.signed for p in ix.all(m.Prestatie))
    if total.signed != lines:
        yield (
            at(total, "TotaalBedrag"),
            f"TotaalIngediendBedrag is {total.signed} cents; the lines add up to {lines}",
        )


@rule(
    "TR380",
    ["WMO317"],
    "0001",
    "a new product's GewensteIngangsdatum lies after the Dagtekening",
    decision="Applies to NieuwProduct only: a product to change may keep its original start "
    "in the past (TR357 covers that case).",
    covers="NieuwProduct/GewensteIngangsdatum; Dagtekening",
)
def tr380(msg: Any, ix: Index) -> Iterator[Violation]:
    day = dagtekening(msg)
    for n in ix.all(m.NieuwProduct):
        if n.GewensteIngangsdatum <= day:
            yield (
                at(n, "GewensteIngangsdatum"),
                (
                    f"GewensteIngangsdatum {n.GewensteIngangsdatum} is not after the "
                    f"Dagtekening {day}"
                ),
            )


@rule(
    "TR383",
    ["WMO315"],
    "0001",
    "each requested product has its own ReferentieAanbieder",
    decision="Reported where the published validation reports it: at each "
    "ReferentieAanbieder that a later product uses again (values compare as in TR315).",
    covers="AangevraagdProduct/ReferentieAanbieder",
)
def tr383(msg: Any, ix: Index) -> Iterator[Violation]:
    found: list[Violation] = []
    later: set[str] = set()  # the references of the products after this one
    for p in reversed(ix.all(m.AangevraagdProduct)):
        if p.ReferentieAanbieder in later:
            found.append(
                (at(p, "ReferentieAanbieder"), "ReferentieAanbieder is used again in this request")
            )
        later.add(collapsed(p.ReferentieAanbieder))
    yield from reversed(found)


@rule(
    "TR416",
    ["WMO323"],
    "0001",
    "one debit line per allocation, product and product period",
    decision="As the published validation checks it: among the performances of one client.",
    covers=(
        "Prestatie/ToewijzingNummer, ProductCategorie, ProductCode, ProductPeriode, "
        "IngediendBedrag/DebetCredit"
    ),
)
def tr416(msg: Any, ix: Index) -> Iterator[Violation]:
    for client in msg.Declaratie.Clienten:
        seen: set[tuple[object, ...]] = set()
        for p in client.Prestaties:
            if p.IngediendBedrag.DebetCredit != "D":
                continue
            key = (
                p.ToewijzingNummer,
                p.ProductCategorie,
                p.ProductCode,
                p.ProductPeriode.Begindatum,
                p.ProductPeriode.Einddatum,
            )
            if key in seen:
                yield at(p), "a second debit line for the same allocation, product and period"
            seen.add(key)
