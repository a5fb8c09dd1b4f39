"""/reports: profit and loss, stock aging, inventory valuation and the dashboard (owners only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.auth import OwnerCaller
from api.routing import ApiRouter
from api.schemas.common import MAX_PAGE_SIZE, Moment
from api.schemas.reports import AgingBucketRead, DashboardRead, ProfitAndLossRead, StockAgingRead, ValuationRead
from domain import reports
from domain.models.base import utcnow

router = ApiRouter(prefix="/reports", tags=["reports"])


@router.get("/profit-loss")
def profit_and_loss(
    caller: OwnerCaller,
    start: Annotated[Moment | None, Query(description="ISO 8601 with a timezone; default: the month's start")] = None,
    end: Annotated[Moment | None, Query(description="ISO 8601 with a timezone, exclusive; default: now")] = None,
) -> ProfitAndLossRead:
    """The income statement for [start, end) from the journal; month to date by default.

    `end` must come after `start` and both need a timezone (`Z` or `%2B01:00`), else 422.
    """
    with caller.transaction() as (session, ctx):
        month_start, now = reports.month_to_date(session, ctx)
        return ProfitAndLossRead.model_validate(reports.profit_and_loss(session, ctx, start or month_start, end or now))


@router.get("/stock-aging")
def stock_aging(caller: OwnerCaller) -> StockAgingRead:
    """Units and cost still on the shelf by how long ago they were received."""
    with caller.transaction() as (session, ctx):
        now = utcnow()
        buckets = reports.stock_aging(session, ctx, now)
        return StockAgingRead(as_of=now, buckets=[AgingBucketRead.model_validate(b) for b in buckets])


@router.get("/inventory-valuation")
def inventory_valuation(
    caller: OwnerCaller,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="How many of the most valuable SKUs")] = 50,
) -> ValuationRead:
    """Stock at weighted-average cost: the total, per category, and the most valuable SKUs."""
    with caller.transaction() as (session, ctx):
        return ValuationRead.model_validate(reports.inventory_valuation(session, ctx, limit=limit))


@router.get("/dashboard")
def dashboard(caller: OwnerCaller) -> DashboardRead:
    """Sales today / week / month to date, stock value and alerts, sell-through, returns, best and
    worst products, average order value and the 30-day trend."""
    with caller.transaction() as (session, ctx):
        return DashboardRead.model_validate(reports.dashboard(session, ctx))
