"""/sessions: the audit log (owners only), served at the seed's URL /sessions/logs, and the message
log of every WhatsApp message in and out (owners and staff), with its figures."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import Query

from api.auth import CurrentCaller, OwnerCaller
from api.routing import ApiRouter
from api.schemas.audit import AuditEventRead
from api.schemas.common import Moment, Page, PageQuery, Text
from api.schemas.whatsapp import MessageFiguresRead, MessageLogLine
from domain import audit, messaging
from domain.models.base import utcnow

router = ApiRouter(prefix="/sessions", tags=["sessions"])


@router.get("/logs")
def list_session_logs(
    caller: OwnerCaller,
    page: PageQuery,
    action: Annotated[
        Text | None, Query(max_length=64, description="login, login_failed, order_cancelled, policy_changed, ...")
    ] = None,
    since: Annotated[Moment | None, Query(description="Only events at or after this time")] = None,
) -> Page[AuditEventRead]:
    """Logins, failed logins and sensitive operations, newest first."""
    with caller.transaction() as (session, ctx):
        events, total = audit.list_events(
            session, ctx, action=action, since=since, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[AuditEventRead.model_validate(e) for e in events],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


@router.get("/messages")
def list_messages(
    caller: CurrentCaller,
    page: PageQuery,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's messages")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Only messages to and from this user's own number")] = None,
    direction: Annotated[Literal["in", "out"] | None, Query()] = None,
    since: Annotated[Moment | None, Query(description="Only messages at or after this time")] = None,
) -> Page[MessageLogLine]:
    """Every WhatsApp message in and out, newest first: when it arrived or was written, sent,
    delivered and read, the tokens and time its reply took, its state, status and errors."""
    which = messaging.LogFilter(customer_id, user_id, direction, since)
    with caller.transaction() as (session, ctx):
        lines = messaging.message_log(session, ctx, which=which, limit=page.limit, offset=page.offset)
        total = messaging.count_messages(session, ctx, which)
    items = [MessageLogLine.model_validate(line) for line in lines]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/messages/figures")
def message_figures(
    caller: CurrentCaller,
    since: Annotated[Moment | None, Query(description="From this time (default: the last 24 hours)")] = None,
) -> MessageFiguresRead:
    """The message log summed: volumes in and out, delivery statuses, dead and pending messages,
    tokens, and the median and 95th-percentile time from a customer's message to our reply."""
    start = since or utcnow() - timedelta(days=1)
    with caller.transaction() as (session, ctx):
        figures = messaging.message_figures(session, ctx, start)
    return MessageFiguresRead.model_validate({"since": start, **vars(figures)})
