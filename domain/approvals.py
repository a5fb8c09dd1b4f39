"""Owner approvals: a sensitive action (a discount above the auto-approval threshold, cancelling
a confirmed order, a large stock adjustment) that a requester asked for and only an owner decides,
possibly later and through another channel.

A request is recorded once per request key (the agent's tool call id): asking again with the same
key returns the first request, so code that runs again before an interrupt creates nothing new.
Only owners decide; only a pending request can be decided. An approved request is the clearance
a domain service accepts in place of the owner acting themself (`require_clearance`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.context import Context, scoped
from domain.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from domain.models import Approval, ApprovalKind, ApprovalState, Role
from domain.models.base import utcnow


@dataclass(frozen=True)
class ApprovalRequest:
    """What a requester asks the owner to approve."""

    kind: ApprovalKind
    summary: str
    payload: dict[str, Any]
    request_key: str
    thread_id: str


def request_approval(session: Session, ctx: Context, request: ApprovalRequest) -> Approval:
    """Record a pending request for the owner, or return the one already recorded under its key."""
    scoped(session, ctx)
    if not (0 < len(request.request_key) <= 200) or not (0 < len(request.thread_id) <= 200):
        raise ValidationFailed("an approval needs a request key and a thread id of 1 to 200 characters")
    session.execute(
        insert(Approval)
        .values(
            id=uuid.uuid4(),
            client_id=ctx.client_id,
            kind=request.kind,
            summary=request.summary[:1000],
            payload=request.payload,
            request_key=request.request_key,
            requested_role=ctx.role,
            requested_channel=ctx.channel,
            requested_by_user_id=ctx.user_id,
            requested_by_customer_id=ctx.customer_id,
            thread_id=request.thread_id,
            status=ApprovalState.PENDING,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["client_id", "request_key"])
    )
    return session.scalars(
        select(Approval).where(Approval.client_id == ctx.client_id, Approval.request_key == request.request_key)
    ).one()


def get_approval(session: Session, ctx: Context, approval_id: uuid.UUID, *, for_update: bool = False) -> Approval:
    """One approval of this tenant; a customer sees only their own requests."""
    query = select(Approval).where(Approval.client_id == ctx.client_id, Approval.id == approval_id)
    if ctx.role is Role.CUSTOMER:
        query = query.where(Approval.requested_by_customer_id == ctx.customer_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    approval = scoped(session, ctx).scalars(query).first()
    if approval is None:
        raise NotFound(f"approval {approval_id} not found")
    return approval


def decide(session: Session, ctx: Context, approval_id: uuid.UUID, *, approve: bool) -> Approval:
    """The owner approves or rejects a pending request (a decided one cannot be decided again)."""
    ctx.require(Role.OWNER, action="deciding an approval")
    approval = get_approval(session, ctx, approval_id, for_update=True)
    if approval.status is not ApprovalState.PENDING:
        raise InvalidTransition(f"this request was already {approval.status.value}")
    approval.status = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    approval.decided_by_user_id, approval.decided_at = ctx.user_id, utcnow()
    session.flush()
    return approval


def list_approvals(session: Session, ctx: Context, *, limit: int = 50, offset: int = 0) -> tuple[list[Approval], int]:
    """The owner's approvals, pending first, newest first within each status; and the total."""
    ctx.require(Role.OWNER, action="listing approvals")
    scoped(session, ctx)
    where = Approval.client_id == ctx.client_id
    total = session.scalar(select(func.count(Approval.id)).where(where)) or 0
    pending_first = case((Approval.status == ApprovalState.PENDING, 0), else_=1)
    items = session.scalars(
        select(Approval).where(where).order_by(pending_first, Approval.created_at.desc()).limit(limit).offset(offset)
    )
    return list(items), total


def requester(approval: Approval, actor_name: str = "") -> Context:
    """The principal who asked, rebuilt from the request (to resume their conversation)."""
    return Context(
        approval.client_id,
        approval.requested_role,
        approval.requested_channel,
        user_id=approval.requested_by_user_id,
        customer_id=approval.requested_by_customer_id,
        actor_name=actor_name,
    )


def require_clearance(approval: Approval | None, kind: ApprovalKind, **expected: object) -> Approval:
    """Check that `approval` is an approved request of `kind` for exactly this action (its payload
    matches `expected`); raise Forbidden otherwise."""
    if approval is None or approval.status is not ApprovalState.APPROVED or approval.kind is not kind:
        raise Forbidden(f"this needs the owner's approval ({kind.value})")
    mismatched = [key for key, value in expected.items() if approval.payload.get(key) != value]
    if mismatched:
        raise Forbidden(f"the owner's approval was for a different request ({', '.join(mismatched)})")
    return approval
