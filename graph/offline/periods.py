"""Period words read from a request: "yesterday", "last week", "October", "between 1 and 15
March", "from 2026-10-01 to 2026-10-15". The result is the report tools' period arguments; the
domain turns them into dates in the shop's timezone."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from domain.models.base import utcnow

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:of\s+)?({_MONTH})(?:\s+(\d{{4}}))?", re.IGNORECASE)
MONTH_DAY = re.compile(rf"\b({_MONTH})\s+{_DAY}\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
RANGE = re.compile(
    rf"\b(?:between|from)\s+{_DAY}\s+(?:and|to|-|until|till)\s+{_DAY}\s+(?:of\s+)?({_MONTH})(?:\s+(\d{{4}}))?",
    re.IGNORECASE,
)
NAMED_MONTH = re.compile(rf"\b(in\s+|for\s+|of\s+|during\s+)?({_MONTH})(?:\s+(\d{{4}}))?", re.IGNORECASE)

# (pattern, period) checked in order; the first that matches wins
NAMED = (
    (re.compile(r"\b(?:yesterday|yday)\b", re.I), "yesterday"),
    (re.compile(r"\b(?:last|previous|past|prior)\s+week\b|\ba week ago\b", re.I), "last_week"),
    (re.compile(r"\b(?:last|previous|prior)\s+month\b|\ba month ago\b", re.I), "last_month"),
    (re.compile(r"\b(?:last|past)\s+(?:30|thirty)\s+days\b", re.I), "last_30_days"),
    (re.compile(r"\bthis\s+week\b|\bweek\s+(?:to\s+date|so\s+far)\b|\bweekly\b", re.I), "this_week"),
    (re.compile(r"\bthis\s+month\b|\bmonth\s+(?:to\s+date|so\s+far)\b|\bmonthly\b|\bmtd\b", re.I), "this_month"),
    (re.compile(r"\b(?:today|so far today|tonight)\b", re.I), "today"),
)


def _month(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]


def _year_for(month: int, day: int, year: str | None, today: date) -> int:
    """The year said, else the most recent such date (no future dates)."""
    if year:
        return int(year)
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _dates(text: str, today: date) -> list[date]:
    found: list[tuple[int, date]] = []
    for match in ISO.finditer(text):
        found.append((match.start(), date(int(match[1]), int(match[2]), int(match[3]))))
    for match in DAY_MONTH.finditer(text):
        day, month = int(match[1]), _month(match[2])
        found.append((match.start(), date(_year_for(month, day, match[3], today), month, day)))
    for match in MONTH_DAY.finditer(text):
        month, day = _month(match[1]), int(match[2])
        found.append((match.start(), date(_year_for(month, day, match[3], today), month, day)))
    return [day for _, day in sorted(found)]


def _one(text: str, today: date) -> dict[str, Any] | None:
    """The period arguments of a text naming one period, or None."""
    try:
        ranged = RANGE.search(text)
        if ranged:
            month = _month(ranged[3])
            first, last = int(ranged[1]), int(ranged[2])
            year = _year_for(month, first, ranged[4], today)
            return {
                "period": "range",
                "start_date": f"{date(year, month, first)}",
                "end_date": f"{date(year, month, last)}",
            }
        days = _dates(text, today)
    except ValueError:  # 31 February and friends: let the words decide
        days = []
    if re.search(r"\b(?:between|from)\b", text, re.I) and len(days) >= 2:
        return {"period": "range", "start_date": f"{days[0]}", "end_date": f"{days[1]}"}
    if len(days) == 1 and re.search(r"\b(?:on|for|of)\s+(?:the\s+)?\S*\d", text, re.I):
        return {"period": "range", "start_date": f"{days[0]}", "end_date": f"{days[0]}"}
    for pattern, name in NAMED:
        if pattern.search(text):
            return {"period": name}
    for month in NAMED_MONTH.finditer(text):
        word, year = month[2].lower().rstrip("."), month[3]
        if len(word) > 3 or year or month[1]:  # "may", "mar": only as "in May", "May 2026"
            args: dict[str, Any] = {"period": "named_month", "month": MONTHS[word]}
            if year:
                args["year"] = int(year)
            return args
    return None


COMPARE_SPLIT = re.compile(r"\b(?:vs\.?|versus|against|compared?\s+(?:to|with)|with|and|to)\b", re.I)


def period_in(text: str, today: date | None = None) -> dict[str, Any] | None:
    """The period a request names (None when it names none)."""
    return _one(text, today or utcnow().date())


def two_periods_in(text: str, today: date | None = None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two periods to compare ("this month vs last month"), in the order said; None unless both read."""
    today = today or utcnow().date()
    for split in COMPARE_SPLIT.finditer(text):
        first, second = _one(text[: split.start()], today), _one(text[split.end() :], today)
        if first and second and first != second:
            return first, second
    return None


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _days(first: date, last: date) -> dict[str, Any]:
    return {"period": "range", "start_date": f"{first}", "end_date": f"{last}"}


def earlier(spec: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """The period just before `spec`, of the same length ("and the month before that?")."""
    today = today or utcnow().date()
    name = spec.get("period")
    monday = today - timedelta(days=today.weekday())
    if name in ("today", "yesterday"):
        day = today - timedelta(days=1 if name == "today" else 2)
        return {"period": "yesterday"} if name == "today" else _days(day, day)
    if name == "this_week":
        return {"period": "last_week"}
    if name == "last_week":
        return _days(monday - timedelta(days=14), monday - timedelta(days=8))
    if name == "this_month":
        return {"period": "last_month"}
    if name in ("last_month", "named_month"):
        year, month = _month_before(today.year, today.month)
        if name == "named_month":
            month = int(spec["month"])
            year = int(spec.get("year") or (today.year if month <= today.month else today.year - 1))
        year, month = _month_before(year, month)
        return {"period": "named_month", "month": month, "year": year}
    if name == "last_30_days":
        return _days(today - timedelta(days=60), today - timedelta(days=31))
    first, last = date.fromisoformat(spec["start_date"]), date.fromisoformat(spec["end_date"])
    return _days(first - (last - first) - timedelta(days=1), first - timedelta(days=1))
