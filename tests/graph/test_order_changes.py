"""Cancelling an order and changing its delivery address by chat: a summary, an explicit yes,
then the write; customers reach only their own pending orders."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from domain import approvals, orders
from domain.context import Context
from domain.models import Order, OrderStatus, Variant
from domain.orders import LineRequest, OrderDraft
from graph.turns import resume_with_decision, run_turn


@pytest.fixture
def alices_order(db: Session, tenant_a: Context, alice: Context, make_variant) -> Order:
    tote = make_variant(tenant_a, "TOTE-NAT", "25.00", stock=10, name="Canvas Tote")
    draft = OrderDraft(lines=[LineRequest(tote.id, 2)], customer_id=alice.customer_id, delivery_address="1 Old Road")
    return orders.create_order(db, tenant_a, draft)


def refreshed(db: Session, order: Order) -> Order:
    db.expire_all()
    return db.get(Order, order.id)


def test_a_customer_cancels_their_pending_order_only_after_yes(db, alices_order, alice, build) -> None:
    graph = build(alice)
    asked = run_turn(graph, "wa-c", f"please cancel order {alices_order.number}")
    assert asked.pending is not None
    assert asked.pending["action"] == "cancel_order"
    assert f"Cancel order #{alices_order.number} (pending): 2 × Canvas Tote, total 50.00." in asked.reply
    assert refreshed(db, alices_order).status is OrderStatus.PENDING  # nothing before the yes
    done = run_turn(graph, "wa-c", "yes")
    assert done.reply == f"Order #{alices_order.number} is cancelled."
    order = refreshed(db, alices_order)
    assert order.status is OrderStatus.CANCELLED
    lines = orders.get_order(db, alice, order.id).lines
    assert db.get(Variant, lines[0].variant_id).on_hand == 10  # restocked


def test_no_leaves_the_order_as_it_is(db, alices_order, alice, build) -> None:
    graph = build(alice)
    run_turn(graph, "wa-n", f"cancel order {alices_order.number}")
    assert run_turn(graph, "wa-n", "no").reply == f"Okay, order #{alices_order.number} stays as it is."
    assert refreshed(db, alices_order).status is OrderStatus.PENDING


def test_a_customer_changes_the_delivery_address_after_yes(db, alices_order, alice, build) -> None:
    graph = build(alice)
    asked = run_turn(graph, "wa-a", f"change the address of order {alices_order.number} to 7 Marina Road")
    assert asked.pending is not None
    assert f"Deliver order #{alices_order.number} to 7 Marina Road instead of 1 Old Road." in asked.reply
    assert refreshed(db, alices_order).delivery_address == "1 Old Road"
    done = run_turn(graph, "wa-a", "ok")
    assert done.reply == f"Order #{alices_order.number} will be delivered to 7 Marina Road."
    assert refreshed(db, alices_order).delivery_address == "7 Marina Road"


def test_declining_an_address_change_keeps_the_old_address(db, alices_order, alice, build) -> None:
    graph = build(alice)
    run_turn(graph, "wa-d", f"change the address of order {alices_order.number} to 7 Marina Road")
    assert "stays as it is" in run_turn(graph, "wa-d", "nope").reply
    assert refreshed(db, alices_order).delivery_address == "1 Old Road"


def test_another_customers_order_is_not_found(db, alices_order, bob, build) -> None:
    graph = build(bob)
    cancel = run_turn(graph, "wa-b", f"cancel order {alices_order.number}")
    assert cancel.pending is None
    assert cancel.reply == f"Sorry: order #{alices_order.number} not found"
    change = run_turn(graph, "wa-b2", f"change the address of order {alices_order.number} to 9 Elsewhere")
    assert change.reply == f"Sorry: order #{alices_order.number} not found"
    order = refreshed(db, alices_order)
    assert (order.status, order.delivery_address) == (OrderStatus.PENDING, "1 Old Road")


def test_a_customer_cancelling_a_confirmed_order_asks_the_owner(db, tenant_a, alices_order, alice, build) -> None:
    orders.confirm_order(db, tenant_a, alices_order.id)
    graph = build(alice)
    assert run_turn(graph, "wa-x", f"cancel order {alices_order.number}").pending["kind"] == "confirm"
    waiting = run_turn(graph, "wa-x", "yes")
    assert waiting.pending["kind"] == "approval"
    assert refreshed(db, alices_order).status is OrderStatus.CONFIRMED
    [approval], _ = approvals.list_approvals(db, tenant_a)
    approvals.decide(db, tenant_a, approval.id, approve=False)
    answer = resume_with_decision(graph, "wa-x", approved=False)
    assert (
        answer.reply == f"Sorry, the owner did not approve cancelling order #{alices_order.number}, so nothing changed."
    )
    assert refreshed(db, alices_order).status is OrderStatus.CONFIRMED


def test_the_offline_model_reads_order_changes(tenant_a) -> None:
    from graph.offline import classify

    assert classify("cancel order 1042").name == "cancel_order"
    assert classify("change the address of order 1042 to 7 Marina Road").name == "change_address"
    assert classify("where is order 1042").name == "order_status"
    assert classify("I want to buy 2 hoodies, 15% off").name == "order"
