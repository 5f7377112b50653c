"""The service's date is the Dutch calendar day, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

import pytest

from app import clock


class _Frozen(datetime):
    instant = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return cls.instant.astimezone(tz) if tz else cls.instant.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2027, 3, 1, 23, 30, tzinfo=UTC), date(2027, 3, 2)),  # winter: UTC+1
        (datetime(2027, 7, 1, 22, 30, tzinfo=UTC), date(2027, 7, 2)),  # summer: UTC+2
        (datetime(2027, 7, 1, 21, 30, tzinfo=UTC), date(2027, 7, 1)),
    ],
)
def test_today_is_the_day_in_the_netherlands(
    instant: datetime, day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Frozen, "instant", instant)
    monkeypatch.setattr(clock, "datetime", _Frozen)
    assert clock.today() == day
