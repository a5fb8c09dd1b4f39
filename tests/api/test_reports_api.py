"""REST reports: P&L numbers implied by the orders and returns, periods, stock at cost, owners only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.security import Principal
from domain.models import Role
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api.conftest import Shop, bearer
from tests.api.flows import V1, Json, add_product, delivered_order, ok, place_order, return_items
from tests.conftest import make_tenant

D = Decimal
REPORTS = ("profit-loss", "stock-aging", "inventory-valuation", "dashboard")


def money(body: Json, *fields: str) -> tuple[Decimal, ...]:
    return tuple(D(body[f]) for f in fields)


@pytest.fixture
def trading_day(client: TestClient, shop: Shop) -> dict[str, list[Json]]:
    """Two delivered orders with a resellable and a damaged return, and one cancelled order.

    TOTE 25.00 (10 @ 11.50), LAMP 40.00 (5 @ 20.00); 5 % commission.
    """
    tote = add_product(client, shop, "Canvas Tote", {"TOTE-CNV": "25.00"}, stock=10, cost="11.50")
    lamp = add_product(client, shop, "Brass Lamp", {"LAMP-BRS": "40.00"}, stock=5, cost="20.00")
    totes = delivered_order(client, shop, [(tote["variants"][0]["id"], 4)], discount_pct="10")
    lamps = delivered_order(client, shop, [(lamp["variants"][0]["id"], 1)])
    refunds = [
        return_items(client, shop, totes, [{"order_line_id": totes["lines"][0]["id"], "quantity": 2}]),
        return_items(
            client, shop, lamps, [{"order_line_id": lamps["lines"][0]["id"], "quantity": 1, "condition": "damaged"}]
        ),
    ]
    cancelled = place_order(client, shop, [(tote["variants"][0]["id"], 1)])
    ok(client.delete(f"{V1}/orders/{cancelled['id']}", headers=shop.owner | {"X-2FA-Code": "123456"}))
    return {"orders": [totes, lamps], "returns": refunds}


def test_the_profit_and_loss_matches_what_the_orders_and_returns_imply(
    client: TestClient, shop: Shop, trading_day: dict[str, list[Json]]
) -> None:
    orders, returns = trading_day["orders"], trading_day["returns"]
    pnl = ok(client.get(f"{V1}/reports/profit-loss", headers=shop.owner))  # month to date

    revenue = sum(D(o["subtotal"]) for o in orders)
    discounts = sum(D(o["discount_amount"]) for o in orders)
    refunds = sum(D(r["refund_amount"]) for r in returns)
    restocked = D("2") * D(orders[0]["lines"][0]["unit_cost"])  # two totes back on the shelf at their cost
    written_off = D(orders[1]["cogs_total"])  # the damaged lamp's cost leaves COGS for write-offs
    cogs = sum(D(o["cogs_total"]) for o in orders) - restocked - written_off
    commission = D(orders[0]["commission_amount"]) / 2  # half the totes' value came back; all the lamp's did
    assert money(pnl, "revenue", "discounts", "refunds", "cogs", "inventory_write_offs", "commission") == (
        revenue,
        discounts,
        refunds,
        cogs,
        written_off,
        commission,
    )
    assert money(pnl, "net_sales", "gross_profit", "net_profit") == (
        revenue - discounts - refunds,
        revenue - discounts - refunds - cogs,
        revenue - discounts - refunds - cogs - commission - written_off,
    )
    assert money(pnl, "revenue", "net_sales", "cogs", "gross_profit", "gross_margin_pct", "net_profit") == (
        D("140.00"),
        D("45.00"),
        D("23.00"),
        D("22.00"),
        D("48.89"),
        D("-0.25"),
    )
    assert pnl["order_count"] == 2  # the cancelled order does not count
    assert datetime.fromisoformat(pnl["start"]).day == 1


def test_month_to_date_starts_at_the_shops_own_midnight(
    app_engine: Engine, settings: Settings, client: TestClient
) -> None:
    zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14: its month starts the previous day in UTC
    with transaction(make_session_factory(app_engine)) as session:
        owner = make_tenant(session, f"shop_{uuid.uuid4().hex[:10]}", timezone=zone.key)
    headers = bearer(settings, Principal(owner.user_id, "owner", Role.OWNER, owner.client_id))
    pnl = ok(client.get(f"{V1}/reports/profit-loss", headers=headers))
    first = datetime.now(zone).date().replace(day=1)
    assert datetime.fromisoformat(pnl["start"]) == datetime.combine(first, time(0), tzinfo=zone)


def test_a_period_before_the_sales_shows_nothing(
    client: TestClient, shop: Shop, trading_day: dict[str, list[Json]]
) -> None:
    start = datetime.now(UTC) - timedelta(days=400)
    period = {"start": start.isoformat(), "end": (start + timedelta(days=30)).isoformat()}
    pnl = ok(client.get(f"{V1}/reports/profit-loss", params=period, headers=shop.owner))
    assert (D(pnl["revenue"]), D(pnl["net_profit"]), pnl["order_count"]) == (D("0.00"), D("0.00"), 0)


def test_a_period_that_ends_before_it_starts_or_has_no_timezone_is_422(client: TestClient, shop: Shop) -> None:
    now = datetime.now(UTC)
    backwards = {"start": now.isoformat(), "end": (now - timedelta(days=1)).isoformat()}
    response = client.get(f"{V1}/reports/profit-loss", params=backwards, headers=shop.owner)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "start must come before its end" in response.json()["detail"]
    naive = {"start": "2026-01-01T00:00:00", "end": "2026-02-01T00:00:00"}
    assert client.get(f"{V1}/reports/profit-loss", params=naive, headers=shop.owner).status_code == 422
    for garbage in ("last tuesday", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        response = client.get(f"{V1}/reports/profit-loss", params={"start": garbage}, headers=shop.owner)
        assert response.status_code == 422, garbage


def test_stock_aging_and_valuation_put_the_shelf_at_cost(client: TestClient, shop: Shop) -> None:
    add_product(client, shop, "Canvas Tote", {"TOTE-CNV": "25.00"}, stock=10, cost="11.50", category="bags")
    add_product(client, shop, "Brass Lamp", {"LAMP-BRS": "40.00"}, stock=5, cost="20.00", category="home")
    aging = ok(client.get(f"{V1}/reports/stock-aging", headers=shop.owner))
    assert [(b["label"], b["quantity"], D(b["value"])) for b in aging["buckets"]] == [
        ("0-30", 15, D("215.00")),
        ("31-60", 0, D("0.00")),
        ("61-90", 0, D("0.00")),
        ("90+", 0, D("0.00")),
    ]
    valuation = ok(client.get(f"{V1}/reports/inventory-valuation", params={"limit": 1}, headers=shop.owner))
    assert (D(valuation["total"]), valuation["units"]) == (D("215.00"), 15)
    assert [(c["category"], D(c["value"])) for c in valuation["categories"]] == [
        ("bags", D("115.00")),
        ("home", D("100.00")),
    ]
    assert [(v["sku"], D(v["avg_cost"])) for v in valuation["variants"]] == [("TOTE-CNV", D("11.50"))]
    assert client.get(f"{V1}/reports/inventory-valuation", params={"limit": 101}, headers=shop.owner).status_code == 422


def test_the_dashboard_agrees_with_the_other_reports(
    client: TestClient, shop: Shop, trading_day: dict[str, list[Json]]
) -> None:
    board = ok(client.get(f"{V1}/reports/dashboard", headers=shop.owner))
    pnl = ok(client.get(f"{V1}/reports/profit-loss", headers=shop.owner))
    valuation = ok(client.get(f"{V1}/reports/inventory-valuation", headers=shop.owner))
    assert D(board["month_to_date"]["net_sales"]) == D(pnl["net_sales"]) == D("45.00")
    assert D(board["inventory_value"]) == D(valuation["total"])
    assert (board["order_count_30d"], board["returns_count_30d"], D(board["refunds_30d"])) == (2, 2, D("85.00"))
    assert len(board["daily_orders"]) == 30
    assert board["daily_orders"][-1]["order_count"] == 2
    assert board["top_products_by_revenue"][0]["product_name"] == "Canvas Tote"


@pytest.mark.parametrize("report", REPORTS)
def test_staff_cannot_read_reports(client: TestClient, shop: Shop, report: str) -> None:
    response = client.get(f"{V1}/reports/{report}", headers=shop.staff)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


@pytest.mark.parametrize("report", REPORTS)
def test_reports_need_a_token(client: TestClient, report: str) -> None:
    assert client.get(f"{V1}/reports/{report}").status_code == 401


def test_another_tenants_sales_stay_out_of_my_reports(
    client: TestClient, shop: Shop, other_shop: Shop, trading_day: dict[str, list[Json]]
) -> None:
    pnl = ok(client.get(f"{V1}/reports/profit-loss", headers=other_shop.owner))
    assert (D(pnl["revenue"]), pnl["order_count"]) == (D("0.00"), 0)
    valuation = ok(client.get(f"{V1}/reports/inventory-valuation", headers=other_shop.owner))
    assert (D(valuation["total"]), valuation["variants"]) == (D("0.00"), [])
    board = ok(client.get(f"{V1}/reports/dashboard", headers=other_shop.owner))
    assert (board["order_count_30d"], board["top_products_by_revenue"]) == (0, [])
