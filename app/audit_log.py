"""The administrator's view of the audit trail: filters (who, what kind, period, case) and
keyset pages, newest first; a page reads at most PAGE_SIZE + 1 rows however long the trail."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import AuditEvent
from app.formatting import STOCKHOLM
from app.grants.fields import FormFields
from app.grants.models import Application

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventFilter:
    """What the list shows: `before` is the id the page starts below (keyset paging)."""

    username: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    case: str = ""
    before: int | None = None


def parse_filter(args: Mapping) -> tuple[EventFilter, dict[str, list[str]]]:
    """Return the filter from the query string, and the messages of fields that are wrong."""
    fields = FormFields(args)
    since = fields.date("fran", "Från och med", required=False)
    until = fields.date("till", "Till och med", required=False)
    if since and until and until < since:
        fields.problem("till", "Till och med ska vara samma dag som eller efter från och med.")
    before = fields.whole("fore", "Sida", 1, 2**31 - 1, required=False)
    return EventFilter(username=fields.text("vem", "Användarnamn", 80, required=False),
                       action=fields.text("typ", "Typ", 60, required=False),
                       since=since, until=until,
                       case=fields.text("arende", "Diarienummer", 40, required=False),
                       before=before), fields.errors


def list_events(session: Session, wanted: EventFilter) -> tuple[list[AuditEvent], int | None]:
    """Return one page of events, newest first, and the id the next page starts below."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if wanted.username:
        query = query.where(AuditEvent.actor_id.in_(
            select(User.id).where(User.username == wanted.username.lower())))
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.since:
        query = query.where(AuditEvent.at >= _start_of(wanted.since))
    if wanted.until:
        query = query.where(AuditEvent.at < _start_of(wanted.until + timedelta(days=1)))
    if wanted.case:
        query = query.where(AuditEvent.process_instance_id.in_(
            select(Application.process_instance_id).where(
                Application.diarienummer == wanted.case)))
    if wanted.before:
        query = query.where(AuditEvent.id < wanted.before)
    rows = list(session.scalars(query))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, rows[-1].id if more else None


def all_events(session: Session, wanted: EventFilter):
    """Every event the filter matches, newest first, read page by page (for an export)."""
    while True:
        events, before = list_events(session, wanted)
        yield from events
        if before is None:
            return
        wanted = replace(wanted, before=before)


def cases_of(session: Session, events: list[AuditEvent]) -> dict[int, tuple[int, str | None]]:
    """Return the application (id, diarienummer) of each event's process instance."""
    ids = {event.process_instance_id for event in events if event.process_instance_id}
    if not ids:
        return {}
    rows = session.execute(select(Application.process_instance_id, Application.id,
                                  Application.diarienummer)
                           .where(Application.process_instance_id.in_(ids)))
    return {instance: (app_id, number) for instance, app_id, number in rows}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM)
