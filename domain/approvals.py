"""Owner approvals: a sensitive action that only the owner may do, asked for by someone else.

One mechanism for every channel. `submit` runs an action (an order whose discount is above the
auto-approval threshold, cancelling a confirmed order, a large stock adjustment): when the
service refuses it with ApprovalRequired, the action itself (kind and arguments) is recorded as a
pending request instead, once per request key. `decide` is the owner's answer: approving runs
the recorded action, as the requester, exactly once (the row is locked and only a pending request
can be decided), with the approval as its clearance; the outcome is kept on the request (`result`,
or `failed` with the refusal when, say, the stock went meanwhile). If a conversation waits on the
request (`thread_id`), the channel resumes it; REST callers read the request back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain import audit, catalog, idempotency, inventory, orders, personal_numbers
from domain.context import Context, scoped
from domain.errors import ApprovalRequired, DomainError, IdempotencyKeyReused, InvalidTransition, NotFound
from domain.models import Approval, ApprovalKind, ApprovalStatus, Order, Role, StockMovement
from domain.models.base import utcnow

Outcome = Order | StockMovement


@dataclass(frozen=True)
class ActionRequest:
    """An action to run now, or to put to the owner when the requester may not run it alone.

    `request_key` makes the whole request retry-safe (the action's idempotency key when it runs
    now, the approval's key when it waits); `summary` is what the owner reads (made from the
    payload when empty); `thread_id` is the conversation to resume, if any.
    """

    kind: ApprovalKind
    payload: dict[str, Any]
    summary: str = ""
    request_key: str | None = None
    thread_id: str | None = None


def order_request(
    draft: orders.OrderDraft, summary: str = "", request_key: str | None = None, thread_id: str | None = None
) -> ActionRequest:
    """An order (whose discount may need the owner) as an action request."""
    return ActionRequest(ApprovalKind.DISCOUNT, orders.draft_payload(draft), summary, request_key, thread_id)


def cancellation_request(
    order: Order, reason: str, summary: str = "", request_key: str | None = None, thread_id: str | None = None
) -> ActionRequest:
    """Cancelling `order` (a confirmed one needs the owner) as an action request."""
    payload = {"order_id": str(order.id), "order_number": order.number, "reason": reason}
    return ActionRequest(ApprovalKind.CANCEL_CONFIRMED_ORDER, payload, summary, request_key, thread_id)


def adjustment_request(
    variant_id: uuid.UUID,
    delta: int,
    reason: str,
    summary: str = "",
    request_key: str | None = None,
    thread_id: str | None = None,
) -> ActionRequest:
    """A stock count correction (a large one needs the owner) as an action request."""
    payload = {"variant_id": str(variant_id), "delta": delta, "reason": reason}
    return ActionRequest(ApprovalKind.STOCK_ADJUSTMENT, payload, summary, request_key, thread_id)


def receipt_request(
    variant_id: uuid.UUID,
    quantity: int,
    unit_cost: Decimal,
    reason: str,
    summary: str = "",
    request_key: str | None = None,
    thread_id: str | None = None,
) -> ActionRequest:
    """Receiving stock (at a cost far from the average, staff need the owner) as an action request."""
    payload = {"variant_id": str(variant_id), "quantity": quantity, "unit_cost": str(unit_cost), "reason": reason}
    return ActionRequest(ApprovalKind.STOCK_RECEIPT, payload, summary, request_key, thread_id)


def _run_order(
    session: Session, ctx: Context, payload: dict[str, Any], key: str | None, clearance: Approval | None
) -> Order:
    return orders.create_order(session, ctx, orders.draft_from_payload(payload, key), clearance=clearance)


def _run_cancellation(
    session: Session, ctx: Context, payload: dict[str, Any], key: str | None, clearance: Approval | None
) -> Order:
    order_id = uuid.UUID(payload["order_id"])
    return orders.cancel_order(session, ctx, order_id, payload["reason"], clearance=clearance, idempotency_key=key)


def _run_adjustment(
    session: Session, ctx: Context, payload: dict[str, Any], key: str | None, clearance: Approval | None
) -> StockMovement:
    variant_id = uuid.UUID(payload["variant_id"])
    return inventory.adjust_stock(
        session, ctx, variant_id, payload["delta"], payload["reason"], clearance=clearance, idempotency_key=key
    )


def _run_receipt(
    session: Session, ctx: Context, payload: dict[str, Any], key: str | None, clearance: Approval | None
) -> StockMovement:
    return inventory.receive_stock(
        session,
        ctx,
        uuid.UUID(payload["variant_id"]),
        payload["quantity"],
        Decimal(payload["unit_cost"]),
        reason=payload["reason"],
        clearance=clearance,
        idempotency_key=key,
    )


ACTIONS: dict[ApprovalKind, Callable[[Session, Context, dict[str, Any], str | None, Approval | None], Outcome]] = {
    ApprovalKind.DISCOUNT: _run_order,
    ApprovalKind.CANCEL_CONFIRMED_ORDER: _run_cancellation,
    ApprovalKind.STOCK_ADJUSTMENT: _run_adjustment,
    ApprovalKind.STOCK_RECEIPT: _run_receipt,
}
"""What each kind of request does once it may run: the domain service, with the request's arguments."""


def describe(outcome: Outcome) -> dict[str, Any]:
    """What an executed action produced, as kept on the request (JSON)."""
    if isinstance(outcome, Order):
        return {
            "order_id": str(outcome.id),
            "order_number": outcome.number,
            "status": outcome.status.value,
            "total": str(outcome.total),
        }
    return {
        "movement_id": str(outcome.id),
        "variant_id": str(outcome.variant_id),
        "quantity": outcome.quantity,
        "on_hand": outcome.balance_after,
    }


SELF_CONTAINED = frozenset({ApprovalKind.DISCOUNT})
"""Actions that ask for the owner (ApprovalRequired) before their first write and undo their own
partial writes (`orders.create_order` keeps a savepoint around its stock): `submit` spares them a
savepoint of its own, two round trips of every order."""


def submit(session: Session, ctx: Context, request: ActionRequest) -> Outcome | Approval:
    """Run the action if `ctx` may; if only the owner may, record it for the owner's decision and
    return the (pending, or already decided) approval. Retry-safe under `request.request_key`."""
    existing = _by_key(session, ctx, request.request_key) if request.request_key else None
    if existing is not None:
        if (existing.kind, existing.payload) != (request.kind, request.payload):
            raise IdempotencyKeyReused(f"the key {request.request_key!r} was already used for a different request")
        return existing
    try:
        with nullcontext() if request.kind in SELF_CONTAINED else session.begin_nested():
            return ACTIONS[request.kind](session, ctx, request.payload, request.request_key, None)
    except ApprovalRequired:
        return _record(session, ctx, request)


def _by_key(session: Session, ctx: Context, request_key: str) -> Approval | None:
    return (
        scoped(session, ctx)
        .scalars(select(Approval).where(Approval.client_id == ctx.client_id, Approval.request_key == request_key))
        .first()
    )


def _summary(session: Session, ctx: Context, request: ActionRequest) -> str:
    """What the owner reads about a request: the requester's summary, or one made from the payload."""
    if request.summary:
        return request.summary
    payload = request.payload
    if request.kind is ApprovalKind.DISCOUNT:
        return orders.describe_draft(session, ctx, orders.draft_from_payload(payload, None))
    if request.kind is ApprovalKind.CANCEL_CONFIRMED_ORDER:
        return f"Cancel order #{payload['order_number']}: {payload['reason'] or 'no reason given'}."
    variant = catalog.get_variant(session, ctx, uuid.UUID(payload["variant_id"]))
    if request.kind is ApprovalKind.STOCK_RECEIPT:
        return (
            f"Receive {payload['quantity']} × {variant.sku} at {payload['unit_cost']} a unit "
            f"(average cost now {variant.avg_cost})."
        )
    return f"Adjust {variant.sku} by {payload['delta']:+d} units ({payload['reason']})."


def _record(session: Session, ctx: Context, request: ActionRequest) -> Approval:
    key = idempotency.check_key(request.request_key or f"approval:{uuid.uuid4()}")
    session.execute(
        insert(Approval)
        .values(
            id=uuid.uuid4(),
            client_id=ctx.client_id,
            kind=request.kind,
            summary=_summary(session, ctx, request)[:1000],
            payload=request.payload,
            request_key=key,
            requested_role=ctx.role,
            requested_channel=ctx.channel,
            requested_by_user_id=ctx.user_id,
            requested_by_customer_id=ctx.customer_id,
            thread_id=request.thread_id,
            status=ApprovalStatus.PENDING,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["client_id", "request_key"])
    )
    approval = _by_key(session, ctx, key)
    assert approval is not None
    audit.record(
        session,
        ctx,
        audit.Action.APPROVAL_REQUESTED,
        target=("approval", approval.id),
        detail={"kind": approval.kind.value, "summary": approval.summary},
    )
    personal_numbers.notify_owners(session, ctx, approval)
    return approval


def get_approval(session: Session, ctx: Context, approval_id: uuid.UUID, *, for_update: bool = False) -> Approval:
    """One request of this tenant; owners see all, others only their own."""
    query = select(Approval).where(Approval.client_id == ctx.client_id, Approval.id == approval_id)
    if ctx.role is Role.CUSTOMER:
        query = query.where(Approval.requested_by_customer_id == ctx.customer_id)
    elif ctx.role is not Role.OWNER:
        query = query.where(Approval.requested_by_user_id == ctx.user_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    approval = scoped(session, ctx).scalars(query).first()
    if approval is None:
        raise NotFound(f"approval {approval_id} not found")
    return approval


def requester(approval: Approval) -> Context:
    """The principal who asked, rebuilt from the request (to run the action and resume them)."""
    return Context(
        approval.client_id,
        approval.requested_role,
        approval.requested_channel,
        user_id=approval.requested_by_user_id,
        customer_id=approval.requested_by_customer_id,
    )


def decide(session: Session, ctx: Context, approval_id: uuid.UUID, *, approve: bool) -> Approval:
    """The owner approves (the action runs now, once, as the requester) or rejects a pending request."""
    ctx.require(Role.OWNER, action="deciding an approval")
    approval = get_approval(session, ctx, approval_id, for_update=True)
    if approval.status is not ApprovalStatus.PENDING:
        raise InvalidTransition(f"this request was already {approval.status.value}")
    approval.decided_by_user_id, approval.decided_at = ctx.user_id, utcnow()
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    session.flush()
    if approve:
        try:
            with session.begin_nested():
                outcome = ACTIONS[approval.kind](
                    session, requester(approval), approval.payload, f"approval:{approval.id}", approval
                )
                approval.result = describe(outcome)
        except DomainError as refused:
            approval.status = ApprovalStatus.FAILED
            approval.result = {"error": refused.code, "detail": refused.message}
    audit.record(
        session,
        ctx,
        audit.Action.APPROVAL_DECIDED,
        target=("approval", approval.id),
        detail={"kind": approval.kind.value, "status": approval.status.value},
    )
    session.flush()
    return approval


def list_approvals(
    session: Session, ctx: Context, *, status: ApprovalStatus | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Approval], int]:
    """Requests, pending first, newest first within each status; and the total. Owners see every
    request of the business, others their own."""
    scoped(session, ctx)
    where = [Approval.client_id == ctx.client_id]
    if status is not None:
        where.append(Approval.status == status)
    if ctx.role is Role.CUSTOMER:
        where.append(Approval.requested_by_customer_id == ctx.customer_id)
    elif ctx.role is not Role.OWNER:
        where.append(Approval.requested_by_user_id == ctx.user_id)
    total = session.scalar(select(func.count(Approval.id)).where(*where)) or 0
    pending_first = case((Approval.status == ApprovalStatus.PENDING, 0), else_=1)
    items = session.scalars(
        select(Approval).where(*where).order_by(pending_first, Approval.created_at.desc()).limit(limit).offset(offset)
    )
    return list(items), total
