"""The terms within which the standard's business rules want an answer, and working days.

* A retour message within 3 working days of receiving a message (OP090): a WMO301's
  WMO302 from its receiver; for a relayed start or stop, the municipality's WMO306/WMO308.
* An answer to a request for allocation or change (WMO315, WMO317) — a WMO319, or a
  WMO301 that allocates — within 5 working days of receiving it.

Working days are Monday to Friday; public holidays are not taken into account, so a term
over a holiday shows as passed a day early.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RETOUR_WORKING_DAYS = 3
REQUEST_WORKING_DAYS = 5


def working_days_back(moment: datetime, days: int) -> datetime:
    """The moment ``days`` working days (Monday to Friday) before ``moment``: whatever was
    received before it waited longer than the term. From a weekend, counting starts at the
    Friday before."""
    found = moment
    while found.weekday() >= 5:
        found = found.replace(hour=23, minute=59, second=59) - timedelta(days=1)
    left = days
    while left:
        found -= timedelta(days=1)
        if found.weekday() < 5:
            left -= 1
    return found


def age(moment: datetime, now: datetime) -> timedelta:
    return now - moment
