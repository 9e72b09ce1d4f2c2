"""Review reminders reach the reviewers whose tasks are open when they fire, whatever their
offset from the deadline (also a reminder already due when the reviewers are assigned)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.engine.serializer import dump_state
from app.engine.tasks import next_timer_at
from app.engine.timers import run_due_timers
from app.formatting import local_today
from app.notifications.models import OutboxMessage
from tests.factories import review_all, submitted_application, to_review

REVIEWERS = sorted(["bedomare@huddinge.example", "bedomare2@huddinge.example"])


def reminded(session, application) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(OutboxMessage.recipient_email).where(
        OutboxMessage.kind == "paminnelse",
        OutboxMessage.process_instance_id == application.process_instance_id)))


def make_timers_due(session, engine, application) -> None:
    """Move the case's waiting timers into the past (instead of waiting for them)."""
    session.rollback()
    instance = engine.lock_instance(session, application.process_instance_id)
    workflow = engine.load_workflow(session, instance)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for task in workflow.event_manager.tasks.values():
        task.internal_data["event_value"] = past
    instance.state = dump_state(workflow)
    instance.next_timer_at = next_timer_at(workflow)
    session.commit()


def test_reminder_of_a_deadline_tomorrow_reaches_both_reviewers(session, sessions, engine, demo):
    """The reminder (two days before the deadline) is due before the reviewers are even
    assigned: it fires in the assignment's own step and must still reach both of them."""
    application = submitted_application(session, engine)
    to_review(session, engine, application,
              deadline=(local_today() + timedelta(days=1)).isoformat())
    assert reminded(session, application) == REVIEWERS
    assert run_due_timers(sessions, engine) == 0  # nothing left to fire, nothing sent twice
    assert reminded(session, application) == REVIEWERS


@pytest.mark.parametrize("days_ahead", [1, 2, 3, 30])
def test_reminder_reaches_both_reviewers_whatever_the_offset(session, sessions, engine, demo,
                                                              days_ahead):
    application = submitted_application(session, engine)
    to_review(session, engine, application,
              deadline=(local_today() + timedelta(days=days_ahead)).isoformat())
    if not reminded(session, application):  # the reminder lies ahead: let its day come
        make_timers_due(session, engine, application)
        assert run_due_timers(sessions, engine) == 1
    assert reminded(session, application) == REVIEWERS


def test_reminder_reaches_only_the_reviewers_who_have_not_reviewed(session, sessions, engine,
                                                                   demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    review_all(session, engine, application, reviewers=("bedomare",))
    make_timers_due(session, engine, application)
    assert run_due_timers(sessions, engine) == 1
    assert reminded(session, application) == ["bedomare2@huddinge.example"]
