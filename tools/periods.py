"""The period arguments every report tool shares; the domain resolves them in the shop's timezone."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import periods
from domain.context import Context
from domain.periods import Period, PeriodName

PERIOD_HELP = (
    "today, yesterday, this_week, last_week, this_month, last_month, last_30_days; named_month with month "
    "(1-12) and optionally year; range with start_date and end_date (YYYY-MM-DD, both included)"
)


class PeriodSpec(BaseModel):
    """A period as a person names it."""

    period: PeriodName = Field(default=PeriodName.THIS_MONTH, description=PERIOD_HELP)
    month: int | None = Field(default=None, ge=1, le=12, description="For named_month: 1-12")
    year: int | None = Field(default=None, ge=2000, le=2100, description="For named_month: the year, if said")
    start_date: date | None = Field(default=None, description="For range: the first day, YYYY-MM-DD")
    end_date: date | None = Field(default=None, description="For range: the last day, YYYY-MM-DD")

    def resolve(self, session: Session, ctx: Context) -> Period:
        """The period's UTC interval at the shop's own midnights."""
        return periods.resolve(
            session,
            ctx,
            self.period,
            month=self.month,
            year=self.year,
            start_date=self.start_date,
            end_date=self.end_date,
        )
