"""The case's process map as data: each element's state (completed, current, cancelled, not
reached), the flows taken, who did each step and the SLA clock, for a case in every phase
(both databases, the same and a fresh engine), and the routes and list the page serves."""

import json
from datetime import timedelta

from lxml import html

from app.db import utcnow
from app.engine.models import ProcessInstance
from app.engine.process_map import diagram_of
from app.grants import applications
from app.grants.case_map import case_map
from app.web.process_map import duration_words
from tests.conftest import login
from tests.factories import (
    complete,
    decision_data,
    make_application,
    pay_out,
    review_all,
    submitted_application,
    to_review,
    user,
)
from tests.test_process_full import decided, make_timers_due, proposed

KOMPLETTERING = {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
                 "komplettering_delar": ["malgrupp"], "kontroll_meddelande": "Beskriv målgruppen."}


def the_map(session, engine, application, username="handlaggare", now=None):
    session.expire_all()
    return case_map(session, engine, user(session, username), application, now or utcnow(), "sv")


def states(result, *ids):
    by_id = {s.element.id: s.state for s in result.steps}
    return {i: by_id[i] for i in ids} if ids else by_id


def current(result):
    return sorted(s.element.id for s in result.steps if s.state == "current")


def step(result, element_id):
    return next(s for s in result.steps if s.element.id == element_id)


def test_a_draft_is_at_the_application_and_nothing_else_is_reached(session, engine, demo):
    application = make_application(session, engine)
    result = the_map(session, engine, application, "sokande")
    assert current(result) == ["ansokan"]
    assert states(result, "start", "handlaggning", "formell_kontroll", "avslutad") == {
        "start": "completed", "handlaggning": "not_reached", "formell_kontroll": "not_reached",
        "avslutad": "not_reached"}
    assert result.flows_taken == ["Flow_start_ansokan"]
    assert [s.element.id for s in result.listed()][:2] == ["start", "ansokan"]


def test_a_submitted_case_waits_in_the_formal_check(session, engine, demo):
    application = submitted_application(session, engine)
    result = the_map(session, engine, application)
    assert current(result) == ["formell_kontroll", "handlaggning"]
    assert states(result, "ansokan", "registrering", "forbered", "tilldela_bedomare") == {
        "ansokan": "completed", "registrering": "completed", "forbered": "completed",
        "tilldela_bedomare": "not_reached"}
    assert set(result.flows_taken) == {
        "Flow_start_ansokan", "Flow_ansokan_handlaggning", "Flow_hstart_registrering",
        "Flow_registrering_forbered", "Flow_forbered_kontroll"}
    ansokan = step(result, "ansokan")
    assert [r.done_by for r in ansokan.runs] == ["Sara Sökande"]
    assert ansokan.completed_at is not None and ansokan.duration >= timedelta(0)
    listed = [s.element.id for s in result.listed()]
    assert listed.index("ansokan") < listed.index("registrering") < listed.index(
        "formell_kontroll") < listed.index("tilldela_bedomare")
    assert "kontroll_gateway" not in listed  # gateways decide; they are not steps


def test_komplettering_then_expiry_marks_the_loop_and_the_cancelled_task(
        session, sessions, engine, demo):
    from app.engine.timers import run_due_timers

    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll", KOMPLETTERING, "handlaggare")
    result = the_map(session, engine, application)
    assert current(result) == ["handlaggning", "komplettering"]
    assert states(result, "formell_kontroll", "skicka_komplettering") == {
        "formell_kontroll": "completed", "skicka_komplettering": "completed"}
    komplettering = step(result, "komplettering")
    assert komplettering.due_at is not None
    assert result.seconds_left(komplettering) > 0
    make_timers_due(session, engine, application)
    assert run_due_timers(sessions, engine) == 1
    result = the_map(session, engine, application)
    assert current(result) == ["formell_kontroll", "handlaggning"]  # back, a second time
    assert states(result, "komplettering", "komplettering_frist_ute", "frist_utgangen") == {
        "komplettering": "cancelled", "komplettering_frist_ute": "completed",
        "frist_utgangen": "completed"}
    assert {"Flow_skicka_komplettering", "Flow_frist_ute", "Flow_frist_kontroll"} <= set(
        result.flows_taken)
    assert "Flow_komplettering_kontroll" not in result.flows_taken  # no answer came
    assert len(step(result, "formell_kontroll").runs) == 2


def test_review_is_current_with_one_clock_per_open_review(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application, deadline="2030-01-31")
    review_all(session, engine, application, reviewers=("bedomare",))
    result = the_map(session, engine, application)
    assert current(result) == ["bedomning", "handlaggning"]
    bedomning = step(result, "bedomning")
    assert sorted(r.outcome or "open" for r in bedomning.runs) == ["completed", "open"]
    assert bedomning.due_at.astimezone().date().isoformat() >= "2030-01-31"
    # the clock: time left now, and overdue (in days) once the due date has passed
    assert result.seconds_left(bedomning) > 0
    late = the_map(session, engine, application, now=bedomning.due_at + timedelta(days=2, hours=1))
    assert late.seconds_left(step(late, "bedomning")) == -int(timedelta(days=2, hours=1)
                                                             .total_seconds())
    # the waiting reminder timer is an exit the case may take, not a step it is at
    assert states(result, "bedomning_paminnelse_timer", "aterkallelse") == {
        "bedomning_paminnelse_timer": "not_reached", "aterkallelse": "not_reached"}


def test_reviewers_names_are_the_staffs_and_each_reviewers_own(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    review_all(session, engine, application)
    officer = step(the_map(session, engine, application), "bedomning")
    assert sorted(r.done_by for r in officer.runs) == ["Berit Bedömare", "Bo Bedömare"]
    reviewer = step(the_map(session, engine, application, "bedomare"), "bedomning")
    mine = user(session, "bedomare").display_name
    assert sorted(r.done_by for r in reviewer.runs if r.done_by) == [mine]
    applicant = the_map(session, engine, application, "sokande")
    assert [r.done_by for r in step(applicant, "bedomning").runs] == [None, None]
    assert [r.done_by for r in step(applicant, "formell_kontroll").runs] == [None]
    assert [r.done_by for r in step(applicant, "ansokan").runs] == ["Sara Sökande"]
    assert states(applicant) == states(the_map(session, engine, application))


def test_a_decided_grant_waits_for_the_payout(session, engine, demo):
    application = proposed(session, engine, "bifall", 90000)
    result = the_map(session, engine, application)
    assert current(result) == ["beslut", "handlaggning"]
    assert states(result, "namndbeslut", "reservera", "delegation") == {
        "namndbeslut": "not_reached", "reservera": "completed", "delegation": "completed"}
    complete(session, engine, application, "beslut", decision_data("bifall", 90000),
             "beslutsfattare")
    result = the_map(session, engine, application)
    assert current(result) == ["vanta_utbetalning"]
    assert states(result, "handlaggning", "handlaggning_beslutad", "efter_handlaggning",
                  "avslag") == {
        "handlaggning": "completed", "handlaggning_beslutad": "completed",
        "efter_handlaggning": "completed", "avslag": "not_reached"}
    assert {"Flow_handlaggning_utfall", "Flow_beviljat"} <= set(result.flows_taken)
    assert "Flow_utfall_avslag" not in result.flows_taken
    assert step(result, "beslut").runs[0].done_by == user(session, "beslutsfattare").display_name


def test_the_follow_up_then_the_end(session, sessions, engine, demo):
    from app.engine.timers import run_due_timers

    application = decided(session, engine, "bifall", 90000)
    pay_out(session, engine, application)
    result = the_map(session, engine, application)
    assert current(result) == ["vanta_aterrapportering"]
    assert states(result, "vanta_utbetalning", "steg_registrera_utbetalning") == {
        "vanta_utbetalning": "completed", "steg_registrera_utbetalning": "completed"}
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    result = the_map(session, engine, application)
    assert current(result) == ["aterrapportering"]
    assert "Flow_skicka_aterrapportering" in result.flows_taken
    complete(session, engine, application, "aterrapportering",
             {"genomfort": "Nattvandringar varje helg.", "anvant_belopp": 90000,
              "indikator_utfall": [{"indikator": "Trygghet", "utfall": "66 %"}]}, "sokande")
    complete(session, engine, application, "granska_aterrapport", {"granskning": "godkand"},
             "handlaggare")
    result = the_map(session, engine, application)
    assert current(result) == []
    assert states(result, "granska_aterrapport", "villkor_uppfyllda", "avslutad",
                  "avslutad_aterkrav") == {
        "granska_aterrapport": "completed", "villkor_uppfyllda": "completed",
        "avslutad": "completed", "avslutad_aterkrav": "not_reached"}
    assert {"Flow_godkand", "Flow_villkor_avslutad"} <= set(result.flows_taken)
    assert "Flow_aterkrav" not in result.flows_taken
    listed = [s.element.id for s in result.listed() if s.state == "completed"]
    assert listed[-1] == "avslutad" and listed.index("beslut") < listed.index("aterrapportering")


def test_a_rejection_ends_at_avslag(session, engine, demo):
    application = proposed(session, engine, "avslag", 0)
    complete(session, engine, application, "beslut", decision_data("avslag"), "beslutsfattare")
    result = the_map(session, engine, application)
    assert current(result) == []
    assert states(result, "avslag", "vanta_utbetalning") == {
        "avslag": "completed", "vanta_utbetalning": "not_reached"}
    assert "Flow_utfall_avslag" in result.flows_taken
    assert [s.element.id for s in result.listed() if s.state != "not_reached"][-1] == "avslag"


def test_a_withdrawal_cancels_the_handling_and_ends_at_aterkallad(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    applications.withdraw_application(session, engine, user(session, "sokande"),
                                      application.id, "Finansieras på annat sätt.")
    session.commit()
    result = the_map(session, engine, application)
    assert current(result) == []
    assert states(result, "handlaggning", "bedomning", "aterkallelse", "aterkallad") == {
        "handlaggning": "cancelled", "bedomning": "cancelled", "aterkallelse": "completed",
        "aterkallad": "completed"}
    assert {"Flow_aterkallelse", "Flow_aterkallelse_meddela", "Flow_aterkallelse_slut"} <= set(
        result.flows_taken)
    assert sorted(r.outcome for r in step(result, "bedomning").runs) == ["cancelled"] * 2


def test_the_diagram_is_the_version_the_case_runs_on(session, engine, demo):
    application = submitted_application(session, engine)
    version = application.instance.process_version
    diagram = diagram_of(engine, version, "en")
    names = {e.id: e.name for e in diagram.elements}
    assert names["formell_kontroll"] == "Formal check"
    assert diagram.flows[("start", "ansokan")] == ("Flow_start_ansokan",)
    # the diagram an English reader gets names the steps in English; the Swedish one is the file
    assert 'id="formell_kontroll" name="Formal check"' in diagram.xml
    swedish = diagram_of(engine, version, "sv")
    assert swedish.xml == next(text for name, text in version.sources.items()
                               if name.endswith(".bpmn"))


def test_durations_in_words():
    assert duration_words(timedelta(days=3, hours=5)) == "3 dagar"
    assert duration_words(timedelta(days=1)) == "1 dag"
    assert duration_words(timedelta(hours=5, minutes=59)) == "5 timmar"
    assert duration_words(timedelta(minutes=1)) == "1 minut"
    assert duration_words(timedelta(seconds=20)) == "under en minut"


def test_the_routes_give_the_diagram_and_the_states_to_whoever_may_see_the_case(
        client, session, engine, demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll", KOMPLETTERING, "handlaggare")
    login(client, "sokande")
    response = client.get(f"/ansokningar/{application.id}/processkarta.json")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert data["elements"]["komplettering"]["state"] == "current"
    assert data["elements"]["komplettering"]["clock"].endswith("kvar")
    assert data["elements"]["formell_kontroll"]["state"] == "completed"
    facts = dict(data["elements"]["formell_kontroll"]["facts"])
    assert facts["Roll"] == "Handläggare" and "Utfört av" not in facts  # not the officer's name
    assert "Flow_ansokan_handlaggning" in data["flows"]
    diagram = client.get(f"/ansokningar/{application.id}/processkarta.bpmn")
    assert diagram.status_code == 200 and diagram.mimetype == "application/xml"
    assert b'id="komplettering"' in diagram.data
    login(client, "sokande2")  # another organisation: no such case
    assert client.get(f"/ansokningar/{application.id}/processkarta.json").status_code == 404
    assert client.get(f"/ansokningar/{application.id}/processkarta.bpmn").status_code == 404
    login(client, "handlaggare")
    data = client.get(f"/ansokningar/{application.id}/processkarta.json").get_json()
    facts = dict(data["elements"]["formell_kontroll"]["facts"])
    assert facts["Utfört av"] == user(session, "handlaggare").display_name


def test_without_javascript_the_case_page_lists_the_steps_in_order(client, session, engine,
                                                                    demo):
    application = submitted_application(session, engine)
    login(client, "handlaggare")
    tree = html.fromstring(client.get(f"/ansokningar/{application.id}").get_data(as_text=True))
    items = tree.xpath("//ol[@class='process-steps']/li")
    ids = [li.get("id") for li in items]
    assert ids[:3] == ["steg-start", "steg-ansokan", "steg-handlaggning"]
    assert ids.index("steg-registrering") < ids.index("steg-formell_kontroll")
    kontroll = tree.xpath("//li[@id='steg-formell_kontroll']")[0]
    assert "Pågår" in kontroll.text_content()
    ansokan = tree.xpath("//li[@id='steg-ansokan']")[0]
    assert "Sara Sökande" in ansokan.text_content() and "Klart" in ansokan.text_content()
    unreached = tree.xpath("//details[@class='process-unreached']//li/@id")
    assert "steg-beslut" in unreached and "steg-formell_kontroll" not in unreached
    assert tree.xpath("//div[@class='process-map-figure']/@data-states") == [
        f"/ansokningar/{application.id}/processkarta.json"]


def test_a_state_that_cannot_be_read_leaves_the_case_page_up_with_a_notice(
        client, session, engine, demo):
    application = submitted_application(session, engine)
    instance = session.get(ProcessInstance, application.process_instance_id)
    instance.state = '{"broken": true}'
    session.commit()
    login(client, "handlaggare")
    page = client.get(f"/ansokningar/{application.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Processkartan kan inte visas" in text and application.title in text
    response = client.get(f"/ansokningar/{application.id}/processkarta.json")
    assert response.status_code == 409
