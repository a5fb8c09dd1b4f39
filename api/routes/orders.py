"""/orders: create (idempotent; a discount only the owner may grant waits as an approval), list,
read, edit and cancel (second factor), move along."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import CurrentCaller, SecondFactorCaller
from api.routes.approvals import ACCEPTED, accepted
from api.schemas.approvals import ApprovalRead
from api.schemas.common import IdempotencyKey, Page, PageQuery
from api.schemas.orders import OrderCreate, OrderOwnerRead, OrderRead, OrderUpdate
from domain import approvals
from domain import orders as order_service
from domain.context import Context
from domain.models import Approval, Channel, Order, OrderStatus, Role

router = APIRouter(prefix="/orders", tags=["orders"])

OrderView = OrderOwnerRead | OrderRead


def present(order: Order, ctx: Context) -> OrderView:
    """Owners see costs and commission; staff do not."""
    schema = OrderOwnerRead if ctx.role is Role.OWNER else OrderRead
    return schema.model_validate(order)


@router.post("", status_code=201, responses=ACCEPTED)
def create_order(
    body: OrderCreate, caller: CurrentCaller, response: Response, idempotency_key: IdempotencyKey = None
) -> OrderView | ApprovalRead:
    """Create a pending order: stock for every line or none, discount within the policy.

    A discount above the auto-approval threshold from anyone but the owner answers 202 with an
    approval; the order is placed when the owner approves. With `Idempotency-Key`, a retry with
    the same body returns the first order (or approval); another body is 422.
    """
    with caller.transaction() as (session, ctx):
        outcome = approvals.submit(
            session, ctx, approvals.order_request(body.to_domain(idempotency_key), request_key=idempotency_key)
        )
        return accepted(response, outcome) if isinstance(outcome, Approval) else present(outcome, ctx)


@router.get("")
def list_orders(
    caller: CurrentCaller,
    page: PageQuery,
    status: Annotated[OrderStatus | None, Query()] = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
) -> Page[OrderView]:
    """Orders, newest first."""
    with caller.transaction() as (session, ctx):
        items, total = order_service.list_orders(
            session,
            ctx,
            order_service.OrderFilter(status=status, customer_id=customer_id, channel=channel),
            limit=page.limit,
            offset=page.offset,
        )
        return Page(items=[present(o, ctx) for o in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{order_id}")
def get_order(order_id: uuid.UUID, caller: CurrentCaller) -> OrderView:
    """One order with its lines."""
    with caller.transaction() as (session, ctx):
        return present(order_service.get_order(session, ctx, order_id), ctx)


@router.patch("/{order_id}")
def update_order(
    order_id: uuid.UUID, body: OrderUpdate, caller: SecondFactorCaller, idempotency_key: IdempotencyKey = None
) -> OrderView:
    """Change items, address, payment method or note (needs `X-2FA-Code`; retry-safe with `Idempotency-Key`)."""
    with caller.transaction() as (session, ctx):
        changes = body.to_domain()
        return present(
            order_service.update_order(session, ctx, order_id, changes, idempotency_key=idempotency_key), ctx
        )


@router.delete("/{order_id}", responses=ACCEPTED)
def cancel_order(
    order_id: uuid.UUID, caller: SecondFactorCaller, response: Response, idempotency_key: IdempotencyKey = None
) -> OrderView | ApprovalRead:
    """Cancel the order, restocking its lines and reversing the sale (needs `X-2FA-Code`). A
    confirmed order only the owner cancels: staff get 202 with an approval for the owner."""
    with caller.transaction() as (session, ctx):
        order = order_service.get_order(session, ctx, order_id)
        request = approvals.cancellation_request(order, "cancelled via REST", request_key=idempotency_key)
        outcome = approvals.submit(session, ctx, request)
        return accepted(response, outcome) if isinstance(outcome, Approval) else present(outcome, ctx)


@router.post("/{order_id}/confirm")
def confirm_order(order_id: uuid.UUID, caller: CurrentCaller) -> OrderView:
    """pending → confirmed."""
    with caller.transaction() as (session, ctx):
        return present(order_service.confirm_order(session, ctx, order_id), ctx)


@router.post("/{order_id}/deliver")
def deliver_order(order_id: uuid.UUID, caller: CurrentCaller) -> OrderView:
    """confirmed → delivered (starts the return window)."""
    with caller.transaction() as (session, ctx):
        return present(order_service.deliver_order(session, ctx, order_id), ctx)


@router.post("/{order_id}/pay")
def pay_order(order_id: uuid.UUID, caller: CurrentCaller) -> OrderView:
    """Record the payment of an unpaid order."""
    with caller.transaction() as (session, ctx):
        return present(order_service.mark_paid(session, ctx, order_id), ctx)
