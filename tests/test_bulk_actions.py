"""Bulk actions from Mina uppgifter beyond taking tasks (tests/test_task_claims.py), each
with one confirmation and a result per row: a reminder about open tasks
(app.grants.task_reminders) and the same reviewers for several cases
(app.grants.reviewer_assignment)."""

from datetime import timedelta

import pytest
from lxml import html
from sqlalchemy import select

from app.accounts.models import User, UserRole
from app.accounts.users import create_user
from app.audit import AuditEvent
from app.db import utcnow
from app.engine.models import HumanTask
from app.errors import Conflict, NotFound
from app.formatting import local_today
from app.grants import applications
from app.grants.task_claims import claim_task
from app.grants.task_reminders import remind_task
from app.notifications.models import OutboxMessage
from tests.conftest import csrf_token, login
from tests.factories import (
    complete,
    open_task,
    open_task_names,
    review_data,
    submitted_application,
    to_review,
    user,
)


@pytest.fixture
def check_task(app, session, demo):
    """A formal check task (handläggare) and a second officer."""
    engine = app.extensions["engine"]
    application = submitted_application(session, engine)
    create_user(session, {"username": "handlaggare2", "display_name": "Hanna Handläggare",
                          "email": "h2@huddinge.example", "organisation_id": "",
                          "roles": ["handlaggare"]}, actor_id=None)
    session.commit()
    return open_task(session, application, "formell_kontroll")


def reminders(session) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "paminnelse")
                           .order_by(OutboxMessage.id)).all()


def officer_emails(session) -> set[str]:
    return set(session.scalars(select(User.email).join(UserRole).where(
        UserRole.role == "handlaggare", User.active.is_(True), User.email.is_not(None))))


def test_a_reminder_goes_to_the_role_once_a_day_then_to_the_taker(app, session, check_task):
    officer = user(session, "handlaggare")
    now = utcnow()
    sent = remind_task(session, officer, check_task.id, app.config, now)
    session.commit()
    assert {m.recipient_email for m in reminders(session)} == officer_emails(session)
    assert sent == len(officer_emails(session)) >= 2
    assert check_task.title in reminders(session)[0].subject
    with pytest.raises(Conflict, match="redan skickad"):  # a second click the same day
        remind_task(session, officer, check_task.id, app.config, now)
    session.rollback()
    claim_task(session, user(session, "handlaggare2"), check_task.id, now)
    assert remind_task(session, officer, check_task.id, app.config,
                       now + timedelta(days=1)) == 1  # the colleague who took it, alone
    session.commit()
    assert reminders(session)[-1].recipient_email == "h2@huddinge.example"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "task_reminded")
                             .order_by(AuditEvent.id)).all()
    assert [e.details["mottagare"] for e in events] == [sent, 1]


def test_only_staff_who_may_see_the_case_send_reminders(app, session, check_task):
    for username in ("bedomare", "sokande"):
        with pytest.raises(NotFound):
            remind_task(session, user(session, username), check_task.id, app.config, utcnow())
    with pytest.raises(NotFound):
        remind_task(session, user(session, "handlaggare"), "no-such-task", app.config,
                    utcnow())
    assert reminders(session) == []


def test_bulk_reminder_confirms_then_reports_per_row(app, session, check_task):
    engine = app.extensions["engine"]
    second = open_task(session, submitted_application(session, engine), "formell_kontroll")
    remind_task(session, user(session, "handlaggare"), second.id, app.config, utcnow())
    session.commit()
    before = len(reminders(session))
    client = app.test_client()
    login(client, "handlaggare")
    inbox = client.get("/uppgifter").get_data(as_text=True)
    assert 'value="paminn"' in inbox
    token = csrf_token(client, "/uppgifter")
    ids = [check_task.id, second.id]
    confirm = client.post("/uppgifter/valda", data={"csrf_token": token, "atgard": "paminn",
                                                    "uppgift": ids})
    assert confirm.status_code == 200 and "Skicka påminnelse" in confirm.get_data(as_text=True)
    session.rollback()
    assert len(reminders(session)) == before  # nothing yet
    for _ in range(2):  # a double submit sends once
        done = client.post("/uppgifter/valda", data={
            "csrf_token": token, "atgard": "paminn", "uppgift": ids, "bekraftat": "ja"})
        assert done.status_code == 200
    tree = html.fromstring(done.get_data(as_text=True))
    results = [" ".join(td.text_content().split()) for td in tree.xpath("//tbody/tr/td[2]")]
    assert all(r.startswith("Inte gjort:") and "redan skickad" in r for r in results)
    session.rollback()  # a new snapshot: see what the requests wrote
    assert len(reminders(session)) == before + len(officer_emails(session))


def test_first_bulk_reminder_row_says_how_many_it_went_to(app, session, check_task):
    client = app.test_client()
    login(client, "handlaggare")
    token = csrf_token(client, "/uppgifter")
    done = client.post("/uppgifter/valda", data={
        "csrf_token": token, "atgard": "paminn", "uppgift": [check_task.id],
        "bekraftat": "ja"})
    tree = html.fromstring(done.get_data(as_text=True))
    results = [" ".join(td.text_content().split()) for td in tree.xpath("//tbody/tr/td[2]")]
    assert results == [f"Påminnelse skickad till {len(officer_emails(session))} personer."]


def test_a_reviewer_sees_no_reminder_button(app, session, check_task):
    client = app.test_client()
    login(client, "bedomare")
    assert 'value="paminn"' not in client.get("/uppgifter").get_data(as_text=True)


@pytest.fixture
def assignments(app, session, demo):
    """Two cases waiting for reviewers: a fresh one, and one back from review because the
    reviewer "bedomare" declared jäv in it."""
    engine = app.extensions["engine"]
    fresh = submitted_application(session, engine)
    complete(session, engine, fresh, "formell_kontroll", {"kontroll_utfall": "komplett"},
             "handlaggare")
    back = submitted_application(session, engine)
    to_review(session, engine, back)
    for reviewer, data in (("bedomare", review_data(jav=True)), ("bedomare2", review_data())):
        task = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == back.process_instance_id, HumanTask.assignee == reviewer,
            HumanTask.completed_at.is_(None))).one()
        applications.complete_task(session, engine, user(session, reviewer), task.id, data,
                                   local_today())
        session.commit()
    return fresh, back


def assign_form(token: str, tasks, **extra) -> dict:
    return {"csrf_token": token, "atgard": "bedomare", "uppgift": [t.id for t in tasks],
            **extra}


def test_reviewers_for_several_cases_one_result_per_case(app, session, assignments):
    fresh, back = assignments
    tasks = [open_task(session, case, "tilldela_bedomare") for case in (fresh, back)]
    client = app.test_client()
    login(client, "handlaggare")
    token = csrf_token(client, "/uppgifter")
    assert 'value="bedomare"' in client.get("/uppgifter").get_data(as_text=True)
    confirm = client.post("/uppgifter/valda", data=assign_form(token, tasks))
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'name="bedomare" value="bedomare2"' in page
    missing = client.post("/uppgifter/valda", data=assign_form(
        token, tasks, bekraftat="ja", frist="31 januari"))
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert "Välj minst en bedömare" in page and "ÅÅÅÅ-MM-DD" in page
    done = client.post("/uppgifter/valda", data=assign_form(
        token, tasks, bekraftat="ja", bedomare=["bedomare", "bedomare2"], frist="2030-01-31"))
    assert done.status_code == 200
    tree = html.fromstring(done.get_data(as_text=True))
    results = [" ".join(td.text_content().split()) for td in tree.xpath("//tbody/tr/td[2]")]
    assert results[0] == "2 bedömare tilldelade."
    assert results[1].startswith("Inte gjort:") and "jäv" in results[1]
    session.rollback()  # a new snapshot: see what the requests wrote
    assert open_task_names(session, fresh) == ["bedomning", "bedomning"]
    assert open_task_names(session, back) == ["tilldela_bedomare"]


def test_reviewer_assignment_skips_other_tasks_and_other_roles(app, session, assignments,
                                                                check_task):
    fresh, _back = assignments
    task = open_task(session, fresh, "tilldela_bedomare")
    client = app.test_client()
    login(client, "handlaggare")
    token = csrf_token(client, "/uppgifter")
    done = client.post("/uppgifter/valda", data=assign_form(
        token, [task, check_task], bekraftat="ja", bedomare=["bedomare", "bedomare2"],
        frist="2030-01-31"))
    tree = html.fromstring(done.get_data(as_text=True))
    results = [" ".join(td.text_content().split()) for td in tree.xpath("//tbody/tr/td[2]")]
    assert results == ["2 bedömare tilldelade.",
                       "Inte gjort: Uppgiften är inte en tilldelning av bedömare."]
    session.rollback()  # a new snapshot: write after what the requests wrote
    other = submitted_application(session, app.extensions["engine"])
    complete(session, app.extensions["engine"], other, "formell_kontroll",
             {"kontroll_utfall": "komplett"}, "handlaggare")
    waiting = open_task(session, other, "tilldela_bedomare")
    reviewer = app.test_client()
    login(reviewer, "bedomare")
    refused = reviewer.post("/uppgifter/valda", data=assign_form(
        csrf_token(reviewer, "/uppgifter"), [waiting], bekraftat="ja",
        bedomare=["bedomare", "bedomare2"], frist="2030-01-31"))
    assert refused.status_code == 302
    session.rollback()
    assert open_task_names(session, other) == ["tilldela_bedomare"]
