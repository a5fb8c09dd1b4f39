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
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    POLICY_CHANGED = "policy_changed"
    STOCK_ADJUSTED = "stock_adjusted"
    USER_CREATED = "user_created"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    SECOND_FACTOR_RESET = "second_factor_reset"
    USER_UNLOCKED = "user_unlocked"
    STOCK_RECEIVED = "stock_received"
    PRICE_CHANGED = "price_changed"
    PRODUCT_RETIRED = "product_retired"
    PRODUCT_RESTORED = "product_restored"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an action name
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name
    CUSTOMER_DELETED = "customer_deleted"
    CUSTOMER_ERASED = "customer_erased"
    REFUND_PAID = "refund_paid"
    STORE_CREDIT_MOVED = "store_credit_moved"
    WHATSAPP_CODE_SENT = "whatsapp_code_sent"
    WHATSAPP_CODE_FAILED = "whatsapp_code_failed"
    WHATSAPP_NUMBER_VERIFIED = "whatsapp_number_verified"
    WHATSAPP_NUMBER_REMOVED = "whatsapp_number_removed"
    APPROVAL_REFUSED = "approval_refused"


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
) -> tuple[list[AuditEvent], int]:
    """The client's audit events, newest first, and how many there are (owners only)."""
    ctx.require(Role.OWNER, action="reading the audit log")
    where = _events_where(ctx, action, since)
    total = scoped(session, ctx).scalar(select(func.count(AuditEvent.id)).where(*where)) or 0
    query = select(AuditEvent).where(*where)
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query)), total
