"""Rules on starts (WMO305) and stops (WMO307) of delivery against the administration.

Lines are judged in order, each against the administration as the earlier lines of the
same message left it: a stop can be withdrawn (StatusAanlevering 3) and replaced in one
message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.administration import records as rec
from app.administration.context import Context
from app.administration.kinds import Variant
from app.administration.rules._product import product_key
from app.rules.registry import Violation, at, rule
from app.standard import messages as m

Line = m.StartProduct | m.StopProduct


def _starts(line: Line, ctx: Context) -> list[rec.Start]:
    if ctx.client is None:
        return []
    return ctx.starts(ctx.client.id, line.ToewijzingNummer)


def matching_start(line: Line, ctx: Context, *, same_product: bool = True) -> rec.Start | None:
    """The start a line refers to: same allocation and Begindatum (and product)."""
    for start in _starts(line, ctx):
        if start.begindatum != line.Begindatum:
            continue
        if not same_product or start.product == product_key(line.Product):
            return start
    return None


def live_stops(start: rec.Start) -> list[rec.Stop]:
    return [s for s in start.stops if s.deleted_by_id is None]


@rule(
    "TR019",
    ["WMO305", "WMO307"],
    "9019",
    "a start or stop refers to an allocation of this client by its ToewijzingNummer",
    decision="Required unless the municipality and provider work task-based "
    "(taakgericht); when given, the number must be an allocation of this client at "
    "this provider from this municipality.",
    scope="administration",
    level="line",
    covers="StartProduct/ToewijzingNummer, StopProduct/ToewijzingNummer; Client/Bsn",
)
def tr019(msg: Any, line: Line, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering == "3":
        return  # a withdrawal is judged by TR063 alone
    if line.ToewijzingNummer is None:
        if ctx.variant() != Variant.TAAKGERICHT:
            yield at(line), "ToewijzingNummer is required outside task-based funding"
        return
    allocation = ctx.allocation(line.ToewijzingNummer)
    if (
        allocation is None
        or ctx.client is None
        or allocation.client_id != ctx.client.id
        or allocation.provider_code != ctx.provider_code
        or allocation.deleted
    ):
        yield (
            at(line, "ToewijzingNummer"),
            (
                f"ToewijzingNummer {line.ToewijzingNummer} is not an allocation of this client at "
                "this provider"
            ),
        )


@rule(
    "TR063",
    ["WMO305", "WMO307"],
    "9063",
    "a withdrawal (StatusAanlevering 3) refers to an earlier delivery with the same key",
    scope="administration",
    level="line",
    covers="StartProduct, StopProduct with StatusAanlevering 3: their key elements",
)
def tr063(msg: Any, line: Line, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering != "3":
        return
    start = matching_start(line, ctx)
    if isinstance(line, m.StartProduct):
        if start is None:
            yield at(line), "there is no earlier start with this key to withdraw"
    elif start is None or _matching_stop(line, start) is None:
        yield at(line), "there is no earlier stop with this key to withdraw"


def _matching_stop(line: m.StopProduct, start: rec.Start) -> rec.Stop | None:
    for stop in live_stops(start):
        if (stop.reden_beeindiging, stop.einddatum) == (line.RedenBeeindiging, line.Einddatum):
            return stop
    return None


@rule(
    "TR071",
    ["WMO305"],
    "9071",
    "a start cannot be withdrawn once a stop was sent for it",
    scope="administration",
    level="line",
    covers="StartProduct/StatusAanlevering",
)
def tr071(msg: Any, line: m.StartProduct, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering != "3":
        return
    start = matching_start(line, ctx)
    if start is not None and live_stops(start):
        yield (
            at(line, "StatusAanlevering"),
            ("the start cannot be withdrawn: delivery was already stopped"),
        )


@rule(
    "TR074",
    ["WMO305", "WMO307"],
    "9074",
    "a first delivery (StatusAanlevering 1) is not a repeat of an earlier one",
    scope="administration",
    level="line",
    covers="StartProduct, StopProduct with StatusAanlevering 1: their key elements",
)
def tr074(msg: Any, line: Line, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering != "1":
        return
    start = matching_start(line, ctx)
    if isinstance(line, m.StartProduct):
        if start is not None:
            yield at(line), "this start was already received"
    elif start is not None and _matching_stop(line, start) is not None:
        yield at(line), "this stop was already received"


@rule(
    "TR326",
    ["WMO305"],
    "9326",
    "a new start only when the previous delivery for the allocation was stopped",
    decision="A current start is one that is neither withdrawn nor followed by a stop "
    "(temporary or definitive); after either stop a restart is allowed. On an allocation of "
    "a specific product (category and code) one delivery runs at a time, whatever product a "
    "start names. A generic or aspecific allocation (no code) is delivered per function "
    "(start and stop at function level): there one delivery runs per product at a time, "
    "as it does for starts without a ToewijzingNummer (taakgericht). This is the regions' "
    "reading for generic decisions: the standard's text speaks of one current start per "
    "allocated product.",
    scope="administration",
    level="line",
    covers="StartProduct/ToewijzingNummer, Product, Begindatum",
)
def tr326(msg: Any, line: m.StartProduct, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering != "1":
        return
    allocation = ctx.allocation(line.ToewijzingNummer) if line.ToewijzingNummer else None
    per_function = allocation is None or allocation.product_code is None
    for start in _starts(line, ctx):
        if per_function and start.product != product_key(line.Product):
            continue
        if not live_stops(start):
            yield at(line), (f"delivery that started on {start.begindatum} has not been stopped")
            return


@rule(
    "TR069",
    ["WMO307"],
    "9069",
    "a stop refers to a current start with the same key",
    decision="A start is current until it is withdrawn or a restart follows it: after a "
    "restart, a stop refers to the latest start (OP155), not to the one before.",
    scope="administration",
    level="line",
    covers="StopProduct/ToewijzingNummer, Product, Begindatum",
)
def tr069(msg: Any, line: m.StopProduct, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering != "1":
        return
    start = matching_start(line, ctx, same_product=False)
    if start is None:
        yield (
            at(line),
            (f"no current start with this ToewijzingNummer and Begindatum {line.Begindatum}"),
        )
        return
    restart = _restart_of(start, ctx)
    if restart is not None:
        yield (
            at(line, "Begindatum"),
            (
                f"the delivery was restarted on {restart.begindatum}; a stop refers to the "
                "latest start"
            ),
        )


def _restart_of(start: rec.Start, ctx: Context) -> rec.Start | None:
    """A later start of the same delivery (same allocation and product), if any."""
    if ctx.client is None:
        return None
    later = [
        s
        for s in ctx.starts(ctx.client.id, start.toewijzing_nummer)
        if s.begindatum > start.begindatum and s.product == start.product
    ]
    return min(later, key=lambda s: s.begindatum) if later else None


@rule(
    "TR382",
    ["WMO307"],
    "9069",
    "a stop repeats the key elements of its start unchanged",
    decision="The key elements are those the standard marks for StartProduct: "
    "ToewijzingNummer, Product and Begindatum (with the client's BSN). The start is found by "
    "ToewijzingNummer and Begindatum; its Product must then be repeated exactly. "
    "ToewijzingIngangsdatum is not a key element and is not compared.",
    scope="administration",
    level="line",
    covers="StopProduct/Product",
)
def tr382(msg: Any, line: m.StopProduct, ctx: Context) -> Iterator[Violation]:
    start = matching_start(line, ctx, same_product=False)
    if start is None:
        return
    if start.product != product_key(line.Product):
        yield at(line, "Product"), "the Product differs from the start it stops"


@rule(
    "TR413",
    ["WMO307"],
    "9413",
    "a start is stopped temporarily (reason 20) only once",
    scope="administration",
    level="line",
    covers="StopProduct/RedenBeeindiging",
)
def tr413(msg: Any, line: m.StopProduct, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering not in ("1", "2") or line.RedenBeeindiging != "20":
        return
    start = matching_start(line, ctx, same_product=False)
    if start is not None and any(s.temporary for s in live_stops(start)):
        yield (
            at(line, "RedenBeeindiging"),
            ("this start was already stopped temporarily; only a definitive stop may follow"),
        )


@rule(
    "TR414",
    ["WMO307"],
    "9414",
    "a further stop does not end before the current stop",
    scope="administration",
    level="line",
    covers="StopProduct/Einddatum",
)
def tr414(msg: Any, line: m.StopProduct, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering == "3":
        return
    start = matching_start(line, ctx, same_product=False)
    stops = live_stops(start) if start is not None else []
    if stops and line.Einddatum < stops[-1].einddatum:
        yield (
            at(line, "Einddatum"),
            (f"Einddatum is before {stops[-1].einddatum}, the end of the current stop"),
        )


@rule(
    "TR415",
    ["WMO307"],
    "9415",
    "nothing follows a definitive stop of a start",
    scope="administration",
    level="line",
    covers="StopProduct",
)
def tr415(msg: Any, line: m.StopProduct, ctx: Context) -> Iterator[Violation]:
    if line.StatusAanlevering not in ("1", "2"):
        return
    start = matching_start(line, ctx, same_product=False)
    if start is not None and any(not s.temporary for s in live_stops(start)):
        yield at(line), "this start was already stopped definitively"
