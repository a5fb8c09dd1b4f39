"""The append-only audit log: logins, failed logins and sensitive operations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from domain.context import Context, scoped
from domain.models import AuditEvent, Role


class Action:
    """Audited action names (one grep finds every place that records one)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    ORDER_EDITED = "order_edited"
    ORDER_CANCELLED = "order_cancelled"
    DISCOUNT_APPROVAL_REQUESTED = "discount_approval_requested"
    DISCOUNT_APPROVED = "discount_approved"
    DISCOUNT_REJECTED = "discount_rejected"
    POLICY_CHANGED = "policy_changed"
    STOCK_ADJUSTED = "stock_adjusted"
    USER_CREATED = "user_created"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an action name
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name
    CUSTOMER_DELETED = "customer_deleted"
    CUSTOMER_ERASED = "customer_erased"
    REFUND_PAID = "refund_paid"


def record(
    session: Session,
    ctx: Context,
    action: str,
    *,
    target: tuple[str, object] | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Append one audit event for the acting principal."""
    scoped(session, ctx).add(
        AuditEvent(
            client_id=ctx.client_id,
            action=action,
            actor_user_id=ctx.user_id,
            actor_name=ctx.actor_name,
            channel=ctx.channel.value,
            target_type=target[0] if target else None,
            target_id=str(target[1]) if target else None,
            detail=detail or {},
        )
    )
    session.flush()


def _events_where(ctx: Context, action: str | None, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions = [AuditEvent.client_id == ctx.client_id]
    if action:
        conditions.append(AuditEvent.action == action)
    if since:
        conditions.append(AuditEvent.created_at >= since)
    return conditions


def list_events(
    session: Session,
    ctx: Context,
    *,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEvent]:
    """The client's audit events, newest first (owners only)."""
    ctx.require(Role.OWNER, action="reading the audit log")
    query = select(AuditEvent).where(*_events_where(ctx, action, since))
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(scoped(session, ctx).scalars(query))


def count_events(session: Session, ctx: Context, *, action: str | None = None, since: datetime | None = None) -> int:
    """How many events `list_events` pages through (for pagination totals)."""
    ctx.require(Role.OWNER, action="reading the audit log")
    query = select(func.count(AuditEvent.id)).where(*_events_where(ctx, action, since))
    return scoped(session, ctx).scalar(query) or 0
