"""The product code lists TR381 checks against: which ProductCode belongs to which
ProductCategorie.

The standard leaves the list to the region (and publishes one for aids, categories 11-14),
and regions differ: two may use one category with different codes. So each municipality
may have its own list, beside a service-wide default. For a category, a municipality's
own codes are its list; a municipality without own codes in a category has the default's.
Operators load lists from a CSV file: ``categorie,code,omschrijving`` per line, a header
line allowed. Loading replaces the whole list, or only the categories the file names, in
one transaction; a file with any bad line changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.administration.models import Participant, ProductCode
from app.standard import codelists, gemeenten

_CODE = re.compile(r"[0-9A-Za-z]{1,5}")
DEFAULT = ""  # the service-wide list, for municipalities without own codes in a category


class ProductCodeError(ValueError):
    """A line of a product code file that cannot be used."""


@dataclass(frozen=True)
class Entry:
    categorie: str
    code: str
    omschrijving: str = ""
    gemeente: str = DEFAULT  # the list it is on


def check_gemeente(session: Session, code: str) -> None:
    """A municipality a list may be kept for: a CBS code, or a registered municipality
    (an operator may register one the CBS list does not hold yet)."""
    if not re.fullmatch(r"[0-9]{4}", code):
        raise ProductCodeError(f"{code!r} is not a municipality (a 4-digit CBS code)")
    registered = session.scalar(
        select(Participant.id).where(Participant.code == code, Participant.role == "municipality")
    )
    if registered is None and not gemeenten.known(code):
        raise ProductCodeError(f"{code} is not a CBS municipality code")


def parse(text: str) -> list[Entry]:
    """The entries of a CSV text; every problem is reported with its line number."""
    rows: list[tuple[str, str, str, str]] = []
    problems: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if number == 1 and cells[0].lower() in ("categorie", "productcategorie"):
            continue  # a header line
        if len(cells) < 2:
            problems.append(f"line {number}: expected categorie,code[,omschrijving]")
            continue
        rows.append((f"line {number}", cells[0], cells[1], ",".join(cells[2:])))
    return checked(rows, problems)


def checked(rows: Iterable[tuple[str, str, str, str]], earlier: Sequence[str] = ()) -> list[Entry]:
    """Entries from (where, categorie, code, omschrijving); raises ProductCodeError naming
    every problem by its ``where``, after any ``earlier`` ones."""
    problems = list(earlier)
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for where, categorie, code, omschrijving in rows:
        if categorie not in codelists.PRODUCT_CATEGORIE.codes:
            problems.append(f"{where}: {categorie!r} is not a ProductCategorie (WMO020)")
        elif not _CODE.fullmatch(code):
            problems.append(f"{where}: {code!r} is not a ProductCode (1-5 letters/digits)")
        elif (categorie, code) in seen:
            problems.append(f"{where}: {categorie} {code} is listed twice")
        else:
            seen.add((categorie, code))
            entries.append(Entry(categorie, code, omschrijving[:200]))
    if problems:
        raise ProductCodeError("; ".join(problems[:20]))
    return entries


def load(
    session: Session,
    entries: Iterable[Entry],
    *,
    gemeente: str = DEFAULT,
    everything: bool = False,
) -> int:
    """Replace the listed categories (or, with ``everything``, the whole list) of one list,
    a municipality's or the default, by ``entries``; returns how many codes that list now
    holds for them."""
    entries = list(entries)
    if gemeente != DEFAULT:
        check_gemeente(session, gemeente)
    categories = {e.categorie for e in entries}
    stmt = delete(ProductCode).where(ProductCode.gemeente == gemeente)
    if not everything:
        stmt = stmt.where(ProductCode.categorie.in_(categories))
    session.execute(stmt)
    session.add_all(
        ProductCode(
            gemeente=gemeente, categorie=e.categorie, code=e.code, omschrijving=e.omschrijving
        )
        for e in entries
    )
    return len(entries)


def listed(session: Session, categorie: str | None = None, gemeente: str = DEFAULT) -> list[Entry]:
    """One list as it is stored: a municipality's own codes, or the default."""
    stmt = (
        select(ProductCode)
        .where(ProductCode.gemeente == gemeente)
        .order_by(ProductCode.categorie, ProductCode.code)
    )
    if categorie is not None:
        stmt = stmt.where(ProductCode.categorie == categorie)
    return [_entry(p) for p in session.scalars(stmt)]


def effective(session: Session, gemeente: str, categorie: str | None = None) -> list[Entry]:
    """The list TR381 applies to a municipality's messages: per category its own codes,
    or the default's where it has none."""
    stmt = select(ProductCode).where(ProductCode.gemeente.in_((gemeente, DEFAULT)))
    if categorie is not None:
        stmt = stmt.where(ProductCode.categorie == categorie)
    rows = list(session.scalars(stmt.order_by(ProductCode.categorie, ProductCode.code)))
    own = {p.categorie for p in rows if p.gemeente == gemeente}
    return [_entry(p) for p in rows if p.gemeente == (gemeente if p.categorie in own else DEFAULT)]


def _entry(p: ProductCode) -> Entry:
    return Entry(p.categorie, p.code, p.omschrijving, p.gemeente)
