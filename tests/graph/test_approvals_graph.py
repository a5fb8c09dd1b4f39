"""Owner approvals inside the graph: the tool records the request once, pauses, and only the
owner's decision (not the requester's "yes") resumes it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from domain import approvals, orders, tenancy
from domain.context import Context
from domain.models import Approval, ApprovalStatus, Channel, Order, OrderStatus, Role, Variant
from domain.orders import LineRequest, OrderDraft
from graph.turns import resume_with_decision, run_turn


def customer(db, tenant: Context) -> Context:
    alice = tenancy.get_or_create_customer(db, tenant, wa_id="2348044444444", name="Alice")
    return Context(tenant.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id)


def test_a_customers_discount_above_the_threshold_waits_for_the_owner(db, tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "HOODIE-GRY", "40.00", stock=5, name="Grey Hoodie")
    graph = build(customer(db, tenant_a))
    asked = run_turn(graph, "wa-1", "I want to buy 2 grey hoodies, 15% off")
    assert asked.pending["kind"] == "confirm"
    waiting = run_turn(graph, "wa-1", "yes")
    assert waiting.pending["kind"] == "approval"
    approval = db.scalars(select(Approval)).one()
    assert (approval.kind.value, approval.status, approval.thread_id) == ("discount", ApprovalStatus.PENDING, "wa-1")
    assert approval.payload["discount_pct"] == "15"
    assert db.scalar(select(func.count(Order.id))) == 0
    still = run_turn(graph, "wa-1", "yes")  # the requester's yes is not the owner's
    assert still.reply.startswith("This still waits for the owner's approval")
    assert db.scalar(select(func.count(Order.id))) == 0
    assert db.scalar(select(func.count(Approval.id))) == 1
    approvals.decide(db, tenant_a, approval.id, approve=True)
    placed = resume_with_decision(graph, "wa-1", approved=True)
    assert placed.reply.startswith("Order #1001 is placed (pending). Total 68.00")
    order = db.scalars(select(Order)).one()
    assert (order.discount_pct, order.discount_approval.value) == (Decimal("15.00"), "approved")
    assert db.scalar(select(func.count(Approval.id))) == 1  # the re-run before the pause added none


def test_a_rejected_discount_places_nothing(db, tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "HOODIE-BLK", "40.00", stock=5, name="Black Hoodie")
    graph = build(customer(db, tenant_a))
    run_turn(graph, "wa-2", "I want to buy 1 black hoodie, 15% off")
    run_turn(graph, "wa-2", "yes")
    approval = db.scalars(select(Approval)).one()
    approvals.decide(db, tenant_a, approval.id, approve=False)
    answer = resume_with_decision(graph, "wa-2", approved=False)
    assert answer.reply == "Sorry, the owner did not approve that discount, so nothing changed."
    assert db.scalar(select(func.count(Order.id))) == 0


def test_staff_cancelling_a_confirmed_order_needs_the_owner(db, tenant_a, make_variant, build) -> None:
    mug = make_variant(tenant_a, "MUG-CNF", "10.00", stock=5)
    order = orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(mug.id, 2)]))
    orders.confirm_order(db, tenant_a, order.id)
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    graph = build(staff)
    assert run_turn(graph, "c-1", f"cancel order {order.number}").pending["kind"] == "confirm"
    waiting = run_turn(graph, "c-1", "yes")
    assert waiting.pending["kind"] == "approval"
    db.expire_all()
    assert db.get(Order, order.id).status is OrderStatus.CONFIRMED
    approval = db.scalars(select(Approval)).one()
    assert approval.payload == {"order_id": str(order.id), "order_number": order.number, "reason": "cancelled by chat"}
    approvals.decide(db, tenant_a, approval.id, approve=True)
    assert resume_with_decision(graph, "c-1", approved=True).reply == f"Order #{order.number} is cancelled."
    db.expire_all()
    assert db.get(Order, order.id).status is OrderStatus.CANCELLED


def test_a_large_stock_adjustment_needs_the_owner_and_a_small_one_does_not(db, tenant_a, make_variant, build) -> None:
    mug = make_variant(tenant_a, "MUG-ADJ", "10.00", stock=50)
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    graph = build(staff)
    asked = run_turn(graph, "s-1", "adjust MUG-ADJ by -3 because damaged")
    assert asked.pending["kind"] == "confirm"  # the requester confirms a summary first
    assert "50 on hand now, 47 after" in asked.reply
    small = run_turn(graph, "s-1", "yes")
    assert small.reply == "MUG-ADJ adjusted by -3: 47 on hand now."
    run_turn(graph, "s-2", "adjust MUG-ADJ by -25 because flooded")
    big = run_turn(graph, "s-2", "yes")
    assert big.pending["kind"] == "approval"
    db.expire_all()
    assert db.get(Variant, mug.id).on_hand == 47
    approval = db.scalars(select(Approval)).one()
    assert approval.payload["delta"] == -25
    approvals.decide(db, tenant_a, approval.id, approve=True)
    assert resume_with_decision(graph, "s-2", approved=True).reply == "MUG-ADJ adjusted by -25: 22 on hand now."


def test_only_owners_decide_and_only_once(db, tenant_a, make_variant, build) -> None:
    import pytest

    from domain.errors import Forbidden, InvalidTransition

    make_variant(tenant_a, "MUG-BIG", "10.00", stock=50)
    graph = build(Context(tenant_a.client_id, Role.STAFF, Channel.CHAT))
    run_turn(graph, "s-3", "adjust MUG-BIG by 30 because found in the back")
    run_turn(graph, "s-3", "yes")
    approval = db.scalars(select(Approval)).one()
    with pytest.raises(Forbidden):
        approvals.decide(db, Context(tenant_a.client_id, Role.STAFF, Channel.REST), approval.id, approve=True)
    approvals.decide(db, tenant_a, approval.id, approve=False)
    with pytest.raises(InvalidTransition):
        approvals.decide(db, tenant_a, approval.id, approve=True)
    assert "did not approve" in resume_with_decision(graph, "s-3", approved=False).reply
