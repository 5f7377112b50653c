"""How much may be declared on an allocation with a volume (IV077): per product period
(TR321) and over the whole allocation (TR322)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from app.administration import records as rec
from app.administration.kinds import Variant

MINUTE, HOUR = "01", "04"
OUTPUT_PIECES, EFFORT_PIECES = "82", "84"  # stuks (output), stuks (inspanning)
SUNDAY = 6


def in_allocation_unit(volume: int, unit: str, allocation_unit: str | None) -> Fraction | None:
    """A declared volume expressed in the allocation's unit; None when they do not compare
    (minutes may be declared on an allocation in hours)."""
    if unit == allocation_unit:
        return Fraction(volume)
    if unit == MINUTE and allocation_unit == HOUR:
        return Fraction(volume, 60)
    return None


def _days(begin: date, end: date) -> int:
    return (end - begin).days + 1


def weeks_touched(begin: date, end: date) -> int:
    """Calendar (ISO) weeks that have at least one day in [begin, end]."""
    if end < begin:
        return 0
    first = begin - timedelta(days=begin.weekday())
    last = end - timedelta(days=end.weekday())
    return (last - first).days // 7 + 1


def months_touched(begin: date, end: date) -> int:
    if end < begin:
        return 0
    return (end.year - begin.year) * 12 + end.month - begin.month + 1


def sundays(begin: date, end: date) -> int:
    if end < begin:
        return 0
    first = begin + timedelta(days=(SUNDAY - begin.weekday()) % 7)
    return 0 if first > end else (end - first).days // 7 + 1


def method(a: rec.Allocation, variant: str) -> str:
    """How weeks are counted for an allocation (IV077): its unit names the method where it
    is pieces of output (82) or of effort (84), whatever the contract; otherwise the
    contract's variant decides."""
    if a.eenheid == OUTPUT_PIECES:
        return Variant.OUTPUTGERICHT
    if a.eenheid == EFFORT_PIECES:
        return Variant.INSPANNINGSGERICHT
    return variant


def _weeks(a: rec.Allocation, begin: date, end: date, variant: str) -> int:
    if method(a, variant) == Variant.OUTPUTGERICHT:
        count = sundays(begin, end)
        # The allocation's last, broken week counts in the period holding its last Sunday.
        if a.einddatum is not None and a.einddatum.weekday() != SUNDAY:
            last_sunday = a.einddatum - timedelta(days=(a.einddatum.weekday() - SUNDAY) % 7)
            if begin <= last_sunday <= end or (
                last_sunday < a.ingangsdatum and begin <= a.einddatum <= end
            ):
                count += 1
        return count
    return weeks_touched(begin, end)


def period_maximum(a: rec.Allocation, begin: date, end: date, variant: str) -> Fraction | None:
    """Most that may be declared for a product period, in the allocation's unit."""
    if a.volume is None or a.frequentie is None:
        return None
    begin = max(begin, a.ingangsdatum)
    end = min(end, a.einddatum) if a.einddatum is not None else end
    if end < begin:
        return Fraction(0)
    v = Fraction(a.volume)
    match a.frequentie:
        case "1":
            return v * _days(begin, end)
        case "2":
            if method(a, variant) != Variant.OUTPUTGERICHT and a.product_categorie == "01":
                return v * 6  # household help: six weeks' volume per month (IV077)
            return v * _weeks(a, begin, end, variant)
        case "4":
            return v * months_touched(begin, end)
        case "6":
            return v
    return None


def allocation_maximum(a: rec.Allocation, variant: str) -> Fraction | None:
    """Most that may be declared over the whole allocation; None when open-ended."""
    if a.volume is None or a.frequentie is None:
        return None
    if a.frequentie == "6":
        return Fraction(a.volume)
    if a.einddatum is None:
        return None
    begin, end = a.ingangsdatum, a.einddatum
    v = Fraction(a.volume)
    match a.frequentie:
        case "1":
            return v * _days(begin, end)
        case "2":
            return v * _weeks(a, begin, end, variant)
        case "4":
            return v * months_touched(begin, end)
    return None


@lru_cache(maxsize=4096)  # asked for every line of a declaration, mostly the same months
def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
