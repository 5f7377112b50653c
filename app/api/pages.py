"""Keyset pagination: ``after`` (the last id seen) and ``limit``."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from app.api.fields import MAX_ID, WHOLE_NUMBER

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list, oldest first."""

    items: list[T] = Field(description="at most `limit` items, by ascending id")
    next_after: int | None = Field(
        description="pass as `after` for the next page; null on the last page",
        examples=[50, None],
    )

    @classmethod
    def of(cls, items: list[T], limit: int) -> Page[T]:
        last = getattr(items[-1], "id", None) if items and len(items) == limit else None
        return cls(items=items, next_after=last)


def page_params(
    after: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_ID,
            description="the last id you saw (`next_after` of the previous page); 0 to start",
            examples=[0],
        ),
        WHOLE_NUMBER,
    ] = 0,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description="at most this many items", examples=[50]),
        WHOLE_NUMBER,
    ] = 50,
) -> tuple[int, int]:
    return after, limit
