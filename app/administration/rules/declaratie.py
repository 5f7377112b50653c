"""Rules on declarations (WMO323) and declaration answers (WMO325) against the
administration. Declaration lines are judged one by one: a line can be refused while the
others are granted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.administration import records as rec
from app.administration import volumes
from app.administration.context import Context
from app.rules.registry import Violation, at, rule
from app.standard import messages as m


def _allocation(line: m.Prestatie, ctx: Context) -> rec.Allocation | None:
    """The allocation a line declares on, when it is this provider's."""
    a = ctx.allocation(line.ToewijzingNummer)
    return a if a is not None and a.provider_code == ctx.provider_code else None


# --- the declaration as a whole -------------------------------------------------------------


@rule(
    "TR333",
    ["WMO323"],
    "9333",
    "a DeclaratieNummer is used once by a provider",
    scope="administration",
    level="message",
    covers="Declaratie/DeclaratieNummer",
)
def tr333(msg: m.WMO323, ctx: Context) -> Iterator[Violation]:
    d = msg.Declaratie
    if ctx.declaratie(d.DeclaratieNummer) is not None:
        yield at(d, "DeclaratieNummer"), f"DeclaratieNummer {d.DeclaratieNummer} was used before"


@rule(
    "TR318",
    ["WMO323"],
    "8214",
    "declaration periods follow each other month by month while care is delivered",
    decision="Following IV090: a declaration period may not lie before the provider's "
    "latest one to this municipality; a second declaration for that same period is allowed, "
    "and so are months skipped. Care from a skipped month may be declared later ('achteraf'), "
    "so lines are not checked against skipped months: whether care was delivered is not "
    "something the receiver can know.",
    scope="administration",
    level="message",
    covers="Declaratie/DeclaratiePeriode",
)
def tr318(msg: m.WMO323, ctx: Context) -> Iterator[Violation]:
    d = msg.Declaratie
    last = ctx.last_declaratie()
    if last is None:
        return
    if d.DeclaratiePeriode.Begindatum < last.periode_begin:
        yield (
            at(d, "DeclaratiePeriode"),
            (
                f"a declaration for {last.periode_begin:%Y-%m} was sent already; a later one "
                "may not go back to an earlier period"
            ),
        )


# --- each line --------------------------------------------------------------------------------


@rule(
    "TR338",
    ["WMO323"],
    "9338",
    "a line declares on an allocation of this provider",
    scope="administration",
    level="line",
    covers="Prestatie/ToewijzingNummer",
)
def tr338(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    if _allocation(line, ctx) is None:
        yield (
            at(line, "ToewijzingNummer"),
            (f"ToewijzingNummer {line.ToewijzingNummer} is not an allocation of this provider"),
        )


@rule(
    "TR384",
    ["WMO323"],
    "9384",
    "no declaration on a deleted allocation (RedenWijziging 13)",
    scope="administration",
    level="line",
    covers="Prestatie/ToewijzingNummer",
)
def tr384(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is not None and a.reden_wijziging == "13":
        yield at(line, "ToewijzingNummer"), "the allocation was deleted (RedenWijziging 13)"


@rule(
    "TR339",
    ["WMO323"],
    "9339",
    "the line's ProductCategorie is the allocation's",
    scope="administration",
    level="line",
    covers="Prestatie/ProductCategorie",
)
def tr339(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if (
        a is not None
        and a.product_categorie is not None
        and a.product_categorie != line.ProductCategorie
    ):
        yield (
            at(line, "ProductCategorie"),
            (f"the allocation is for category {a.product_categorie}"),
        )


@rule(
    "TR340",
    ["WMO323"],
    "9340",
    "the line's ProductCode is the allocation's",
    scope="administration",
    level="line",
    covers="Prestatie/ProductCode",
)
def tr340(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is not None and a.product_code is not None and a.product_code != line.ProductCode:
        yield at(line, "ProductCode"), f"the allocation is for product code {a.product_code}"


@rule(
    "TR341",
    ["WMO323"],
    "9341",
    "the line's Eenheid fits the allocation's",
    decision="Equal units, or minutes on an allocation in hours. Allocations without "
    "Omvang (generic, aspecific) are not checked here: their unit comes from the "
    "contract.",
    scope="administration",
    level="line",
    covers="Prestatie/Eenheid",
)
def tr341(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if (
        a is not None
        and a.eenheid is not None
        and volumes.in_allocation_unit(0, line.Eenheid, a.eenheid) is None
    ):
        yield at(line, "Eenheid"), f"the allocation is in unit {a.eenheid}"


@rule(
    "TR307",
    ["WMO323"],
    "9307",
    "a product period starts on or after the allocation",
    scope="administration",
    level="line",
    covers="Prestatie/ProductPeriode/Begindatum; the allocation's Ingangsdatum",
)
def tr307(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is not None and line.ProductPeriode.Begindatum < a.ingangsdatum:
        yield (
            at(line, "ProductPeriode", "Begindatum"),
            (f"the allocation starts on {a.ingangsdatum}"),
        )


@rule(
    "TR308",
    ["WMO323"],
    "9308",
    "a product period ends on or before the allocation",
    scope="administration",
    level="line",
    covers="Prestatie/ProductPeriode/Einddatum; the allocation's Einddatum",
)
def tr308(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is not None and a.einddatum is not None and line.ProductPeriode.Einddatum > a.einddatum:
        yield at(line, "ProductPeriode", "Einddatum"), f"the allocation ends on {a.einddatum}"


@rule(
    "TR387",
    ["WMO323"],
    "9387",
    "a product period starts on the 1st, or on the allocation's later start that month",
    scope="administration",
    level="line",
    covers="Prestatie/ProductPeriode/Begindatum",
)
def tr387(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is None:
        return
    begin = line.ProductPeriode.Begindatum
    expected = max(begin.replace(day=1), a.ingangsdatum)
    if begin != expected and expected.month == begin.month and expected.year == begin.year:
        yield at(line, "ProductPeriode", "Begindatum"), f"the product period must begin {expected}"


@rule(
    "TR388",
    ["WMO323"],
    "9388",
    "a product period ends on the month's last day, or on the allocation's earlier end",
    scope="administration",
    level="line",
    covers="Prestatie/ProductPeriode/Einddatum",
)
def tr388(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is None:
        return
    end = line.ProductPeriode.Einddatum
    last = volumes.month_bounds(end)[1]
    expected = min(last, a.einddatum) if a.einddatum is not None else last
    if end != expected and expected.month == end.month and expected.year == end.year:
        yield at(line, "ProductPeriode", "Einddatum"), f"the product period must end {expected}"


@rule(
    "TR314",
    ["WMO323"],
    "8021",
    "a line's ReferentieNummer is used once by a provider",
    scope="administration",
    level="line",
    covers="Prestatie/ProductReferentie/ReferentieNummer",
)
def tr314(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    number = line.ProductReferentie.ReferentieNummer
    if ctx.prestatie(number) is not None:
        yield (
            at(line, "ProductReferentie", "ReferentieNummer"),
            (f"ReferentieNummer {number} was declared before"),
        )


def _credit(line: m.Prestatie) -> bool:
    return line.IngediendBedrag.DebetCredit == "C"


@rule(
    "TR323",
    ["WMO323"],
    "8017",
    "a credit line credits an earlier granted debit line",
    decision="The key fields are IV091's: the credit repeats its debit exactly (allocation, "
    "product, period, volume, unit, tariff, amount) but for ReferentieNummer, "
    "VorigReferentieNummer and DebetCredit, for the same client at the same municipality.",
    scope="administration",
    level="line",
    covers="Prestatie/ProductReferentie/VorigReferentieNummer and the credited line's values",
)
def tr323(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    vorige = line.ProductReferentie.VorigReferentieNummer
    if not _credit(line) or vorige is None:
        return
    debit = ctx.prestatie(vorige)
    client = ctx.client_of_line(line)
    if (
        debit is None
        or debit.status != "toegekend"
        or not debit.debet
        # The debit was declared for this client to this municipality (clients are kept
        # per municipality): a credit cannot take back what another municipality paid.
        or client is None
        or debit.client_id != client.id
    ):
        yield (
            at(line, "ProductReferentie", "VorigReferentieNummer"),
            (f"no granted debit line {vorige} of this client to this municipality to credit"),
        )
        return
    differs = [name for name, same in _as_declared(line, debit) if not same]
    if differs:
        yield (
            at(line),
            f"a credit repeats its debit line {vorige} exactly (IV091); "
            f"{', '.join(differs)} differ",
        )


def _as_declared(line: m.Prestatie, debit: rec.Line) -> Iterator[tuple[str, bool]]:
    """Each element a credit repeats from its debit, and whether it does (IV091: the
    credit is identical but for ReferentieNummer, VorigReferentieNummer and DebetCredit)."""
    yield "ToewijzingNummer", line.ToewijzingNummer == debit.toewijzing_nummer
    yield "ProductCategorie", line.ProductCategorie == debit.product_categorie
    yield "ProductCode", line.ProductCode == debit.product_code
    period = (line.ProductPeriode.Begindatum, line.ProductPeriode.Einddatum)
    yield "ProductPeriode", period == (debit.periode_begin, debit.periode_eind)
    yield "GeleverdVolume", line.GeleverdVolume == debit.volume
    yield "Eenheid", line.Eenheid == debit.eenheid
    yield "ProductTarief", line.ProductTarief == debit.tarief
    yield "IngediendBedrag", line.IngediendBedrag.Bedrag == debit.bedrag


@rule(
    "TR390",
    ["WMO323"],
    "9390",
    "a debit line is credited once",
    scope="administration",
    level="line",
    covers="Prestatie/ProductReferentie/VorigReferentieNummer",
)
def tr390(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    vorige = line.ProductReferentie.VorigReferentieNummer
    if _credit(line) and vorige is not None and ctx.credits_of(vorige):
        yield (
            at(line, "ProductReferentie", "VorigReferentieNummer"),
            (f"line {vorige} was credited before"),
        )


@rule(
    "TR389",
    ["WMO323"],
    "9389",
    "a new debit line for an allocation, product and period only after crediting the old",
    scope="administration",
    level="line",
    covers=(
        "Prestatie with DebetCredit D: ToewijzingNummer, ProductCategorie, ProductCode, "
        "ProductPeriode"
    ),
)
def tr389(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if _credit(line) or a is None:
        return
    period = (line.ProductPeriode.Begindatum, line.ProductPeriode.Einddatum)
    product = (line.ProductCategorie, line.ProductCode)
    for old in ctx.uncredited_debits(a.id):
        if (old.periode_begin, old.periode_eind) == period and (
            (old.product_categorie, old.product_code) == product
        ):
            yield at(line), f"line {old.referentienummer} for this period was not credited"
            return


@rule(
    "TR321",
    ["WMO323"],
    "9321",
    "a line's volume fits the allocated volume for its product period",
    decision="Per IV077: per day, calendar weeks touched (effort-based), Sundays "
    "(output-based), months; household help (category 01) per week allows six "
    "weeks' volume (effort-based); minutes count as 1/60 hour on an allocation in hours. "
    "The allocation's unit names the method where it can: Eenheid 82 (pieces, output) "
    "counts Sundays and 84 (pieces, effort) calendar weeks, whatever the contract; other "
    "units follow the contract's variant, effort-based without one.",
    scope="administration",
    level="line",
    covers="Prestatie/GeleverdVolume, Eenheid, ProductPeriode; the allocation's Omvang",
)
def tr321(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is None or _credit(line):
        return
    declared = volumes.in_allocation_unit(line.GeleverdVolume, line.Eenheid, a.eenheid)
    period = line.ProductPeriode
    most = volumes.period_maximum(a, period.Begindatum, period.Einddatum, ctx.variant())
    if declared is not None and most is not None and declared > most:
        yield (
            at(line, "GeleverdVolume"),
            (f"the volume exceeds the {float(most):g} allocated for this product period"),
        )


@rule(
    "TR322",
    ["WMO323"],
    "9322",
    "all lines on an allocation together fit its total volume",
    decision="Granted lines count, credits subtracting; open-ended allocations have no "
    "total except Frequentie 6 (total within the allocation period).",
    scope="administration",
    level="line",
    covers="Prestatie/GeleverdVolume, Eenheid; the allocation's Omvang and period",
)
def tr322(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is None or _credit(line):
        return
    most = volumes.allocation_maximum(a, ctx.variant())
    this = volumes.in_allocation_unit(line.GeleverdVolume, line.Eenheid, a.eenheid)
    if most is None or this is None:
        return
    total = this
    for old in ctx.granted_lines(a.id):
        amount = volumes.in_allocation_unit(old.volume, old.eenheid, a.eenheid)
        if amount is not None:
            total += -amount if old.bedrag < 0 else amount
    if total > most:
        yield (
            at(line, "GeleverdVolume"),
            (f"with this line {float(total):g} is declared on an allocation of {float(most):g}"),
        )


@rule(
    "TR369",
    ["WMO323"],
    "9369",
    "all lines on an allocation with a budget fit the budget",
    decision="Budget and amounts are both in euro cents; the submitted amounts of granted "
    "lines count, credits subtracting.",
    scope="administration",
    level="line",
    covers="Prestatie/IngediendBedrag; the allocation's Budget",
)
def tr369(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    a = _allocation(line, ctx)
    if a is None or a.budget is None or _credit(line):
        return
    total = line.IngediendBedrag.signed + sum(old.bedrag for old in ctx.granted_lines(a.id))
    if total > a.budget:
        yield (
            at(line, "IngediendBedrag"),
            (f"with this line {total} cents is declared on a budget of {a.budget} cents"),
        )


@rule(
    "TR346",
    ["WMO323"],
    "9346",
    "outside Eenheid 83 the amount is the volume times the tariff",
    decision="For minutes the tariff may be the hourly one: then the amount is volume times "
    "tariff divided by 60, rounded to whole cents (IV081).",
    scope="external",
    level="line",
    covers="Prestatie/IngediendBedrag, GeleverdVolume, ProductTarief, Eenheid",
)
def tr346(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    if line.Eenheid == "83" or line.ProductTarief is None:
        return
    amount = line.IngediendBedrag.Bedrag
    expected = line.GeleverdVolume * line.ProductTarief
    # Per IV081 an hourly tariff on minutes: volume x tariff / 60, to whole cents, half up.
    hourly = (expected + 30) // 60 if line.Eenheid == volumes.MINUTE else None
    if amount != expected and amount != hourly:
        yield (
            at(line, "IngediendBedrag"),
            (f"IngediendBedrag {amount} is not GeleverdVolume x ProductTarief ({expected})"),
        )


@rule(
    "TR418",
    ["WMO323"],
    "0611",
    "the ProductTarief is the contract's tariff for the product code",
    decision="Checked where a contract between the municipality and the provider (as main "
    "contractor or subcontractor), running on the first day of the product period, names a "
    "tariff for the code (product_tariffs); elsewhere there is no contract tariff to check "
    "against. A line without ProductTarief (amounts in euros) is not judged.",
    scope="external",
    level="line",
    covers="Prestatie/ProductTarief",
)
def tr418(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    if line.ProductTarief is None:
        return
    agreed = ctx.contract_tariff(line.ProductCode, line.ProductPeriode.Begindatum)
    if agreed is not None and agreed != line.ProductTarief:
        yield (
            at(line, "ProductTarief"),
            f"the contract's tariff for {line.ProductCode} is {agreed} cents, not "
            f"{line.ProductTarief}",
        )


# --- declaration answers (325) -------------------------------------------------------------


@rule(
    "TR337",
    ["WMO325"],
    "",
    "a declaration answer answers a declaration received earlier (DeclaratieIdentificatie)",
    decision="Checked before anything else, as for every answer: only the municipality a "
    "declaration was sent to may answer it. Any other WMO325 — for an unknown declaration, or "
    "for one sent to another municipality — is refused with HTTP 403 and this finding, the "
    "same whether the declaration exists or not.",
    scope="administration",
    level="message",
    covers="Header/DeclaratieIdentificatie",
)
def tr337(msg: m.WMO325, ctx: Context) -> Iterator[Violation]:
    if ctx.declaration is None:
        yield (
            "/Bericht/Header/DeclaratieIdentificatie",
            ("no declaration from this provider to this municipality has this identification"),
        )


@rule(
    "TR376",
    ["WMO325"],
    "",
    "the answer's DeclaratieNummer is the declaration's",
    scope="administration",
    level="message",
    covers="DeclaratieAntwoord/DeclaratieNummer",
)
def tr376(msg: m.WMO325, ctx: Context) -> Iterator[Violation]:
    a = msg.DeclaratieAntwoord
    if (
        ctx.declaration is not None
        and a is not None
        and a.DeclaratieNummer != ctx.declaration.declaratienummer
    ):
        yield (
            at(a, "DeclaratieNummer"),
            (f"the declaration has DeclaratieNummer {ctx.declaration.declaratienummer}"),
        )


@rule(
    "TR371",
    ["WMO325"],
    "",
    "XsdVersieDeclaratie is the XsdVersie of the declaration",
    decision="The declaration's XSD versions are taken from the stored message.",
    scope="administration",
    level="message",
    covers="Header/XsdVersieDeclaratie",
)
def tr371(msg: m.WMO325, ctx: Context) -> Iterator[Violation]:
    declared = ctx.declaration_xsd_versie
    if declared is not None and msg.Header.XsdVersieDeclaratie != declared:
        yield (
            "/Bericht/Header/XsdVersieDeclaratie",
            ("XsdVersieDeclaratie differs from the declaration's XsdVersie"),
        )


@rule(
    "TR366",
    ["WMO325"],
    "9366",
    "each answered line was declared (ProductReferentie)",
    scope="administration",
    level="line",
    covers="Prestatie/ProductReferentie",
)
def tr366(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    if (
        ctx.declaration is not None
        and ctx.declared_line(line.ProductReferentie.ReferentieNummer) is None
    ):
        yield at(line, "ProductReferentie"), "this line does not occur in the declaration"


_COMPARED = (
    "ToewijzingNummer",
    "ProductCategorie",
    "ProductCode",
    "GeleverdVolume",
    "Eenheid",
    "ProductTarief",
)


@rule(
    "TR367",
    ["WMO325"],
    "9367",
    "each answered line repeats the declared values",
    scope="administration",
    level="line",
    covers="the answered Prestatie's values",
)
def tr367(msg: Any, line: m.Prestatie, ctx: Context) -> Iterator[Violation]:
    declared = ctx.declared_line(line.ProductReferentie.ReferentieNummer)
    if declared is None:
        return
    ours = {
        "ToewijzingNummer": declared.toewijzing_nummer,
        "ProductCategorie": declared.product_categorie,
        "ProductCode": declared.product_code,
        "GeleverdVolume": declared.volume,
        "Eenheid": declared.eenheid,
        "ProductTarief": declared.tarief,
    }
    for name in _COMPARED:
        if getattr(line, name) != ours[name]:
            yield at(line, name), f"{name} differs from the declared line"
    period = line.ProductPeriode
    if (period.Begindatum, period.Einddatum) != (declared.periode_begin, declared.periode_eind):
        yield at(line, "ProductPeriode"), "ProductPeriode differs from the declared line"
    if line.IngediendBedrag.signed != declared.bedrag:
        yield at(line, "IngediendBedrag"), "IngediendBedrag differs from the declared line"
    vorige = line.ProductReferentie.VorigReferentieNummer
    if vorige != declared.vorig_referentienummer:
        yield at(line, "ProductReferentie"), "VorigReferentieNummer differs from the declared line"
