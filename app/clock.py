"""The date as the standard means it: the calendar day in the Netherlands.

iWmo dates (Dagtekening, DagtekeningRetour, the days rules compare against) are Dutch
calendar days. A server's own clock is often UTC, which is still "yesterday" for the
first one or two hours of a Dutch day: a message dated today would then be refused as
dated in the future (TR135), and retours would carry yesterday's date.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

NETHERLANDS = ZoneInfo("Europe/Amsterdam")


def today() -> date:
    """Today's date in the Netherlands, whatever the server's time zone."""
    return datetime.now(NETHERLANDS).date()
