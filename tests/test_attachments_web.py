"""Attachments through the web: upload with a task form, listing, download and access."""

import io

import lxml.html
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import app.attachments.models  # noqa: F401  (the table exists before the schema is made)
from app.accounts.models import User, UserRole
from app.accounts.passwords import hash_password
from app.attachments import checks
from app.attachments.models import Attachment
from app.attachments.operations import store_uploads
from app.audit import AuditEvent
from app.demo import DEMO_PASSWORD
from app.engine.models import HumanTask, ProcessInstance
from app.storage import LocalFileStorage
from tests.attachment_files import (
    HTML,
    LIMIT,
    SMALL,
    TASK_URL,
    docx_bytes,
    pdf_bytes,
    png_bytes,
)
from tests.conftest import csrf_token, login
from tests.factories import (
    application_data,
    complete,
    formdata,
    make_application,
    open_task,
    submitted_application,
    to_review,
    user,
)

# Through the web ------------------------------------------------------------------------------


def post(client, url, pairs, files=(), **extra):
    data = MultiDict([*pairs, ("csrf_token", csrf_token(client, url)), *extra.items()])
    for name, content, filename in files:
        data.add(name, (io.BytesIO(content), filename))
    return client.post(url, data=data, content_type="multipart/form-data")


def new_application_task(client, sessions) -> str:
    from app.grants.models import Round

    with sessions() as session:
        round_id = session.scalars(select(Round.id)).first()
    response = client.post("/ansokningar/ny", data={"round_id": round_id,
                                                    "csrf_token": csrf_token(client)})
    return TASK_URL.search(response.headers["Location"]).group(0)


def listed_ids(page: str) -> list[str]:
    return lxml.html.fromstring(page).xpath("//input[@name='bilagor-id']/@value")


def test_an_applicant_attaches_a_file_and_only_those_allowed_can_download_it(
        app, client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)

    response = post(client, task_url, [("titel", "Trygga kvällar i Vårby")],
                    files=[("bilagor-upload", pdf_bytes(), "Karta över Vårby.pdf")],
                    spara_utkast="1")
    assert response.status_code == 302
    page = client.get(task_url).get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    link = tree.xpath("//ul[@class='attachment-list']//a")[0]
    assert link.text_content() == "Karta över Vårby.pdf"
    attachment_id = int(link.get("href").rsplit("/", 1)[1])
    assert listed_ids(page) == [str(attachment_id)]
    assert 'value="Trygga kvällar i Vårby"' in page
    with sessions() as session:
        row = session.get(Attachment, attachment_id)
        assert (upload_dir / row.key).read_bytes() == pdf_bytes()
        draft = session.scalars(select(HumanTask.draft).where(HumanTask.task_name == "ansokan"))
        assert draft.one()["bilagor"][0]["namn"] == "Karta över Vårby.pdf"

    good = formdata(application_data(titel="Trygga kvällar i Vårby", **SMALL))
    response = post(client, task_url, [*good, ("bilagor-id", str(attachment_id))], slutfor="1")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with sessions() as session:
        data = session.scalars(select(ProcessInstance.data)).one()
        assert data["bilagor"] == [{"id": attachment_id, "namn": "Karta över Vårby.pdf",
                                    "storlek": len(pdf_bytes()), "typ": "application/pdf"}]

    url = f"/bilagor/{attachment_id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == pdf_bytes()
    for role, expected in [("sokande2", 404), ("bedomare", 404), ("handlaggare", 200),
                           ("beslutsfattare", 200)]:
        other = app.test_client()
        login(other, role)
        response = other.get(url)
        assert response.status_code == expected, role
    assert response.data == pdf_bytes()
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Karta%20%C3%B6ver%20V%C3%A5rby.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert app.test_client().get(url).status_code == 302  # anonymous: to the login page
    assert client.get("/bilagor/999999").status_code == 404


def test_a_refused_file_is_named_on_the_field_and_nothing_typed_is_lost(
        client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)

    response = post(client, task_url, [("titel", "Trygga kvällar i Vårby"),
                                       ("kort_beskrivning", "Kvällsaktiviteter för unga.")],
                    files=[("bilagor-upload", pdf_bytes(), "Karta.pdf"),
                           ("bilagor-upload", HTML, "Sida.pdf")], spara_utkast="1")

    assert response.status_code == 422
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    error = tree.xpath("//div[contains(@class,'field-error')][.//input[@type='file']]"
                       "//p[@class='error']")[0].text_content()
    assert "Sida.pdf är inte en PDF-fil" in error
    assert tree.xpath("//input[@name='titel']/@value") == ["Trygga kvällar i Vårby"]
    assert tree.xpath("//textarea[@name='kort_beskrivning']")[0].text_content().strip() == \
        "Kvällsaktiviteter för unga."
    assert tree.find_class("error-summary")
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []  # the good file neither
        assert session.scalars(select(HumanTask.draft)).one() is None
    assert list(upload_dir.iterdir()) == []


def test_a_request_over_16_mib_with_one_file_too_large_keeps_the_form_and_names_the_file(
        client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    huge = pdf_bytes() + b"%" + bytes(20 * 1024 * 1024)  # 20 MB: over the old 16 MiB cap

    fields = MultiDict([("titel", "Trygga kvällar i Vårby"), ("slutfor", "1"),
                        ("csrf_token", csrf_token(client, task_url)),
                        ("bilagor-upload", FileStorage(io.BytesIO(huge), "Ritning.pdf")),
                        ("bilagor-upload", FileStorage(io.BytesIO(png_bytes()), "Bild.png"))])
    # Encoded in memory: the test client's own spooled body would be a file nobody closes.
    boundary, body = encode_multipart(fields)
    response = client.post(task_url, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 422
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    error = tree.xpath("//div[contains(@class,'field-error')][.//input[@type='file']]"
                       "//p[@class='error']")[0].text_content()
    assert "Ritning.pdf är större än 10 MB" in error
    assert tree.xpath("//input[@name='titel']/@value") == ["Trygga kvällar i Vårby"]
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []
    assert list(upload_dir.iterdir()) == []


def test_a_file_uploaded_with_a_form_that_fails_validation_stays_attached(
        client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    incomplete = formdata(application_data(titel="", **SMALL))

    response = post(client, task_url, incomplete, slutfor="1",
                    files=[("bilagor-upload", png_bytes(), "Tunnel.png")])
    assert response.status_code == 422
    ids = listed_ids(response.get_data(as_text=True))
    assert len(ids) == 1

    good = formdata(application_data(titel="Trygga kvällar i Vårby", **SMALL))
    response = post(client, task_url, [*good, ("bilagor-id", ids[0])], slutfor="1")
    assert response.status_code == 302
    with sessions() as session:
        data = session.scalars(select(ProcessInstance.data)).one()
        assert [b["namn"] for b in data["bilagor"]] == ["Tunnel.png"]


def test_a_file_uploaded_in_a_failed_submit_is_kept_with_the_draft(
        client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    incomplete = formdata(application_data(titel="", **SMALL))

    response = post(client, task_url, incomplete, slutfor="1",
                    files=[("bilagor-upload", png_bytes(), "Tunnel.png")])
    assert response.status_code == 422
    assert len(listed_ids(response.get_data(as_text=True))) == 1

    ids = listed_ids(client.get(task_url).get_data(as_text=True))  # back later: still there
    assert len(ids) == 1
    good = formdata(application_data(titel="Trygga kvällar i Vårby", **SMALL))
    response = post(client, task_url, [*good, ("bilagor-id", ids[0])], slutfor="1")
    assert response.status_code == 302
    with sessions() as session:
        data = session.scalars(select(ProcessInstance.data)).one()
        assert [b["namn"] for b in data["bilagor"]] == ["Tunnel.png"]
        assert len(session.scalars(select(Attachment)).all()) == 1
        added = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "attachment_added")).all()
        assert len(added) == 1
    assert len(list(upload_dir.iterdir())) == 1


def test_removing_a_file_before_submission_deletes_it(client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    post(client, task_url, [], spara_utkast="1",
         files=[("bilagor-upload", pdf_bytes(), "Karta.pdf")])
    karta = listed_ids(client.get(task_url).get_data(as_text=True))[0]
    assert client.get(f"/bilagor/{karta}").status_code == 200

    response = post(client, task_url, [("bilagor-id", karta), ("bilagor-remove", karta)],
                    spara_utkast="1")

    assert response.status_code == 302
    assert listed_ids(client.get(task_url).get_data(as_text=True)) == []
    assert client.get(f"/bilagor/{karta}").status_code == 404
    assert list(upload_dir.iterdir()) == []
    with sessions() as session:
        row = session.scalars(select(Attachment)).one()  # the row stays: who removed it, when
        assert row.removed_at is not None
        assert row.removed_by_id == user(session, "sokande").id
        removed = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "attachment_removed")).one()
        assert "Karta.pdf" in removed.summary
        assert removed.actor_id == row.removed_by_id


def test_removing_a_file_and_posting_another_cases_file_id(client, demo, sessions, engine,
                                                          upload_dir):
    with sessions() as session:
        theirs = make_application(session, engine, "sokande2")
        foreign = store_uploads(session, LocalFileStorage(upload_dir),
                                instance_id=theirs.process_instance_id, field="bilagor",
                                files=[("Deras.pdf", pdf_bytes("Deras"))],
                                user_id=user(session, "sokande2").id, max_bytes=LIMIT)[0]["id"]
        session.commit()
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    post(client, task_url, [], spara_utkast="1",
         files=[("bilagor-upload", pdf_bytes(), "Karta.pdf"),
                ("bilagor-upload", png_bytes(), "Bild.png")])
    karta, bild = (int(i) for i in listed_ids(client.get(task_url).get_data(as_text=True)))

    response = post(client, task_url, [("bilagor-id", str(karta)), ("bilagor-id", str(bild)),
                                       ("bilagor-id", str(foreign)),
                                       ("bilagor-remove", str(karta))], spara_utkast="1")
    assert response.status_code == 302
    assert listed_ids(client.get(task_url).get_data(as_text=True)) == [str(bild)]
    with sessions() as session:
        draft = session.scalars(select(HumanTask.draft).where(
            HumanTask.instance_id != theirs.process_instance_id)).one()
        assert [b["id"] for b in draft["bilagor"]] == [bild]
    assert client.get(f"/bilagor/{foreign}").status_code == 404


def test_more_files_than_the_form_allows_are_refused(client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    files = [("bilagor-upload", png_bytes(), f"Bild {i}.png") for i in range(11)]

    response = post(client, task_url, [], spara_utkast="1", files=files)

    assert response.status_code == 422
    assert "högst 10 filer" in response.get_data(as_text=True)
    assert list(upload_dir.iterdir()) == []


def test_a_case_holds_at_most_the_per_case_number_of_files(client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    ten = [("bilagor-upload", png_bytes(), f"Bild {i}.png") for i in range(10)]
    # Posting an id that is no file of the case empties the listed files: the field's own
    # limit (10) then counts only this post's files.
    for _ in range(2):
        response = post(client, task_url, [("bilagor-id", "0")], spara_utkast="1", files=ten)
        assert response.status_code == 302

    response = post(client, task_url, [("bilagor-id", "0")], spara_utkast="1",
                    files=[("bilagor-upload", png_bytes(), "En till.png")])

    assert response.status_code == 422
    assert "högst 20 bifogade filer och har redan 20" in response.get_data(as_text=True)
    assert len(list(upload_dir.iterdir())) == 20
    with sessions() as session:
        assert len(session.scalars(select(Attachment)).all()) == 20


def test_a_reviewer_assigned_to_the_case_may_download_its_files(app, session, engine, demo,
                                                                upload_dir):
    case = submitted_application(session, engine)
    stored = store_uploads(session, LocalFileStorage(upload_dir),
                           instance_id=case.process_instance_id, field="bilagor",
                           files=[("Offert.docx", docx_bytes())],
                           user_id=user(session, "sokande").id, max_bytes=LIMIT)
    session.commit()
    url = f"/bilagor/{stored[0]['id']}"
    to_review(session, engine, case)
    session.add(User(username="bedomare3", display_name="Bengt Bedömare", title="Polis",
                     email="bedomare3@huddinge.example", password_hash=hash_password(DEMO_PASSWORD),
                     role_rows=[UserRole(role="bedomare")]))
    session.commit()

    for role, expected in [("bedomare", 200), ("bedomare3", 404), ("sokande2", 404)]:
        client = app.test_client()
        login(client, role)
        response = client.get(url)
        assert response.status_code == expected, role
        if expected == 200:
            assert response.data == docx_bytes()
            assert response.mimetype == checks.DOCX

    review = session.scalars(select(HumanTask).where(HumanTask.task_name == "bedomning",
                                                     HumanTask.assignee == "bedomare")).one()
    client = app.test_client()
    login(client, "bedomare")
    response = client.post(f"/uppgifter/{review.id}/jav", data={
        "skal": "Jag sitter i styrelsen.", "csrf_token": csrf_token(client, "/uppgifter")})
    assert response.status_code == 302
    assert client.get(url).status_code == 404  # jävig: no longer part of the case


def test_a_handed_in_file_removed_in_a_komplettering_is_gone_once_it_is_sent(
        client, session, engine, demo, upload_dir, monkeypatch):
    monkeypatch.setitem(engine.config, "UPLOAD_DIR", str(upload_dir))  # as the app's setting
    application = make_application(session, engine)
    files = store_uploads(session, LocalFileStorage(upload_dir),
                          instance_id=application.process_instance_id, field="bilagor",
                          files=[("Karta.pdf", pdf_bytes()), ("Bild.png", png_bytes())],
                          user_id=user(session, "sokande").id, max_bytes=LIMIT)
    complete(session, engine, application, "ansokan",
             application_data(bilagor=files, **SMALL), "sokande")
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
              "komplettering_delar": ["bilagor"], "kontroll_meddelande": "Byt kartan."},
             "handlaggare")
    karta, bild = (str(f["id"]) for f in files)
    login(client, "sokande")
    task_url = f"/uppgifter/{open_task(session, application, 'komplettering').id}"

    response = post(client, task_url, [("bilagor-id", karta), ("bilagor-id", bild),
                                       ("bilagor-remove", karta)], slutfor="1")

    assert response.status_code == 302
    assert client.get(f"/bilagor/{karta}").status_code == 404
    assert client.get(f"/bilagor/{bild}").status_code == 200
    assert [p.name for p in upload_dir.iterdir()] == [
        session.get(Attachment, int(bild)).key]
    session.rollback()  # a new snapshot: see what the request committed
    row = session.get(Attachment, int(karta))
    assert row.removed_at is not None and row.removed_by_id == user(session, "sokande").id
    assert session.scalars(select(AuditEvent.summary).where(
        AuditEvent.action == "attachment_removed")).all() == ["Bilaga Karta.pdf borttagen"]
