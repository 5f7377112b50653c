"""Routing's words for where a delegation and a relay stand: closed sets, as enums whose
values are what the database and the API hold (see ``app.administration.kinds``)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DelegationStatus", "RelayStatus"]


class DelegationStatus(StrEnum):
    SENT = "sent"  # the subcontractor's 301 is in its mailbox, not yet answered
    CONFIRMED = "confirmed"  # the subcontractor approved it (WMO302)
    REFUSED = "refused"  # the subcontractor refused it (WMO302 with codes)
    WITHDRAWN = "withdrawn"  # sent by mistake and taken back (RedenWijziging 13)


class RelayStatus(StrEnum):
    SENT = "sent"  # in the municipality's mailbox, not yet answered
    ACCEPTED = "accepted"  # the municipality approved it (WMO306, WMO308)
    REJECTED = "rejected"  # the municipality refused it
    RESENT = "resent"  # sent again, as another relay
