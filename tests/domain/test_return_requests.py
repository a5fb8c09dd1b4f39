"""Return requests in the domain: the window is judged when the request is opened, and a customer
opens requests only for their own orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from domain import orders, return_requests, tenancy
from domain.context import Context
from domain.errors import Forbidden, NotFound, PolicyViolation
from domain.models import Channel, OrderStatus, PaymentStatus, ReturnRequestStatus, Role
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.return_requests import RequestedItem


def delivered(db: Session, ctx: Context, variant_id, *, days_ago: int, customer_id=None):
    order = orders.create_order(
        db,
        ctx,
        OrderDraft(lines=[LineRequest(variant_id, 2)], payment_status=PaymentStatus.PAID, customer_id=customer_id),
    )
    orders.confirm_order(db, ctx, order.id)
    return orders.deliver_order(db, ctx, order.id, at=utcnow() - timedelta(days=days_ago))


def test_goods_arriving_after_the_window_still_come_back_if_the_request_was_in_time(
    db: Session, tenant_a: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-WHT", "12.50", stock=5, cost="5")
    order = delivered(db, tenant_a, mug.id, days_ago=20)  # the 14-day window closed 6 days ago
    with pytest.raises(PolicyViolation, match="14-day return window"):
        return_requests.open_request(db, tenant_a, order.id, [RequestedItem(order.lines[0].id, 1)])
    order.delivered_at = utcnow() - timedelta(days=13)
    request = return_requests.open_request(db, tenant_a, order.id, [RequestedItem(order.lines[0].id, 1)])
    # Two days pass: opened one day before the deadline, received one day after it.
    request.created_at, order.delivered_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=15)
    received = return_requests.receive_request(db, tenant_a, request.id)
    assert received.status is ReturnRequestStatus.RECEIVED
    assert orders.get_order(db, tenant_a, order.id).status is OrderStatus.PARTIALLY_RETURNED


def test_a_customer_opens_requests_only_for_their_own_orders(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-BLU", "12.50", stock=5, cost="5")
    alice = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348000000011", name="Alice")
    bob = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348000000012", name="Bob")
    alices = delivered(db, tenant_a, mug.id, days_ago=1, customer_id=alice.id)
    as_alice = replace(tenant_a, role=Role.CUSTOMER, channel=Channel.WHATSAPP, user_id=None, customer_id=alice.id)
    as_bob = replace(as_alice, customer_id=bob.id)
    request = return_requests.open_request(db, as_alice, alices.id, [RequestedItem(alices.lines[0].id, 1)])
    assert (request.opened_by_customer_id, request.channel) == (alice.id, Channel.WHATSAPP)
    with pytest.raises(NotFound):
        return_requests.open_request(db, as_bob, alices.id, [RequestedItem(alices.lines[0].id, 1)])
    with pytest.raises(NotFound):
        return_requests.get_request(db, as_bob, request.id)
    with pytest.raises(Forbidden, match="needs the owner or staff role"):
        return_requests.receive_request(db, as_alice, request.id)
