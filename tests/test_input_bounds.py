"""Bounded input: texts have a length limit (also in a draft), amounts a maximum, and a page
with the longest allowed text still renders fast."""

import time

import lxml.html
import pytest
from sqlalchemy import select

from app.engine.models import HumanTask
from app.engine.timers import run_due_timers
from app.errors import InvalidInput
from app.formatting import kronor, local_today
from app.grants import applications
from tests.attachment_files import SMALL
from tests.conftest import csrf_token, login
from tests.factories import (
    application_data,
    complete,
    formdata,
    open_task,
    pay_out,
    review_data,
    submitted_application,
    to_review,
    user,
)
from tests.test_attachments_web import new_application_task, post
from tests.test_process_full import decided, make_timers_due

HUGE = "Lorem ipsum dolor sit amet. " * 15000  # 420 KB
# Markdown that costs the most per character (unclosed link brackets): 400 KB took 10 s.
WORST_MARKDOWN = "[" * 5000


def errors_of(page: str, name: str) -> str:
    tree = lxml.html.fromstring(page)
    return " ".join(" ".join(tree.xpath(
        f"//div[contains(@class,'field-error')][.//*[@name='{name}']]//p[@class='error']"
        "//text()")).split())  # one plain space, also for the no-break spaces in numbers


def test_a_draft_with_a_text_over_its_limit_is_refused_and_the_text_kept(client, demo,
                                                                         sessions):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)

    started = time.perf_counter()
    response = post(client, task_url, formdata(application_data(beskrivning=HUGE, **SMALL)),
                    spara_utkast="1")
    elapsed = time.perf_counter() - started

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "högst 10000 tecken" in errors_of(page, "beskrivning")
    kept = lxml.html.fromstring(page).xpath("string(//textarea[@name='beskrivning'])")
    assert kept.strip() == HUGE.strip()
    assert elapsed < 2
    with sessions() as session:
        assert session.scalars(select(HumanTask.draft)).one() is None


def test_a_draft_with_an_amount_over_the_maximum_is_refused(client, demo, sessions):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)

    response = post(client, task_url, formdata({"sokt_belopp": 10**20}), spara_utkast="1")

    assert response.status_code == 422
    assert "högst 1 500 000" in errors_of(response.get_data(as_text=True), "sokt_belopp")


def test_a_komplettering_message_over_its_limit_is_refused(session, engine, demo):
    application = submitted_application(session, engine)
    with pytest.raises(InvalidInput) as err:
        complete(session, engine, application, "formell_kontroll",
                 {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
                  "komplettering_delar": ["beskrivning"], "kontroll_meddelande": HUGE},
                 "handlaggare")
    assert "kontroll_meddelande" in err.value.errors


def test_the_komplettering_page_with_the_longest_message_renders_fast(client, session, engine,
                                                                      demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
              "komplettering_delar": ["beskrivning"], "kontroll_meddelande": WORST_MARKDOWN},
             "handlaggare")
    task = open_task(session, application, "komplettering")
    login(client, "sokande")

    started = time.perf_counter()
    response = client.get(f"/uppgifter/{task.id}")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert WORST_MARKDOWN in response.get_data(as_text=True)
    assert elapsed < 1.5


def test_a_reviewer_recommends_at_most_the_requested_amount(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    review = review_data()
    review["bedomning"]["rekommenderat_belopp"] = int(application.requested_amount) + 1

    task = session.scalars(select(HumanTask).where(HumanTask.task_name == "bedomning",
                                                   HumanTask.assignee == "bedomare")).one()

    def submit(data):
        applications.complete_task(session, engine, user(session, "bedomare"), task.id, data,
                                   local_today())

    with pytest.raises(InvalidInput) as err:
        submit(review)

    assert err.value.errors == {"bedomning.rekommenderat_belopp": [
        f"Högst det sökta beloppet: {kronor(application.requested_amount)}."]}
    session.rollback()
    review["bedomning"]["rekommenderat_belopp"] = int(application.requested_amount)
    submit(review)


def test_the_follow_up_reports_at_most_the_granted_amount_as_used(session, sessions, engine,
                                                                  demo):
    application = decided(session, engine)
    pay_out(session, engine, application)
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    report = {"genomfort": "Nattvandringar varje helg.", "anvant_belopp": 90001,
              "indikator_utfall": [{"indikator": "Trygghet", "utfall": "66 %"}]}

    with pytest.raises(InvalidInput) as err:
        complete(session, engine, application, "aterrapportering", report, "sokande")

    assert err.value.errors == {"anvant_belopp": [
        "Högst det beviljade beloppet: 90\u00a0000\u00a0kr."]}


def test_a_round_id_no_row_can_have_is_not_found(client, demo):
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": str(10**20),
                                                    "csrf_token": csrf_token(client)})
    assert response.status_code == 404


@pytest.mark.parametrize(("field", "changes"), [
    ("motivering", {"motivation": "Insatsen bygger på lägesbilden. " * 400}),
    ("villkor", {"conditions": "Redovisa kvartalsvis. " * 300}),
    ("skal", {"reason": "Skrivfel\x00i beslutet"}),
])
def test_a_decision_correction_refuses_texts_over_their_limit_or_with_hidden_characters(
        session, engine, demo, field, changes):
    from app.grants.decisions import correct_decision
    from app.grants.models import Decision

    decided(session, engine)
    decision = session.scalars(select(Decision)).one()
    texts = {"motivation": "Insatsen bygger på lägesbilden.", "conditions": "",
             "reason": "Skrivfel i beslutet", **changes}

    with pytest.raises(InvalidInput) as err:
        correct_decision(session, user(session, "beslutsfattare"), decision.id, **texts)

    assert list(err.value.errors) == [field]
