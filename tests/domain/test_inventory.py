"""Inventory on real PostgreSQL: weighted-average cost, FIFO layers, the guarded decrement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import inventory, journal
from domain.context import Context
from domain.errors import Forbidden, NotFound, OutOfStock, ValidationFailed
from domain.models import Account, Channel, MovementKind, ReceiptLayer, Role, StockMovement
from domain.models.base import utcnow

D = Decimal


def test_receipts_and_a_sale_follow_the_costing_vector(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-WHT-350", stock=8, cost="10")
    inventory.receive_stock(db, tenant_a, mug.id, 4, D(16))
    assert (mug.on_hand, mug.avg_cost) == (12, D(12))
    sale = inventory.issue_stock(db, tenant_a, mug.id, 10, MovementKind.SALE)
    db.refresh(mug)
    assert (mug.on_hand, mug.avg_cost) == (2, D(12))
    assert sale.value == D("-120.00")
    assert journal.balances(db, tenant_a)[Account.INVENTORY] == D("144.00")  # the sale's caller posts COGS


def test_stock_never_goes_negative(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-BLK-350", stock=3)
    with pytest.raises(OutOfStock, match="only 3"):
        inventory.issue_stock(db, tenant_a, mug.id, 4, MovementKind.SALE)
    db.refresh(mug)
    assert mug.on_hand == 3


def test_fifo_layers_leave_the_newest_stock_for_aging(db: Session, tenant_a: Context, make_variant) -> None:
    old = utcnow() - timedelta(days=75)
    tee = make_variant(tenant_a, "TSHIRT-BLU-M", stock=5, cost="6", received_at=old)
    inventory.receive_stock(db, tenant_a, tee.id, 5, D(8))
    inventory.issue_stock(db, tenant_a, tee.id, 7, MovementKind.SALE)
    layers = db.execute(
        select(ReceiptLayer.unit_cost, ReceiptLayer.quantity_remaining)
        .where(ReceiptLayer.variant_id == tee.id)
        .order_by(ReceiptLayer.received_at)
    ).all()
    assert [(cost, left) for cost, left in layers] == [(D(6), 0), (D(8), 3)]


def test_on_hand_equals_the_sum_of_movements(db: Session, tenant_a: Context, make_variant) -> None:
    cap = make_variant(tenant_a, "CAP-RED", stock=10)
    inventory.issue_stock(db, tenant_a, cap.id, 4, MovementKind.SALE)
    inventory.adjust_stock(db, tenant_a, cap.id, -1, "water damage")
    inventory.adjust_stock(db, tenant_a, cap.id, 3, "found in back room")
    total = db.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.variant_id == cap.id))
    db.refresh(cap)
    assert cap.on_hand == total == 8


def test_an_adjustment_needs_a_reason_and_a_non_zero_quantity(db: Session, tenant_a: Context, make_variant) -> None:
    cap = make_variant(tenant_a, "CAP-GRN", stock=2)
    with pytest.raises(ValidationFailed, match="reason"):
        inventory.adjust_stock(db, tenant_a, cap.id, -1, " ")
    with pytest.raises(ValidationFailed):
        inventory.adjust_stock(db, tenant_a, cap.id, 0, "count")


@pytest.mark.parametrize("quantity", [0, -3, 10**9, 2.5, "4", True])
def test_a_receipt_refuses_nonsense_quantities(db: Session, tenant_a: Context, make_variant, quantity) -> None:
    cap = make_variant(tenant_a, "CAP-YLW")
    with pytest.raises(ValidationFailed):
        inventory.receive_stock(db, tenant_a, cap.id, quantity, D(5))


def test_a_receipt_refuses_a_negative_or_overly_precise_cost(db: Session, tenant_a: Context, make_variant) -> None:
    cap = make_variant(tenant_a, "CAP-PNK")
    for cost in (D(-1), D("1.00001"), D("NaN")):
        with pytest.raises(ValidationFailed):
            inventory.receive_stock(db, tenant_a, cap.id, 1, cost)


def test_a_customer_cannot_receive_stock(db: Session, tenant_a: Context, make_variant) -> None:
    cap = make_variant(tenant_a, "CAP-WHT")
    customer = Context(client_id=tenant_a.client_id, role=Role.CUSTOMER, channel=Channel.WHATSAPP)
    with pytest.raises(Forbidden):
        inventory.receive_stock(db, customer, cap.id, 1, D(1))


def test_another_tenants_variant_does_not_exist_for_you(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    cap = make_variant(tenant_a, "CAP-ORG", stock=5)
    with pytest.raises(NotFound):
        inventory.issue_stock(db, tenant_b, cap.id, 1, MovementKind.SALE)
    with pytest.raises(NotFound):
        inventory.receive_stock(db, tenant_b, cap.id, 1, D(1))


def test_movements_list_filters_by_kind_with_a_total(db: Session, tenant_a: Context, make_variant) -> None:
    cap = make_variant(tenant_a, "CAP-TAN", stock=5)
    inventory.issue_stock(db, tenant_a, cap.id, 1, MovementKind.SALE)
    items, total = inventory.list_movements(db, tenant_a, inventory.MovementFilter(kind=MovementKind.SALE))
    assert total == 1
    assert [m.quantity for m in items] == [-1]
