"""Timers: a review reminder reaches the reviewers whose tasks are open when it fires, whatever
its offset from the deadline; a timer pass counts what it did (instances a timer advanced),
not what it looked at."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.db import utcnow
from app.engine.models import ProcessInstance
from app.engine.timers import run_due_timers
from app.formatting import local_today
from app.notifications.models import OutboxMessage
from tests.blocking import wait_until_blocked
from tests.factories import complete, review_all, submitted_application, to_review
from tests.test_process_full import make_timers_due

REVIEWERS = sorted(["bedomare@huddinge.example", "bedomare2@huddinge.example"])


def reminded(session, application) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(OutboxMessage.recipient_email).where(
        OutboxMessage.kind == "paminnelse",
        OutboxMessage.process_instance_id == application.process_instance_id)))


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


KOMPLETTERING = {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
                 "komplettering_delar": ["malgrupp"], "kontroll_meddelande": "Beskriv målgruppen."}


def waiting_for_komplettering(session, engine):
    """A case waiting for the applicant, its deadline (a boundary timer) years ahead."""
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll", KOMPLETTERING, "handlaggare")
    return application


def timer_events(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "timer_fired"))


def test_a_pass_over_timers_not_yet_due_counts_and_writes_nothing(session, sessions, engine,
                                                                   demo):
    application = waiting_for_komplettering(session, engine)
    instance = session.get(ProcessInstance, application.process_instance_id)
    version, state = instance.version, instance.state
    # A pass that believes the timers are due (a clock far ahead) finds none that fires.
    assert run_due_timers(sessions, engine, now=utcnow() + timedelta(days=3650)) == 0
    session.expire_all()
    instance = session.get(ProcessInstance, application.process_instance_id)
    assert (instance.version, instance.state) == (version, state)
    assert timer_events(session) == 0


def test_a_pass_counts_each_instance_its_timers_advanced(session, sessions, engine, demo):
    cases = [waiting_for_komplettering(session, engine) for _ in range(3)]
    for application in cases[:2]:
        make_timers_due(session, engine, application)
    assert run_due_timers(sessions, engine) == 2
    assert timer_events(session) == 2
    assert run_due_timers(sessions, engine) == 0


def test_a_worker_does_not_count_a_timer_another_worker_fired(app, session, sessions, engine,
                                                              demo):
    """Worker A holds the instance while it fires its timer; worker B, which listed the same
    instance as due, neither waits for it nor counts it."""
    application = waiting_for_komplettering(session, engine)
    make_timers_due(session, engine, application)
    instance_id = application.process_instance_id
    counted = []
    with sessions() as worker_a:
        assert engine.fire_timers(worker_a, instance_id) is True
        worker_b = threading.Thread(target=lambda: counted.append(run_due_timers(sessions,
                                                                                 engine)))
        worker_b.start()
        # B lists the instance as due and reaches its lock (or skips it without waiting).
        wait_until_blocked(worker_b, worker_a.get_bind())
        worker_a.commit()
    worker_b.join(30)
    assert counted == [0]
    assert timer_events(session) == 1
