"""Returns and exchanges: window, quantities, refunds with the discount share, restock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain import journal, orders, returns
from domain.context import Context
from domain.errors import InvalidTransition, PolicyViolation, ValidationFailed
from domain.models import Account, ItemCondition, OrderStatus, PaymentStatus
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.returns import ReturnItem

D = Decimal


def delivered_order(db: Session, ctx: Context, lines, *, discount: str = "0", days_ago: int = 1):
    order = orders.create_order(
        db,
        ctx,
        OrderDraft(
            lines=[LineRequest(v.id, q) for v, q in lines],
            discount_pct=D(discount),
            payment_status=PaymentStatus.PAID,
        ),
    )
    orders.confirm_order(db, ctx, order.id)
    orders.deliver_order(db, ctx, order.id, at=utcnow() - timedelta(days=days_ago))
    return order


def test_a_partial_return_refunds_the_net_share_and_restocks_at_cost(
    db: Session, tenant_a: Context, make_variant
) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-M", "20.00", stock=5, cost="8")
    order = delivered_order(db, tenant_a, [(tee, 3)], discount="10")
    record = returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)], reason="too small")
    db.refresh(tee)
    assert record.refund_amount == D("18.00")
    assert tee.on_hand == 3
    assert order.status is OrderStatus.PARTIALLY_RETURNED
    assert order.payment_status is PaymentStatus.PARTIALLY_REFUNDED
    balances = journal.balances(db, tenant_a)
    assert balances[Account.REFUNDS] == D("18.00")
    assert balances[Account.INVENTORY] == D("24.00")
    debits, credits = journal.totals(db, tenant_a)
    assert debits == credits


def test_returning_everything_marks_the_order_returned(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-L", "20.00", stock=5)
    order = delivered_order(db, tenant_a, [(tee, 2)])
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])
    assert order.status is OrderStatus.RETURNED
    assert order.refunded_amount == order.total


def test_returning_more_than_was_sold_is_refused(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-XL", stock=5)
    order = delivered_order(db, tenant_a, [(tee, 2)])
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])
    with pytest.raises(ValidationFailed, match="only 1"):
        returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 2)])


def test_a_return_after_the_window_is_refused(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-S", stock=5)
    order = delivered_order(db, tenant_a, [(tee, 1)], days_ago=15)
    with pytest.raises(PolicyViolation, match="14-day return window"):
        returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])


def test_an_undelivered_order_takes_no_return(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-RED-XS", stock=5)
    order = orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(tee.id, 1)]))
    with pytest.raises(InvalidTransition):
        returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])


def test_damaged_goods_are_written_off_not_restocked(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-CRACK", "12.00", stock=2, cost="5")
    order = delivered_order(db, tenant_a, [(mug, 1)])
    returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1, condition=ItemCondition.DAMAGED)])
    db.refresh(mug)
    balances = journal.balances(db, tenant_a)
    assert mug.on_hand == 1
    assert balances[Account.INVENTORY_WRITE_OFF] == D("5.00")
    assert balances[Account.COGS] == D(0)


def test_an_exchange_swaps_variants_and_charges_the_difference(db: Session, tenant_a: Context, make_variant) -> None:
    from domain.models import Variant

    tee_m = make_variant(tenant_a, "HOODIE-GRY-M", "30.00", stock=3)
    tee_l = Variant(client_id=tenant_a.client_id, product_id=tee_m.product_id, sku="HOODIE-GRY-XL", price=D("34.00"))
    db.add(tee_l)
    db.flush()
    from domain import inventory

    inventory.receive_stock(db, tenant_a, tee_l.id, 2, D(12))
    order = delivered_order(db, tenant_a, [(tee_m, 1)])
    record = returns.create_return(
        db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1, replacement_variant_id=tee_l.id)]
    )
    db.refresh(tee_m)
    db.refresh(tee_l)
    assert (tee_m.on_hand, tee_l.on_hand) == (3, 1)
    assert record.charge_amount == D("4.00")
    assert record.lines[0].price_difference == D("4.00")
    debits, credits = journal.totals(db, tenant_a)
    assert debits == credits


def test_an_exchange_for_another_product_is_refused(db: Session, tenant_a: Context, make_variant) -> None:
    tee = make_variant(tenant_a, "TSHIRT-BLK-M", stock=3)
    mug = make_variant(tenant_a, "MUG-BLK", stock=3)
    order = delivered_order(db, tenant_a, [(tee, 1)])
    with pytest.raises(ValidationFailed, match="same product"):
        returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1, replacement_variant_id=mug.id)])


def test_returns_are_counted_like_they_are_listed(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    tee = make_variant(tenant_a, "TSHIRT-NVY-S", "20.00", stock=6)
    first, second = (delivered_order(db, tenant_a, [(tee, 2)]) for _ in range(2))
    for order in (first, first, second):
        returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])
    listed, total = returns.list_returns(db, tenant_a)
    assert total == len(listed) == 3
    assert returns.list_returns(db, tenant_a, order_id=first.id)[1] == 2
    assert returns.list_returns(db, tenant_b) == ([], 0)
