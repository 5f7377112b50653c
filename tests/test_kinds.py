"""Closed sets (roles, variants, statuses) are enums, stored as their text."""

from __future__ import annotations

from typing import get_args

from sqlalchemy import select

from app.administration.kinds import MessageStatus, Role, Variant
from app.administration.models import Participant
from app.api.berichten import StatusFilter
from app.api.management import Role as ApiRole
from app.routing.contracts.schema import Variant as ApiVariant
from app.services import Services


def test_the_api_states_the_same_closed_sets_as_the_administration() -> None:
    """The API's literal types are the enums' values (one source of truth: the enums)."""
    assert set(get_args(get_args(StatusFilter)[0])) == {s.value for s in MessageStatus}
    assert set(get_args(ApiRole)) == {r.value for r in Role}
    assert set(get_args(ApiVariant)) == {v.value for v in Variant}


def test_an_enum_column_reads_back_as_its_enum(services: Services) -> None:
    from app.administration import participants

    with services.database.write() as s:
        participants.add(s, "0363", "municipality", "Amsterdam")
    with services.database.read() as s:
        found = s.scalar(select(Participant).where(Participant.code == "0363"))
        assert found is not None and found.role is Role.MUNICIPALITY
