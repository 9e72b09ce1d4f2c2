"""One case from a fresh database through every role, in headless Chromium, as users click: the
applicant drafts, attaches a PDF, meets validation errors and submits; the officer asks for
komplettering and accepts the answer; two reviewers score; the officer prepares a two-tranche
payout plan; the decision maker decides and the letter names the deciding body; finance
attests, batches, downloads the files and marks them paid; the follow-up ends in återkrav; a
second case is withdrawn. Every page shown passes axe-core (WCAG 2.1 A/AA) and reflows at
320 px and at 200 % zoom. The tests share one server and run in order."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import Base, make_engine
from app.demo import load_demo
from app.engine.timers import run_due_timers
from app.formatting import local_today
from app.grants.models import Application
from tests.attachment_files import SMALL, pdf_bytes
from tests.browser import Site, field, group, live_server, require_axe
from tests.conftest import make_test_app
from tests.factories import (
    complete,
    decision_data,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)
from tests.test_letters import pdf_text
from tests.test_process_full import make_timers_due

pytestmark = pytest.mark.browser

TITLE = "Nattvandring i Flemingsberg"
CRITERIA = ["Problemanalys och koppling till lägesbilden", "Målgrupp och räckvidd",
            "Kunskapsgrund", "Samverkan", "Mätbara mål och uppföljning", "Budgetens rimlighet",
            "Långsiktig hållbarhet"]
SECOND_TITLE = "Belysning i Vårby"


@pytest.fixture(scope="module")
def site(tmp_path_factory, chromium):
    """The app on a fresh SQLite database with the demo users, served on 127.0.0.1."""
    require_axe()
    url = f"sqlite:///{tmp_path_factory.mktemp('walk') / 'walk.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = make_test_app(url)
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
    with live_server(app) as base_url:
        site = Site(app, base_url, chromium)
        yield site
        site.close()
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="module")
def case() -> dict:
    """What the walk learns on the way (ids, numbers), for the later steps."""
    return {}


def application_row(site, title: str) -> Application:
    with site.app.extensions["read_sessions"]() as session:
        return session.scalars(select(Application).where(Application.title == title)).one()


def iso(days: int = 0) -> str:
    return (local_today() + timedelta(days=days)).isoformat()


def status(page):
    """The case page's status."""
    return page.locator("dt", has_text=re.compile("^Status$")).locator("+ dd")


def open_task(site, page, task: str, title: str = TITLE) -> None:
    """From the inbox, open the named task of the case with this title."""
    if not page.url.endswith("/uppgifter"):
        site.goto(page, "/uppgifter")
    row = page.get_by_role("row").filter(has_text=title)
    site.click(page, row.get_by_role("link", name=task))


def fill_application(page, *, sokt_belopp: str) -> None:
    field(page, "Kort beskrivning").fill("Vuxna nattvandrar fredag och lördag kväll.")
    contact = group(page, "Kontaktperson")
    field(contact, "Namn").fill("Sara Sökande")
    field(contact, "E-postadress").fill("sara@huddinge.example")
    page.get_by_role("radio", name="Social brottsprevention").check()
    page.get_by_role("checkbox", name="Nattvandring").check()
    field(page, "Kommundelar där insatsen genomförs").select_option("Flemingsberg")
    field(page, "Problem och insats").fill("Lägesbilden visar otrygghet kvällstid.")
    field(page, "Målgrupp och räckvidd").fill("Ungdomar 13–19 år kring stationen kvällstid.")
    field(page, "Startdatum").fill("2027-02-01")
    field(page, "Slutdatum").fill("2027-12-31")
    budget = group(page, "Budget")
    field(budget, "Kostnadspost").fill("Arvoden")
    field(budget, "Belopp (kr)").fill("90000")
    field(page, "Sökt belopp (kr)").fill(sokt_belopp)
    results = group(page, "Förväntade resultat och indikatorer")
    field(results, "Indikator").fill("Upplevd trygghet")
    field(results, "Utgångsläge").fill("54 %")
    field(results, "Mål").fill("65 %")
    page.get_by_role("checkbox", name=re.compile("Jag intygar")).check()


def test_applicant_drafts_attaches_meets_errors_and_submits(site, case, tmp_path):
    page = site.login("sokande")
    site.click(page, page.get_by_role("link", name="Mina ansökningar"))
    site.click(page, page.get_by_role("button", name="Börja på en ansökan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ansökan")

    field(page, "Insatsens namn").fill(TITLE)
    site.click(page, page.get_by_role("button", name="Spara utkast"))
    expect(page.get_by_text("Utkastet är sparat")).to_be_visible()
    expect(field(page, "Insatsens namn")).to_have_value(TITLE)

    pdf = tmp_path / "Budget nattvandring.pdf"
    pdf.write_bytes(pdf_bytes("Budget nattvandring"))
    field(page, "Bilagor").set_input_files(pdf)
    fill_application(page, sokt_belopp="")
    field(page, "Slutdatum").fill("2027-01-01")
    site.click(page, page.get_by_role("button", name="Skicka in"))
    summary = page.get_by_role("alert").filter(has_text="Det finns fel i formuläret")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("Sökt belopp"))).to_be_visible()
    expect(field(page, "Sökt belopp (kr)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("link", name="Budget nattvandring.pdf")).to_be_visible()

    field(page, "Sökt belopp (kr)").fill("90000")
    site.click(page, page.get_by_role("button", name="Skicka in"))
    expect(summary.get_by_role("link", name=re.compile("Slutdatum"))).to_be_visible()
    expect(field(page, "Slutdatum")).to_have_attribute("aria-invalid", "true")

    field(page, "Slutdatum").fill("2027-12-31")
    site.click(page, page.get_by_role("button", name="Skicka in"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    application = application_row(site, TITLE)
    assert application.diarienummer and application.submitted_at
    expect(page.get_by_text(application.diarienummer).first).to_be_visible()
    expect(page.get_by_role("cell", name="Budget nattvandring.pdf", exact=True)).to_be_visible()
    case.update(id=application.id, diarienummer=application.diarienummer)
    link = page.get_by_role("link", name="Budget nattvandring.pdf").first
    expect(link).to_be_visible(timeout=1000)
    name, data = site.download(page, link)
    assert (name, data) == ("Budget nattvandring.pdf", pdf.read_bytes())
    site.leave(page)


def test_officer_asks_for_komplettering_and_applicant_completes(site, case):
    officer = site.login("handlaggare")
    open_task(site, officer, "Formell kontroll")
    outcome = group(officer, "Utfall av den formella kontrollen")
    outcome.get_by_role("radio", name="Begär komplettering").check()
    group(officer, "Delar som ska kompletteras").get_by_role("checkbox", name="Budget").check()
    field(officer, "Meddelande till sökande").fill("Dela upp arvodena per kväll.")
    field(officer, "Svara senast").fill(iso(days=14))
    site.click(officer, officer.get_by_role("button", name="Slutför"))
    expect(status(officer)).to_have_text(re.compile("[Kk]omplettering"))

    applicant = site.login("sokande")
    open_task(site, applicant, "Komplettering")
    expect(applicant.get_by_text("Dela upp arvodena per kväll.")).to_be_visible()
    field(group(applicant, "Budget"), "Beskrivning").fill("40 kvällar à 2 250 kr")
    site.click(applicant, applicant.get_by_role("button", name=re.compile("^(Slutför|Skicka)")))
    expect(status(applicant)).to_have_text("Pågår: Formell kontroll")
    site.leave(applicant)
    site.leave(officer)


def test_officer_sees_the_completed_application_beside_the_check(site, case):
    officer = site.login("handlaggare")
    open_task(site, officer, "Formell kontroll")
    expect(officer.get_by_text("40 kvällar à 2 250 kr").first).to_be_visible(timeout=1000)
    site.leave(officer)


def test_officer_searches_sorts_takes_hands_over_and_lets_go(site, case):
    """The list controls by keyboard (search, sort), a bulk take with its confirmation and
    per-row result, the hand-over page, and letting the task go from its page."""
    officer = site.login("handlaggare")
    site.goto(officer, "/uppgifter")
    officer.get_by_label("Sök ärende").fill(TITLE)
    with officer.expect_navigation():
        officer.get_by_label("Sök ärende").press("Enter")
    site.check(officer)
    site.click(officer, officer.get_by_role("link", name=re.compile("^Uppgift")))
    row = officer.get_by_role("row").filter(has_text=TITLE)
    row.get_by_role("checkbox").check()
    site.click(officer, officer.get_by_role("button", name="Ta uppgifterna"))
    site.click(officer, officer.get_by_role("button", name="Bekräfta"))
    expect(officer.get_by_text("1 av 1 uppgift klar.")).to_be_visible()
    site.goto(officer, "/uppgifter")  # a reminder goes to the one who took the task
    officer.get_by_role("row").filter(has_text=TITLE).get_by_role("checkbox").check()
    site.click(officer, officer.get_by_role("button", name="Skicka påminnelse …"))
    site.click(officer, officer.get_by_role("button", name="Bekräfta"))
    expect(officer.get_by_text("Påminnelse skickad till 1 person.")).to_be_visible()
    open_task(site, officer, "Formell kontroll")
    expect(officer.get_by_text("Du har tagit uppgiften.", exact=True)).to_be_visible()
    site.click(officer, officer.get_by_role("link", name="Lämna över till en kollega"))
    site.click(officer, officer.get_by_role("link", name="Formell kontroll"))
    site.click(officer, officer.get_by_role("button", name="Släpp uppgiften"))
    expect(officer.get_by_text("Ingen har tagit uppgiften än.")).to_be_visible()
    site.leave(officer)


def test_officer_accepts_and_assigns_two_reviewers(site, case):
    """Formal check from the task's form; the reviewers through the bulk action."""
    officer = site.login("handlaggare")
    open_task(site, officer, "Formell kontroll")
    group(officer, "Utfall av den formella kontrollen").get_by_role(
        "radio", name=re.compile("^Komplett")).check()
    site.click(officer, officer.get_by_role("button", name="Slutför"))
    # The bulk assignment from Mina uppgifter (the task's own form: the second case below).
    site.goto(officer, "/uppgifter")
    officer.get_by_role("row").filter(has_text=TITLE).get_by_role("checkbox").check()
    site.click(officer, officer.get_by_role("button", name="Tilldela bedömare …"))
    reviewers = group(officer, "Bedömare")
    reviewers.get_by_role("checkbox", name=re.compile("^Bo Bedömare")).check()
    reviewers.get_by_role("checkbox", name=re.compile("^Berit Bedömare")).check()
    field(officer, "Sista dag för bedömning").fill(iso(days=21))
    site.click(officer, officer.get_by_role("button", name="Bekräfta"))
    expect(officer.get_by_text("2 bedömare tilldelade.")).to_be_visible()
    site.click(officer, officer.get_by_role("link", name="Tilldela bedömare", exact=True))
    expect(status(officer)).to_have_text("Pågår: Bedömning")
    site.leave(officer)


def review(site, username: str, score: str) -> None:
    page = site.login(username)
    open_task(site, page, "Bedömning")
    group(page, "Jäv").get_by_role("radio", name="Jag är inte jävig").check()
    criteria = group(page, "Bedömning per kriterium")
    for name in CRITERIA:
        criterion = group(criteria, name)
        criterion.get_by_role("radio", name=re.compile(f"^{score}")).check()
        field(criterion, "Motivering").fill("Väl beskrivet i ansökan.")
    group(page, "Din rekommendation").get_by_role("radio", name="Bifall", exact=True).check()
    site.click(page, page.get_by_role("button", name="Slutför"))
    expect(page.get_by_role("status")).to_contain_text("Bedömning")
    site.leave(page)


def test_two_reviewers_score_the_case(site, case):
    review(site, "bedomare", "4")
    review(site, "bedomare2", "5")
    reviewer = site.login("bedomare")
    site.click(reviewer, reviewer.get_by_role("link", name=case["diarienummer"]))
    expect(reviewer.get_by_role("heading", name="Bedömningar").first).to_be_visible()
    site.leave(reviewer)


def test_officer_prepares_a_two_tranche_payout_plan(site, case):
    officer = site.login("handlaggare")
    open_task(site, officer, "Beredning")
    expect(officer.get_by_role("heading", name="Bedömningar")).to_be_visible()
    group(officer, "Förslag till beslut").get_by_role("radio", name="Bifall", exact=True).check()
    field(officer, "Föreslaget belopp (kr)").fill("90000")
    field(officer, "Motivering").fill("Insatsen svarar mot lägesbilden i Flemingsberg.")
    field(officer, "Datum för återrapportering").fill("2028-01-31")
    plan = group(officer, "Utbetalningsplan")
    for number in (1, 2):
        if not group(plan, f"Rad {number}").count():
            site.click(officer, plan.get_by_role("button", name=re.compile("^Lägg till rad")))
    first, second = group(plan, "Rad 1"), group(plan, "Rad 2")
    field(first, "Utbetalningsdag").fill(iso())
    field(first, "Belopp (kr)").fill("45000")
    field(second, "Utbetalningsdag").fill("2027-08-01")
    field(second, "Belopp (kr)").fill("45000")
    field(second, "Villkor för utbetalningen").fill("Efter godkänd delrapport")
    site.click(officer, officer.get_by_role("button", name="Slutför"))
    expect(status(officer)).to_have_text(re.compile("[Bb]eslut"))
    site.leave(officer)


def test_decision_maker_decides_and_the_letter_names_the_deciding_body(site, case):
    decider = site.login("beslutsfattare")
    open_task(site, decider, "Beslut")
    preview = site.fetch(decider, decider.get_by_role("link", name="Förhandsgranska beslutsbrev"))
    assert preview.headers["content-type"] == "application/pdf"
    assert "Kommunstyrelsen beviljar" in pdf_text(preview.body())
    group(decider, "Beslut").get_by_role("radio", name="Bifall", exact=True).check()
    field(decider, "Motivering").fill("Insatsen bygger på lägesbilden och har tydliga mål.")
    decider.get_by_role("checkbox", name=re.compile("^Jag är inte jävig")).check()
    site.click(decider, decider.get_by_role("button", name="Slutför"))
    expect(decider.get_by_text("Beviljat belopp", exact=True)).to_be_visible()
    site.leave(decider)

    applicant = site.login("sokande")
    site.goto(applicant, f"/ansokningar/{case['id']}")
    name, letter = site.download(applicant, applicant.get_by_role(
        "link", name="Beslutsbrev (PDF)"))
    assert name == f"Beslut {case['diarienummer'].replace('/', '-')}.pdf"
    text = pdf_text(letter)
    assert "Kommunstyrelsen beviljar Kultur- och fritidsnämnden bidrag med 90 000 kr" in text
    assert case["diarienummer"] in text
    site.leave(applicant)


def company_case_granted(site) -> str:
    """A bolag's case granted behind the scenes, its one tranche due today; its number."""
    engine = site.app.extensions["engine"]
    with site.app.extensions["read_sessions"]() as session:
        application = submitted_application(session, engine, "sokande2", titel="Kameror",
                                            **SMALL)
        to_review(session, engine, application)
        review_all(session, engine, application)
        plan = [{"datum": iso(), "belopp": 90000}]
        complete(session, engine, application, "beredning",
                 proposal_data("bifall", 90000, utbetalningsplan=plan), "handlaggare")
        complete(session, engine, application, "beslut", decision_data(amount=90000),
                 "beslutsfattare")
        return application.diarienummer


def test_finance_attests_batches_downloads_and_marks_paid(site, case):
    company = company_case_granted(site)  # a bolag is paid by bank: pain.001 too
    finance = site.login("ekonomi")
    site.click(finance, finance.get_by_role("link", name="Ekonomi"))
    to_attest = finance.get_by_role("region", name="Att attestera", exact=True)
    for number in (case["diarienummer"], company):
        to_attest.get_by_role("row").filter(has_text=number).get_by_role(
            "checkbox", name="Attestera").check()
    expect(finance.get_by_role("region", name="Väntar på villkor", exact=True)).to_contain_text(
        "Efter godkänd delrapport")
    site.click(finance, finance.get_by_role("button", name="Attestera valda"))
    attested = finance.get_by_role("region", name=re.compile("^Attesterade"))
    for number in (case["diarienummer"], company):
        attested.get_by_role("row").filter(has_text=number).get_by_role(
            "checkbox", name="Ta med").check()
    site.click(finance, finance.get_by_role("button", name="Skapa batch av valda"))
    expect(finance.get_by_role("heading", level=1)).to_have_text(re.compile("Utbetalningsbatch"))
    files = finance.get_by_role("region", name="Filer", exact=True).get_by_role("link")
    expect(files).to_have_count(4)
    downloaded = dict(site.download(finance, files.nth(index)) for index in range(4))
    assert sorted(name.rsplit(".", 1)[1] for name in downloaded) == ["csv", "se", "xlsx", "xml"]
    assert all(downloaded.values())
    finance.get_by_role("checkbox", name=re.compile("^Jag har kontrollerat att alla")).check()
    site.click(finance, finance.get_by_role("button", name="Markera som utbetald"))
    expect(finance.get_by_text("Utbetald").first).to_be_visible()
    site.goto(finance, f"/ansokningar/{case['id']}")
    payouts = finance.get_by_role("region", name="Utbetalningar", exact=True)
    expect(payouts.get_by_role("row").nth(1)).to_contain_text("Utbetald")
    site.leave(finance)


def test_follow_up_report_ends_in_a_repayment_claim(site, case):
    engine, sessions = site.app.extensions["engine"], site.app.extensions["sessions"]
    with sessions() as session:  # time passes: the report is due
        make_timers_due(session, engine, session.get(Application, case["id"]))
    run_due_timers(sessions, engine)

    applicant = site.login("sokande")
    open_task(site, applicant, "Återrapportering")
    field(applicant, "Vad har genomförts?").fill("Nattvandringar varannan helg.")
    field(applicant, "Använt belopp (kr)").fill("20000")
    outcome = group(applicant, "Utfall per indikator")
    field(outcome, "Indikator").fill("Upplevd trygghet")
    field(outcome, "Utfall").fill("58 %")
    site.click(applicant, applicant.get_by_role("button", name=re.compile("^(Slutför|Skicka)")))
    site.leave(applicant)

    officer = site.login("handlaggare")
    open_task(site, officer, "Granska återrapport")
    group(officer, "Granskning").get_by_role("radio", name=re.compile("återkrav")).check()
    field(officer, "Belopp att återkräva (kr)").fill("25000")
    site.click(officer, officer.get_by_role("button", name="Slutför"))
    expect(status(officer)).to_contain_text("Avslutad med återkrav")
    site.leave(officer)

    finance = site.login("ekonomi")
    site.click(finance, finance.get_by_role("link", name="Ekonomi"))
    site.click(finance, finance.get_by_role("link", name="Återkrav"))
    claims = finance.get_by_role("region", name="Nämnder", exact=True)
    expect(claims).to_contain_text("25 000 kr")
    site.click(finance, claims.get_by_role("button", name=re.compile("^Markera som reglerat")))
    expect(finance.get_by_role("table", name="Reglerade återkrav")).to_contain_text(
        case["diarienummer"])
    site.leave(finance)


def test_reviewer_declares_jav_and_applicant_withdraws_a_second_case(site):
    applicant = site.login("sokande")
    site.click(applicant, applicant.get_by_role("link", name="Mina ansökningar"))
    site.click(applicant, applicant.get_by_role("button", name="Börja på en ansökan"))
    field(applicant, "Insatsens namn").fill(SECOND_TITLE)
    fill_application(applicant, sokt_belopp="90000")
    site.click(applicant, applicant.get_by_role("button", name="Skicka in"))
    second = application_row(site, SECOND_TITLE)

    officer = site.login("handlaggare")
    open_task(site, officer, "Formell kontroll", title=SECOND_TITLE)
    group(officer, "Utfall av den formella kontrollen").get_by_role(
        "radio", name=re.compile("^Komplett")).check()
    site.click(officer, officer.get_by_role("button", name="Slutför"))
    open_task(site, officer, "Tilldela bedömare", title=SECOND_TITLE)
    reviewers = group(officer, "Bedömare")
    reviewers.get_by_role("checkbox", name=re.compile("^Bo Bedömare")).check()
    reviewers.get_by_role("checkbox", name=re.compile("^Berit Bedömare")).check()
    field(officer, "Sista dag för bedömning").fill(iso(days=21))
    site.click(officer, officer.get_by_role("button", name="Slutför"))
    site.leave(officer)

    reviewer = site.login("bedomare2")
    open_task(site, reviewer, "Bedömning", title=SECOND_TITLE)
    declaration = reviewer.locator("details").filter(has_text="Anmäl jäv")
    declaration.get_by_text("Anmäl jäv", exact=True).click()
    field(declaration, "Skäl till jäv").fill("Jag sitter i styrelsen för föreningen.")
    site.click(reviewer, declaration.get_by_role("button", name="Anmäl jäv och lämna ärendet"))
    expect(reviewer.get_by_role("status")).to_contain_text("jävsanmälan är registrerad")
    site.goto(reviewer, "/uppgifter")
    expect(reviewer.get_by_role("row").filter(has_text=SECOND_TITLE)).to_have_count(0)
    site.leave(reviewer)

    site.goto(applicant, f"/ansokningar/{second.id}")
    site.click(applicant, applicant.get_by_role("link", name="Återkalla ansökan"))
    field(applicant, "Skäl (frivilligt)").fill("Insatsen finansieras av nämnden själv.")
    site.click(applicant, applicant.get_by_role("button", name="Ja, återkalla ansökan"))
    expect(status(applicant)).to_contain_text("Återkallad")
    expect(applicant.get_by_role("region", name="Pågående steg", exact=True)).to_have_count(0)
    site.leave(applicant)


def test_the_menus_other_pages_in_swedish_and_english(site, case):
    officer = site.login("handlaggare")
    for name in ("Budget", "Delegationsbeslut", "Utkorg", "Tillgänglighetsredogörelse"):
        site.click(officer, officer.get_by_role("link", name=name, exact=True))
    site.goto(officer, "/ansokningar/999999")
    expect(officer.get_by_role("heading", level=1)).to_be_visible()
    site.goto(officer, f"/ansokningar/{case['id']}")
    site.click(officer, officer.get_by_role("button", name="English"))
    expect(officer.locator("html")).to_have_attribute("lang", "en")
    site.click(officer, officer.get_by_role("link", name="My tasks"))
    site.leave(officer)

    admin = site.login("admin")
    site.click(admin, admin.get_by_role("link", name="Administration"))
    site.click(admin, admin.get_by_role("link", name="Organisationer", exact=True))
    site.click(admin, admin.get_by_role("link", name="Huge Fastigheter AB"))
    site.click(admin, admin.get_by_role("link", name="Administration"))
    site.click(admin, admin.get_by_role("link", name="Fonder och omgångar"))
    site.click(admin, admin.get_by_role("link", name="Skapa fond"))
    site.click(admin, admin.get_by_role("button", name="Skapa fond"))  # errors on the fields
    expect(admin.locator(".error-summary")).to_be_visible()
    site.goto(admin, "/admin/fonder")
    site.click(admin, admin.get_by_role("link", name=re.compile("^Öppna en omgång")))
    site.goto(admin, "/admin/fonder")
    site.click(admin, admin.get_by_role("link", name="Ansökningsomgång 2027"))
    site.click(admin, admin.get_by_role("link", name="Ändra omgången"))
    site.click(admin, admin.get_by_role("link", name="Ansökningsomgång 2027"))
    site.click(admin, admin.get_by_role("link", name="Stäng omgången i förtid"))
    site.click(admin, admin.get_by_role("link", name="Administration"))
    site.click(admin, admin.get_by_role("link", name="Användare", exact=True))
    site.click(admin, admin.get_by_role("link", name="Ny användare"))
    site.click(admin, admin.get_by_role("button", name="Skapa och skicka inbjudan"))
    expect(admin.locator(".error-summary")).to_be_visible()
    site.goto(admin, "/admin/anvandare")
    site.click(admin, admin.get_by_role("link", name="Bo Bedömare"))
    site.click(admin, admin.get_by_role("link", name="Administration"))
    site.click(admin, admin.get_by_role("link", name="Händelselogg"))
    site.goto(admin, "/admin/")
    site.click(admin, admin.get_by_role("link", name=re.compile("^Processversioner")))
    site.goto(admin, "/admin/")
    site.click(admin, admin.get_by_role("link", name="Grupper från inloggningstjänsten"))
    site.goto(admin, "/admin/organisationer/ny")
    site.click(admin, admin.get_by_role("link", name="Byt lösenord"))
    site.goto(admin, "/konto/glomt-losenord")
    site.leave(admin)

    finance = site.login("ekonomi")
    site.click(finance, finance.get_by_role("link", name="Ekonomi"))
    site.click(finance, finance.get_by_role("link", name="Batcher"))
    site.click(finance, finance.get_by_role("link", name="Fondens budget"))
    site.leave(finance)


def test_an_applicant_of_two_organisations_chooses_one(site):
    admin = site.login("admin")
    site.goto(admin, "/admin/organisationer/ny")
    field(admin, "Namn").fill("Vårby BK")
    field(admin, "Typ av organisation").select_option("forening")
    field(admin, "Organisationsnummer").fill("802015-4327")
    admin.get_by_role("radio", name="Bankgiro").check()
    field(admin, "Kontonummer").fill("5050-1056")
    site.click(admin, admin.get_by_role("button", name="Spara"))  # a bad check digit
    expect(admin.locator(".error-summary")).to_contain_text("Kontrollsiffran")
    field(admin, "Kontonummer").fill("5050-1055")
    site.click(admin, admin.get_by_role("button", name="Spara"))
    site.goto(admin, "/admin/anvandare")
    site.click(admin, admin.get_by_role("link", name="Sara Sökande"))
    admin.get_by_role("checkbox", name="Vårby BK").check()
    site.click(admin, admin.get_by_role("button", name="Spara"))
    site.leave(admin)

    applicant = site.login("sokande")
    site.goto(applicant, "/ansokningar")
    site.click(applicant, applicant.get_by_role("button", name="Börja på en ansökan"))
    expect(applicant.locator(".error-summary")).to_contain_text("Välj vilken organisation")
    field(applicant, "Organisation som söker").select_option(label="Vårby BK")
    site.click(applicant, applicant.get_by_role("button", name="Börja på en ansökan"))
    with site.app.extensions["read_sessions"]() as session:
        newest = session.scalars(select(Application).order_by(Application.id.desc())).first()
        assert newest.organisation.name == "Vårby BK"
    site.leave(applicant)


def test_every_page_visited_was_checked(site):
    """The walk's pages: each passed axe and the reflow checks (see the calls above)."""
    checked = {re.sub(r"/[0-9a-f-]{36}|/\d+", "/<id>", path.split("?")[0])
               for path in site.check_page.checked}
    assert {"/logga-in", "/uppgifter", "/ansokningar", "/ansokningar/<id>",
            "/uppgifter/<id>", "/ekonomi/", "/ekonomi/batcher/<id>", "/ekonomi/aterkrav",
            "/ansokningar/<id>/aterkalla", "/budget", "/rapporter/delegationsbeslut",
            "/utkorg", "/tillganglighet", "/admin/", "/admin/organisationer",
            "/admin/organisationer/<id>", "/ekonomi/batcher", "/admin/fonder",
            "/admin/fonder/ny", "/admin/fonder/<id>/omgangar/ny", "/admin/fonder/omgangar/<id>",
            "/admin/fonder/omgangar/<id>/andra",
            "/admin/fonder/omgangar/<id>/stang", "/admin/anvandare", "/admin/anvandare/ny",
            "/admin/anvandare/<id>", "/admin/handelser", "/admin/organisationer/ny",
            "/konto/byt-losenord", "/konto/glomt-losenord", "/admin/processer",
            "/admin/sso-grupper", "/uppgifter/valda", "/uppgifter/<id>/lamna"} <= checked, checked
