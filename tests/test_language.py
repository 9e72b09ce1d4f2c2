"""English for everyone who chose it: log-in, error pages, forms (as data), task names and
statuses (as BPMN data), e-mails and the accessibility statement."""

import json
import re
import shutil

import pytest
from flask import abort
from flask import session as flask_session
from lxml import html
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.config import ROOT
from app.engine.specs import check_catalogue, load_catalogue
from app.errors import Conflict, InvalidInput, NotAllowed
from app.forms import check_definition, load_form
from app.grants.models import Round
from app.grants.operations import SERVICE_OPERATIONS
from app.notifications.models import OutboxMessage
from app.web.statuses import case_status
from tests.conftest import csrf_token, login, make_test_app
from tests.factories import application_data, formdata, open_task, submitted_application
from tests.form_support import render
from tests.test_i18n import switch_language


def page(response) -> html.HtmlElement:
    return html.fromstring(response.get_data(as_text=True))


def labels(tree) -> list[str]:
    return [" ".join(label.text_content().split()) for label in tree.xpath("//label|//legend")]


# Log-in ---------------------------------------------------------------------------------------


def test_the_language_chosen_before_log_in_survives_log_in_and_log_out(client, demo):
    switch_language(client, "en", back_to="/logga-in")
    tree = page(client.get("/logga-in"))
    assert tree.get("lang") == "en"
    assert "Username" in labels(tree) and "Password" in labels(tree)

    login(client, "handlaggare")
    tree = page(client.get("/uppgifter"))
    assert tree.get("lang") == "en" and tree.xpath("//h1")[0].text == "My tasks"

    client.post("/logga-ut", data={"csrf_token": csrf_token(client, "/uppgifter")})
    assert page(client.get("/logga-in")).get("lang") == "en"


def test_the_log_in_form_says_what_is_missing_in_english(client, demo):
    switch_language(client, "en", back_to="/logga-in")
    response = client.post("/logga-in", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Enter your username." in text and "Ange användarnamn." not in text


# Error pages ----------------------------------------------------------------------------------


@pytest.fixture
def failing_app(database_url):
    """An app with a route that fails with each kind of error (added before any request)."""
    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)
    errors = {403: NotAllowed("Du får inte göra det."), 409: Conflict("Steget är redan gjort."),
              422: InvalidInput("Uppgifterna är fel.")}

    @app.route("/fel/<int:status>")
    def fail(status: int):
        if status in errors:
            raise errors[status]
        if status == 500:
            raise RuntimeError("a bug")
        abort(status)

    yield app
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize(("status", "swedish", "english"), [
    (403, "Åtkomst nekad", "Access denied"),
    (404, "Sidan finns inte", "Page not found"),
    (405, "Metoden är inte tillåten", "Method not allowed"),
    (409, "Konflikt", "Conflict"),
    (422, "Felaktiga uppgifter", "Invalid information"),
    (429, "För många försök", "Too many attempts"),
    (500, "Ett fel uppstod", "An error occurred"),
])
def test_error_pages_are_ours_and_in_the_chosen_language(failing_app, status, swedish, english):
    client = failing_app.test_client()
    response = client.get(f"/fel/{status}")
    assert response.status_code == status
    assert page(response).xpath("//h1")[0].text == swedish

    switch_language(client, "en", back_to="/logga-in")
    response = client.get(f"/fel/{status}")
    assert response.status_code == status
    tree = page(response)
    assert tree.get("lang") == "en" and tree.xpath("//h1")[0].text == english
    assert tree.xpath("//a[@href='/']")  # our page, with the way back, not Werkzeug's


def test_a_domain_error_in_english_explains_and_quotes_the_swedish_detail(failing_app):
    client = failing_app.test_client()
    switch_language(client, "en", back_to="/logga-in")
    tree = page(client.get("/fel/409"))
    text = " ".join(tree.text_content().split())
    assert "The case has changed or the step has already been done." in text
    assert tree.xpath("//span[@lang='sv']")[0].text == "Steget är redan gjort."


def test_an_unknown_page_and_a_csrf_error_are_in_english(client, demo):
    switch_language(client, "en", back_to="/logga-in")
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "you are not allowed to see it" in response.get_data(as_text=True)
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": 1})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "The form had expired or lacked its security token." in text
    assert "säkerhetstoken" not in text


# Forms ----------------------------------------------------------------------------------------


def test_a_form_is_drawn_in_english_from_its_x_en_texts():
    swedish = load_form(ROOT / "forms", "formell-kontroll")
    english = swedish.in_language("en")
    assert english.title == "Formal check" and swedish.title == "Formell kontroll"
    assert english.in_language("en") is english and swedish.in_language("sv") is swedish
    tree = render(english.make_form(), english)
    assert "Outcome of the formal check (obligatoriskt)" in labels(tree)  # null translations
    assert "Complete – go on to review" in labels(tree)
    assert any(label.startswith("Reply by") for label in labels(tree))  # and the date hint
    assert "Normally 14 days from today" in tree.text_content()
    assert "Formell kontroll" not in tree.text_content()
    assert "Utfall av den formella kontrollen (obligatoriskt)" in labels(
        render(swedish.make_form(), swedish))


def test_a_select_offers_its_empty_choice_in_the_forms_language(alla):
    def first_options(defn):
        tree = render(defn.make_form(), defn)
        return {o.text for o in tree.xpath("//select[not(@multiple)]/option[1]")}

    assert first_options(alla) == {"Välj …"}
    assert first_options(alla.in_language("en")) == {"Choose …"}


def new_application(client, sessions) -> str:
    """Start an application as the demo applicant; return its form's URL."""
    login(client, "sokande")
    with sessions() as s:
        round_id = s.scalars(select(Round.id)).first()
    response = client.post("/ansokningar/ny", data={"round_id": round_id,
                                                    "csrf_token": csrf_token(client)})
    return response.headers["Location"]


def test_the_application_form_is_english_in_english_mode_and_swedish_by_default(client, demo,
                                                                             sessions):
    task_url = new_application(client, sessions)
    tree = page(client.get(task_url))
    assert "Insatsens namn (obligatoriskt)" in labels(tree)
    assert "Social brottsprevention" in labels(tree)

    switch_language(client, "en", back_to=task_url)
    tree = page(client.get(task_url))
    text = tree.text_content()
    assert tree.xpath("//h1")[0].text == "Application"
    assert "Name of the initiative (required)" in labels(tree)
    assert "Social crime prevention" in labels(tree)
    assert "A short name for the initiative" in text
    assert "Insatsens namn" not in text and "Välj …" not in text


def test_an_english_form_explains_its_errors_in_english(client, demo, sessions):
    task_url = new_application(client, sessions)
    switch_language(client, "en", back_to=task_url)
    bad = application_data(titel="", startdatum="igår", kort_beskrivning="x" * 301,
                           kontaktperson={"namn": "Sara", "epost": "sara@huddinge.example",
                                          "telefon": "ring mig"})
    response = client.post(task_url, data=MultiDict(
        [*formdata(bad), ("csrf_token", csrf_token(client, task_url)), ("slutfor", "1")]))
    assert response.status_code == 422
    tree = page(response)
    summary = " ".join(tree.xpath("//*[contains(@class,'error-summary')]")[0]
                       .text_content().split())
    assert "Name of the initiative: This field is required." in summary
    assert "Enter a date as YYYY-MM-DD." in summary
    assert "Enter a Swedish phone number in digits" in summary
    assert "characters (now 301)." in summary
    assert "obligatoriskt" not in summary and "Ange" not in summary


# The catalogue check --------------------------------------------------------------------------


def without_english(node: dict, *path):
    """Drop the "x-en" of the node at `path` (keys and list positions)."""
    for key in path:
        node = node[key]
    del node["x-en"]


def test_the_catalogue_check_names_file_and_field_lacking_english(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    schema_file = forms / "formell-kontroll-schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    without_english(schema, "properties", "komplettering_frist")
    without_english(schema, "properties", "kontroll_utfall", "oneOf", 0)
    schema_file.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    ui_file = forms / "formell-kontroll-uischema.json"
    ui = json.loads(ui_file.read_text(encoding="utf-8"))
    without_english(ui, "kontroll_meddelande")
    ui_file.write_text(json.dumps(ui, ensure_ascii=False), encoding="utf-8")

    problems = check_catalogue(load_catalogue(ROOT / "processes", forms), SERVICE_OPERATIONS)
    where = "forms/formell-kontroll-schema.json: "
    assert sorted(problems) == sorted([
        where + "'komplettering_frist': \"title\" saknar översättning till engelska "
                "(lägg till \"x-en\": {\"title\": …})",
        where + "'kontroll_utfall' alternativet 'komplett': \"title\" saknar översättning till "
                "engelska (lägg till \"x-en\": {\"title\": …})",
        where + "uischema: 'kontroll_meddelande': \"ui:help\" saknar översättning till "
                "engelska (lägg till \"x-en\": {\"ui:help\": …})",
    ])


def test_the_catalogue_check_names_a_task_lacking_its_english_name(tmp_path):
    processes = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", processes)
    bpmn = processes / "trygghetsfond.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    line = '<spiffworkflow:property name="name:en" value="Formal check" />'
    assert line in text
    bpmn.write_text(text.replace(line, ""), encoding="utf-8")
    problems = check_catalogue(load_catalogue(processes, ROOT / "forms"), SERVICE_OPERATIONS)
    assert problems == ["trygghetsfond.bpmn: trygghetsfond/formell_kontroll: 'Formell kontroll' "
                        "saknar namn på engelska (spiffworkflow-egenskapen name:en)"]


def test_the_catalogue_check_names_a_task_lacking_english_instructions(tmp_path):
    processes = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", processes)
    bpmn = processes / "trygghetsfond.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    cut = re.sub(r'\n *<spiffworkflow:property name="instructions:en" value="Prepare '
                 r'application[^"]*" />', "", text)
    assert cut != text
    bpmn.write_text(cut, encoding="utf-8")
    problems = check_catalogue(load_catalogue(processes, ROOT / "forms"), SERVICE_OPERATIONS)
    assert problems == ["trygghetsfond.bpmn: trygghetsfond/beredning: instruktionerna saknar "
                        "översättning till engelska (spiffworkflow-egenskapen instructions:en)"]


def test_task_instructions_follow_the_language(client, demo, session, engine):
    case = submitted_application(session, engine)
    task_id = open_task(session, case, "formell_kontroll").id
    login(client, "handlaggare")
    swedish = page(client.get(f"/uppgifter/{task_id}")).text_content()
    assert f"Kontrollera ansökan {case.diarienummer} formellt" in " ".join(swedish.split())
    switch_language(client, "en", back_to=f"/uppgifter/{task_id}")
    english = " ".join(page(client.get(f"/uppgifter/{task_id}")).text_content().split())
    assert f"Check application {case.diarienummer} formally" in english
    assert "Complete – the case goes on to review." in english  # the Markdown list survived
    assert "Kontrollera ansökan" not in english


def test_every_real_form_carries_its_english_texts(real_forms):
    for name, definition in real_forms.items():
        assert check_definition(definition, languages=("en",)) == [], name


def test_a_translation_of_a_text_that_is_not_there_is_reported():
    defn = load_form(ROOT / "tests" / "fixtures" / "forms", "enkel")
    defn.schema["properties"]["anteckning"]["x-en"]["description"] = "A note"
    assert check_definition(defn, languages=("en",)) == [
        "'anteckning': \"x-en\" översätter \"description\" som inte finns bredvid"]


# Task names and statuses ----------------------------------------------------------------------


def badges(document) -> list[str]:
    """The status badges of a page as read aloud (the kind, then the detailed status)."""
    return [" ".join(b.text_content().split())
            for b in document.xpath("//span[contains(@class, 'status-badge')]")]


def test_task_names_and_statuses_in_lists_follow_the_language(client, demo, session, engine):
    case = submitted_application(session, engine)
    login(client, "handlaggare")
    inbox = page(client.get("/uppgifter"))
    assert "Formell kontroll" in [a.text for a in inbox.xpath("//table//a")]
    listing = page(client.get("/ansokningar"))
    assert badges(listing) == ["Pågår: Formell kontroll"]

    switch_language(client, "en")
    inbox = page(client.get("/uppgifter"))
    assert "Formal check" in [a.text for a in inbox.xpath("//table//a")]
    listing = page(client.get("/ansokningar"))
    assert badges(listing) == ["In progress: Formal check"]
    detail = page(client.get(f"/ansokningar/{case.id}"))
    assert badges(detail) == ["In progress: Formal check"]
    assert "Formell kontroll" not in detail.text_content()


def test_statuses_set_by_the_case_rules_are_translated(app):
    with app.test_request_context("/"):
        flask_session["lang"] = "en"
        assert case_status("Pågår, väntar till 2027-03-14") == \
            "In progress, waiting until 2027-03-14"
        assert case_status("Beredning / Bedömning") == "Preparation / Review"
        assert case_status("Avslag") == "Rejected"
        assert case_status("Utkast") == "Draft"
    with app.test_request_context("/"):
        assert case_status("Beredning / Bedömning") == "Beredning / Bedömning"


# E-mails and the accessibility statement ------------------------------------------------------


def test_e_mails_are_swedish_with_english_below(session, engine, demo):
    case = submitted_application(session, engine)
    session.expire_all()
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "kvitto")).first()
    swedish, english = message.body.split("In English: ")
    assert message.subject == f"Vi har tagit emot er ansökan {case.diarienummer}"
    assert "Tack för er ansökan" in swedish
    assert english.startswith(f"We have received your application {case.diarienummer}")
    assert f"Case number: {case.diarienummer}" in english and "Kind regards" in english


def test_the_accessibility_statement_has_an_english_version(client, demo):
    tree = page(client.get("/tillganglighet"))
    assert tree.xpath("//h1")[0].text == "Tillgänglighetsredogörelse"
    switch_language(client, "en", back_to="/tillganglighet")
    tree = page(client.get("/tillganglighet"))
    assert tree.get("lang") == "en"
    assert tree.xpath("//h1")[0].text == "Accessibility statement"
    assert "WCAG 2.1 level AA" in tree.text_content()
    assert "Hur tillgänglig" not in tree.text_content()


def test_payout_states_are_translated_from_the_states_the_domain_knows(app):
    from app.payouts.models import PAYOUT_STATES as DOMAIN_STATES
    from app.web.statuses import PAYOUT_STATES, payout_state

    assert {key: str(text) for key, text in PAYOUT_STATES.items()} == DOMAIN_STATES
    with app.test_request_context("/"):
        flask_session["lang"] = "en"
        assert payout_state("waiting") != DOMAIN_STATES["waiting"]
