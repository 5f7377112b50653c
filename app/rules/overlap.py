"""Which lines of a message clash with an earlier one: the same care in periods that share a
day (TR302, TR361, TR386, TR410).

Comparing every line with every earlier one costs the square of their number; a message of
30,000 allocated products would hold a worker for minutes. Here each earlier line is filed
under the kinds of care it clashes with, in a tree over start dates that keeps the latest
end: whether a later line meets an earlier one is then a question to a few trees, in time
logarithmic in the number of lines.

Two products are the same care when both have a Code and the same Categorie and Code, or
the same Categorie when one lacks a Code; a line without a Product is the same care as any
other; aids (categories 11-14) never clash, not even with themselves.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterator, Sequence
from datetime import date
from typing import Any

__all__ = ["AIDS", "clashes"]

AIDS = frozenset({"11", "12", "13", "14"})  # may be allocated side by side, even the same one

Period = tuple[date, date | None]  # an open end runs forever
Care = tuple[str, str | None] | None  # (Categorie, Code), or no Product at all

_FOREVER = date.max
_ALL, _NONE = ("all",), ("none",)


class _Latest:
    """Over start-date ranks: the latest end (and its line) among the lines filed so far,
    for every prefix of ranks (a Fenwick tree, sparse: only what was filed is stored)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.tree: dict[int, tuple[date, int]] = {}

    def file(self, rank: int, end: date, line: int) -> None:
        i = rank + 1
        while i <= self.size:
            known = self.tree.get(i)
            if known is None or _later((end, line), known):
                self.tree[i] = (end, line)
            i += i & -i

    def latest(self, rank: int) -> tuple[date, int] | None:
        """The latest end among lines with a start rank up to ``rank``."""
        best: tuple[date, int] | None = None
        i = rank + 1
        while i > 0:
            known = self.tree.get(i)
            if known is not None and (best is None or _later(known, best)):
                best = known
            i -= i & -i
        return best


def _later(a: tuple[date, int], b: tuple[date, int]) -> bool:
    """Whether line ``a`` ends after ``b``; of equal ends, the earlier line counts."""
    return a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])


def _files(care: Care) -> list[Hashable]:
    """The trees a line is filed in."""
    if care is None:
        return [_ALL, _NONE]
    categorie, code = care
    if code is None:
        return [_ALL, ("categorie", categorie), ("no code", categorie)]
    return [_ALL, ("categorie", categorie), ("code", categorie, code)]


def _asks(care: Care) -> list[Hashable]:
    """The trees holding the earlier lines a line clashes with."""
    if care is None:
        return [_ALL]
    categorie, code = care
    if code is None:
        return [_NONE, ("categorie", categorie)]
    return [_NONE, ("no code", categorie), ("code", categorie, code)]


def clashes(lines: Sequence[tuple[Period, Care]]) -> Iterator[tuple[int, int]]:
    """(later, earlier) for every line that clashes with an earlier one, in order: the
    earlier one named is, of those it clashes with, the one that ends last."""
    starts = sorted({period[0] for period, _ in lines})
    size = len(starts)
    trees: dict[Hashable, _Latest] = {}
    for index, ((start, end), care) in enumerate(lines):
        if care is not None and care[0] in AIDS:
            continue
        last = end or _FOREVER
        reach = bisect.bisect_right(starts, last) - 1  # earlier lines starting by our end
        best: tuple[date, int] | None = None
        if reach >= 0:
            for key in _asks(care):
                tree = trees.get(key)
                found = tree.latest(reach) if tree is not None else None
                if found is not None and (best is None or _later(found, best)):
                    best = found
        if best is not None and best[0] >= start:
            yield index, best[1]
        rank = bisect.bisect_left(starts, start)
        for key in _files(care):
            trees.setdefault(key, _Latest(size)).file(rank, last, index)


def care_of(product: Any) -> Care:
    """The care a message's Product (or None) stands for."""
    return None if product is None else (product.Categorie, product.Code)
