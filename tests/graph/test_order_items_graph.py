"""Changing a pending order's items and returning or exchanging delivered items by chat: a
summary with the domain's own totals, an explicit yes, then the write; customers reach only
their own orders, and hostile arguments never reach the database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import orders
from domain.context import Context
from domain.models import Order, OrderStatus, PaymentStatus, Return, Variant
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from graph.turns import run_turn
from tests.graph.conftest import say
from tests.graph.scripted import ScriptedChatModel, tool_calls


@pytest.fixture
def shirt(tenant_a: Context, make_variant) -> Variant:
    return make_variant(tenant_a, "LINEN-M", "30.00", stock=10, name="Linen Shirt")


@pytest.fixture
def pending_order(db: Session, tenant_a: Context, alice: Context, shirt: Variant) -> Order:
    draft = OrderDraft(lines=[LineRequest(shirt.id, 1)], customer_id=alice.customer_id)
    return orders.create_order(db, tenant_a, draft)


def delivered(db: Session, tenant_a: Context, alice: Context, variant: Variant, quantity: int, days_ago: int = 1):
    draft = OrderDraft(
        lines=[LineRequest(variant.id, quantity)], customer_id=alice.customer_id, payment_status=PaymentStatus.PAID
    )
    order = orders.create_order(db, tenant_a, draft)
    orders.confirm_order(db, tenant_a, order.id)
    return orders.deliver_order(db, tenant_a, order.id, at=utcnow() - timedelta(days=days_ago))


def fresh(db: Session, model: type, id_) -> object:
    db.expire_all()
    return db.get(model, id_)


def return_count(db: Session, order: Order) -> int:
    return db.scalar(select(func.count(Return.id)).where(Return.order_id == order.id))


def test_a_customer_changes_the_items_of_a_pending_order_after_yes(db, pending_order, alice, shirt, build) -> None:
    graph = build(alice)
    n = pending_order.number
    asked = run_turn(graph, "wa-i", f"change order {n} to 3 linen shirts")
    assert asked.pending is not None
    assert asked.pending["action"] == "change_order_items"
    assert f"Change order #{n} from 1 × Linen Shirt (LINEN-M) to 3 × Linen Shirt (LINEN-M). New total 90.00." in (
        asked.reply
    )
    assert (fresh(db, Order, pending_order.id).total, fresh(db, Variant, shirt.id).on_hand) == (Decimal("30.00"), 9)
    done = run_turn(graph, "wa-i", "yes")
    assert done.reply == f"Order #{n} now has 3 × Linen Shirt. Total 90.00."
    assert (fresh(db, Order, pending_order.id).total, fresh(db, Variant, shirt.id).on_hand) == (Decimal("90.00"), 7)


def test_declining_an_item_change_keeps_the_order(db, pending_order, alice, shirt, build) -> None:
    graph = build(alice)
    run_turn(graph, "wa-n", f"change order {pending_order.number} to 3 linen shirts")
    assert run_turn(graph, "wa-n", "no").reply == f"Okay, order #{pending_order.number} stays as it is."
    assert (fresh(db, Order, pending_order.id).total, fresh(db, Variant, shirt.id).on_hand) == (Decimal("30.00"), 9)


def test_item_changes_are_refused_for_others_orders_and_short_stock(db, pending_order, bob, alice, build) -> None:
    n = pending_order.number
    theirs = run_turn(build(bob), "wa-b", f"change order {n} to 2 linen shirts")
    assert (theirs.pending, theirs.reply) == (None, f"Sorry: order #{n} not found")
    too_many = run_turn(build(alice), "wa-s", f"change order {n} to 50 linen shirts")
    assert too_many.pending is None
    assert too_many.reply.startswith("Sorry: ")
    assert fresh(db, Order, pending_order.id).total == Decimal("30.00")


def test_a_customer_returns_a_delivered_item_after_yes(db, tenant_a, alice, shirt, build) -> None:
    order = delivered(db, tenant_a, alice, shirt, 2)
    graph = build(alice)
    asked = run_turn(graph, "wa-r", f"return 1 item from order {order.number}")
    assert asked.pending is not None
    assert asked.pending["action"] == "return_items"
    assert f"Return 1 × Linen Shirt (LINEN-M) from order #{order.number}; refund 30.00." in asked.reply
    assert return_count(db, order) == 0
    assert fresh(db, Variant, shirt.id).on_hand == 8
    done = run_turn(graph, "wa-r", "yes")
    assert done.reply == f"Return of 1 × Linen Shirt (LINEN-M) from order #{order.number} is recorded; refund 30.00."
    assert return_count(db, order) == 1
    assert fresh(db, Variant, shirt.id).on_hand == 9
    assert fresh(db, Order, order.id).status is OrderStatus.PARTIALLY_RETURNED


def test_a_customer_exchanges_for_another_size(db, tenant_a, alice, shirt, build) -> None:
    large = Variant(client_id=tenant_a.client_id, product_id=shirt.product_id, sku="LINEN-L", price=Decimal("32.00"))
    db.add(large)
    db.flush()
    from domain import inventory

    inventory.receive_stock(db, tenant_a, large.id, 3, Decimal("12"))
    order = delivered(db, tenant_a, alice, shirt, 1)
    graph = build(alice)
    asked = run_turn(graph, "wa-e", f"exchange 1 LINEN-M from order {order.number} for LINEN-L")
    assert f"Exchange 1 × Linen Shirt (LINEN-M) from order #{order.number} for LINEN-L; you pay 2.00 more." in (
        asked.reply
    )
    done = run_turn(graph, "wa-e", "yes")
    assert (
        done.reply
        == f"Exchange of 1 × Linen Shirt (LINEN-M) from order #{order.number} is recorded. You pay 2.00 more."
    )
    assert (fresh(db, Variant, shirt.id).on_hand, fresh(db, Variant, large.id).on_hand) == (10, 2)


def test_returns_are_refused_outside_the_window_and_for_others(db, tenant_a, alice, bob, shirt, pending_order, build):
    old = delivered(db, tenant_a, alice, shirt, 1, days_ago=400)
    late = run_turn(build(alice), "wa-l", f"return 1 item from order {old.number}")
    assert late.pending is None
    assert late.reply.startswith("Sorry: ")
    assert "return window" in late.reply
    undelivered = run_turn(build(alice), "wa-p", f"return 1 item from order {pending_order.number}")
    assert undelivered.pending is None
    assert "only delivered orders take returns" in undelivered.reply
    mine = delivered(db, tenant_a, alice, shirt, 1)
    theirs = run_turn(build(bob), "wa-b", f"return 1 item from order {mine.number}")
    assert theirs.reply == f"Sorry: order #{mine.number} not found"
    assert return_count(db, old) == return_count(db, mine) == 0


def test_hostile_returns_and_item_changes_never_reach_the_database(db, tenant_a, alice, shirt, build) -> None:
    order = delivered(db, tenant_a, alice, shirt, 1)
    number = order.number
    model = ScriptedChatModel(
        script=[
            tool_calls(("ask_sales", {"request": "return"})),
            tool_calls(("return_items", {"order_number": number, "items": [{"sku": "LINEN-M", "quantity": 5}]})),
            tool_calls(("return_items", {"order_number": number, "items": [{"sku": "LINEN-M", "quantity": -1}]})),
            tool_calls(("return_items", {"order_number": number, "items": [{"sku": "NOPE", "quantity": 1}]})),
            tool_calls(("return_items", {"order_number": number, "items": []})),
            tool_calls(("return_items", {"order_number": "all", "items": "everything"})),
            tool_calls(
                (
                    "return_items",
                    {"order_number": number, "items": [{"sku": "LINEN-M", "quantity": 1}], "exchange_for_sku": "NOPE"},
                )
            ),
            tool_calls(("change_order_items", {"order_number": number, "items": [{"sku": "LINEN-M", "quantity": 2}]})),
            tool_calls(("change_order_items", {"order_number": number, "items": [{"sku": "LINEN-M", "quantity": 0}]})),
            AIMessage(content="Checked."),
        ]
    )
    state = say(build(alice, model=model), "return")
    results = [str(m.content) for m in model.seen[-1] if isinstance(m, ToolMessage)]
    assert len(results) == 8
    assert "can still come back" in results[0]
    assert all("error" in r.lower() for r in (results[1], results[3], results[4], results[7]))
    assert "not on order" in results[2]
    assert "no product with SKU 'NOPE'" in results[5]
    assert "can no longer be edited" in results[6]
    assert str(state["messages"][-1].content) == "Checked."
    assert return_count(db, order) == 0
    assert fresh(db, Variant, shirt.id).on_hand == 9


def test_the_offline_model_reads_item_changes_and_returns() -> None:
    from graph.offline import classify

    assert classify("change order 1042 to 3 linen shirts").name == "change_items"
    assert classify("change the address of order 1042 to 7 Marina Road").name == "change_address"
    assert classify("return 1 item from order 1042").name == "return_items"
    assert classify("what is your return policy?").name == "business_info"
