"""Rules on allocations (WMO301) against the administration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.administration.context import Context
from app.administration.handlers import allocation_values, repeats
from app.administration.rules._product import code_fits, product_key
from app.rules.registry import Violation, at, rule
from app.standard import messages as m


@rule(
    "TR332",
    ["WMO301"],
    "9332",
    "an allocation number belongs to one client and one provider within a municipality",
    decision="The number names one allocated product (TR332: unique per ToegewezenProduct): "
    "a line under a known number with another Product (category or code, or a product "
    "where there was none) is another allocation and needs a number of its own (IV066; "
    "IV093: number, Product and start stay the same in a change).",
    scope="administration",
    level="line",
    covers="ToegewezenProduct/ToewijzingNummer, Product; Client/Bsn",
)
def tr332(msg: Any, p: m.ToegewezenProduct, ctx: Context) -> Iterator[Violation]:
    existing = ctx.allocation(p.ToewijzingNummer)
    if existing is None:
        return
    same_client = ctx.client is not None and existing.client_id == ctx.client.id
    if not same_client or existing.provider_code != ctx.provider_code:
        yield (
            at(p, "ToewijzingNummer"),
            (
                f"ToewijzingNummer {p.ToewijzingNummer} is already used by this municipality for "
                "another client or provider"
            ),
        )
        return
    if product_key(p.Product) != existing.product:
        yield (
            at(p, "ToewijzingNummer"),
            (
                f"ToewijzingNummer {p.ToewijzingNummer} is already used for another product; "
                "a new product gets a new number"
            ),
        )


@rule(
    "TR379",
    ["WMO301"],
    "9379",
    "a ReferentieAanbieder on an allocation refers to a request for this client",
    decision="The reference must be a request (315 product or 317) of this provider for "
    "this client at this municipality that was not rejected. It is filled only the first "
    "time after honouring (IV097): a change to an allocation in a later message, on the "
    "municipality's initiative, may not carry the reference of a request honoured before. "
    "An allocation repeated unchanged may still carry it (it changes nothing).",
    scope="administration",
    level="line",
    covers="ToegewezenProduct/ReferentieAanbieder",
)
def tr379(msg: Any, p: m.ToegewezenProduct, ctx: Context) -> Iterator[Violation]:
    if p.ReferentieAanbieder is None:
        return
    v = ctx.verzoek(p.ReferentieAanbieder)
    ok = (
        v is not None
        and ctx.client is not None
        and v.client_id == ctx.client.id
        and v.municipality_code == ctx.municipality_code
        and v.status != "afgewezen"
    )
    if not ok:
        yield (
            at(p, "ReferentieAanbieder"),
            (
                "ReferentieAanbieder does not refer to an open request of this provider for this "
                "client"
            ),
        )
        return
    assert v is not None
    honoured_before = v.status == "toegewezen" and (v.id or 0) not in ctx.honoured_now
    existing = ctx.allocation(p.ToewijzingNummer)
    if honoured_before and (existing is None or not repeats(existing, allocation_values(p))):
        yield (
            at(p, "ReferentieAanbieder"),
            (
                f"request {p.ReferentieAanbieder} was honoured before; a later change is the "
                "municipality's own and carries no ReferentieAanbieder"
            ),
        )


@rule(
    "TR385",
    ["WMO301"],
    "9385",
    "an allocation with granted, uncredited declaration lines cannot be deleted (13)",
    scope="administration",
    level="line",
    covers="ToegewezenProduct/RedenWijziging",
)
def tr385(msg: Any, p: m.ToegewezenProduct, ctx: Context) -> Iterator[Violation]:
    if p.RedenWijziging != "13":
        return
    existing = ctx.allocation(p.ToewijzingNummer)
    if existing is None:
        return
    if ctx.uncredited_debits(existing.id):
        yield (
            at(p, "RedenWijziging"),
            ("the allocation has granted declaration lines and cannot be deleted"),
        )


@rule(
    "TR381",
    ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO323"],
    "S329",
    "a product code belongs to its product category in the product code list",
    decision="Checked against the message's municipality's product code list (iwmo "
    "product-codes import --gemeente): per category its own codes, or where it has none the "
    "service-wide default's; a category without listed codes is not judged, for want of a "
    "list. A contract's function codes are put on its municipalities' lists when it is loaded.",
    scope="external",
    level="line",
    covers=(
        "Product/Categorie and Product/Code (301, 305, 307, 315, 317), Prestatie/ProductCategorie "
        "and ProductCode (323)"
    ),
)
def tr381(msg: Any, line: Any, ctx: Context) -> Iterator[Violation]:
    if isinstance(line, m.Prestatie):
        yield from code_fits(ctx, line.ProductCategorie, line.ProductCode, at(line, "ProductCode"))
        return
    products = [line]
    if isinstance(line, m.Verzoek):
        products = list(line.NieuweProducten)
    for item in products:
        product = item.Product
        if product is not None:
            yield from code_fits(ctx, product.Categorie, product.Code, at(item, "Product", "Code"))
