"""Approvals are records of an action: submitted by anyone, run by the owner's decision exactly once."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import approvals, audit, auth, inventory, orders
from domain.context import Context
from domain.errors import ApprovalRequired, Forbidden, IdempotencyKeyReused, InvalidTransition
from domain.models import Approval, ApprovalStatus, Channel, Order, OrderStatus, Role, StockMovement
from domain.orders import LineRequest, OrderDraft


@pytest.fixture
def clerk(db: Session, tenant_a: Context) -> Context:
    user = auth.add_user(db, tenant_a.client_id, "clerk", "clerk-password", Role.STAFF)
    return Context(tenant_a.client_id, Role.STAFF, Channel.REST, user.id, actor_name="clerk")


def count(db: Session, model: type, *where: object) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_staff_cannot_grant_a_discount_above_the_threshold_alone(
    db: Session, tenant_a: Context, clerk: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-RED", "10.00", stock=5)
    with pytest.raises(ApprovalRequired, match="15% discount is above the 10%"):
        orders.create_order(db, clerk, OrderDraft([LineRequest(mug.id, 2)], discount_pct=D(15)))
    db.refresh(mug)
    assert mug.on_hand == 5


def test_a_submitted_order_that_needs_the_owner_writes_nothing_but_the_request(
    db: Session, tenant_a: Context, clerk: Context, make_variant
) -> None:
    """`submit` runs an order without a savepoint of its own: the order asks for the owner before
    its first write, so only the approval is recorded and the transaction goes on."""
    mug = make_variant(tenant_a, "MUG-SUB", "10.00", stock=5)
    draft = OrderDraft([LineRequest(mug.id, 2)], discount_pct=D(15))
    asked = approvals.submit(db, clerk, approvals.order_request(draft))
    assert isinstance(asked, Approval)
    assert asked.status is ApprovalStatus.PENDING
    db.refresh(mug)
    assert (mug.on_hand, count(db, Order, Order.client_id == tenant_a.client_id)) == (5, 0)
    placed = approvals.submit(db, clerk, approvals.order_request(OrderDraft([LineRequest(mug.id, 1)])))
    assert isinstance(placed, Order)
    assert placed.total == D("10.00")


def test_an_approved_discount_order_is_placed_once_as_the_requester(
    db: Session, tenant_a: Context, clerk: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-RED", "10.00", stock=5)
    request = approvals.order_request(OrderDraft([LineRequest(mug.id, 2)], discount_pct=D(15)), request_key="k-1")
    approval = approvals.submit(db, clerk, request)
    assert isinstance(approval, Approval)
    assert (approval.status, approval.kind.value) == (ApprovalStatus.PENDING, "discount")
    assert "2 × Mug Red (MUG-RED) at 15% off, total 17.00" in approval.summary
    assert approvals.submit(db, clerk, request).id == approval.id  # a retry asks nothing new
    other = approvals.order_request(OrderDraft([LineRequest(mug.id, 3)], discount_pct=D(15)), request_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        approvals.submit(db, clerk, other)
    with pytest.raises(Forbidden):
        approvals.decide(db, clerk, approval.id, approve=True)

    decided = approvals.decide(db, tenant_a, approval.id, approve=True)
    assert decided.status is ApprovalStatus.APPROVED
    order = orders.get_order(db, tenant_a, uuid.UUID(decided.result["order_id"]))
    assert (order.total, order.created_by_user_id, order.discount_approval) == (
        D("17.00"),
        clerk.user_id,
        ApprovalStatus.APPROVED,
    )
    with pytest.raises(InvalidTransition, match="already approved"):
        approvals.decide(db, tenant_a, approval.id, approve=True)
    assert count(db, Order, Order.client_id == tenant_a.client_id) == 1
    actions = [e.action for e in audit.list_events(db, tenant_a)[0]]
    assert audit.Action.APPROVAL_REQUESTED in actions
    assert audit.Action.APPROVAL_DECIDED in actions


def test_a_rejected_request_runs_nothing(db: Session, tenant_a: Context, clerk: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-RED", "10.00", stock=5)
    approval = approvals.submit(
        db, clerk, approvals.order_request(OrderDraft([LineRequest(mug.id, 2)], discount_pct=D(15)))
    )
    assert isinstance(approval, Approval)
    decided = approvals.decide(db, tenant_a, approval.id, approve=False)
    assert (decided.status, decided.result) == (ApprovalStatus.REJECTED, None)
    assert count(db, Order, Order.client_id == tenant_a.client_id) == 0


def test_an_approved_action_the_domain_then_refuses_is_recorded_as_failed(
    db: Session, tenant_a: Context, clerk: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-RED", "10.00", stock=2)
    approval = approvals.submit(
        db, clerk, approvals.order_request(OrderDraft([LineRequest(mug.id, 2)], discount_pct=D(15)))
    )
    orders.create_order(db, tenant_a, OrderDraft([LineRequest(mug.id, 2)]))  # the stock goes meanwhile
    assert isinstance(approval, Approval)
    decided = approvals.decide(db, tenant_a, approval.id, approve=True)
    assert decided.status is ApprovalStatus.FAILED
    assert decided.result == {"error": "out_of_stock", "detail": "only 0 × MUG-RED in stock; cannot take 2"}
    assert count(db, Order, Order.client_id == tenant_a.client_id) == 1


def test_a_large_adjustment_by_staff_waits_for_the_owner_through_any_channel(
    db: Session, tenant_a: Context, clerk: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-RED", stock=30)
    small = approvals.submit(db, clerk, approvals.adjustment_request(mug.id, -3, "broken"))
    assert isinstance(small, StockMovement)
    big = approvals.submit(db, clerk, approvals.adjustment_request(mug.id, -25, "flooded"))
    assert isinstance(big, Approval)
    assert big.summary == "Adjust MUG-RED by -25 units (flooded)."
    db.refresh(mug)
    assert mug.on_hand == 27
    decided = approvals.decide(db, tenant_a, big.id, approve=True)
    db.refresh(mug)
    assert (decided.result["on_hand"], mug.on_hand) == (2, 2)
    forged = Approval(**{c: getattr(decided, c) for c in ("kind", "payload", "status")})
    with pytest.raises(Forbidden, match="different request"):  # an approval clears only its own action
        inventory.adjust_stock(db, clerk, mug.id, -26, "flooded", clearance=forged)


def test_cancelling_a_confirmed_order_needs_the_owner_even_with_a_second_factor(
    db: Session, tenant_a: Context, clerk: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-RED", stock=5)
    order = orders.create_order(db, clerk, OrderDraft([LineRequest(mug.id, 1)]))
    orders.confirm_order(db, clerk, order.id)
    request = approvals.cancellation_request(order, "customer changed their mind")
    approval = approvals.submit(db, clerk.with_second_factor(), request)
    assert isinstance(approval, Approval)
    assert order.status is OrderStatus.CONFIRMED
    approvals.decide(db, tenant_a, approval.id, approve=True)
    db.refresh(order)
    assert order.status is OrderStatus.CANCELLED
    owner_cancel = approvals.submit(
        db,
        tenant_a.with_second_factor(),
        approvals.cancellation_request(
            orders.create_order(db, tenant_a, OrderDraft([LineRequest(mug.id, 1)])), "owner"
        ),
    )
    assert isinstance(owner_cancel, Order)
    assert owner_cancel.status is OrderStatus.CANCELLED


def test_a_customer_sees_only_their_own_requests(db: Session, tenant_a: Context, clerk: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-RED", "10.00", stock=5)
    draft = OrderDraft([LineRequest(mug.id, 1)], discount_pct=D(15))
    mine = approvals.submit(db, clerk, approvals.order_request(draft))
    assert isinstance(mine, Approval)
    other = Context(tenant_a.client_id, Role.STAFF, Channel.REST, uuid.uuid4())
    assert approvals.list_approvals(db, other) == ([], 0)
    assert approvals.list_approvals(db, clerk)[1] == 1
    assert approvals.list_approvals(db, tenant_a, status=ApprovalStatus.PENDING)[1] == 1
