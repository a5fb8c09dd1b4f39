"""Every write a tool or a client may retry takes an idempotency key and happens once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import inventory, journal, orders, returns
from domain.context import Context
from domain.errors import IdempotencyKeyReused
from domain.models import JournalEntry, Return, StockMovement
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderChanges, OrderDraft
from domain.returns import ReturnItem


def movements(db: Session, variant_id: object) -> int:
    return db.scalar(select(func.count()).where(StockMovement.variant_id == variant_id)) or 0


def entries(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(JournalEntry)) or 0


def test_a_retried_receipt_is_received_once(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-BLU")
    first = inventory.receive_stock(db, tenant_a, mug.id, 8, D(10), idempotency_key="receipt-1")
    again = inventory.receive_stock(db, tenant_a, mug.id, 8, D(10), idempotency_key="receipt-1")
    db.refresh(mug)
    assert (again.id, mug.on_hand, movements(db, mug.id)) == (first.id, 8, 1)
    with pytest.raises(IdempotencyKeyReused):
        inventory.receive_stock(db, tenant_a, mug.id, 9, D(10), idempotency_key="receipt-1")


def test_a_retried_adjustment_is_made_once(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-BLU", stock=8)
    posted = entries(db)
    for _ in range(3):
        inventory.adjust_stock(db, tenant_a, mug.id, -2, "broken", idempotency_key="adj-1")
    db.refresh(mug)
    assert (mug.on_hand, movements(db, mug.id), entries(db)) == (6, 2, posted + 1)


def test_a_retried_cancel_re_address_and_item_change_each_write_once(
    db: Session, tenant_a: Context, make_variant
) -> None:
    mug, cup = make_variant(tenant_a, "MUG-BLU", stock=8), make_variant(tenant_a, "CUP-BLU", stock=8)
    order = orders.create_order(db, tenant_a, OrderDraft([LineRequest(mug.id, 1)]))
    for _ in range(2):
        orders.update_order(db, tenant_a, order.id, OrderChanges(delivery_address="2 Elm St"), idempotency_key="a-1")
    changes = OrderChanges(lines=[LineRequest(mug.id, 1), LineRequest(cup.id, 2)])
    posted = entries(db)
    for _ in range(2):
        orders.update_order(db, tenant_a, order.id, changes, idempotency_key="items-1")
    db.refresh(cup)
    assert (cup.on_hand, entries(db)) == (6, posted + 1)
    for _ in range(2):
        cancelled = orders.cancel_order(db, tenant_a, order.id, "changed mind", idempotency_key="cancel-1")
    db.refresh(mug)
    db.refresh(cup)
    assert (cancelled.status.value, mug.on_hand, cup.on_hand) == ("cancelled", 8, 8)
    debits, credits = journal.totals(db, tenant_a)
    assert debits == credits


def test_a_retried_return_is_taken_once(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-BLU", "10.00", stock=8)
    order = orders.create_order(db, tenant_a, OrderDraft([LineRequest(mug.id, 3)]))
    orders.confirm_order(db, tenant_a, order.id)
    orders.deliver_order(db, tenant_a, order.id, at=utcnow() - timedelta(days=1))
    item = [ReturnItem(order.lines[0].id, 1)]
    first = returns.create_return(db, tenant_a, order.id, item, idempotency_key="ret-1")
    again = returns.create_return(db, tenant_a, order.id, item, idempotency_key="ret-1")
    db.refresh(mug)
    returned = db.scalar(select(func.count()).select_from(Return).where(Return.order_id == order.id))
    assert (again.id, returned, mug.on_hand) == (first.id, 1, 6)


def test_quotes_read_without_writing(db: Session, tenant_a: Context, make_variant) -> None:
    mug, cup = make_variant(tenant_a, "MUG-BLU", "10.00", stock=8), make_variant(tenant_a, "CUP-BLU", "4.00", stock=1)
    order = orders.create_order(db, tenant_a, OrderDraft([LineRequest(mug.id, 1)]))
    posted = entries(db)
    quote = orders.quote_changes(db, tenant_a, order.id, [LineRequest(mug.id, 2), LineRequest(cup.id, 1)])
    assert (quote.totals.total, quote.lines[1]) == (D("24.00"), ("CUP-BLU", "Cup Blu", 1))
    with pytest.raises(Exception, match="only 1 more × CUP-BLU"):
        orders.quote_changes(db, tenant_a, order.id, [LineRequest(cup.id, 2)])
    db.refresh(cup)
    assert (cup.on_hand, entries(db), len(order.lines)) == (1, posted, 1)
