"""/orders: create (idempotent), list, read, edit and cancel (second factor), move along."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query

from api.auth import CurrentContext, OptionalSecondFactorContext, OwnerContext, SecondFactorContext
from api.deps import SessionDep
from api.schemas.common import Moment, Page, PageQuery, Text
from api.schemas.orders import DiscountDecision, OrderCancel, OrderCreate, OrderOwnerRead, OrderRead, OrderUpdate
from domain import customers as customer_service
from domain import orders as order_service
from domain.context import Context
from domain.models import Channel, Order, OrderStatus, Role

router = APIRouter(prefix="/orders", tags=["orders"])

OrderView = OrderOwnerRead | OrderRead


def present(order: Order, ctx: Context) -> OrderView:
    """Owners see costs and commission; staff do not."""
    schema = OrderOwnerRead if ctx.role is Role.OWNER else OrderRead
    return schema.model_validate(order)


@router.post("", status_code=201)
def create_order(
    body: OrderCreate,
    ctx: CurrentContext,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(max_length=200, description="Retry-safe key per client")] = None,
) -> OrderView:
    """Create a pending order: stock for every line or none, discount within the policy.

    With `Idempotency-Key`, a retry with the same body returns the first order; another body is 422.
    `customer` ({name, phone}) finds the customer by phone or adds them, in the same transaction.
    """
    buyer = body.customer
    found = customer_service.find_or_create_by_phone(session, ctx, buyer.name, buyer.phone) if buyer else None
    draft = body.to_domain(idempotency_key, found.id if found else None)
    return present(order_service.create_order(session, ctx, draft), ctx)


@router.get("")
def list_orders(
    ctx: CurrentContext,
    session: SessionDep,
    page: PageQuery,
    status: Annotated[OrderStatus | None, Query()] = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    number: Annotated[int | None, Query(ge=1, le=2_000_000_000, description="the order number, e.g. 1042")] = None,
    since: Annotated[Moment | None, Query(description="created at or after (with a timezone)")] = None,
    until: Annotated[Moment | None, Query(description="created before (with a timezone)")] = None,
) -> Page[OrderView]:
    """Orders, newest first; every filter narrows the others (`?number=1042`, `?customer_id=…&status=…`)."""
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
def get_order(order_id: uuid.UUID, ctx: CurrentContext, session: SessionDep) -> OrderView:
    """One order with its lines."""
    return present(order_service.get_order(session, ctx, order_id), ctx)


@router.patch("/{order_id}")
def update_order(order_id: uuid.UUID, body: OrderUpdate, ctx: SecondFactorContext, session: SessionDep) -> OrderView:
    """Change items, address, payment method or note (needs `X-2FA-Code`)."""
    return present(order_service.update_order(session, ctx, order_id, body.to_domain()), ctx)


@router.delete("/{order_id}")
def cancel_order(
    order_id: uuid.UUID,
    ctx: OptionalSecondFactorContext,
    session: SessionDep,
    body: Annotated[OrderCancel | None, Body()] = None,
    reason: Annotated[Text | None, Query(max_length=500, description='or send {"reason": …}')] = None,
) -> OrderView:
    """Cancel the order with a reason, restocking its lines and reversing the sale.

    A pending order needs nothing more; a confirmed one needs `X-2FA-Code`.
    """
    why = (body.reason if body else "") or reason or ""
    return present(order_service.cancel_order(session, ctx, order_id, why), ctx)


@router.post("/{order_id}/confirm")
def confirm_order(order_id: uuid.UUID, ctx: CurrentContext, session: SessionDep) -> OrderView:
    """pending → confirmed."""
    return present(order_service.confirm_order(session, ctx, order_id), ctx)


@router.post("/{order_id}/deliver")
def deliver_order(order_id: uuid.UUID, ctx: CurrentContext, session: SessionDep) -> OrderView:
    """confirmed → delivered (starts the return window)."""
    return present(order_service.deliver_order(session, ctx, order_id), ctx)


@router.post("/{order_id}/pay")
def pay_order(order_id: uuid.UUID, ctx: CurrentContext, session: SessionDep) -> OrderView:
    """Record the payment of an unpaid order."""
    return present(order_service.mark_paid(session, ctx, order_id), ctx)


@router.post("/{order_id}/discount-decision")
def decide_discount(order_id: uuid.UUID, body: DiscountDecision, ctx: OwnerContext, session: SessionDep) -> OrderView:
    """The owner approves or rejects a discount above the auto-approval threshold."""
    return present(order_service.decide_discount(session, ctx, order_id, approve=body.approve), ctx)
