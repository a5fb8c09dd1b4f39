"""Shared schema pieces: pagination and money/percent types."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from fastapi import Header, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints

from domain import inventory

MAX_PAGE_SIZE = 100
T = TypeVar("T")

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Quantity = Annotated[int, Field(ge=1, le=inventory.MAX_QUANTITY)]
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
"""Free text that PostgreSQL can store: anything but NUL."""

EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)


def _within_business_time(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise ValueError("give a time between 1970 and 2999")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_within_business_time)]
"""A timezone-aware instant in a range every layer can store and read back (ISO 8601, e.g. `…Z`)."""


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


IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Retry-safe key per client: a retry with it returns the first result"),
]


def set_fields(model: BaseModel, nullable: frozenset[str] = frozenset()) -> dict[str, object]:
    """The fields a PATCH body set; an explicit null clears only the `nullable` ones (others are skipped)."""
    return {k: v for k, v in model.model_dump(exclude_unset=True).items() if v is not None or k in nullable}
