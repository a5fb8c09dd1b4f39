"""Named reporting periods resolve at the shop's own midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ValidationFailed
from domain.periods import resolve_in

LAGOS = ZoneInfo("Africa/Lagos")  # UTC+1, no daylight saving
NOW = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already 1 December in Lagos


@pytest.mark.parametrize(
    ("name", "extra", "first", "last"),
    [
        ("today", {}, date(2026, 12, 1), date(2026, 12, 1)),
        ("yesterday", {}, date(2026, 11, 30), date(2026, 11, 30)),
        ("this_week", {}, date(2026, 11, 30), date(2026, 12, 1)),
        ("last_week", {}, date(2026, 11, 23), date(2026, 11, 29)),
        ("this_month", {}, date(2026, 12, 1), date(2026, 12, 1)),
        ("last_month", {}, date(2026, 11, 1), date(2026, 11, 30)),
        ("last_30_days", {}, date(2026, 11, 2), date(2026, 12, 1)),
        ("named_month", {"month": 2}, date(2026, 2, 1), date(2026, 2, 28)),
        ("named_month", {"month": 12, "year": 2025}, date(2025, 12, 1), date(2025, 12, 31)),
        (
            "range",
            {"start_date": date(2026, 10, 1), "end_date": date(2026, 10, 15)},
            date(2026, 10, 1),
            date(2026, 10, 15),
        ),
    ],
)
def test_periods_are_the_shops_local_days(name: str, extra: dict, first: date, last: date) -> None:
    period = resolve_in(LAGOS, NOW, name, **extra)
    assert (period.first_day, period.last_day) == (first, last)
    assert period.start == datetime(first.year, first.month, first.day, tzinfo=LAGOS).astimezone(UTC)
    assert period.end <= NOW


def test_a_past_period_ends_at_the_next_local_midnight_and_is_labelled() -> None:
    period = resolve_in(LAGOS, NOW, "last_month")
    assert period.end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert period.label == "last month (01 Nov 2026 to 30 Nov 2026)"
    assert resolve_in(LAGOS, NOW, "named_month", month=10).label == "October 2026"


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("fortnight", {}, "unknown period"),
        ("named_month", {}, "month as a number"),
        ("range", {"start_date": date(2026, 10, 5)}, "needs start_date and end_date"),
        ("range", {"start_date": date(2026, 10, 5), "end_date": date(2026, 10, 1)}, "must not be after"),
        ("range", {"start_date": date(2027, 1, 1), "end_date": date(2027, 1, 2)}, "has not started yet"),
    ],
)
def test_bad_periods_are_refused_with_what_to_do(name: str, extra: dict, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        resolve_in(LAGOS, NOW, name, **extra)
