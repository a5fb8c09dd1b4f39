"""Report schemas (owners only): profit and loss, stock aging, inventory valuation, dashboard."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ProfitAndLossRead(BaseModel):
    """The income statement for [start, end), from the journal.

    net_sales = revenue − discounts − refunds; gross_profit = net_sales − cogs;
    net_profit = gross_profit − commission − inventory_write_offs.
    """

    model_config = ConfigDict(from_attributes=True)

    start: datetime
    end: datetime
    revenue: Decimal
    discounts: Decimal
    refunds: Decimal
    net_sales: Decimal
    cogs: Decimal
    gross_profit: Decimal
    gross_margin_pct: Decimal
    commission: Decimal
    inventory_write_offs: Decimal
    net_profit: Decimal
    order_count: int = Field(description="Orders placed in the period and not cancelled")


class AgingBucketRead(BaseModel):
    """Stock on the shelf that arrived between `min_days` and `max_days` days ago, at cost."""

    model_config = ConfigDict(from_attributes=True)

    label: str
    min_days: int
    max_days: int | None
    quantity: int
    value: Decimal


class StockAgingRead(BaseModel):
    """Remaining stock by age (0-30, 31-60, 61-90, 90+ days since receipt)."""

    as_of: datetime
    buckets: list[AgingBucketRead]


class CategoryValueRead(BaseModel):
    """Units on hand and their book value in one category."""

    model_config = ConfigDict(from_attributes=True)

    category: str
    units: int
    value: Decimal


class VariantValueRead(BaseModel):
    """One SKU's stock at its weighted-average cost."""

    model_config = ConfigDict(from_attributes=True)

    variant_id: uuid.UUID
    sku: str
    product_name: str
    category: str
    on_hand: int
    avg_cost: Decimal
    value: Decimal


class ValuationRead(BaseModel):
    """Inventory at book value (equal to the inventory account), per category and for the most valuable SKUs."""

    model_config = ConfigDict(from_attributes=True)

    total: Decimal
    units: int
    categories: list[CategoryValueRead]
    variants: list[VariantValueRead]


class ProductPerformanceRead(BaseModel):
    """One product's sales over the last 30 days, net of returns."""

    model_config = ConfigDict(from_attributes=True)

    product_id: uuid.UUID
    product_name: str
    units_sold: int
    revenue: Decimal
    gross_profit: Decimal


class DailyOrdersRead(BaseModel):
    """Orders placed on one local day (cancelled ones excluded) and their value."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    order_count: int
    revenue: Decimal


class DashboardRead(BaseModel):
    """The owner's KPIs; rolling figures cover the last 30 local days including today."""

    model_config = ConfigDict(from_attributes=True)

    as_of: datetime
    timezone: str
    currency: str
    today: ProfitAndLossRead
    week_to_date: ProfitAndLossRead
    month_to_date: ProfitAndLossRead
    inventory_value: Decimal
    units_on_hand: int
    units_sold_30d: int
    sell_through_pct: Decimal
    days_of_inventory: Decimal | None
    returns_count_30d: int
    refunds_30d: Decimal
    low_stock_count: int
    out_of_stock_count: int
    top_products_by_revenue: list[ProductPerformanceRead]
    bottom_products_by_revenue: list[ProductPerformanceRead]
    top_products_by_profit: list[ProductPerformanceRead]
    bottom_products_by_profit: list[ProductPerformanceRead]
    order_count_30d: int
    average_order_value_30d: Decimal
    daily_orders: list[DailyOrdersRead]
