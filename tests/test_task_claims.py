"""Taking, letting go and handing over tasks (app.grants.task_claims), alone and in bulk."""

import pytest
from lxml import html
from sqlalchemy import select

from app.accounts.users import create_user
from app.audit import AuditEvent
from app.db import utcnow
from app.engine.models import HumanTask
from app.errors import Conflict, NotAllowed, NotFound
from app.grants import permissions
from app.grants.task_claims import claim_task, hand_over_task, release_task
from tests.conftest import csrf_token, login
from tests.factories import open_task, submitted_application, user


@pytest.fixture
def check_task(app, session, demo):
    """A formal check task (handläggare) and a second officer to hand it to."""
    engine = app.extensions["engine"]
    application = submitted_application(session, engine)
    create_user(session, {"username": "handlaggare2", "display_name": "Hanna Handläggare",
                          "email": "h2@huddinge.example", "organisation_id": "",
                          "roles": ["handlaggare"]}, actor_id=None)
    session.commit()
    return open_task(session, application, "formell_kontroll")


def events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_claim_release_and_hand_over_are_audited(session, check_task):
    officer, other = user(session, "handlaggare"), user(session, "handlaggare2")
    claim_task(session, officer, check_task.id, utcnow())
    session.commit()
    assert check_task.claimed_by_id == officer.id
    assert "tagen av" in permissions.four_eyes_problem(session, other, check_task, None)
    hand_over_task(session, officer, check_task.id, other.id, utcnow())
    session.commit()
    assert check_task.claimed_by_id == other.id
    release_task(session, other, check_task.id)
    session.commit()
    assert check_task.claimed_by_id is None
    assert [len(events(session, a)) for a in ("task_claimed", "task_handed_over",
                                              "task_released")] == [1, 1, 1]
    assert events(session, "task_handed_over")[0].details == {"to": "handlaggare2"}


def test_wrong_role_is_refused(session, check_task):
    with pytest.raises(NotFound):
        claim_task(session, user(session, "bedomare"), check_task.id, utcnow())
    with pytest.raises(NotAllowed):  # a reviewer may not be handed an officer's task
        hand_over_task(session, user(session, "handlaggare"), check_task.id,
                       user(session, "bedomare").id, utcnow())
    with pytest.raises(Conflict):
        release_task(session, user(session, "handlaggare"), check_task.id)


def test_two_people_taking_the_same_task_one_wins(app, sessions, check_task):
    with sessions() as first, sessions() as second:
        stale = second.get(HumanTask, check_task.id)  # read before the other takes it
        taker = user(second, "handlaggare2")
        second.commit()  # (SQLite: let the other write; the objects stay as read)
        assert stale.claimed_by_id is None
        claim_task(first, user(first, "handlaggare"), check_task.id, utcnow())
        first.commit()
        with pytest.raises(Conflict, match="redan tagen av"):
            claim_task(second, taker, check_task.id, utcnow())
        second.rollback()


def test_a_task_taken_by_a_colleague_cannot_be_completed(app, session, check_task):
    claim_task(session, user(session, "handlaggare2"), check_task.id, utcnow())
    session.commit()
    client = app.test_client()
    login(client, "handlaggare")
    page = client.get(f"/uppgifter/{check_task.id}").get_data(as_text=True)
    assert "Uppgiften är tagen av Hanna Handläggare" in page
    listed = client.get("/uppgifter?tilldelning=andras").get_data(as_text=True)
    assert "Hanna Handläggare" in listed


def test_bulk_take_confirms_then_reports_per_row(app, session, check_task):
    engine = app.extensions["engine"]
    second = open_task(session, submitted_application(session, engine), "formell_kontroll")
    claim_task(session, user(session, "handlaggare2"), second.id, utcnow())
    session.commit()
    client = app.test_client()
    login(client, "handlaggare")
    token = csrf_token(client, "/uppgifter")
    ids = [check_task.id, second.id]
    confirm = client.post("/uppgifter/valda", data={"csrf_token": token, "atgard": "ta",
                                                    "uppgift": ids})
    assert confirm.status_code == 200 and "Bekräfta" in confirm.get_data(as_text=True)
    assert session.get(HumanTask, check_task.id).claimed_by_id is None  # nothing yet
    done = client.post("/uppgifter/valda", data={"csrf_token": token, "atgard": "ta",
                                                 "uppgift": ids, "bekraftat": "ja"})
    tree = html.fromstring(done.get_data(as_text=True))
    results = [" ".join(td.text_content().split())
               for td in tree.xpath("//tbody/tr/td[2]")]
    assert results[0] == "Klart"
    assert results[1].startswith("Inte gjort:") and "Hanna Handläggare" in results[1]
    session.rollback()  # a new snapshot: see what the requests wrote
    assert session.get(HumanTask, check_task.id).claimed_by_id == user(session,
                                                                       "handlaggare").id


def test_hand_over_page_lists_colleagues_with_the_role(app, session, check_task):
    client = app.test_client()
    login(client, "handlaggare")
    page = client.get(f"/uppgifter/{check_task.id}/lamna").get_data(as_text=True)
    assert "Hanna Handläggare" in page and "Bodil" not in page
    token = csrf_token(client, f"/uppgifter/{check_task.id}/lamna")
    missing = client.post(f"/uppgifter/{check_task.id}/lamna", data={"csrf_token": token})
    assert missing.status_code == 422
    other = user(session, "handlaggare2").id
    done = client.post(f"/uppgifter/{check_task.id}/lamna",
                       data={"csrf_token": token, "kollega": str(other)})
    assert done.status_code == 302
    session.rollback()  # a new snapshot: see what the requests wrote
    assert session.get(HumanTask, check_task.id).claimed_by_id == other
