"""What the overview is about: a fund, a round, a period of submission."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, true
from sqlalchemy.sql import ColumnElement

from app.formatting import STOCKHOLM
from app.grants.models import Application, Round


@dataclass(frozen=True)
class OverviewFilter:
    """The cases counted: submitted, of the fund and round if given, submitted within the
    period if given (dates inclusive, Swedish time)."""

    fund_id: int | None = None
    round_id: int | None = None
    start: date | None = None
    end: date | None = None

    def since(self) -> datetime | None:
        return datetime.combine(self.start, time.min, STOCKHOLM) if self.start else None

    def until(self) -> datetime | None:
        return (datetime.combine(self.end + timedelta(days=1), time.min, STOCKHOLM)
                if self.end else None)

    def cases(self) -> ColumnElement[bool]:
        """The condition on Application (joined with Round) for the cases counted."""
        conditions = [Application.submitted_at.is_not(None)]
        if self.fund_id is not None:
            conditions.append(Round.fund_id == self.fund_id)
        if self.round_id is not None:
            conditions.append(Application.round_id == self.round_id)
        if self.start is not None:
            conditions.append(Application.submitted_at >= self.since())
        if self.end is not None:
            conditions.append(Application.submitted_at < self.until())
        return and_(true(), *conditions)

    def rounds(self) -> ColumnElement[bool]:
        """The condition on Round for the rounds shown."""
        conditions = []
        if self.fund_id is not None:
            conditions.append(Round.fund_id == self.fund_id)
        if self.round_id is not None:
            conditions.append(Round.id == self.round_id)
        return and_(true(), *conditions)
