"""Reports for owners (and stock alerts for staff): profit and loss, stock aging, inventory
valuation and the dashboard.

Every figure is aggregated by PostgreSQL; Python only shapes the few rows that come back.
Money comes from the journal where the books are the source of truth (P&L, period sales) and from
the order lines where a figure is about products (rankings, units sold). Day boundaries (today,
week, month, the 30-day trend) are the client's own midnight, in its timezone.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Numeric,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from domain import tenancy
from domain.context import Context, scoped
from domain.errors import ValidationFailed
from domain.models import (
    Account,
    JournalHour,
    JournalLine,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ReceiptLayer,
    Return,
    Role,
    User,
    Variant,
)
from domain.models.base import utcnow
from domain.money import HUNDRED, ZERO, cents

HOUR = timedelta(hours=1)
TREND_DAYS = 30
RANKED_PRODUCTS = 5

PNL_ACCOUNTS = (
    Account.REVENUE,
    Account.SALES_DISCOUNTS,
    Account.REFUNDS,
    Account.COGS,
    Account.COMMISSION_EXPENSE,
    Account.INVENTORY_WRITE_OFF,
)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfitAndLoss:
    """The income statement for [start, end), from the journal.

    net_sales = revenue − discounts − refunds; gross_profit = net_sales − cogs;
    net_profit = gross_profit − commission − inventory_write_offs. `order_count` counts orders
    placed in the period that are not cancelled.
    """

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
    order_count: int


@dataclass(frozen=True)
class AgingBucket:
    """Stock still on the shelf that arrived between `min_days` and `max_days` days ago (None: no upper end).

    `value` is the remaining units at their layer's unit cost. Product fields are set in the
    per-product breakdown only.
    """

    label: str
    min_days: int
    max_days: int | None
    quantity: int
    value: Decimal
    product_id: uuid.UUID | None = None
    product_name: str | None = None


@dataclass(frozen=True)
class CategoryValue:
    """Units on hand and their book value in one category."""

    category: str
    units: int
    value: Decimal


@dataclass(frozen=True)
class VariantValue:
    """One SKU's stock at its weighted-average cost."""

    variant_id: uuid.UUID
    sku: str
    product_name: str
    category: str
    on_hand: int
    avg_cost: Decimal
    value: Decimal


@dataclass(frozen=True)
class Valuation:
    """Inventory at book value: total = Σ round(on_hand × avg_cost, 2), which is the inventory account."""

    total: Decimal
    units: int
    categories: list[CategoryValue]
    variants: list[VariantValue]


@dataclass(frozen=True)
class StockAlerts:
    """Active SKUs running low (0 < on hand ≤ reorder point) or out of stock."""

    low_stock_count: int
    out_of_stock_count: int


@dataclass(frozen=True)
class ProductPerformance:
    """One product's sales over a window, net of returns: units, revenue after discounts, gross profit."""

    product_id: uuid.UUID
    product_name: str
    units_sold: int
    revenue: Decimal
    gross_profit: Decimal


@dataclass(frozen=True)
class DailyOrders:
    """Orders placed on one local day (cancelled ones excluded) and what they were worth."""

    day: date
    order_count: int
    revenue: Decimal


@dataclass(frozen=True)
class Dashboard:
    """The owner's KPIs as of `as_of`; every field is present (zeros, empty lists or None) on an empty shop.

    Rolling figures cover the last 30 local days including today.
    """

    as_of: datetime
    timezone: str
    currency: str
    today: ProfitAndLoss
    week_to_date: ProfitAndLoss
    month_to_date: ProfitAndLoss
    inventory_value: Decimal
    units_on_hand: int
    units_sold_30d: int
    sell_through_pct: Decimal
    days_of_inventory: Decimal | None
    returns_count_30d: int
    refunds_30d: Decimal
    low_stock_count: int
    out_of_stock_count: int
    top_products_by_revenue: list[ProductPerformance]
    bottom_products_by_revenue: list[ProductPerformance]
    top_products_by_profit: list[ProductPerformance]
    bottom_products_by_profit: list[ProductPerformance]
    order_count_30d: int
    average_order_value_30d: Decimal
    daily_orders: list[DailyOrders]


# ---------------------------------------------------------------------------------------------
# Profit and loss
# ---------------------------------------------------------------------------------------------


def profit_and_loss(session: Session, ctx: Context, start: datetime, end: datetime) -> ProfitAndLoss:
    """The P&L for [start, end) (timezone-aware), from the journal: revenue, discounts, refunds,
    net sales, COGS, gross profit and margin, commission, write-offs, net profit, order count."""
    ctx.require(Role.OWNER, action="reading the profit and loss report")
    _check_period(start, end)
    scoped(session, ctx)
    balances = _account_balances(session, ctx, start, end)
    revenue = ZERO - balances.get(Account.REVENUE, ZERO)  # a credit balance; ZERO − keeps 0.00 unsigned
    discounts = balances.get(Account.SALES_DISCOUNTS, ZERO)
    refunds = balances.get(Account.REFUNDS, ZERO)
    cogs = balances.get(Account.COGS, ZERO)
    commission = balances.get(Account.COMMISSION_EXPENSE, ZERO)
    write_offs = balances.get(Account.INVENTORY_WRITE_OFF, ZERO)
    net_sales = revenue - discounts - refunds
    gross_profit = net_sales - cogs
    return ProfitAndLoss(
        start=start,
        end=end,
        revenue=revenue,
        discounts=discounts,
        refunds=refunds,
        net_sales=net_sales,
        cogs=cogs,
        gross_profit=gross_profit,
        gross_margin_pct=_percent(gross_profit, net_sales),
        commission=commission,
        inventory_write_offs=write_offs,
        net_profit=gross_profit - commission - write_offs,
        order_count=session.scalar(_orders_placed(ctx, start, end)) or 0,
    )


def _as_of(now: datetime | None) -> datetime:
    """The report's "now": the given moment (timezone-aware) or the current time."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValidationFailed("give the report's time with a timezone (UTC)")
    return now


def _check_period(start: datetime, end: datetime) -> None:
    """Refuse naive datetimes and empty or reversed periods."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("give the period's start and end with a timezone (UTC)")
    if start >= end:
        raise ValidationFailed("the period's start must come before its end")


def month_to_date(session: Session, ctx: Context, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The default P&L period: [midnight on the 1st of this month in the client's timezone, now)."""
    at = _as_of(now)
    zone = ZoneInfo(tenancy.get_client(scoped(session, ctx), ctx.client_id).timezone)
    return _local_midnight(at.astimezone(zone).date().replace(day=1), zone), at


def _account_balances(session: Session, ctx: Context, start: datetime, end: datetime) -> dict[Account, Decimal]:
    """Σ(debit − credit) per P&L account over [start, end).

    Whole UTC hours come from the hourly rollup that a trigger keeps beside the journal (a year is
    ~9k rows instead of millions of lines); the partial hours at either edge come from the lines.
    """
    whole_from, whole_to = _ceil_hour(start), _floor_hour(end)
    parts: list[Select] = []
    if whole_from < whole_to:
        parts.append(_rollup_amounts(ctx, whole_from, whole_to))
        edges = [(start, whole_from), (whole_to, end)]
    else:
        edges = [(start, end)]
    edges = [(lo, hi) for lo, hi in edges if lo < hi]
    if edges:
        parts.append(_line_amounts(ctx, edges))
    amounts = union_all(*parts).subquery("amounts")
    rows = session.execute(select(amounts.c.account, func.sum(amounts.c.amount)).group_by(amounts.c.account))
    return {Account(account): Decimal(total) for account, total in rows}


def _rollup_amounts(ctx: Context, start: datetime, end: datetime) -> Select:
    """(account, amount) rows of the hourly rollup for whole hours in [start, end)."""
    return select(JournalHour.account, (JournalHour.debit - JournalHour.credit).label("amount")).where(
        JournalHour.client_id == ctx.client_id,
        JournalHour.account.in_(PNL_ACCOUNTS),
        JournalHour.hour >= start,
        JournalHour.hour < end,
    )


def _line_amounts(ctx: Context, ranges: Iterable[tuple[datetime, datetime]]) -> Select:
    """(account, amount) rows of the journal lines inside any of the [lo, hi) `ranges`."""
    return select(JournalLine.account, (JournalLine.debit - JournalLine.credit).label("amount")).where(
        JournalLine.client_id == ctx.client_id,
        JournalLine.account.in_(PNL_ACCOUNTS),
        or_(*(and_(JournalLine.occurred_at >= lo, JournalLine.occurred_at < hi) for lo, hi in ranges)),
    )


def _orders_placed(ctx: Context, start: datetime, end: datetime) -> Select:
    """How many orders placed in [start, end) are not cancelled."""
    return select(func.count()).where(
        Order.client_id == ctx.client_id,
        Order.status != OrderStatus.CANCELLED,
        Order.created_at >= start,
        Order.created_at < end,
    )


def _money_sum(amount: ColumnElement[Decimal]) -> ColumnElement[Decimal]:
    """Σ amount, 0.00 when there are no rows."""
    return func.coalesce(func.sum(amount), ZERO)


def _floor_hour(moment: datetime) -> datetime:
    """The start of `moment`'s UTC hour."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    """The first whole UTC hour at or after `moment`."""
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, to 2 places; 0 when `whole` is 0."""
    return cents(part * HUNDRED / whole) if whole else ZERO


# ---------------------------------------------------------------------------------------------
# Stock aging
# ---------------------------------------------------------------------------------------------

AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


def stock_aging(
    session: Session, ctx: Context, now: datetime | None = None, *, by_product: bool = False
) -> list[AgingBucket]:
    """What remains on the shelf by age (0–30, 31–60, 61–90, 90+ days since it was received), in
    units and at cost, from the open FIFO receipt layers.

    With `by_product`, four buckets per product that has stock, products by name.
    """
    ctx.require(Role.OWNER, action="reading stock aging")
    at = _as_of(now)
    rows = scoped(session, ctx).execute(_aging_query(ctx, at, by_product)).all()
    totals = {(row.product_id, row.bucket): (int(row.quantity), Decimal(row.value)) for row in rows}
    products = list(dict.fromkeys((row.product_id, row.product_name) for row in rows))
    return [
        AgingBucket(label, low, high, *totals.get((product_id, index), (0, ZERO)), product_id, product_name)
        for product_id, product_name in (products if by_product else [(None, None)])
        for index, (label, low, high) in enumerate(AGING_BUCKETS)
    ]


def _aging_query(ctx: Context, now: datetime, by_product: bool) -> Select:
    """Open layers' units and cost per age bucket (index into AGING_BUCKETS), optionally per product."""
    age_days = func.floor(func.extract("epoch", literal(now) - ReceiptLayer.received_at) / 86400)
    bucket = case(
        *((age_days <= high, index) for index, (_, _, high) in enumerate(AGING_BUCKETS) if high is not None),
        else_=len(AGING_BUCKETS) - 1,
    ).label("bucket")
    product_id = Product.id if by_product else literal(None, Product.id.type)
    product_name = Product.name if by_product else literal(None, Product.name.type)
    query = (
        select(
            product_id.label("product_id"),
            product_name.label("product_name"),
            bucket,
            func.sum(ReceiptLayer.quantity_remaining).label("quantity"),
            func.round(func.sum(ReceiptLayer.quantity_remaining * ReceiptLayer.unit_cost), 2).label("value"),
        )
        .where(ReceiptLayer.client_id == ctx.client_id, ReceiptLayer.quantity_remaining > 0)
        .group_by(product_id, product_name, bucket)
    )
    if by_product:
        query = (
            query.join(Variant, Variant.id == ReceiptLayer.variant_id)
            .join(Product, Product.id == Variant.product_id)
            .order_by(Product.name, Product.id)
        )
    return query


# ---------------------------------------------------------------------------------------------
# Inventory valuation and stock alerts
# ---------------------------------------------------------------------------------------------

VARIANT_VALUE = func.round(Variant.on_hand * Variant.avg_cost, 2)
"""One SKU's book value, rounded per SKU exactly as the journal postings are."""


def inventory_valuation(session: Session, ctx: Context, *, limit: int = 50) -> Valuation:
    """Inventory at weighted-average cost: the total (equal to the inventory account), subtotals per
    category, and the `limit` most valuable SKUs."""
    ctx.require(Role.OWNER, action="reading the inventory valuation")
    whole = scoped(session, ctx).execute(_inventory_snapshot(ctx)).one()
    categories = [
        CategoryValue(row.category, int(row.units), Decimal(row.value))
        for row in session.execute(_category_values(ctx))
    ]
    variants = [
        VariantValue(row.id, row.sku, row.name, row.category, row.on_hand, row.avg_cost, Decimal(row.value))
        for row in session.execute(_most_valuable_variants(ctx, limit))
    ]
    return Valuation(total=Decimal(whole.value), units=int(whole.units), categories=categories, variants=variants)


def _category_values(ctx: Context) -> Select:
    """Units and book value per product category, most valuable first."""
    return (
        select(
            Product.category,
            func.sum(Variant.on_hand).label("units"),
            func.sum(VARIANT_VALUE).label("value"),
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.client_id == ctx.client_id)
        .group_by(Product.category)
        .order_by(func.sum(VARIANT_VALUE).desc(), Product.category)
    )


def _most_valuable_variants(ctx: Context, limit: int) -> Select:
    """The `limit` SKUs holding the most book value."""
    return (
        select(
            Variant.id,
            Variant.sku,
            Product.name,
            Product.category,
            Variant.on_hand,
            Variant.avg_cost,
            VARIANT_VALUE.label("value"),
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.client_id == ctx.client_id, Variant.on_hand > 0)
        .order_by(VARIANT_VALUE.desc(), Variant.sku)
        .limit(limit)
    )


def stock_alerts(session: Session, ctx: Context) -> StockAlerts:
    """How many active SKUs are low (0 < on hand ≤ reorder point) or out of stock (staff may read)."""
    ctx.require_staff(action="reading stock alerts")
    row = scoped(session, ctx).execute(_inventory_snapshot(ctx)).one()
    return StockAlerts(row.low_stock, row.out_of_stock)


def _inventory_snapshot(ctx: Context) -> Select:
    """Book value and units of all stock, with low/out-of-stock counts over active SKUs: one pass."""
    sellable = and_(Variant.is_active.is_(True), Product.is_active.is_(True))
    return (
        select(
            _money_sum(VARIANT_VALUE).label("value"),
            func.coalesce(func.sum(Variant.on_hand), 0).label("units"),
            func.count()
            .filter(sellable, Variant.on_hand > 0, Variant.on_hand <= Variant.reorder_point)
            .label("low_stock"),
            func.count().filter(sellable, Variant.on_hand == 0).label("out_of_stock"),
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.client_id == ctx.client_id)
    )


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """[since, until) in UTC, and the local days it spans."""

    since: datetime
    until: datetime
    first_day: date
    last_day: date


def dashboard(session: Session, ctx: Context, now: datetime | None = None) -> Dashboard:
    """The owner's KPIs: sales today / week / month to date, inventory value, sell-through,
    returns, stock alerts, days of inventory, best and worst products, AOV and the 30-day trend."""
    ctx.require(Role.OWNER, action="reading the dashboard")
    at = _as_of(now)
    client = tenancy.get_client(scoped(session, ctx), ctx.client_id)
    zone = ZoneInfo(client.timezone)
    today = at.astimezone(zone).date()
    recent = _last_days(TREND_DAYS, today, zone, at)

    stock = session.execute(_inventory_snapshot(ctx)).one()
    sales = _sales_summary(session, ctx, recent)
    units_sold = sales.units_sold
    returns_count, refunds = session.execute(_returns_summary(ctx, recent)).one()
    order_count, order_value = session.execute(_orders_summary(ctx, recent)).one()
    return Dashboard(
        as_of=at,
        timezone=client.timezone,
        currency=client.currency,
        today=profit_and_loss(session, ctx, _local_midnight(today, zone), at),
        week_to_date=profit_and_loss(session, ctx, _local_midnight(today - timedelta(today.weekday()), zone), at),
        month_to_date=profit_and_loss(session, ctx, _local_midnight(today.replace(day=1), zone), at),
        inventory_value=Decimal(stock.value),
        units_on_hand=int(stock.units),
        units_sold_30d=units_sold,
        sell_through_pct=_percent(Decimal(units_sold), Decimal(units_sold + stock.units)),
        days_of_inventory=_days_of_inventory(int(stock.units), units_sold),
        returns_count_30d=returns_count,
        refunds_30d=Decimal(refunds),
        low_stock_count=stock.low_stock,
        out_of_stock_count=stock.out_of_stock,
        top_products_by_revenue=sales.rankings["revenue", "top"],
        bottom_products_by_revenue=sales.rankings["revenue", "bottom"],
        top_products_by_profit=sales.rankings["gross_profit", "top"],
        bottom_products_by_profit=sales.rankings["gross_profit", "bottom"],
        order_count_30d=order_count,
        average_order_value_30d=cents(order_value / order_count) if order_count else ZERO,
        daily_orders=[
            DailyOrders(row.day, row.order_count, Decimal(row.revenue))
            for row in session.execute(_daily_orders(ctx, recent, client.timezone))
        ],
    )


@dataclass(frozen=True)
class InventoryDays:
    """One SKU on the shelf: units on hand, units sold over the last 30 local days, and how many days
    the stock lasts at that pace (None when nothing sold)."""

    sku: str
    product_name: str
    on_hand: int
    units_sold_30d: int
    days_of_inventory: Decimal | None


def _recent(session: Session, ctx: Context, now: datetime | None) -> _Window:
    """The last TREND_DAYS local days of the client, today included."""
    at = _as_of(now)
    zone = ZoneInfo(tenancy.get_client(scoped(session, ctx), ctx.client_id).timezone)
    return _last_days(TREND_DAYS, at.astimezone(zone).date(), zone, at)


def product_performance(session: Session, ctx: Context, now: datetime | None = None) -> list[ProductPerformance]:
    """Every product sold over the last 30 local days (net of returns), best revenue first: the
    population of the margin histogram."""
    ctx.require(Role.OWNER, action="reading product performance")
    sales = _product_sales(ctx, _recent(session, ctx, now)).subquery("sales")
    query = (
        select(sales, Product.name)
        .join(Product, Product.id == sales.c.product_id)
        .order_by(sales.c.revenue.desc(), Product.name)
    )
    return [
        ProductPerformance(row.product_id, row.name, int(row.units), Decimal(row.revenue), Decimal(row.gross_profit))
        for row in session.execute(query)
    ]


def inventory_days(
    session: Session, ctx: Context, now: datetime | None = None, *, limit: int = 20
) -> list[InventoryDays]:
    """SKUs in stock with the days their stock lasts at the last 30 days' pace, shortest first
    (unsold stock last); the per-SKU breakdown of the dashboard's days of inventory."""
    ctx.require(Role.OWNER, action="reading days of inventory")
    live = _live_orders(ctx, _recent(session, ctx, now)).subquery("live")
    sold = (
        select(OrderLine.variant_id, func.sum(OrderLine.quantity - OrderLine.returned_quantity).label("units"))
        .join(live, live.c.id == OrderLine.order_id)
        .where(OrderLine.client_id == ctx.client_id)
        .group_by(OrderLine.variant_id)
        .subquery("sold")
    )
    units = func.coalesce(sold.c.units, 0)
    days = case((units > 0, Variant.on_hand * TREND_DAYS / cast(units, Numeric)), else_=None)
    query = (
        select(Variant.sku, Product.name, Variant.on_hand, units.label("units"))
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(sold, sold.c.variant_id == Variant.id)
        .where(Variant.client_id == ctx.client_id, Variant.is_active.is_(True), Variant.on_hand > 0)
        .order_by(days.asc().nulls_last(), Variant.sku)
        .limit(limit)
    )
    return [
        InventoryDays(row.sku, row.name, row.on_hand, int(row.units), _days_of_inventory(row.on_hand, int(row.units)))
        for row in session.execute(query)
    ]


def _last_days(days: int, today: date, zone: ZoneInfo, now: datetime) -> _Window:
    """The last `days` local days, today included, up to `now`."""
    first_day = today - timedelta(days=days - 1)
    return _Window(_local_midnight(first_day, zone), now, first_day, today)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment `day` starts in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _days_of_inventory(units_on_hand: int, units_sold: int) -> Decimal | None:
    """On-hand units over the average daily units sold in the window; None when nothing sold."""
    if units_sold <= 0:
        return None
    return (Decimal(units_on_hand) * TREND_DAYS / units_sold).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _live_orders(ctx: Context, window: _Window) -> Select:
    """Orders placed in the window and not cancelled (the base of every order-side figure)."""
    return select(Order).where(
        Order.client_id == ctx.client_id,
        Order.status != OrderStatus.CANCELLED,
        Order.created_at >= window.since,
        Order.created_at < window.until,
    )


def _kept(amount: ColumnElement[Decimal]) -> ColumnElement[Decimal]:
    """The part of a line's `amount` that was not returned (refunds take the same rounded share).

    Most lines are never returned; the CASE spares them the numeric arithmetic.
    """
    returned_share = func.round(amount * OrderLine.returned_quantity / OrderLine.quantity, 2)
    return case((OrderLine.returned_quantity == 0, amount), else_=amount - returned_share)


def _product_sales(ctx: Context, window: _Window) -> Select:
    """Per product: units kept, revenue after discounts and returns, gross profit."""
    live = _live_orders(ctx, window).subquery("live")
    revenue = func.sum(_kept(OrderLine.line_total))
    return (
        select(
            Variant.product_id,
            func.sum(OrderLine.quantity - OrderLine.returned_quantity).label("units"),
            revenue.label("revenue"),
            (revenue - func.sum(_kept(OrderLine.cogs_amount))).label("gross_profit"),
        )
        .join(live, live.c.id == OrderLine.order_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(OrderLine.client_id == ctx.client_id)
        .group_by(Variant.product_id)
    )


RANKINGS = (("revenue", "top"), ("revenue", "bottom"), ("gross_profit", "top"), ("gross_profit", "bottom"))


@dataclass(frozen=True)
class _SalesSummary:
    """Units sold over a window, and the products at either end of each ranking."""

    units_sold: int
    rankings: dict[tuple[str, str], list[ProductPerformance]]


def _sales_summary(session: Session, ctx: Context, window: _Window) -> _SalesSummary:
    """Top and bottom products by revenue and by gross profit, and the units sold of all products:
    one statement, one pass over the window's order lines."""
    sales = _product_sales(ctx, window).cte("sales")
    named = (
        select(sales, Product.name, func.sum(sales.c.units).over().label("units_sold"))
        .join(Product, Product.id == sales.c.product_id)
        .cte("named")
    )
    query = union_all(*(select(_ranked(named, metric, end).subquery()) for metric, end in RANKINGS))
    rankings: dict[tuple[str, str], list[ProductPerformance]] = {ranking: [] for ranking in RANKINGS}
    units_sold = 0
    for row in session.execute(query):
        performance = ProductPerformance(
            row.product_id, row.name, int(row.units), Decimal(row.revenue), Decimal(row.gross_profit)
        )
        rankings[row.metric, row.end].append(performance)
        units_sold = int(row.units_sold)
    return _SalesSummary(units_sold, rankings)


def _ranked(named: CTE, metric: str, end: str) -> Select:
    """The RANKED_PRODUCTS products at the `end` ("top" or "bottom") of `metric`, ties by name."""
    column = named.c[metric]
    return (
        select(literal(metric).label("metric"), literal(end).label("end"), named)
        .order_by(column.desc() if end == "top" else column.asc(), named.c.name, named.c.product_id)
        .limit(RANKED_PRODUCTS)
    )


def _returns_summary(ctx: Context, window: _Window) -> Select:
    """How many returns (and exchanges) the window saw, and what they refunded."""
    return select(func.count(Return.id), _money_sum(Return.refund_amount)).where(
        Return.client_id == ctx.client_id,
        Return.created_at >= window.since,
        Return.created_at < window.until,
    )


def _orders_summary(ctx: Context, window: _Window) -> Select:
    """How many live orders the window saw, and their total value (for the AOV)."""
    live = _live_orders(ctx, window).subquery("live")
    return select(func.count(), _money_sum(live.c.total))


def _daily_orders(ctx: Context, window: _Window, timezone: str) -> Select:
    """Orders and their value per local day over the window, every day present (zero-filled)."""
    live = _live_orders(ctx, window).subquery("live")
    local_day = cast(func.timezone(timezone, live.c.created_at), Date)
    per_day = (
        select(local_day.label("day"), func.count().label("order_count"), func.sum(live.c.total).label("revenue"))
        .group_by(local_day)
        .subquery("per_day")
    )
    days = select(
        cast(func.generate_series(window.first_day, window.last_day, timedelta(days=1)), Date).label("day")
    ).subquery("days")
    return (
        select(
            days.c.day,
            func.coalesce(per_day.c.order_count, 0).label("order_count"),
            func.coalesce(per_day.c.revenue, ZERO).label("revenue"),
        )
        .outerjoin(per_day, per_day.c.day == days.c.day)
        .order_by(days.c.day)
    )


# ---------------------------------------------------------------------------------------------
# Sales by product, category, channel, payment method or staff member
# ---------------------------------------------------------------------------------------------


class Breakdown(enum.StrEnum):
    """What period sales can be grouped by."""

    PRODUCT = "product"
    CATEGORY = "category"
    CHANNEL = "channel"
    PAYMENT_METHOD = "payment_method"
    STAFF = "staff"


NO_STAFF = "no staff member (customer or system)"


@dataclass(frozen=True)
class SalesGroup:
    """One group's sales in a period: orders, units kept and revenue after discounts and returns."""

    key: str
    orders: int
    units: int
    revenue: Decimal


def sales_breakdown(
    session: Session, ctx: Context, start: datetime, end: datetime, by: Breakdown | str
) -> list[SalesGroup]:
    """Sales of orders placed in [start, end) and not cancelled, grouped `by` one dimension, by
    revenue (highest first). Owners only."""
    ctx.require(Role.OWNER, action="reading sales figures")
    _check_period(start, end)
    try:
        by = Breakdown(by)
    except ValueError:
        raise ValidationFailed(f"sales can be grouped by {', '.join(b.value for b in Breakdown)}") from None
    scoped(session, ctx)
    live = _live_orders(ctx, _Window(start, end, start.date(), end.date())).subquery("live")
    key = {
        Breakdown.PRODUCT: Product.name,
        Breakdown.CATEGORY: Product.category,
        Breakdown.CHANNEL: cast(live.c.channel, String),
        Breakdown.PAYMENT_METHOD: cast(live.c.payment_method, String),
        Breakdown.STAFF: func.coalesce(User.username, NO_STAFF),
    }[by].label("key")
    revenue = func.sum(_kept(OrderLine.line_total))
    query = (
        select(
            key,
            func.count(func.distinct(live.c.id)).label("orders"),
            func.sum(OrderLine.quantity - OrderLine.returned_quantity).label("units"),
            revenue.label("revenue"),
        )
        .join(live, live.c.id == OrderLine.order_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(User, User.id == live.c.created_by_user_id)
        .where(OrderLine.client_id == ctx.client_id)
        .group_by(key)
        .order_by(revenue.desc(), key)
    )
    return [SalesGroup(str(r.key), int(r.orders), int(r.units), Decimal(r.revenue)) for r in session.execute(query)]
