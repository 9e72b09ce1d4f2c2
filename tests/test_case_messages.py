"""What the case page and the flashes tell people: honest outcomes, readable history,
withdrawal only before the decision and with notice to the people of the case."""

import pytest
from lxml import html
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import User
from app.formatting import local_today
from app.grants.models import Application
from app.notifications.models import OutboxMessage
from app.payouts.plans import payouts_of
from tests.conftest import csrf_token, login
from tests.factories import (
    complete,
    decision_data,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)

SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


@pytest.fixture
def engine(app):
    """The app's engine (these tests read pages; restarts are proven elsewhere)."""
    return app.extensions["engine"]


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def flashes(client, url="/uppgifter") -> list[str]:
    page = html.fromstring(client.get(url).get_data(as_text=True))
    return [p.text_content() for p in page.xpath("//p[contains(@class, 'flash')]")]


def history(client, application_id) -> list[str]:
    page = html.fromstring(client.get(f"/ansokningar/{application_id}").get_data(as_text=True))
    return [row.xpath("string(td[2])") for row in
            page.xpath("//section[@aria-labelledby='historik']//tbody/tr")]


def decided(session, engine) -> Application:
    application = submitted_application(session, engine, **SMALL)
    to_review(session, engine, application)
    review_all(session, engine, application)
    complete(session, engine, application, "beredning",
             proposal_data("bifall", 90000, utbetalningsplan=[
                 {"datum": local_today().isoformat(), "belopp": 90000}]), "handlaggare")
    complete(session, engine, application, "beslut", decision_data("bifall", 90000),
             "beslutsfattare")
    return application


def test_requesting_komplettering_says_so_and_history_keeps_the_deadline(client, demo,
                                                                         session, engine):
    application = submitted_application(session, engine)
    login(client, "handlaggare")
    page = html.fromstring(client.get("/uppgifter").get_data(as_text=True))
    url = next(a.get("href") for a in page.xpath("//table//a")
               if a.text_content().strip() == "Formell kontroll")
    response = client.post(url, data=MultiDict([
        ("kontroll_utfall", "komplettering"), ("komplettering_delar", "budget"),
        ("kontroll_meddelande", "Budgeten saknar kostnad för västar."),
        ("komplettering_frist", "2099-03-31"), ("slutfor", "1"),
        ("csrf_token", csrf_token(client, url))]))
    assert response.status_code == 302
    [message] = flashes(client, f"/ansokningar/{application.id}")
    assert "Formell kontroll är klar" not in message
    assert "Komplettering är begärd" in message and "sökande" in message
    assert "2099-03-31" in message
    lines = history(client, application.id)
    assert "Komplettering begärd: ska lämnas av sökande senast 2099-03-31" in lines


def test_withdrawal_is_neither_offered_nor_accepted_after_the_decision(client, demo, session,
                                                                       engine, sessions):
    application = decided(session, engine)
    login(client, "sokande")
    case_url = f"/ansokningar/{application.id}"
    page = html.fromstring(client.get(case_url).get_data(as_text=True))
    assert not page.xpath("//a[contains(@href, '/aterkalla')]")
    assert client.get(case_url + "/aterkalla").status_code == 409
    response = client.post(case_url + "/aterkalla", data={
        "orsak": "Vi vill inte längre.", "csrf_token": csrf_token(client, case_url)})
    assert response.status_code == 409
    with sessions() as fresh:
        assert fresh.get(Application, application.id).status != "Återkallad"


def test_withdrawal_is_offered_before_the_decision_and_notifies_applicant_and_officer(
        client, demo, session, engine, sessions):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplett"}, "handlaggare")
    login(client, "sokande")
    case_url = f"/ansokningar/{application.id}"
    page = html.fromstring(client.get(case_url).get_data(as_text=True))
    assert page.xpath("//a[contains(@href, '/aterkalla')]")
    response = post(client, case_url + "/aterkalla", {"orsak": "Annan finansiering."})
    assert response.status_code == 302
    with sessions() as fresh:
        messages = fresh.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "aterkallelse")).all()
        users = {u.id: u.username for u in fresh.scalars(select(User))}
        recipients = {users.get(m.recipient_user_id) for m in messages}
        assert {"handlaggare", "sokande"} <= recipients
        assert all("återkallad" in m.subject for m in messages)
        assert all("Annan finansiering." in m.body for m in messages)
    lines = history(client, application.id)
    assert "Ansökan återkallad" in lines
    assert not any("aterkallelse" in line for line in lines)


def test_history_names_the_payout_message_in_words(client, demo, session, engine):
    from tests.factories import pay_out

    application = decided(session, engine)
    pay_out(session, engine, application)
    login(client, "handlaggare")
    lines = history(client, application.id)
    assert "Första utbetalningen gjord" in lines
    assert not any("utbetalning_klar" in line or "Meddelande:" in line for line in lines)


def test_a_batch_of_one_payout_is_told_in_the_singular(client, demo, session, engine):
    application = decided(session, engine)
    [payout] = payouts_of(session, application.id)
    login(client, "ekonomi")
    assert post(client, "/ekonomi/attestera", {"utbetalning": payout.id}).status_code == 302
    client.get("/uppgifter")  # the attest flash is read
    response = post(client, "/ekonomi/batcher", {"urval": "valda", "utbetalning": payout.id,
                                                 "utbetalningsdag": local_today().isoformat()})
    assert response.status_code == 302
    [message] = flashes(client)
    assert ": 1 utbetalning, " in message
