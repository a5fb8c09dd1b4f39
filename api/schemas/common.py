"""Shared schema pieces: pagination and money/percent types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

MAX_PAGE_SIZE = 100
T = TypeVar("T")

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matches."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    """`?limit=&offset=` with a capped page size."""

    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=1_000_000)


PageQuery = Annotated[PageParams, Query()]
