"""Everyone working on a case sees it: the reviewer their assigned case (blind to the other
reviews until their own is in), every staff task the case beside its form (issue 10)."""

import pytest
from lxml import html
from sqlalchemy import select

import app.attachments.models  # noqa: F401  (the table exists before the schema is made)
from app.attachments.operations import store_uploads
from app.engine.models import HumanTask
from app.engine.timers import run_due_timers
from app.storage import LocalFileStorage
from tests.attachment_files import LIMIT, pdf_bytes
from tests.conftest import csrf_token, login
from tests.factories import (
    application_data,
    complete,
    make_application,
    open_task,
    pay_out,
    review_all,
    submitted_application,
    to_review,
    user,
)
from tests.test_process_full import decided, make_timers_due
from tests.test_web import post, review_pairs

MALGRUPP = "Ungdomar 13–19 år som rör sig kring Flemingsbergs station kvällstid."
KOMPLETTERING = "Kompletterat: unga 15–17 år och deras föräldrar."


def case_with_attachment(session, engine, upload_dir):
    """A case with an attached map, completed once (komplettering), assigned to the two
    demo reviewers; return (application, attachment id)."""
    application = make_application(session, engine)
    files = store_uploads(session, LocalFileStorage(upload_dir),
                          instance_id=application.process_instance_id, field="bilagor",
                          files=[("Karta.pdf", pdf_bytes())],
                          user_id=user(session, "sokande").id, max_bytes=LIMIT)
    complete(session, engine, application, "ansokan", application_data(bilagor=files),
             "sokande")
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
              "komplettering_delar": ["malgrupp"], "kontroll_meddelande": "Beskriv målgruppen."},
             "handlaggare")
    complete(session, engine, application, "komplettering", {"malgrupp": KOMPLETTERING},
             "sokande")
    to_review(session, engine, application)
    return application, files[0]["id"]


def review_task(session, application, reviewer: str) -> str:
    session.expire_all()
    return session.scalars(select(HumanTask.id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.assignee == reviewer, HumanTask.completed_at.is_(None))).one()


def summary_text(page: str) -> str:
    """The text of the case summary beside a task's form ('' when there is none)."""
    return " ".join(a.text_content() for a in html.fromstring(page).xpath(
        "//aside[@class='case-summary']"))


def test_an_assigned_reviewer_reads_the_case_its_attachments_and_completion(
        app, client, session, engine, demo, upload_dir):
    application, attachment_id = case_with_attachment(session, engine, upload_dir)
    login(client, "bedomare")

    response = client.get(f"/ansokningar/{application.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nattvandring i Flemingsberg" in page and KOMPLETTERING in page
    assert f"/bilagor/{attachment_id}" in page
    assert client.get(f"/bilagor/{attachment_id}").data == pdf_bytes()
    assert "Händelser" not in page  # the history names the other reviewers

    task_page = client.get(f"/uppgifter/{review_task(session, application, 'bedomare')}")
    beside = summary_text(task_page.get_data(as_text=True))
    assert KOMPLETTERING in beside and "Karta.pdf" in beside


def test_a_reviewer_sees_only_assigned_cases(app, client, session, engine, demo):
    assigned = submitted_application(session, engine, titel="Belysning i Vårby")
    to_review(session, engine, assigned)
    other = submitted_application(session, engine, titel="Kameror i Länna")
    login(client, "bedomare")

    listing = client.get("/ansokningar").get_data(as_text=True)
    assert "Belysning i Vårby" in listing and "Kameror i Länna" not in listing
    assert client.get(f"/ansokningar/{assigned.id}").status_code == 200
    assert client.get(f"/ansokningar/{other.id}").status_code == 404


def test_a_reviewer_who_declares_jav_in_the_review_form_loses_the_case(
        app, client, session, engine, demo, upload_dir):
    application, attachment_id = case_with_attachment(session, engine, upload_dir)
    review_all(session, engine, application, reviewers=("bedomare2",))
    login(client, "bedomare")
    assert client.get(f"/ansokningar/{application.id}").status_code == 200

    task_url = f"/uppgifter/{review_task(session, application, 'bedomare')}"
    response = post(client, task_url, [("bedomning-jav", "jav"),
                                       ("bedomning-jav_skal", "Min make leder verksamheten.")],
                    slutfor="1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/uppgifter")
    for url in (f"/ansokningar/{application.id}", f"/ansokningar/{application.id}/bedomningar",
                f"/bilagor/{attachment_id}"):
        assert client.get(url).status_code == 404, url
    for listing in ("/ansokningar", "/uppgifter"):
        assert "Nattvandring i Flemingsberg" not in client.get(listing).get_data(as_text=True)


def test_a_reviewer_who_declares_jav_with_the_button_loses_the_case(
        app, client, session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    login(client, "bedomare")
    assert client.get(f"/ansokningar/{application.id}").status_code == 200

    task_url = f"/uppgifter/{review_task(session, application, 'bedomare')}"
    response = client.post(task_url + "/jav", data={"skal": "Jag har skrivit ansökan.",
                                                    "csrf_token": csrf_token(client, task_url)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/uppgifter")
    assert client.get(f"/ansokningar/{application.id}").status_code == 404
    assert client.get(f"/ansokningar/{application.id}/bedomningar").status_code == 404


def test_a_reviewer_sees_the_other_reviews_only_after_their_own(
        app, client, session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    review_all(session, engine, application, reviewers=("bedomare2",), score=2)
    login(client, "bedomare")
    case_url = f"/ansokningar/{application.id}"

    before = client.get(case_url)
    assert before.status_code == 200
    assert "Berit Bedömare" not in before.get_data(as_text=True)
    assert "Väl beskrivet" not in before.get_data(as_text=True)  # bedomare2's motivation
    assert client.get(case_url + "/bedomningar").status_code == 404
    task_url = f"/uppgifter/{review_task(session, application, 'bedomare')}"
    assert "Väl beskrivet" not in client.get(task_url).get_data(as_text=True)

    response = post(client, task_url, review_pairs(4), slutfor="1")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    after = client.get(case_url).get_data(as_text=True)
    assert "Berit Bedömare" in after and "Väl beskrivet" in after
    assert client.get(case_url + "/bedomningar").status_code == 200


def test_formell_kontroll_and_beredning_show_the_case_beside_the_form(
        app, client, session, engine, demo):
    application = submitted_application(session, engine)
    login(client, "handlaggare")
    page = client.get(f"/uppgifter/{open_task(session, application, 'formell_kontroll').id}")
    assert MALGRUPP in summary_text(page.get_data(as_text=True))

    to_review(session, engine, application)
    review_all(session, engine, application)
    page = client.get(f"/uppgifter/{open_task(session, application, 'beredning').id}")
    beside = summary_text(page.get_data(as_text=True))
    assert MALGRUPP in beside and "Bo Bedömare" in beside and "Berit Bedömare" in beside


@pytest.mark.parametrize("amount, task_name", [(90000, "beslut"), (250000, "namndbeslut")])
def test_the_decision_form_starts_from_the_proposal(app, client, session, engine, demo,
                                                    amount, task_name):
    application = submitted_application(
        session, engine, budget=[{"post": "Arvoden", "belopp": amount}], sokt_belopp=amount)
    to_review(session, engine, application)
    review_all(session, engine, application)
    complete(session, engine, application, "beredning",
             {"forslag": "delvis_bifall", "forslag_belopp": amount - 10000,
              "villkor": "Redovisa antalet nattvandrare.",
              "forslag_motivering": "Insatsen bygger på lägesbilden men budgeten är hög.",
              "utbetalningsplan": [{"datum": "2027-02-01", "belopp": amount - 10000}],
              "aterrapportering_datum": "2028-01-31"}, "handlaggare")
    login(client, "beslutsfattare")

    page = client.get(f"/uppgifter/{open_task(session, application, task_name).id}")
    tree = html.fromstring(page.get_data(as_text=True))
    form = tree.xpath("//form[@method='post'][.//*[@name='beslut_motivering']]")[0]
    assert form.xpath(".//input[@name='beslut'][@checked]/@value") == ["delvis_bifall"] or \
        form.xpath(".//select[@name='beslut']/option[@selected]/@value") == ["delvis_bifall"]
    granted = form.xpath(".//input[@name='beviljat_belopp']/@value")[0]
    assert granted.replace("\xa0", "").replace(" ", "") == str(amount - 10000)
    assert form.xpath(".//textarea[@name='beslut_villkor']")[0].text_content().strip() == \
        "Redovisa antalet nattvandrare."
    assert form.xpath(".//textarea[@name='beslut_motivering']")[0].text_content().strip() == \
        "Insatsen bygger på lägesbilden men budgeten är hög."
    beside = summary_text(page.get_data(as_text=True))
    assert MALGRUPP in beside and "Viktat medelvärde" in beside
    assert "Insatsen bygger på lägesbilden men budgeten är hög." in beside  # the proposal


def test_the_follow_up_review_shows_the_report(app, client, session, sessions, engine, demo):
    application = decided(session, engine)
    pay_out(session, engine, application)
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    complete(session, engine, application, "aterrapportering",
             {"genomfort": "Nattvandringar varje helg sedan februari.", "anvant_belopp": 45000,
              "indikator_utfall": [{"indikator": "Trygghet", "utfall": "66 %"}]}, "sokande")
    login(client, "handlaggare")

    page = client.get(f"/uppgifter/{open_task(session, application, 'granska_aterrapport').id}")
    beside = summary_text(page.get_data(as_text=True))
    assert "Nattvandringar varje helg sedan februari." in beside and "66 %" in beside
