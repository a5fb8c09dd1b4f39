"""Platform admin services: onboarding, cross-client listings and the rolled-up KPIs, under RLS."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain import admin, auth, orders, reports, returns
from domain.context import Context
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models import Channel, Client, PaymentStatus, Role
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.returns import ReturnItem
from infra.db import set_tenant
from tests.conftest import make_tenant

D = Decimal


def as_platform_admin(db: Session) -> None:
    set_tenant(db, None, platform_admin=True)


def sell(db: Session, ctx: Context, variant, quantity: int, discount: str = "0"):
    draft = OrderDraft(
        lines=[LineRequest(variant.id, quantity)], discount_pct=D(discount), payment_status=PaymentStatus.PAID
    )
    return orders.create_order(db, ctx, draft)


def test_the_overview_rolls_up_each_clients_live_orders_net_sales_and_stock(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    tee = make_variant(tenant_a, "TSHIRT-BLU-M", "20.00", stock=8, cost="10")
    sell(db, tenant_a, tee, 3, discount="10")  # 54.00
    orders.cancel_order(db, tenant_a, sell(db, tenant_a, tee, 1).id)
    make_variant(tenant_b, "MUG-WHT", "12.00", stock=4, cost="16")
    as_platform_admin(db)

    [a] = admin.admin_overview(db, client_id="shop_a").clients
    [b] = admin.admin_overview(db, client_id="shop_b").clients
    assert (a.order_count, a.net_sales, a.inventory_value, a.units_on_hand) == (1, D("54.00"), D("50.00"), 5)
    assert (b.order_count, b.net_sales, b.inventory_value, b.units_on_hand) == (0, D("0.00"), D("64.00"), 4)


def test_net_sales_match_the_profit_and_loss_after_a_return(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-GRN-L", "25.00", stock=10, cost="11.50")
    order = sell(db, tenant_a, tee, 4, discount="10")
    orders.confirm_order(db, tenant_a, order.id)
    orders.deliver_order(db, tenant_a, order.id)
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])
    pnl = reports.profit_and_loss(db, tenant_a, utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1))
    as_platform_admin(db)
    [row] = admin.admin_overview(db, client_id="shop_a").clients
    assert row.net_sales == pnl.net_sales == D("67.50")


def test_totals_keep_currencies_apart(db: Session, make_variant) -> None:
    test_money = make_tenant(db, "shop_xts", currency="XTS")
    make_variant(test_money, "LAMP-XTS", "30.00", stock=2, cost="7")
    as_platform_admin(db)
    overview = admin.admin_overview(db)
    [xts] = [t for t in overview.totals if t.currency == "XTS"]
    assert (xts.client_count, xts.inventory_value, xts.units_on_hand) == (1, D("14.00"), 2)
    assert overview.client_count == sum(t.client_count for t in overview.totals)


def test_without_the_platform_scope_no_tenant_rows_are_visible(db: Session, tenant_a: Context, make_variant) -> None:
    make_variant(tenant_a, "SCARF-RED", "18.00", stock=5, cost="6")
    set_tenant(db, None)
    [row] = admin.admin_overview(db, client_id="shop_a").clients
    assert (row.inventory_value, row.units_on_hand) == (D("0.00"), 0)
    assert admin.list_users(db, client_id="shop_a") == ([], 0)


def test_users_and_clients_are_listed_across_tenants(db: Session, tenant_a: Context, tenant_b: Context) -> None:
    auth.add_user(db, "shop_b", "clerk", "clerk-password", Role.STAFF)
    as_platform_admin(db)
    users, total = admin.list_users(db, client_id="shop_b")
    assert ([(u.username, u.role) for u in users], total) == ([("clerk", Role.STAFF), ("owner", Role.OWNER)], 2)
    clients, count = admin.list_clients(db, limit=1000)
    assert {"shop_a", "shop_b"} <= {c.id for c in clients}
    assert count == len(clients)
    with pytest.raises(NotFound):
        admin.list_users(db, client_id="no_such_shop")
    with pytest.raises(NotFound):
        admin.admin_overview(db, client_id="no_such_shop")


def test_onboarding_creates_the_client_and_an_owner_who_can_log_in(db: Session) -> None:
    as_platform_admin(db)
    client, owner = admin.onboard_client(
        db, "acme-shoes", "Acme Shoes", "boss", "boss-password", max_discount_pct=D("15"), currency="EUR"
    )
    assert (client.max_discount_pct, client.currency, owner.role) == (D("15"), "EUR", Role.OWNER)
    assert auth.authenticate(db, "acme-shoes", "boss", "boss-password", Channel.REST).id == owner.id


@pytest.mark.parametrize(
    ("client_id", "policy", "message"),
    [
        ("acme-shoes", {"max_discount_pct": D("5"), "auto_approve_discount_pct": D("10")}, "auto-approval threshold"),
        ("Acme Shoes", {}, "client id"),
    ],
)
def test_onboarding_refuses_broken_settings_and_leaves_nothing(
    db: Session, client_id: str, policy: dict[str, object], message: str
) -> None:
    as_platform_admin(db)
    with pytest.raises(ValidationFailed, match=message):
        admin.onboard_client(db, client_id, "Acme", "boss", "boss-password", **policy)
    assert db.get(Client, client_id) is None


def test_an_owner_that_cannot_be_created_takes_the_client_with_it(db: Session) -> None:
    as_platform_admin(db)
    with pytest.raises(ValidationFailed, match="password"):
        admin.onboard_client(db, "acme-shoes", "Acme", "boss", "short")
    assert db.get(Client, "acme-shoes") is None


def test_onboarding_a_taken_id_is_a_conflict(db: Session, tenant_a: Context) -> None:
    as_platform_admin(db)
    with pytest.raises(Conflict):
        admin.onboard_client(db, "shop_a", "Again", "boss", "boss-password")
