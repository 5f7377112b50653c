"""The product code list TR381 checks against: which ProductCode belongs to which
ProductCategorie.

The standard leaves the list to the region (and publishes one for aids, categories 11-14),
so operators load it from a CSV file: ``categorie,code,omschrijving`` per line, a header
line allowed. Loading replaces the whole list, or only the categories the file names, in
one transaction; a file with any bad line changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.administration.models import ProductCode
from app.standard import codelists

_CODE = re.compile(r"[0-9A-Za-z]{1,5}")


class ProductCodeError(ValueError):
    """A line of a product code file that cannot be used."""


@dataclass(frozen=True)
class Entry:
    categorie: str
    code: str
    omschrijving: str = ""


def parse(text: str) -> list[Entry]:
    """The entries of a CSV text; every problem is reported with its line number."""
    entries: list[Entry] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if number == 1 and cells[0].lower() in ("categorie", "productcategorie"):
            continue  # a header line
        if len(cells) < 2:
            problems.append(f"line {number}: expected categorie,code[,omschrijving]")
            continue
        categorie, code = cells[0], cells[1]
        if categorie not in codelists.PRODUCT_CATEGORIE.codes:
            problems.append(f"line {number}: {categorie!r} is not a ProductCategorie (WMO020)")
        elif not _CODE.fullmatch(code):
            problems.append(f"line {number}: {code!r} is not a ProductCode (1-5 letters/digits)")
        elif (categorie, code) in seen:
            problems.append(f"line {number}: {categorie} {code} is listed twice")
        else:
            seen.add((categorie, code))
            entries.append(Entry(categorie, code, ",".join(cells[2:])[:200]))
    if problems:
        raise ProductCodeError("; ".join(problems[:20]))
    return entries


def load(session: Session, entries: Iterable[Entry], *, everything: bool = False) -> int:
    """Replace the listed categories (or, with ``everything``, the whole list) by
    ``entries``; returns how many codes the list now holds for them."""
    entries = list(entries)
    categories = {e.categorie for e in entries}
    stmt = delete(ProductCode)
    if not everything:
        stmt = stmt.where(ProductCode.categorie.in_(categories))
    session.execute(stmt)
    session.add_all(
        ProductCode(categorie=e.categorie, code=e.code, omschrijving=e.omschrijving)
        for e in entries
    )
    return len(entries)


def listed(session: Session, categorie: str | None = None) -> list[Entry]:
    stmt = select(ProductCode).order_by(ProductCode.categorie, ProductCode.code)
    if categorie is not None:
        stmt = stmt.where(ProductCode.categorie == categorie)
    return [Entry(p.categorie, p.code, p.omschrijving) for p in session.scalars(stmt)]
