"""The console's pure parts: the login field, the command-center figures and tables from report
results, and how steps and decisions are worded."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from chat_ui import charts, panels
from chat_ui.accounts import ConsoleUser, parse_identifier
from domain.messaging import MessageFigures
from domain.models import Role
from domain.reports import AgingBucket, DailyOrders, Dashboard, InventoryDays, ProductPerformance, ProfitAndLoss

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
D = Decimal


def pnl(net: str, profit: str, margin: str, orders: int) -> ProfitAndLoss:
    n, p = D(net), D(profit)
    zero = D("0.00")
    return ProfitAndLoss(NOW, NOW, n, zero, zero, n, n - p, p, D(margin), zero, zero, p, orders)


def product(name: str, revenue: str, profit: str, units: int = 1) -> ProductPerformance:
    return ProductPerformance(uuid.uuid4(), name, units, D(revenue), D(profit))


def dashboard(**changes: object) -> Dashboard:
    tote, mug = product("Canvas Tote Bag", "160.00", "108.00", 10), product("Ceramic Mug", "19.00", "12.80", 2)
    values: dict[str, object] = {
        "as_of": NOW,
        "timezone": "Africa/Lagos",
        "currency": "NGN",
        "today": pnl("16.00", "10.80", "67.50", 1),
        "week_to_date": pnl("100.00", "60.00", "60.00", 4),
        "month_to_date": pnl("1179.00", "700.00", "59.37", 12),
        "inventory_value": D("2500.40"),
        "units_on_hand": 300,
        "units_sold_30d": 12,
        "sell_through_pct": D("3.85"),
        "days_of_inventory": D("750.0"),
        "returns_count_30d": 1,
        "refunds_30d": D("16.00"),
        "low_stock_count": 2,
        "out_of_stock_count": 0,
        "top_products_by_revenue": [tote, mug],
        "bottom_products_by_revenue": [mug, tote],
        "top_products_by_profit": [tote, mug],
        "bottom_products_by_profit": [mug, tote],
        "order_count_30d": 12,
        "average_order_value_30d": D("98.25"),
        "daily_orders": [DailyOrders(date(2026, 11, 29) + timedelta(days=i), i + 1, D("50.00")) for i in range(2)],
    }
    return Dashboard(**(values | changes))


def data(**changes: object) -> charts.DashboardData:
    aging = [AgingBucket("0-30", 0, 30, 120, D("900.00")), AgingBucket("90+", 91, None, 5, D("25.00"))]
    days = [InventoryDays("TOTE-NAT", "Canvas Tote Bag", 20, 10, D("60.0")), InventoryDays("HAT", "Hat", 5, 0, None)]
    products = [product("Canvas Tote Bag", "160.00", "108.00"), product("Free Sample", "0.00", "-2.00")]
    return charts.DashboardData(dashboard(**changes), aging, products, days)


def test_the_login_field_names_the_user_and_the_client_or_the_superadmin() -> None:
    assert parse_identifier("admin@demo_client") == ("demo_client", "admin")
    assert parse_identifier("  ada@corner_shop ") == ("corner_shop", "ada")
    assert parse_identifier("superadmin") == (None, "superadmin")
    staff = ConsoleUser(uuid.uuid4(), "staff", "demo_client", Role.STAFF)
    assert (staff.is_owner, staff.is_superadmin, staff.context().channel.value) == (False, False, "console")


def test_the_kpi_strip_shows_every_period_in_the_clients_currency() -> None:
    strip = charts.kpi_strip(data())
    assert "| net sales | NGN 16.00 | NGN 100.00 | NGN 1,179.00 |" in strip
    assert "| gross margin | 67.50 % | 60.00 % | 59.37 % |" in strip
    assert "**Inventory value** NGN 2,500.40 (300 units)" in strip
    assert "**days of inventory** 750.0 days" in strip
    assert "**returns (30 d)** 1, refunded NGN 16.00" in strip
    assert "n/a (nothing sold)" in charts.kpi_strip(data(days_of_inventory=None))


def test_the_figures_carry_the_reports_numbers() -> None:
    figures = charts.figures(data())
    assert list(figures) == [
        "revenue trend",
        "top and bottom products",
        "margin histogram",
        "stock aging",
        "days of inventory",
    ]
    trend = figures["revenue trend"]
    assert list(trend.data[0].y) == [50.0, 50.0]
    assert list(trend.data[1].y) == [1, 2]
    assert trend.layout.yaxis.title.text == "NGN"
    ranked = figures["top and bottom products"]
    assert list(ranked.data[0].x) == ["Canvas Tote Bag", "Ceramic Mug"]  # each product once
    assert list(figures["margin histogram"].data[0].x) == [67.5]  # no revenue, no margin
    assert list(figures["stock aging"].data[0].text) == ["120 units", "5 units"]
    assert list(figures["days of inventory"].data[0].y) == ["TOTE-NAT"]  # unsold stock has no pace


def test_the_tables_list_products_with_margins_and_days_of_inventory() -> None:
    tables = charts.tables(data())
    products = tables["product performance"]
    assert list(products.columns) == ["product", "units sold", "revenue (NGN)", "gross profit (NGN)", "margin %"]
    assert products.iloc[0]["margin %"] == 67.5
    days = tables["days of inventory remaining"]
    assert list(days["sku"]) == ["TOTE-NAT", "HAT"]


def test_a_new_shop_is_an_empty_state_and_its_tables_keep_their_columns() -> None:
    empty = charts.DashboardData(
        dashboard(units_on_hand=0, order_count_30d=0, month_to_date=pnl("0", "0", "0", 0)), [], [], []
    )
    assert empty.is_empty
    assert not data().is_empty
    assert list(charts.tables(empty)["days of inventory remaining"].columns) == [
        "sku",
        "product",
        "on hand",
        "sold (30 d)",
        "days of inventory",
    ]
    assert len(charts.figures(empty)) == 5  # empty figures, no error


def test_the_dashboard_follows_the_tool_that_read_it_and_steps_show_their_arguments() -> None:
    assert panels.wants_dashboard(["ask_analytics", "get_dashboard"])
    assert not panels.wants_dashboard(["ask_analytics", "get_profit_and_loss"])
    assert panels.tool_input({"request": "show me today's dashboard"}) == (
        '{\n  "request": "show me today\'s dashboard"\n}'
    )
    assert [label for label, _ in panels.STARTERS] == [
        "Today's dashboard",
        "Low stock",
        "P&L this month",
        "Record a stock receipt",
        "Create an order for a customer",
    ]


def test_the_kpi_strip_ends_with_the_whatsapp_figures_of_the_last_day() -> None:
    figures = MessageFigures(12, 14, 13, 11, 9, 1, 1, 0, 4000, 600, 1850, 4200)
    strip = charts.kpi_strip(replace(data(), messages=figures))
    assert strip.endswith(
        "**WhatsApp (24 h)** 12 in · 14 out · 9 read · 2 failed · 0 waiting · "
        "reply time 1.9 s (p95 4.2 s) · 4600 tokens"
    )
    quiet = MessageFigures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None)
    assert "reply time n/a" in charts.kpi_strip(replace(data(), messages=quiet))
    assert "WhatsApp" not in charts.kpi_strip(data())
