"""Status at a glance, attached files, dates, the application's task list and the notices
a form shows without stopping the task."""

from datetime import timedelta

import pytest
from lxml import html
from werkzeug.datastructures import MultiDict

import app.attachments.models  # noqa: F401  (the table exists before the schema is made)
from app.attachments.models import Attachment
from app.db import utcnow
from app.formatting import STOCKHOLM, file_size
from app.web.display import relative_time
from tests.conftest import csrf_token, login
from tests.factories import (
    complete,
    make_application,
    open_task,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
    user,
)

SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


@pytest.fixture
def engine(app):
    """The app's engine (these tests read pages; restarts are proven elsewhere)."""
    return app.extensions["engine"]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.fromstring(response.get_data(as_text=True))


def test_file_sizes_are_swedish_and_times_relative_with_the_date(app):
    assert file_size(812) == "812\u00a0byte"
    assert file_size(6200) == "6,2\u00a0kB"
    assert file_size(1_400_000) == "1,4\u00a0MB"
    now = utcnow()
    with app.test_request_context():
        assert relative_time(now, now) == f"i dag {now.astimezone(STOCKHOLM):%H:%M}"
        three = now - timedelta(days=3)
        day = three.astimezone(STOCKHOLM).date().isoformat()
        assert relative_time(three, now) == f"3 dagar sedan ({day})"


def test_attached_files_are_links_with_size_and_date(client, demo, session, engine):
    application = submitted_application(session, engine)
    uploaded = utcnow() - timedelta(days=3)
    session.add(Attachment(key="a" * 64, original_name="karta.pdf", content_type="application/pdf",
                           size=6200, sha256="0" * 64,
                           process_instance_id=application.process_instance_id,
                           field="bilagor", uploaded_by_id=user(session, "sokande").id,
                           uploaded_at=uploaded))
    session.commit()
    attachment = session.query(Attachment).one()
    login(client, "handlaggare")
    tree = page(client, f"/ansokningar/{application.id}")
    [row] = tree.xpath("//section[@aria-labelledby='bilagor']//tbody/tr")
    assert row.xpath("td[1]/a/@href") == [f"/bilagor/{attachment.id}"]
    assert row.xpath("string(td[1]/a)") == "karta.pdf"
    assert row.xpath("string(td[2])") == "6,2\u00a0kB"
    day = uploaded.astimezone(STOCKHOLM).date().isoformat()
    assert row.xpath("string(td[3])") == f"3 dagar sedan ({day})"
    assert row.xpath("td[3]/time/@datetime")


def test_status_badges_name_the_kind_in_words_and_class(client, demo, session, engine):
    draft = make_application(session, engine)
    running = submitted_application(session, engine)
    login(client, "sokande")
    tree = page(client, "/ansokningar")
    badges = {row.xpath("string(td[1])").strip(): row.xpath("td[5]/span")[0]
              for row in tree.xpath("//tbody/tr")}
    assert badges["Utkast"].get("class") == "status-badge status-utkast"
    assert badges["Utkast"].xpath("string(strong)") == "Utkast"
    session.refresh(running)
    badge = badges[running.diarienummer]
    assert badge.get("class") == "status-badge status-pagar"
    assert badge.xpath("string(strong)") == "Pågår"
    assert "Formell kontroll" in badge.text_content()
    detail = page(client, f"/ansokningar/{running.id}")
    assert detail.xpath("//dd/span[@class='status-badge status-pagar']/strong/text()") == ["Pågår"]
    assert draft.id != running.id


def test_a_late_task_makes_the_case_forsenad(client, demo, session, engine):
    application = submitted_application(session, engine)
    task = open_task(session, application, "formell_kontroll")
    task.due_at = utcnow() - timedelta(days=1)
    session.commit()
    login(client, "handlaggare")
    detail = page(client, f"/ansokningar/{application.id}")
    assert detail.xpath("//dd/span[@class='status-badge status-forsenad']/strong/text()") == [
        "Försenad"]


def test_the_application_form_has_a_task_list_with_section_states(client, demo, session,
                                                                   engine):
    application = make_application(session, engine)
    task = open_task(session, application, "ansokan")
    login(client, "sokande")
    url = f"/uppgifter/{task.id}"
    draft = MultiDict([("titel", "Trygga kvällar"), ("kort_beskrivning", "Kvällsaktiviteter."),
                       ("kontaktperson-namn", "Sara"), ("kontaktperson-epost", "sara@x.example"),
                       ("beskrivning", "Otrygghet kvällstid."), ("spara_utkast", "1"),
                       ("csrf_token", csrf_token(client, url))])
    assert client.post(url, data=draft).status_code == 302
    tree = page(client, url)
    items = tree.xpath("//nav[@aria-labelledby='delar-rubrik']//li")
    states = {li.xpath("string(a)"): li.xpath("string(strong)") for li in items}
    assert states["Insatsen och kontaktperson"] == "Klar"
    assert states["Problem, insats och målgrupp"] == "Påbörjad"
    assert states["Budget och sökt belopp"] == "Ej påbörjad"
    first = items[0].xpath("a/@href")[0]
    section = tree.xpath(f"//section[@id='{first[1:]}']")[0]
    assert section.xpath(".//input[@name='titel']")
    # The section is marked by its class as well as by its words.
    assert items[0].xpath("strong/@class") == ["task-state task-state-klar"]


def test_conditional_questions_come_from_the_schema(client, demo, session, engine):
    application = submitted_application(session, engine)
    task = open_task(session, application, "formell_kontroll")
    login(client, "handlaggare")
    tree = page(client, f"/uppgifter/{task.id}")
    import json

    rules = json.loads(tree.xpath("string(//script[@class='form-conditions'])"))
    assert {"field": "kontroll_utfall", "values": ["komplettering"],
            "show": ["komplettering_delar", "kontroll_meddelande", "komplettering_frist"]} in rules
    assert tree.xpath("//script[contains(@src, 'conditions.js')]")
    # Without JavaScript every question is there.
    assert tree.xpath("//*[@id='komplettering_frist']") and not tree.xpath("//*[@hidden]")


def test_dates_are_iso_with_the_format_in_the_label(client, demo, session, engine):
    application = submitted_application(session, engine, startdatum="2027-02-01")
    task = open_task(session, application, "formell_kontroll")
    login(client, "handlaggare")
    tree = page(client, f"/uppgifter/{task.id}")
    label = tree.xpath("//label[@for='komplettering_frist']")[0]
    assert "(ÅÅÅÅ-MM-DD)" in label.text_content()
    detail = page(client, f"/ansokningar/{application.id}")
    values = [dd.text_content().strip() for dd in detail.xpath("//dl[@class='data']//dd")]
    assert "2027-02-01" in values
    received = detail.xpath("//dt[.='Inkom']/following-sibling::dd[1]")[0].text_content()
    assert received[:10] == application.submitted_at.astimezone(STOCKHOLM).date().isoformat()


def prepared_case(session, engine):
    application = submitted_application(session, engine, **SMALL)
    to_review(session, engine, application)
    review_all(session, engine, application)
    return application


def test_a_follow_up_before_the_project_ends_is_warned_about_but_allowed(client, demo,
                                                                         session, engine):
    application = prepared_case(session, engine)  # slutdatum 2027-12-31
    task = open_task(session, application, "beredning")
    login(client, "handlaggare")
    url = f"/uppgifter/{task.id}"
    data = proposal_data("bifall", 90000, aterrapportering_datum="2027-06-30",
                         utbetalningsplan=[{"datum": "2027-02-01", "belopp": 90000}])
    pairs = [("forslag", "bifall"), ("forslag_belopp", "90000"),
             ("forslag_motivering", data["forslag_motivering"]),
             ("utbetalningsplan-0-datum", "2027-02-01"), ("utbetalningsplan-0-belopp", "90000"),
             ("aterrapportering_datum", "2027-06-30")]
    saved = MultiDict([*pairs, ("spara_utkast", "1"), ("csrf_token", csrf_token(client, url))])
    assert client.post(url, data=saved).status_code == 302
    tree = page(client, url)
    [notice] = tree.xpath("//div[contains(@class, 'notice-warning')]")
    assert "före projektets slutdatum (2027-12-31)" in notice.text_content()
    done = MultiDict([*pairs, ("slutfor", "1"), ("csrf_token", csrf_token(client, url))])
    response = client.post(url, data=done)
    assert response.status_code == 302  # a notice, not a refusal
    flashes = page(client, "/uppgifter").xpath("//p[contains(@class, 'flash-warning')]")
    assert flashes and "slutdatum" in flashes[0].text_content()


def test_a_follow_up_after_the_project_ends_gets_no_warning(client, demo, session, engine):
    application = prepared_case(session, engine)
    task = open_task(session, application, "beredning")
    login(client, "handlaggare")
    url = f"/uppgifter/{task.id}"
    saved = MultiDict([("forslag", "bifall"), ("aterrapportering_datum", "2028-01-31"),
                       ("spara_utkast", "1"), ("csrf_token", csrf_token(client, url))])
    assert client.post(url, data=saved).status_code == 302
    assert not page(client, url).xpath("//div[contains(@class, 'notice-warning')]")


def test_the_reviewer_help_says_what_the_process_requires(client, demo, session, engine):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll", {"kontroll_utfall": "komplett"},
             "handlaggare")
    task = open_task(session, application, "tilldela_bedomare")
    login(client, "handlaggare")
    help_text = page(client, f"/uppgifter/{task.id}").xpath(
        "string(//p[@id='valda_bedomare--help'])")
    assert "minst två bedömare" in help_text and "1–6" not in help_text


def test_days_since_receipt_are_counted_in_the_singular(client, demo, session, engine):
    application = submitted_application(session, engine)
    application.submitted_at = utcnow() - timedelta(days=1, hours=1)
    session.commit()
    login(client, "sokande")
    detail = page(client, f"/ansokningar/{application.id}")
    received = detail.xpath("//dt[.='Inkom']/following-sibling::dd[1]")[0].text_content()
    assert "(1 dag sedan)" in received


def test_a_condition_on_a_question_the_form_does_not_ask_is_left_out(app):
    from app.forms.sections import conditions

    form = app.extensions["engine"].catalogue.forms["ansokan"]
    assert conditions(form.schema) == [
        {"field": "atgardstyper", "values": ["trygghetskameror"], "show": ["kamera"]}]
    assert conditions(form.subset(["kamera"]).schema) == []


def test_a_case_received_today_says_so(client, demo, session, engine):
    application = submitted_application(session, engine)
    login(client, "sokande")
    detail = page(client, f"/ansokningar/{application.id}")
    received = detail.xpath("//dt[.='Inkom']/following-sibling::dd[1]")[0].text_content()
    assert received.endswith("(i dag)")


@pytest.mark.parametrize(("outcome", "kind", "word"), [("bifall", "beviljad", "Beviljad"),
                                                      ("avslag", "avslag", "Avslag")])
def test_a_decided_case_shows_its_outcome(client, demo, session, engine, outcome, kind, word):
    from tests.factories import decision_data

    application = prepared_case(session, engine)
    amount = 90000 if outcome == "bifall" else 0
    complete(session, engine, application, "beredning", proposal_data(
        outcome, amount, **({"utbetalningsplan": [{"datum": "2027-02-01", "belopp": amount}]}
                            if amount else {})), "handlaggare")
    complete(session, engine, application, "beslut", decision_data(outcome, amount or None),
             "beslutsfattare")
    login(client, "sokande")
    detail = page(client, f"/ansokningar/{application.id}")
    [badge] = detail.xpath("//dd/span[contains(@class, 'status-badge')]")
    assert badge.get("class") == f"status-badge status-{kind}"
    assert badge.xpath("string(strong)") == word
