"""Concurrent orders against real PostgreSQL, each in its own committed transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select

from domain import costing, inventory, journal, orders
from domain.context import Context
from domain.errors import Conflict, OutOfStock
from domain.models import Account, Channel, ReceiptLayer, Role, StockMovement, Variant
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from infra.db import make_session_factory, transaction


def test_200_concurrent_orders_for_50_units_sell_exactly_50(app_engine: Engine, committed_shop) -> None:
    ctx, variant_id = committed_shop
    factory = make_session_factory(app_engine)
    buyer = Context(ctx.client_id, Role.STAFF, Channel.REST)

    def buy(_: int) -> str:
        try:
            with transaction(factory, ctx.client_id) as session:
                orders.create_order(session, buyer, OrderDraft(lines=[LineRequest(variant_id, 1)]))
            return "sold"
        except OutOfStock:
            return "out"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(buy, range(200)))

    assert outcomes.count("sold") == 50
    assert outcomes.count("out") == 150
    with transaction(factory, ctx.client_id) as session:
        variant = session.get(Variant, variant_id)
        moved = session.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.variant_id == variant_id))
        debits, credits = journal.totals(session, ctx)
        balances = journal.balances(session, ctx)
        assert variant is not None
        assert variant.on_hand == moved == 0
        assert debits == credits
        assert balances[Account.INVENTORY] == costing.valuation(variant.on_hand, variant.avg_cost) == 0
        assert orders.list_orders(session, ctx)[1] == 50


def test_a_concurrent_duplicate_idempotent_create_makes_one_order(app_engine: Engine, committed_shop) -> None:
    ctx, variant_id = committed_shop
    factory = make_session_factory(app_engine)
    draft = OrderDraft(lines=[LineRequest(variant_id, 1)], idempotency_key="checkout-7f3a")

    def submit(_: int) -> object:
        try:
            with transaction(factory, ctx.client_id) as session:
                return orders.create_order(session, ctx, draft).id
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(submit, range(6)))

    order_ids = {r for r in results if r != "conflict"}
    assert len(order_ids) == 1
    with transaction(factory, ctx.client_id) as session:
        assert orders.list_orders(session, ctx)[1] == 1
        assert session.get(Variant, variant_id).on_hand == 49


def test_concurrent_orders_empty_receipt_layers_oldest_first(app_engine: Engine, committed_shop) -> None:
    """Orders racing for a variant whose stock is in many small layers: each take's oldest layer
    may be emptied by another order first; the layers still hold exactly what is on hand, and
    what is left is the newest stock."""
    ctx, variant_id = committed_shop
    factory = make_session_factory(app_engine)
    with transaction(factory, ctx.client_id) as session:
        start = utcnow() - timedelta(days=30)
        for day in range(10):  # ten layers of 3 units, a day apart, after the shop's first 50
            inventory.receive_stock(session, ctx, variant_id, 3, Decimal(60 + day), received_at=start + timedelta(day))

    def buy(n: int) -> int:
        with transaction(factory, ctx.client_id) as session:
            orders.create_order(session, ctx, OrderDraft(lines=[LineRequest(variant_id, 1 + n % 2)]))
        return 1 + n % 2

    with ThreadPoolExecutor(max_workers=12) as pool:
        sold = sum(pool.map(buy, range(40)))  # 60 units of the 80

    with transaction(factory, ctx.client_id) as session:
        layers = session.execute(
            select(ReceiptLayer.quantity_received, ReceiptLayer.quantity_remaining)
            .where(ReceiptLayer.variant_id == variant_id)
            .order_by(ReceiptLayer.received_at, ReceiptLayer.id)
        ).all()
        on_hand = session.get_one(Variant, variant_id).on_hand
    left = [remaining for _, remaining in layers]
    assert on_hand == sum(left) == 80 - sold == 20
    emptied = next(i for i, remaining in enumerate(left) if remaining)
    assert left[:emptied] == [0] * emptied
    assert left[emptied + 1 :] == [quantity for quantity, _ in layers[emptied + 1 :]]  # untouched, newest
