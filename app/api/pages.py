"""Keyset pagination: ``after`` (the last id seen) and ``limit``."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_after: int | None = Field(
        description="pass as `after` for the next page; null on the last page"
    )

    @classmethod
    def of(cls, items: list[T], limit: int) -> Page[T]:
        last = getattr(items[-1], "id", None) if items and len(items) == limit else None
        return cls(items=items, next_after=last)


def page_params(
    after: Annotated[int, Query(ge=0, description="last id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> tuple[int, int]:
    return after, limit
