"""Reporting periods people name ("yesterday", "last month", "October", "1 to 15 March"), resolved
to a UTC interval [start, end) at the shop's own midnights. One rule for every caller: the agent's
tools pass the name, this module decides the dates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from domain import tenancy
from domain.context import Context, scoped
from domain.errors import ValidationFailed
from domain.models.base import utcnow

MAX_RANGE_DAYS = 3 * 366


class PeriodName(enum.StrEnum):
    """The periods a request may name."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    LAST_WEEK = "last_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    LAST_30_DAYS = "last_30_days"
    NAMED_MONTH = "named_month"  # a named month: `month` (1-12) and optionally `year`
    RANGE = "range"  # `start_date` to `end_date`, both days included


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and how to say it (the local dates it covers)."""

    label: str
    start: datetime
    end: datetime
    first_day: date
    last_day: date


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _days(
    name: PeriodName, today: date, month: int | None, year: int | None, first: date | None, last: date | None
) -> tuple[date, date]:
    """(first local day, last local day) of the period; pure."""
    monday = today - timedelta(days=today.weekday())
    if name is PeriodName.TODAY:
        return today, today
    if name is PeriodName.YESTERDAY:
        return today - timedelta(days=1), today - timedelta(days=1)
    if name is PeriodName.THIS_WEEK:
        return monday, today
    if name is PeriodName.LAST_WEEK:
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if name is PeriodName.THIS_MONTH:
        return today.replace(day=1), today
    if name is PeriodName.LAST_MONTH:
        start = _month_start(today, 1)
        return start, today.replace(day=1) - timedelta(days=1)
    if name is PeriodName.LAST_30_DAYS:
        return today - timedelta(days=29), today
    if name is PeriodName.NAMED_MONTH:
        if month is None or not 1 <= month <= 12:
            raise ValidationFailed("name the month as a number from 1 to 12")
        chosen = year if year is not None else (today.year if month <= today.month else today.year - 1)
        start = date(chosen, month, 1)
        return start, _month_start(start, -1) - timedelta(days=1)
    if first is None or last is None:
        raise ValidationFailed("a date range needs start_date and end_date (YYYY-MM-DD)")
    if first > last:
        raise ValidationFailed("the range's start_date must not be after its end_date")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(f"a date range may span at most {MAX_RANGE_DAYS} days")
    return first, last


LABELS = {
    PeriodName.TODAY: "today",
    PeriodName.YESTERDAY: "yesterday",
    PeriodName.THIS_WEEK: "this week",
    PeriodName.LAST_WEEK: "last week",
    PeriodName.THIS_MONTH: "this month",
    PeriodName.LAST_MONTH: "last month",
    PeriodName.LAST_30_DAYS: "the last 30 days",
}


def resolve_in(
    zone: ZoneInfo,
    now: datetime,
    name: PeriodName | str,
    *,
    month: int | None = None,
    year: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
) -> Period:
    """The period in `zone` as of `now` (pure). A period reaching past now ends now; one that
    has not started yet is refused."""
    try:
        name = PeriodName(name)
    except ValueError:
        raise ValidationFailed(
            f"unknown period {name!r}; use one of {', '.join(p.value for p in PeriodName)}"
        ) from None
    today = now.astimezone(zone).date()
    first, last = _days(name, today, month, year, start_date, end_date)
    start, end = _midnight(first, zone), min(_midnight(last + timedelta(days=1), zone), now)
    if start >= end:
        raise ValidationFailed(f"{first:%d %B %Y} has not started yet in the shop's timezone")
    span = f"{first:%d %b %Y}" if first == last else f"{first:%d %b %Y} to {last:%d %b %Y}"
    if name is PeriodName.NAMED_MONTH:
        return Period(f"{first:%B %Y}", start, end, first, last)
    label = LABELS.get(name)
    return Period(f"{label} ({span})" if label else span, start, end, first, last)


def resolve(
    session: Session,
    ctx: Context,
    name: PeriodName | str,
    *,
    month: int | None = None,
    year: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    now: datetime | None = None,
) -> Period:
    """The named period at the shop's own midnights (its profile's timezone)."""
    zone = ZoneInfo(tenancy.get_client(scoped(session, ctx), ctx.client_id).timezone)
    return resolve_in(zone, now or utcnow(), name, month=month, year=year, start_date=start_date, end_date=end_date)
