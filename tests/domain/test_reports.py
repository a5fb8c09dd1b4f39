"""Reports on real PostgreSQL: P&L from the journal, stock aging, valuation, the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from domain import inventory, journal, orders, reports, returns
from domain.context import Context
from domain.errors import Forbidden, ValidationFailed
from domain.models import Account, Channel, ItemCondition, PaymentStatus, Role
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.returns import ReturnItem
from tests.conftest import make_tenant

D = Decimal
PAID = PaymentStatus.PAID


def draft(*lines: tuple[object, int], **kwargs: object) -> OrderDraft:
    return OrderDraft(lines=[LineRequest(v.id, q) for v, q in lines], payment_status=PAID, **kwargs)  # type: ignore[attr-defined]


def delivered(db: Session, ctx: Context, *lines: tuple[object, int], **kwargs: object):
    order = orders.create_order(db, ctx, draft(*lines, **kwargs))
    orders.confirm_order(db, ctx, order.id)
    return orders.deliver_order(db, ctx, order.id)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- profit and loss ------------------------------------------------------------------------


def test_profit_and_loss_matches_a_hand_computed_scenario(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-WHT-350", "20.00", stock=10, cost="8")
    kept = delivered(db, tenant_a, (mug, 3), discount_pct=D(10))  # 60 − 6 = 54, commission 2.70, COGS 24
    dropped = orders.create_order(db, tenant_a, draft((mug, 2)))  # 40, reversed by the cancellation
    orders.cancel_order(db, tenant_a, dropped.id)
    returns.create_return(db, tenant_a, kept.id, [ReturnItem(kept.lines[0].id, 1)])  # refund 18, COGS −8
    inventory.adjust_stock(db, tenant_a, mug.id, -1, "dropped on the floor")  # write-off 8
    now = utcnow()

    pnl = reports.profit_and_loss(db, tenant_a, now - timedelta(days=1), now + timedelta(minutes=1))

    assert (pnl.revenue, pnl.discounts, pnl.refunds, pnl.net_sales) == (D("60"), D("6"), D("18"), D("36"))
    assert (pnl.cogs, pnl.gross_profit, pnl.gross_margin_pct) == (D("16"), D("20"), D("55.56"))
    assert (pnl.commission, pnl.inventory_write_offs, pnl.net_profit) == (D("1.80"), D("8"), D("10.20"))
    assert pnl.order_count == 1
    # the books agree with the order that was kept
    assert (pnl.revenue, pnl.discounts, pnl.refunds) == (kept.subtotal, kept.discount_amount, kept.refunded_amount)


def test_profit_and_loss_counts_a_sale_in_the_period_of_its_order(db: Session, tenant_a: Context, make_variant) -> None:
    pen = make_variant(tenant_a, "PEN-BLK", "10.00", stock=20, cost="4")
    april, may = utc(2026, 4, 1), utc(2026, 5, 1)
    for placed_at, quantity in [
        (april - timedelta(microseconds=1), 1),  # the last instant of March
        (april, 2),  # the first instant of April
        (utc(2026, 4, 15, 10, 15), 3),
        (utc(2026, 4, 15, 10, 45), 4),
        (may, 5),  # the first instant of May
    ]:
        orders.create_order(db, tenant_a, draft((pen, quantity), created_at=placed_at))

    april_pnl = reports.profit_and_loss(db, tenant_a, april, may)
    march_pnl = reports.profit_and_loss(db, tenant_a, utc(2026, 3, 1), april)
    half_hour = reports.profit_and_loss(db, tenant_a, utc(2026, 4, 15, 10, 30), utc(2026, 4, 15, 11))
    ragged = reports.profit_and_loss(db, tenant_a, utc(2026, 4, 15, 10, 10), utc(2026, 4, 15, 10, 50))
    ragged_both_ends = reports.profit_and_loss(db, tenant_a, utc(2026, 4, 15, 10, 30), utc(2026, 4, 30, 23, 30))

    assert (april_pnl.revenue, april_pnl.cogs, april_pnl.order_count) == (D("90"), D("36"), 3)
    assert (march_pnl.revenue, march_pnl.order_count) == (D("10"), 1)
    assert (half_hour.revenue, half_hour.order_count) == (D("40"), 1)
    assert (ragged.revenue, ragged.order_count) == (D("70"), 2)
    assert (ragged_both_ends.revenue, ragged_both_ends.order_count) == (D("40"), 1)


def test_reports_refuse_a_naive_time_or_an_empty_period(db: Session, tenant_a: Context) -> None:
    with pytest.raises(ValidationFailed, match="timezone"):
        reports.profit_and_loss(db, tenant_a, datetime(2026, 1, 1), datetime(2026, 2, 1))  # noqa: DTZ001
    with pytest.raises(ValidationFailed, match="before its end"):
        reports.profit_and_loss(db, tenant_a, utc(2026, 2, 1), utc(2026, 2, 1))
    with pytest.raises(ValidationFailed, match="timezone"):
        reports.dashboard(db, tenant_a, datetime(2026, 2, 1))  # noqa: DTZ001


def test_the_hourly_rollup_always_equals_the_journal_lines(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-M", "25.00", stock=6, cost="9.3333")
    order = delivered(db, tenant_a, (tee, 2), discount_pct=D(5))
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1, ItemCondition.DAMAGED)])
    per_account = (
        "SELECT account, sum(debit), sum(credit) FROM {table} WHERE client_id = 'shop_a' GROUP BY account ORDER BY 1"
    )
    from_lines = db.execute(text(per_account.format(table="journal_lines"))).all()
    from_rollup = db.execute(text(per_account.format(table="journal_hours"))).all()
    assert from_lines
    assert from_rollup == from_lines


def test_the_application_cannot_write_the_rollup(db: Session, tenant_a: Context) -> None:
    nested = db.begin_nested()
    with pytest.raises(ProgrammingError, match="permission denied"):
        db.execute(
            text(
                "INSERT INTO journal_hours (client_id, account, hour, debit, credit, line_count) "
                "VALUES ('shop_a', 'revenue', now(), 0, 100, 1)"
            )
        )
    nested.rollback()


def test_staff_may_not_read_the_profit_and_loss_or_the_dashboard(db: Session, tenant_a: Context) -> None:
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.REST)
    with pytest.raises(Forbidden, match="owner"):
        reports.profit_and_loss(db, staff, utc(2026, 1, 1), utc(2026, 2, 1))
    with pytest.raises(Forbidden):
        reports.dashboard(db, staff)
    with pytest.raises(Forbidden):
        reports.inventory_valuation(db, staff)
    assert reports.stock_alerts(db, staff) == reports.StockAlerts(0, 0)


# --- stock aging and valuation --------------------------------------------------------------


def test_stock_aging_shows_what_fifo_left_on_the_shelf(db: Session, tenant_a: Context, make_variant) -> None:
    now = utcnow()
    mug = make_variant(tenant_a, "MUG-GRN", "20.00", stock=10, cost="5", received_at=now - timedelta(days=100))
    inventory.receive_stock(db, tenant_a, mug.id, 5, D("6"), received_at=now - timedelta(days=45))
    inventory.receive_stock(db, tenant_a, mug.id, 4, D("7"), received_at=now - timedelta(days=10))
    cap = make_variant(tenant_a, "CAP-GRN", "15.00", stock=2, cost="3", received_at=now - timedelta(days=95))
    orders.create_order(db, tenant_a, draft((mug, 12)))  # all of the oldest mugs, 2 of the 45-day-old ones

    buckets = reports.stock_aging(db, tenant_a, now)
    per_product = reports.stock_aging(db, tenant_a, now, by_product=True)

    assert [(b.label, b.quantity, b.value) for b in buckets] == [
        ("0-30", 4, D("28.00")),
        ("31-60", 3, D("18.00")),
        ("61-90", 0, D("0")),
        ("90+", 2, D("6.00")),
    ]
    assert [(b.product_name, b.label, b.quantity) for b in per_product if b.quantity] == [
        ("Cap Grn", "90+", 2),
        ("Mug Grn", "0-30", 4),
        ("Mug Grn", "31-60", 3),
    ]
    assert len(per_product) == 2 * len(reports.AGING_BUCKETS)
    assert {b.product_id for b in per_product} == {mug.product_id, cap.product_id}


def test_the_valuation_equals_the_inventory_account_to_the_cent(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-BLU-S", "19.99", stock=3, cost="3.3333", category="apparel")
    inventory.receive_stock(db, tenant_a, tee.id, 7, D("2.1"))
    mug = make_variant(tenant_a, "MUG-BLU", "9.95", stock=5, cost="1.2345", category="kitchen")
    orders.create_order(db, tenant_a, draft((tee, 4), (mug, 1), discount_pct=D("7.5")))
    cancelled = orders.create_order(db, tenant_a, draft((mug, 2)))
    orders.cancel_order(db, tenant_a, cancelled.id)
    sold = delivered(db, tenant_a, (tee, 3))
    returns.create_return(db, tenant_a, sold.id, [ReturnItem(sold.lines[0].id, 1)])
    returns.create_return(db, tenant_a, sold.id, [ReturnItem(sold.lines[0].id, 1, ItemCondition.DAMAGED)])
    inventory.adjust_stock(db, tenant_a, mug.id, -1, "lost")
    inventory.adjust_stock(db, tenant_a, tee.id, 2, "found in the back")
    inventory.receive_stock(db, tenant_a, mug.id, 3, D("1.3333"))

    valuation = reports.inventory_valuation(db, tenant_a)

    assert valuation.total == journal.balances(db, tenant_a)[Account.INVENTORY]
    db.refresh(tee)
    db.refresh(mug)
    assert valuation.units == tee.on_hand + mug.on_hand
    assert {c.category for c in valuation.categories} == {"apparel", "kitchen"}
    assert sum(c.value for c in valuation.categories) == valuation.total
    values = [v.value for v in valuation.variants]
    assert {v.sku for v in valuation.variants} == {"TSHIRT-BLU-S", "MUG-BLU"}
    assert values == sorted(values, reverse=True)
    assert len(reports.inventory_valuation(db, tenant_a, limit=1).variants) == 1


# --- dashboard ------------------------------------------------------------------------------


def test_the_dashboard_of_an_empty_shop_is_all_zeros(db: Session, tenant_b: Context) -> None:
    board = reports.dashboard(db, tenant_b)

    for period in (board.today, board.week_to_date, board.month_to_date):
        assert (period.net_sales, period.gross_profit, period.gross_margin_pct, period.order_count) == (0, 0, 0, 0)
    assert (board.inventory_value, board.units_on_hand, board.units_sold_30d, board.sell_through_pct) == (0, 0, 0, 0)
    assert (board.returns_count_30d, board.refunds_30d, board.low_stock_count, board.out_of_stock_count) == (0, 0, 0, 0)
    assert board.days_of_inventory is None
    assert board.top_products_by_revenue == board.bottom_products_by_profit == []
    assert (board.order_count_30d, board.average_order_value_30d) == (0, 0)
    assert len(board.daily_orders) == 30
    assert all(day.order_count == 0 and day.revenue == 0 for day in board.daily_orders)


def test_the_dashboard_adds_up_a_small_week_in_the_shops_timezone(db: Session, make_variant) -> None:
    shop = make_tenant(db, "shop_ny", timezone="America/New_York")
    now = utc(2030, 4, 17, 15)  # Wednesday 11:00 in New York (EDT, UTC−4)
    catalog = {
        name: make_variant(shop, name.upper(), price, stock=20, cost=cost, name=name)
        for name, price, cost in [
            ("mug", "20", "8"),
            ("cap", "15", "5"),
            ("tee", "30", "12"),
            ("pen", "2", "1"),
            ("bag", "50", "30"),
            ("key", "3", "1"),
        ]
    }
    hat = make_variant(shop, "HAT", "12", name="hat")  # never stocked: out of stock
    catalog["mug"].reorder_point = 15
    mug, cap, tee, pen, bag, key = catalog.values()

    def sell(placed_at: datetime, *lines: tuple[object, int]):
        return orders.create_order(db, shop, draft(*lines, created_at=placed_at))

    sell(utc(2030, 4, 17, 10), (mug, 2))  # today
    sell(utc(2030, 4, 17, 3), (cap, 1), (key, 1))  # 23:00 on Tuesday in New York: this week, not today
    sell(utc(2030, 4, 2, 12), (tee, 1))  # this month
    sell(utc(2030, 3, 25, 12), (pen, 3), (bag, 1))  # the last 30 days
    sell(utc(2030, 3, 1, 12), (mug, 5))  # older than 30 days
    orders.cancel_order(db, shop, sell(utc(2030, 3, 26, 12), (bag, 2)).id)

    board = reports.dashboard(db, shop, now)

    assert (board.today.net_sales, board.today.gross_profit, board.today.gross_margin_pct) == (40, 24, D("60.00"))
    assert (board.week_to_date.net_sales, board.week_to_date.gross_profit) == (58, 36)
    assert (board.week_to_date.gross_margin_pct, board.week_to_date.order_count) == (D("62.07"), 2)
    assert (board.month_to_date.net_sales, board.month_to_date.gross_profit) == (88, 54)
    assert board.month_to_date.order_count == 3
    assert (board.inventory_value, board.units_on_hand, board.units_sold_30d) == (D("1033.00"), 106, 9)
    assert (board.sell_through_pct, board.days_of_inventory) == (D("7.83"), D("353.3"))
    assert (board.low_stock_count, board.out_of_stock_count) == (1, 1)
    assert [p.product_name for p in board.top_products_by_revenue] == ["bag", "mug", "tee", "cap", "pen"]
    assert [p.product_name for p in board.bottom_products_by_revenue] == ["key", "pen", "cap", "tee", "mug"]
    assert [p.product_name for p in board.top_products_by_profit] == ["mug", "bag", "tee", "cap", "pen"]
    assert [p.product_name for p in board.bottom_products_by_profit] == ["key", "pen", "cap", "tee", "bag"]
    assert board.top_products_by_revenue[0] == reports.ProductPerformance(bag.product_id, "bag", 1, D(50), D(20))
    assert (board.order_count_30d, board.average_order_value_30d) == (4, D("36.00"))
    trend = {day.day: (day.order_count, day.revenue) for day in board.daily_orders if day.order_count}
    assert trend == {
        date(2030, 4, 17): (1, D(40)),
        date(2030, 4, 16): (1, D(18)),
        date(2030, 4, 2): (1, D(30)),
        date(2030, 3, 25): (1, D(56)),
    }
    assert (board.daily_orders[0].day, board.daily_orders[-1].day, len(board.daily_orders)) == (
        date(2030, 3, 19),
        date(2030, 4, 17),
        30,
    )
    assert hat.on_hand == 0


def test_the_dashboard_counts_recent_returns_and_refunds(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-S", "20.00", stock=5, cost="8")
    order = delivered(db, tenant_a, (tee, 3), discount_pct=D(10))
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])

    board = reports.dashboard(db, tenant_a)

    assert (board.returns_count_30d, board.refunds_30d) == (1, D("18.00"))
    assert board.units_sold_30d == 2
    assert board.top_products_by_revenue[0].revenue == D("36.00")  # 54 less the refunded 18


# --- tenancy --------------------------------------------------------------------------------


def test_a_tenants_reports_never_include_another_tenants_data(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-A", "20.00", stock=10, cost="8")
    delivered(db, tenant_a, (mug, 2))
    make_variant(tenant_b, "MUG-B", "20.00", stock=1, cost="5")
    now = utcnow()

    pnl = reports.profit_and_loss(db, tenant_b, now - timedelta(days=1), now + timedelta(minutes=1))
    board = reports.dashboard(db, tenant_b)

    assert (pnl.revenue, pnl.cogs, pnl.order_count) == (0, 0, 0)
    assert reports.inventory_valuation(db, tenant_b).total == D("5.00")
    assert sum(b.quantity for b in reports.stock_aging(db, tenant_b)) == 1
    assert (board.units_sold_30d, board.order_count_30d, board.top_products_by_revenue) == (0, 0, [])
    assert reports.profit_and_loss(db, tenant_a, now - timedelta(days=1), now + timedelta(minutes=1)).revenue == 40


def test_month_to_date_starts_at_midnight_on_the_first_in_the_shops_timezone(db: Session) -> None:
    kiribati = make_tenant(db, "shop_kiri", timezone="Pacific/Kiritimati")  # UTC+14
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # already 1 April, 02:00, in Kiritimati
    assert reports.month_to_date(db, kiribati, now) == (datetime(2026, 3, 31, 10, 0, tzinfo=UTC), now)
    with pytest.raises(ValidationFailed):
        reports.month_to_date(db, kiribati, datetime(2026, 3, 31, 12, 0))  # noqa: DTZ001 - naive on purpose
