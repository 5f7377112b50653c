"""Shared checks on products and allocations."""

from __future__ import annotations

from collections.abc import Iterator

from app.administration.context import Context
from app.rules.registry import Violation
from app.standard import messages as m


def product_key(product: m.Product | None) -> tuple[str | None, str | None]:
    """A message's Product as (Categorie, Code): (None, None) when there is none."""
    return (product.Categorie, product.Code) if product is not None else (None, None)


def code_fits(ctx: Context, categorie: str, code: str | None, path: str) -> Iterator[Violation]:
    """TR381: a product code belongs to its category in the service's product code list.

    Categories the list holds no codes for are not judged: there is no list to judge by.
    """
    if code is None:
        return
    listed = ctx.product_codes(categorie)
    if listed and code not in listed:
        yield path, f"product code {code} does not belong to category {categorie}"
