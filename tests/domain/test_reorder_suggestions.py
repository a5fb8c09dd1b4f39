"""Reorder suggestions from sales velocity, on real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from domain import inventory, orders
from domain.context import Context
from domain.errors import Forbidden, ValidationFailed
from domain.models import Channel, Order, Role, Variant
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft


def sell(db: Session, ctx: Context, variant: Variant, quantity: int, *, days_ago: int = 1) -> Order:
    order = orders.create_order(db, ctx, OrderDraft(lines=[LineRequest(variant.id, quantity)]))
    db.execute(update(Order).where(Order.id == order.id).values(created_at=utcnow() - timedelta(days=days_ago)))
    return order


def test_velocity_covers_the_next_days_and_the_reorder_point(db: Session, tenant_a: Context, make_variant) -> None:
    fast = make_variant(tenant_a, "TEE-FAST", stock=50, name="Fast Tee")
    slow = make_variant(tenant_a, "TEE-SLOW", stock=40, name="Slow Tee")
    low = make_variant(tenant_a, "TEE-LOW", stock=2, name="Low Tee")
    make_variant(tenant_a, "TEE-IDLE", stock=9)  # no sales, above its reorder point: not listed
    db.execute(update(Variant).where(Variant.id == low.id).values(reorder_point=5))
    sell(db, tenant_a, fast, 30, days_ago=2)  # 45 units in 30 days: 1.5/day
    sell(db, tenant_a, fast, 15, days_ago=10)
    sell(db, tenant_a, slow, 3, days_ago=5)  # 0.1/day: 2 units for 14 days, 37 on hand: nothing
    cancelled = sell(db, tenant_a, slow, 30, days_ago=3)
    orders.cancel_order(db, tenant_a, cancelled.id, "changed mind")
    db.expire_all()

    rows = {r.sku: r for r in inventory.reorder_suggestions(db, tenant_a)}

    assert set(rows) == {"TEE-FAST", "TEE-LOW"}
    assert (rows["TEE-FAST"].on_hand, rows["TEE-FAST"].units_sold) == (5, 45)
    assert rows["TEE-FAST"].velocity == Decimal("1.50")
    assert rows["TEE-FAST"].suggested_quantity == 21 - 5  # ceil(1.5 × 14) − on hand
    assert rows["TEE-LOW"].suggested_quantity == 6 - 2  # no sales: up to reorder point + 1
    assert rows["TEE-LOW"].velocity == Decimal("0.00")


def test_old_sales_fall_out_of_the_window(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-OLD", stock=30)
    sell(db, tenant_a, mug, 28, days_ago=45)
    db.expire_all()
    assert inventory.reorder_suggestions(db, tenant_a) == []
    [row] = inventory.reorder_suggestions(db, tenant_a, days=60, cover_days=30)
    assert (row.units_sold, row.suggested_quantity) == (28, 14 - 2)


def test_other_tenants_and_customers_are_kept_out(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-A", stock=10)
    sell(db, tenant_a, mug, 10)
    assert inventory.reorder_suggestions(db, tenant_b) == []
    with pytest.raises(Forbidden):
        inventory.reorder_suggestions(db, Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP))
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    assert [r.sku for r in inventory.reorder_suggestions(db, staff)] == ["MUG-A"]


@pytest.mark.parametrize("kwargs", [{"days": 0}, {"cover_days": 400}, {"days": True}, {"limit": 0}])
def test_bad_windows_are_refused(db: Session, tenant_a: Context, kwargs) -> None:
    with pytest.raises(ValidationFailed):
        inventory.reorder_suggestions(db, tenant_a, **kwargs)
