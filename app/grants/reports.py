"""Reports: the delegated decisions of a period (anmälan av delegationsbeslut)."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select

from app.formatting import STOCKHOLM
from app.grants.models import Application, Decision, Organisation


def delegated_decisions(start: date, end: date) -> Select:
    """The decisions taken on delegation between start and end (inclusive), with their case
    and its organisation: (Decision, Application)."""
    since = datetime.combine(start, time.min, STOCKHOLM)
    until = datetime.combine(end + timedelta(days=1), time.min, STOCKHOLM)
    return (select(Decision, Application)
            .join(Application, Application.id == Decision.application_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .where(Decision.level == "delegat", Decision.decided_at >= since,
                   Decision.decided_at < until))
