"""Constraints (CS): limits on the values of elements, checked within one message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from app.rules.registry import Index, Violation, at, rule
from app.standard import messages as m

_FIRST_DECLARATION_DAY = date(2021, 1, 1)
_CUT_OFF = date(2020, 12, 31)
_DUTCH_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Za-z]{2}")
_CLIENTS = (
    m.ToewijzingClient,
    m.StartClient,
    m.StopClient,
    m.AanvraagClient,
    m.VerzoekClient,
    m.DeclaratieClient,
)


def elfproef(bsn: str) -> bool:
    """The BSN eleven test: weights 9..2 on the first eight digits, -1 on the last."""
    if len(bsn) != 9 or not bsn.isdigit():
        return False
    d = [int(c) for c in bsn]
    total = 9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7]
    return (total - d[8]) % 11 == 0


@rule(
    "CS002",
    ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO323", "WMO325"],
    "0001",
    "the BSN passes the eleven test",
    covers="every Bsn (Client)",
)
def cs002(msg: Any, ix: Index) -> Iterator[Violation]:
    for client in ix.all(*_CLIENTS):
        if not elfproef(client.Bsn):
            yield at(client, "Bsn"), "Bsn does not pass the eleven test (11-proef)"


@rule(
    "CS003",
    ["WMO301", "WMO315", "WMO317"],
    "0001",
    "an end date is on or after the start of its period",
    covers=(
        "Einddatum against Ingangsdatum (ToegewezenProduct), against GewensteIngangsdatum "
        "(TeWijzigenProduct, NieuwProduct); ToewijzingEinddatum against ToewijzingIngangsdatum "
        "(AangevraagdProduct); Contact/Periode Einddatum against Begindatum"
    ),
)
def cs003(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.ToegewezenProduct):
        if p.Einddatum is not None and p.Einddatum < p.Ingangsdatum:
            yield (
                at(p, "Einddatum"),
                (f"Einddatum {p.Einddatum} is before Ingangsdatum {p.Ingangsdatum}"),
            )
    for a in ix.all(m.AangevraagdProduct):
        if a.ToewijzingEinddatum is not None and a.ToewijzingEinddatum < a.ToewijzingIngangsdatum:
            yield (
                at(a, "ToewijzingEinddatum"),
                (
                    f"ToewijzingEinddatum {a.ToewijzingEinddatum} is before ToewijzingIngangsdatum "
                    f"{a.ToewijzingIngangsdatum}"
                ),
            )
    for n in ix.all(m.NieuwProduct, m.TeWijzigenProduct):
        if n.Einddatum is not None and n.Einddatum < n.GewensteIngangsdatum:
            yield (
                at(n, "Einddatum"),
                (
                    f"Einddatum {n.Einddatum} is before GewensteIngangsdatum "
                    f"{n.GewensteIngangsdatum}"
                ),
            )
    for c in ix.all(m.Contact):
        period = c.Periode
        if period is None or period.Einddatum is None:
            continue
        if period.Begindatum is None:
            yield at(period, "Einddatum"), "an address period with an Einddatum needs a Begindatum"
        elif period.Einddatum < period.Begindatum:
            yield (
                at(period, "Einddatum"),
                "Einddatum of the address period is before its Begindatum",
            )


@rule(
    "CS050",
    ["WMO301"],
    "0001",
    "NaamGebruik is 1-4 with a Partnernaam, otherwise 1",
    decision="As the published validation reads it: without a Partnernaam only 1 (own "
    "name) is accepted, for the client and for relations alike; the rule text's 6 (not a "
    "natural person) is refused, which also covers CS318 (the client is never 6).",
    covers="Naam/NaamGebruik, Naam/Partnernaam (client and relations)",
)
def cs050(msg: Any, ix: Index) -> Iterator[Violation]:
    for naam in ix.all(m.VolledigeNaam):
        if naam.Partnernaam is not None and naam.NaamGebruik not in ("1", "2", "3", "4"):
            yield (
                at(naam, "NaamGebruik"),
                f"NaamGebruik {naam.NaamGebruik} is not allowed with a Partnernaam (use 1-4)",
            )
        elif naam.Partnernaam is None and naam.NaamGebruik != "1":
            yield (
                at(naam, "NaamGebruik"),
                f"NaamGebruik {naam.NaamGebruik} needs a Partnernaam (without one use 1)",
            )


@rule(
    "CS058",
    ["WMO305", "WMO307"],
    "0001",
    "StatusAanlevering is 1 (first) or 3 (delete)",
    covers="StartProduct/StatusAanlevering, StopProduct/StatusAanlevering",
)
def cs058(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.StartProduct, m.StopProduct):
        if p.StatusAanlevering not in ("1", "3"):
            yield (
                at(p, "StatusAanlevering"),
                (
                    f"StatusAanlevering {p.StatusAanlevering} is not allowed; "
                    "use 1 (first delivery) "
                    "or 3 (delete)"
                ),
            )


@rule(
    "CS089",
    ["WMO301"],
    "0001",
    "a Dutch address (LandCode NL) has a Dutch postcode",
    decision="A Dutch postcode is four digits, the first not 0, then two letters, without a "
    "space (1234AB; lower case accepted, as the published validation does); LandCode NL "
    "without a Postcode has none.",
    covers="Adres/LandCode, Adres/Postcode",
)
def cs089(msg: Any, ix: Index) -> Iterator[Violation]:
    for adres in ix.all(m.Adres):
        if adres.LandCode != "NL":
            continue
        if adres.Postcode is None:
            yield at(adres, "LandCode"), "an address in the Netherlands needs a Postcode"
        elif not _DUTCH_POSTCODE.fullmatch(adres.Postcode):
            yield at(adres, "Postcode"), "Postcode is not a Dutch postcode (1234AB) for LandCode NL"


@rule(
    "CS100",
    ["WMO323"],
    "0001",
    "declaration and product periods start in 2021 or later",
    decision="The Begindatum of DeclaratiePeriode and of each ProductPeriode; an end date "
    "before 2021 comes with a start before it, or TR137 refuses the period.",
    covers="DeclaratiePeriode/Begindatum, ProductPeriode/Begindatum",
)
def cs100(msg: Any, ix: Index) -> Iterator[Violation]:
    periods = [msg.Declaratie.DeclaratiePeriode, *(p.ProductPeriode for p in ix.all(m.Prestatie))]
    for period in periods:
        if period.Begindatum < _FIRST_DECLARATION_DAY:
            yield at(period, "Begindatum"), f"Begindatum {period.Begindatum} is before 2021-01-01"


@rule(
    "CS139",
    ["WMO301", "WMO305", "WMO307", "WMO315"],
    "0001",
    "a birth date agrees with its DatumGebruik",
    decision="DatumGebruik 1 (day unknown) needs day 01; 2 (day and month unknown) needs "
    "01-01; 3 (date unknown) needs 1900-01-01.",
    covers="Geboortedatum/Datum, Geboortedatum/DatumGebruik (client and relations)",
)
def cs139(msg: Any, ix: Index) -> Iterator[Violation]:
    for g in ix.all(m.Geboortedatum):
        d, use = g.Datum, g.DatumGebruik
        if (
            (use == "1" and d.day != 1)
            or (use == "2" and (d.day, d.month) != (1, 1))
            or (use == "3" and d != date(1900, 1, 1))
        ):
            yield at(g, "Datum"), f"Datum does not agree with DatumGebruik {use}"


@rule(
    "CS325",
    ["WMO323", "WMO325"],
    "0001",
    "an amount of 0 is written as debit (D)",
    covers=(
        "TotaalBedrag or Bedrag with DebetCredit of TotaalIngediendBedrag, IngediendBedrag, "
        "TotaalToegekendBedrag"
    ),
)
def cs325(msg: Any, ix: Index) -> Iterator[Violation]:
    for amount in ix.all(m.BedragMetDC, m.TotaalBedragMetDC):
        value = amount.Bedrag if isinstance(amount, m.BedragMetDC) else amount.TotaalBedrag
        if value == 0 and amount.DebetCredit != "D":
            yield at(amount, "DebetCredit"), "an amount of 0 must have DebetCredit D"


@rule(
    "CS335",
    ["WMO301"],
    "0001",
    "RedenWijziging 13 (deleted) only when Einddatum equals Ingangsdatum",
    decision="Judged when the allocation has an Einddatum, as the published validation "
    "does: without one there is no end to compare.",
    covers="ToegewezenProduct/RedenWijziging, Ingangsdatum, Einddatum",
)
def cs335(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.ToegewezenProduct):
        if p.RedenWijziging == "13" and p.Einddatum is not None and p.Einddatum != p.Ingangsdatum:
            yield (
                at(p, "Einddatum"),
                "RedenWijziging 13 (deleted) requires Einddatum equal to Ingangsdatum",
            )


@rule(
    "CS336",
    ["WMO301"],
    "0001",
    "RedenWijziging 01 (withdrawn code) is not used",
    covers="ToegewezenProduct/RedenWijziging",
)
def cs336(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.ToegewezenProduct):
        if p.RedenWijziging == "01":
            yield at(p, "RedenWijziging"), "RedenWijziging 01 may no longer be used"


@rule(
    "CS337",
    ["WMO323"],
    "0001",
    "a product period lies within one calendar month",
    covers="Prestatie/ProductPeriode/Begindatum, Einddatum",
)
def cs337(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.Prestatie):
        begin, end = p.ProductPeriode.Begindatum, p.ProductPeriode.Einddatum
        if (begin.year, begin.month) != (end.year, end.month):
            yield (
                at(p.ProductPeriode, "Einddatum"),
                ("ProductPeriode must end in the same calendar month as it begins"),
            )


def _frequency_for_unit(p: Any, end: date | None) -> Iterator[Violation]:
    o = p.Omvang
    if (
        o is not None
        and o.Eenheid in ("14", "16", "83", "84")
        and (end is None or end > _CUT_OFF)
        and o.Frequentie not in ("2", "4", "6")
    ):
        yield (
            at(o, "Frequentie"),
            (f"Frequentie {o.Frequentie} is not allowed for Eenheid {o.Eenheid}; use 2, 4 or 6"),
        )


@rule(
    "CS338",
    ["WMO301", "WMO317"],
    "0001",
    "Eenheid 14, 16, 83 or 84 after 2020 goes with Frequentie 2, 4 or 6",
    covers=(
        "Omvang/Eenheid, Omvang/Frequentie and Einddatum of ToegewezenProduct, TeWijzigenProduct, "
        "NieuwProduct"
    ),
)
def cs338(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.ToegewezenProduct, m.NieuwProduct, m.TeWijzigenProduct):
        yield from _frequency_for_unit(p, p.Einddatum)


@rule(
    "CS343",
    ["WMO315"],
    "0001",
    "Eenheid 14, 16, 83 or 84 after 2020 goes with Frequentie 2, 4 or 6 (request)",
    covers="AangevraagdProduct/Omvang/Eenheid, Omvang/Frequentie, ToewijzingEinddatum",
)
def cs343(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.AangevraagdProduct):
        yield from _frequency_for_unit(p, p.ToewijzingEinddatum)


@rule(
    "CS339",
    ["WMO323"],
    "0001",
    "with Eenheid 83 (euros) the amount equals the volume",
    covers="Prestatie/Eenheid, Prestatie/GeleverdVolume, Prestatie/IngediendBedrag/Bedrag",
)
def cs339(msg: Any, ix: Index) -> Iterator[Violation]:
    for p in ix.all(m.Prestatie):
        if p.Eenheid == "83" and p.IngediendBedrag.Bedrag != p.GeleverdVolume:
            yield (
                at(p.IngediendBedrag, "Bedrag"),
                "with Eenheid 83 (euros) IngediendBedrag must equal GeleverdVolume",
            )


@rule(
    "CS340",
    ["WMO323"],
    "0001",
    "the declaration period is exactly one calendar month",
    decision="Two checks, as the published validation makes them: the Begindatum is a 1st, "
    "and the day after the Einddatum is one month after the Begindatum (a day past the "
    "month's end carried into the next month).",
    covers="DeclaratiePeriode/Begindatum, DeclaratiePeriode/Einddatum",
)
def cs340(msg: Any, ix: Index) -> Iterator[Violation]:
    period = msg.Declaratie.DeclaratiePeriode
    begin, end = period.Begindatum, period.Einddatum
    if begin.day != 1:
        yield at(period, "Begindatum"), "DeclaratiePeriode must begin on the 1st of a month"
    if end + timedelta(days=1) != month_later(begin):
        yield (
            at(period, "Einddatum"),
            "DeclaratiePeriode must end on the last day of the month it begins in",
        )


def month_later(day: date) -> date:
    """The same day a month later; days past that month's end run on into the next."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, 1) + timedelta(days=day.day - 1)
