"""The audit log (owners only), served at the seed's URL /sessions/logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.auth import OwnerCaller
from api.routing import ApiRouter
from api.schemas.audit import AuditEventRead
from api.schemas.common import Moment, Page, PageQuery, Text
from domain import audit

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
