"""/orders: create (idempotent; a discount only the owner may grant waits as an approval), list,
read, edit and cancel (second factor), move along."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Body, Query, Response

from api.auth import CurrentCaller, OptionalSecondFactorCaller, SecondFactorCaller
from api.routes.approvals import ACCEPTED, accepted
from api.routing import ApiRouter
from api.schemas.approvals import ApprovalRead
from api.schemas.common import IdempotencyKey, Moment, Page, PageQuery, Text
from api.schemas.orders import OrderCancel, OrderCreate, OrderOwnerRead, OrderRead, OrderUpdate
from domain import approvals
from domain import customers as customer_service
from domain import orders as order_service
from domain.context import Context
from domain.models import Approval, Channel, Order, OrderStatus, Role

router = ApiRouter(prefix="/orders", tags=["orders"])

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
    the same body returns the first order (or approval); another body is 422. `customer`
    ({name, phone}) finds the customer by phone or adds them, in the same transaction.
    """
    with caller.transaction() as (session, ctx):
        buyer = body.customer
        found = customer_service.find_or_create_by_phone(session, ctx, buyer.name, buyer.phone) if buyer else None
        draft = body.to_domain(idempotency_key, found.id if found else None)
        outcome = approvals.submit(session, ctx, approvals.order_request(draft, request_key=idempotency_key))
    # read back after the commit: the row locks are released before the response is built
    return accepted(response, outcome) if isinstance(outcome, Approval) else present(outcome, ctx)


@router.get("")
def list_orders(
    caller: CurrentCaller,
    page: PageQuery,
    status: Annotated[OrderStatus | None, Query()] = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    number: Annotated[int | None, Query(ge=1, le=2_000_000_000, description="the order number, e.g. 1042")] = None,
    since: Annotated[Moment | None, Query(description="created at or after (with a timezone)")] = None,
    until: Annotated[Moment | None, Query(description="created before (with a timezone)")] = None,
) -> Page[OrderView]:
    """Orders, newest first; every filter narrows the others (`?number=1042`, `?customer_id=…&status=…`)."""
    with caller.transaction() as (session, ctx):
        items, total = order_service.list_orders(
            session,
            ctx,
            order_service.OrderFilter(
                status=status, customer_id=customer_id, channel=channel, number=number, since=since, until=until
            ),
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
    order_id: uuid.UUID,
    caller: OptionalSecondFactorCaller,
    response: Response,
    body: Annotated[OrderCancel | None, Body()] = None,
    reason: Annotated[Text | None, Query(max_length=500, description='or send {"reason": …}')] = None,
    idempotency_key: IdempotencyKey = None,
) -> OrderView | ApprovalRead:
    """Cancel the order with a reason, restocking its lines and reversing the sale.

    A pending order needs nothing more. A confirmed one only the owner cancels, with `X-2FA-Code`;
    anyone else gets 202 with an approval for the owner.
    """
    why = (body.reason if body else "") or reason or ""
    with caller.transaction() as (session, ctx):
        order = order_service.get_order(session, ctx, order_id)
        request = approvals.cancellation_request(order, why, request_key=idempotency_key)
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
