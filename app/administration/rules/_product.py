"""Shared checks on products and allocations."""

from __future__ import annotations

from collections.abc import Iterator

from app.administration.context import Context
from app.rules.registry import Violation


def code_fits(ctx: Context, categorie: str, code: str | None, path: str) -> Iterator[Violation]:
    """TR381: a product code belongs to its category in the service's product code list.

    Categories the list holds no codes for are not judged: there is no list to judge by.
    """
    if code is None:
        return
    listed = ctx.product_codes(categorie)
    if listed and code not in listed:
        yield path, f"product code {code} does not belong to category {categorie}"
