"""The owner's operations & control panel: who logged in through which channel, the sensitive
order edits and cancellations, the failed-login trend and how fresh each kind of record is.

Everything comes from the append-only audit log, the agent turns and the ledgers; aggregated by
PostgreSQL, per local day of the client.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Row, cast, func, select
from sqlalchemy.orm import Session

from domain import audit, tenancy
from domain.context import Context, scoped
from domain.models import AgentTurn, AuditEvent, JournalEntry, Order, Role, StockMovement
from domain.models.base import utcnow

PANEL_DAYS = 14
SENSITIVE_ACTIONS = (audit.Action.ORDER_EDITED, audit.Action.ORDER_CANCELLED)


@dataclass(frozen=True)
class ChannelActivity:
    """Logins and agent turns through one channel over the panel's window."""

    channel: str
    logins: int
    agent_turns: int


@dataclass(frozen=True)
class DailyCount:
    """A count on one local day."""

    day: date
    count: int


@dataclass(frozen=True)
class SensitiveAlert:
    """An order edited or cancelled: who, through which channel, when, which order."""

    at: datetime
    action: str
    actor_name: str
    channel: str
    order_id: str | None
    detail: dict[str, object]


@dataclass(frozen=True)
class ControlPanel:
    """The panel as of `as_of`, over the last `days` local days; freshness is the newest record of
    each kind (None: none yet)."""

    as_of: datetime
    days: int
    activity: list[ChannelActivity]
    failed_logins: list[DailyCount]
    alerts: list[SensitiveAlert]
    freshness: dict[str, datetime | None]


def control_panel(
    session: Session, ctx: Context, now: datetime | None = None, *, days: int = PANEL_DAYS, alerts: int = 10
) -> ControlPanel:
    """Session activity per channel, failed logins per day (every day present), the latest
    sensitive order changes and data freshness (owners only)."""
    ctx.require(Role.OWNER, action="reading the control panel")
    at = now or utcnow()
    zone = ZoneInfo(tenancy.get_client(scoped(session, ctx), ctx.client_id).timezone)
    first_day = at.astimezone(zone).date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    return ControlPanel(
        as_of=at,
        days=days,
        activity=_activity(session, ctx, since),
        failed_logins=_failed_logins(session, ctx, since, first_day, days, zone),
        alerts=_alerts(session, ctx, alerts),
        freshness=_freshness(session, ctx),
    )


def _counts(rows: Iterable[Row[Any]]) -> dict[Any, int]:
    return {key: int(count) for key, count in rows}


def _activity(session: Session, ctx: Context, since: datetime) -> list[ChannelActivity]:
    logins = _counts(
        session.execute(
            select(AuditEvent.channel, func.count())
            .where(
                AuditEvent.client_id == ctx.client_id,
                AuditEvent.action == audit.Action.LOGIN,
                AuditEvent.created_at >= since,
            )
            .group_by(AuditEvent.channel)
        )
    )
    turns = _counts(
        session.execute(
            select(AgentTurn.channel, func.count())
            .where(AgentTurn.client_id == ctx.client_id, AgentTurn.created_at >= since)
            .group_by(AgentTurn.channel)
        )
    )
    return [ChannelActivity(name, logins.get(name, 0), turns.get(name, 0)) for name in sorted(logins | turns)]


def _failed_logins(
    session: Session, ctx: Context, since: datetime, first_day: date, days: int, zone: ZoneInfo
) -> list[DailyCount]:
    local_day = cast(func.timezone(zone.key, AuditEvent.created_at), Date)
    per_day = _counts(
        session.execute(
            select(local_day, func.count())
            .where(
                AuditEvent.client_id == ctx.client_id,
                AuditEvent.action == audit.Action.LOGIN_FAILED,
                AuditEvent.created_at >= since,
            )
            .group_by(local_day)
        )
    )
    every_day = (first_day + timedelta(days=offset) for offset in range(days))
    return [DailyCount(day, per_day.get(day, 0)) for day in every_day]


def _alerts(session: Session, ctx: Context, limit: int) -> list[SensitiveAlert]:
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.client_id == ctx.client_id, AuditEvent.action.in_(SENSITIVE_ACTIONS))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [
        SensitiveAlert(event.created_at, event.action, event.actor_name, event.channel, event.target_id, event.detail)
        for event in events
    ]


def _freshness(session: Session, ctx: Context) -> dict[str, datetime | None]:
    newest = {
        "orders": select(func.max(Order.created_at)).where(Order.client_id == ctx.client_id),
        "stock movements": select(func.max(StockMovement.created_at)).where(StockMovement.client_id == ctx.client_id),
        "journal entries": select(func.max(JournalEntry.occurred_at)).where(JournalEntry.client_id == ctx.client_id),
        "agent turns": select(func.max(AgentTurn.created_at)).where(AgentTurn.client_id == ctx.client_id),
        "audit events": select(func.max(AuditEvent.created_at)).where(AuditEvent.client_id == ctx.client_id),
    }
    return {name: session.scalar(query) for name, query in newest.items()}
