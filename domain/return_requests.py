"""Return requests as small shops run them: opened (by the customer or staff), goods received
(restocked or written off; the refund is now owed), refund paid. Or rejected while open.

The immediate return (`returns.create_return`) stays the one-step path at the counter. The window is
judged when the request is opened, so goods that arrive a few days later still come back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import audit, journal, messaging, orders, returns, tenancy
from domain.context import Context, scoped
from domain.errors import InvalidTransition, NotFound, ValidationFailed
from domain.journal import credit, debit
from domain.models import (
    Account,
    ItemCondition,
    PaymentStatus,
    RefundMethod,
    ReturnRequest,
    ReturnRequestStatus,
)
from domain.models.base import utcnow


@dataclass(frozen=True)
class RequestedItem:
    """Units of one delivered order line the customer wants to send back."""

    order_line_id: uuid.UUID
    quantity: int


def _open_quantities(session: Session, ctx: Context, order_id: uuid.UUID) -> dict[str, int]:
    """Units per order line already asked for by open requests of this order."""
    held: dict[str, int] = {}
    for items in session.scalars(
        select(ReturnRequest.items).where(
            ReturnRequest.client_id == ctx.client_id,
            ReturnRequest.order_id == order_id,
            ReturnRequest.status == ReturnRequestStatus.OPEN,
        )
    ):
        for item in items:
            line = str(item["order_line_id"])
            held[line] = held.get(line, 0) + int(str(item["quantity"]))
    return held


def open_request(
    session: Session, ctx: Context, order_id: uuid.UUID, items: list[RequestedItem], *, reason: str = ""
) -> ReturnRequest:
    """Open a request against a delivered order within its return window; nothing moves yet.

    A customer may open one only for their own orders. Units already returned or held by another
    open request cannot be asked for again.
    """
    order = orders.get_order(session, ctx, order_id, for_update=True)
    client = tenancy.get_client(scoped(session, ctx), ctx.client_id)
    returns.check_window(order, client.return_window_days, utcnow())
    held = _open_quantities(session, ctx, order.id)
    asked = [
        returns.ReturnItem(item.order_line_id, item.quantity + held.get(str(item.order_line_id), 0)) for item in items
    ]
    returns.lines_by_id(order, asked)  # raises when more is asked than can still come back
    request = ReturnRequest(
        client_id=ctx.client_id,
        order_id=order.id,
        status=ReturnRequestStatus.OPEN,
        items=[{"order_line_id": str(item.order_line_id), "quantity": item.quantity} for item in items],
        reason=reason,
        channel=ctx.channel,
        opened_by_user_id=ctx.user_id,
        opened_by_customer_id=ctx.customer_id,
    )
    session.add(request)
    session.flush()
    return request


def get_request(session: Session, ctx: Context, request_id: uuid.UUID, *, for_update: bool = False) -> ReturnRequest:
    """One request; a customer sees only requests against their own orders."""
    query = select(ReturnRequest).where(ReturnRequest.id == request_id, ReturnRequest.client_id == ctx.client_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    request = scoped(session, ctx).scalars(query).first()
    if request is None:
        raise NotFound(f"return request {request_id} not found")
    orders.get_order(session, ctx, request.order_id)  # a customer's own-order scope
    return request


def list_requests(
    session: Session,
    ctx: Context,
    *,
    status: ReturnRequestStatus | None = None,
    order_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReturnRequest], int]:
    """Requests, newest first, and how many match (staff and owners)."""
    ctx.require_staff(action="listing return requests")
    query = select(ReturnRequest).where(ReturnRequest.client_id == ctx.client_id)
    if status is not None:
        query = query.where(ReturnRequest.status == status)
    if order_id is not None:
        query = query.where(ReturnRequest.order_id == order_id)
    total = scoped(session, ctx).scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(ReturnRequest.created_at.desc(), ReturnRequest.id).limit(limit).offset(offset)
    return list(session.scalars(page)), total


def _require(request: ReturnRequest, status: ReturnRequestStatus, action: str) -> None:
    if request.status is not status:
        raise InvalidTransition(
            f"return request {request.id} is {request.status.value}; only {status.value} ones can be {action}"
        )


def receive_request(
    session: Session,
    ctx: Context,
    request_id: uuid.UUID,
    damaged: dict[uuid.UUID, int] | None = None,
    refund_method: RefundMethod = RefundMethod.ORIGINAL,
) -> ReturnRequest:
    """The goods are back: resellable units are restocked, `damaged` ones ({line id: units}) written
    off, and the refund becomes owed (paid orders) or settles the unpaid balance (then it is done).
    The part `refund_method` gives as store credit (see `returns.create_return`) is credited now."""
    ctx.require_staff(action="receiving returned goods")
    request = get_request(session, ctx, request_id, for_update=True)
    _require(request, ReturnRequestStatus.OPEN, "received")
    damaged = damaged or {}
    requested = {uuid.UUID(str(item["order_line_id"])): int(str(item["quantity"])) for item in request.items}
    unknown = [str(line) for line in damaged if line not in requested]
    if unknown or any(damaged[line] > requested[line] or damaged[line] < 0 for line in damaged):
        raise ValidationFailed("damaged units must be lines of this request, at most the units requested")
    items = [
        returns.ReturnItem(line, units, condition)
        for line, quantity in requested.items()
        for units, condition in (
            (quantity - damaged.get(line, 0), ItemCondition.RESELLABLE),
            (damaged.get(line, 0), ItemCondition.DAMAGED),
        )
        if units
    ]
    record = returns.create_return(
        session,
        ctx,
        request.order_id,
        items,
        reason=request.reason,
        now=request.created_at,
        refund_owed=True,
        refund_method=refund_method,
    )
    order = orders.get_order(session, ctx, request.order_id)
    request.return_id, request.refund_amount, request.received_at = record.id, record.refund_amount, utcnow()
    request.closed_by_user_id = ctx.user_id
    owed = order.payment_status is not PaymentStatus.UNPAID and record.refund_amount > record.store_credit_amount
    request.status = ReturnRequestStatus.RECEIVED if owed else ReturnRequestStatus.REFUNDED
    if not owed:
        request.refunded_at = request.received_at
    session.flush()
    return request


def pay_refund(session: Session, ctx: Context, request_id: uuid.UUID) -> ReturnRequest:
    """The owed refund (what was not given as store credit) is paid out the way the order was paid
    (receivables → cash); audited."""
    ctx.require_staff(action="paying a refund")
    request = get_request(session, ctx, request_id, for_update=True)
    _require(request, ReturnRequestStatus.RECEIVED, "refunded")
    order = orders.get_order(session, ctx, request.order_id)
    assert request.return_id is not None
    record = returns.get_return(session, ctx, request.return_id)
    due = request.refund_amount - record.store_credit_amount
    journal.post(
        session,
        ctx,
        "refund_payment",
        [debit(Account.RECEIVABLES, due), credit(Account.CASH, due)],
        memo=f"refund paid for order #{order.number}",
        reference=("return_request", request.id),
    )
    request.status, request.refunded_at, request.closed_by_user_id = ReturnRequestStatus.REFUNDED, utcnow(), ctx.user_id
    audit.record(
        session,
        ctx,
        audit.Action.REFUND_PAID,
        target=("return_request", request.id),
        detail={
            "order_number": order.number,
            "amount": str(due),
            "method": record.refund_method.value,
        },
    )
    if due > 0:
        messaging.order_news(session, ctx, order, "refund_paid", due, ref=str(request.id))
    return request


def reject_request(session: Session, ctx: Context, request_id: uuid.UUID, note: str) -> ReturnRequest:
    """Refuse an open request (nothing moves), saying why."""
    ctx.require_staff(action="rejecting a return request")
    if not note.strip():
        raise ValidationFailed("say why the request is rejected; the customer will be told")
    request = get_request(session, ctx, request_id, for_update=True)
    _require(request, ReturnRequestStatus.OPEN, "rejected")
    request.status, request.rejection_note, request.closed_by_user_id = ReturnRequestStatus.REJECTED, note, ctx.user_id
    session.flush()
    return request
