"""The fund overview and the reference lists in headless Chromium: axe-core finds no WCAG 2.1
A/AA violation, the pages reflow, the charts are images with a name and a description, and
the page obeys the app's Content-Security-Policy (no refusals in the console)."""

import pytest
from playwright.sync_api import expect

from app.db import Base, make_engine
from app.demo import load_demo
from app.formatting import local_today
from tests.browser import DESKTOP, Site, live_server, require_axe
from tests.conftest import make_test_app
from tests.test_overview import three_cases

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory, chromium):
    """The app on a fresh SQLite database with the demo data and three counted cases."""
    require_axe()
    url = f"sqlite:///{tmp_path_factory.mktemp('overview') / 'overview.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = make_test_app(url)
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
        three_cases(session, app.extensions["engine"])
    with live_server(app) as base_url:
        site = Site(app, base_url, chromium)
        yield site
        site.close()
    app.extensions["db_engine"].dispose()


def test_overview_passes_axe_and_names_its_charts(site):
    officer = site.login("handlaggare")
    site.click(officer, officer.get_by_role("link", name="Översikt", exact=True))
    charts = officer.get_by_role("img")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 5
    name = "Ansökningar och belopp per kommundel"
    expect(officer.get_by_role("img", name=name)).to_have_count(1)
    officer.get_by_text("Visa siffrorna som tabell").first.click()
    expect(officer.get_by_role("table", name=name)).to_be_visible()
    site.check(officer)
    site.goto(officer, "/oversikt?fond=x&fran=2027-13-01")  # errors named on the fields
    expect(officer.locator(".error-summary")).to_be_visible()
    site.leave(officer)


def test_overview_obeys_the_content_security_policy(site):
    context = site.browser.new_context(viewport=DESKTOP, locale="sv-SE")
    page = context.new_page()
    refusals = []
    page.on("console", lambda message: "Content Security Policy" in message.text
            and refusals.append(message.text))
    page.goto(site.base_url + "/logga-in")
    page.get_by_label("Användarnamn").fill("beslutsfattare")
    page.get_by_label("Lösenord").fill("demo1234")
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()
    page.goto(site.base_url + "/oversikt")
    expect(page.get_by_role("img").first).to_be_visible()
    assert refusals == []
    context.close()


def test_reference_lists_pass_axe(site):
    admin = site.login("admin")
    site.click(admin, admin.get_by_role("link", name="Administration"))
    site.click(admin, admin.get_by_role("link", name="Kommundelar"))
    site.click(admin, admin.get_by_role("link", name="Problem i lägesbilden och åtgärdsplanen"))
    site.click(admin, admin.get_by_role("button", name="Spara"))  # errors on the fields
    expect(admin.locator(".error-summary")).to_be_visible()
    site.click(admin, admin.get_by_role("link", name="Ändra Skadegörelse och klotter"))
    site.leave(admin)
