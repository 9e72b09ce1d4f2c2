"""Unsubmitted drafts: the applying organisation deletes them; nobody else sees them."""

from sqlalchemy import select

from app.attachments.models import Attachment
from app.attachments.operations import store_uploads
from app.audit import AuditEvent
from app.engine.models import HumanTask, ProcessInstance
from app.grants.models import Application
from app.storage import LocalFileStorage
from tests.attachment_files import LIMIT, pdf_bytes
from tests.conftest import csrf_token, login
from tests.factories import make_application, submitted_application, user


def test_an_applicant_deletes_a_draft_after_confirming(app, client, demo, session, engine,
                                                       tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    draft = make_application(session, engine)
    draft_id, instance_id = draft.id, draft.process_instance_id
    store_uploads(session, LocalFileStorage(tmp_path), instance_id=instance_id,
                  field="bilagor", files=[("Karta.pdf", pdf_bytes())],
                  user_id=user(session, "sokande").id, max_bytes=LIMIT)
    session.commit()
    login(client, "sokande")
    assert f"/ansokningar/{draft_id}/ta-bort" in client.get(
        f"/ansokningar/{draft_id}").get_data(as_text=True)

    confirm = client.get(f"/ansokningar/{draft_id}/ta-bort")
    assert confirm.status_code == 200
    assert "Ja, ta bort utkastet" in confirm.get_data(as_text=True)
    response = client.post(f"/ansokningar/{draft_id}/ta-bort",
                           data={"csrf_token": csrf_token(client)})

    assert response.status_code == 302
    assert f"/ansokningar/{draft_id}\"" not in client.get("/ansokningar").get_data(as_text=True)
    assert client.get(f"/ansokningar/{draft_id}").status_code == 404
    session.expire_all()
    assert session.get(ProcessInstance, instance_id).status == "cancelled"
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    assert tasks and all(t.completed_at is not None and t.outcome == "cancelled" for t in tasks)
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.process_instance_id == instance_id)).all()
    assert "draft_deleted" in actions
    assert session.get(Application, draft_id).closed_at is not None
    removed = session.scalars(select(Attachment)).all()  # rows kept, marked, files gone
    assert removed and all(row.removed_at is not None for row in removed)
    assert list(tmp_path.iterdir()) == []
    assert "Du har inga uppgifter just nu" in client.get("/uppgifter").get_data(as_text=True)


def test_another_organisation_cannot_delete_a_draft(client, demo, session, engine):
    draft = make_application(session, engine)
    login(client, "sokande2")

    response = client.post(f"/ansokningar/{draft.id}/ta-bort",
                           data={"csrf_token": csrf_token(client)})

    assert response.status_code == 404
    session.expire_all()
    assert session.get(ProcessInstance, draft.process_instance_id).status == "running"


def test_a_submitted_application_cannot_be_deleted_as_a_draft(client, demo, session, engine):
    case = submitted_application(session, engine)
    login(client, "sokande")

    response = client.post(f"/ansokningar/{case.id}/ta-bort",
                           data={"csrf_token": csrf_token(client)})

    assert response.status_code == 404
    session.expire_all()
    assert session.get(ProcessInstance, case.process_instance_id).status == "running"


def test_staff_lists_do_not_show_unsubmitted_drafts(app, demo, session, engine):
    make_application(session, engine, "sokande2").title = "Utkast i Skogås"
    session.commit()
    submitted_application(session, engine)
    for username in ("handlaggare", "beslutsfattare", "admin"):
        client = app.test_client()
        login(client, username)
        page = client.get("/ansokningar").get_data(as_text=True)
        assert "Nattvandring i Flemingsberg" in page, username
        assert "Utkast i Skogås" not in page, username
    client = app.test_client()
    login(client, "sokande2")
    assert "Utkast i Skogås" in client.get("/ansokningar").get_data(as_text=True)
