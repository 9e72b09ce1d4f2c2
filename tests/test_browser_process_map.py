"""The case's process map in headless Chromium under the app's own Content-Security-Policy:
bpmn-js draws the diagram of the case's version, the highlighted elements are the case's
current steps, the completed ones and the flows taken are marked, selecting a step shows its
facts and SLA clock, axe reports no violation; without JavaScript the list says the same. The
shipped diagrams fit a page (no plane over 2,000 px wide) and no label breaks inside a word."""

import pytest
from sqlalchemy import select

from app.config import ROOT
from app.db import Base, make_engine
from app.demo import load_demo
from app.formatting import local_today
from app.grants.models import Application
from tests.browser import (
    DESKTOP,
    axe_violations,
    format_violations,
    live_server,
    require,
    require_axe,
)
from tests.conftest import make_test_app
from tests.factories import review_all, submitted_application, to_review

pytestmark = pytest.mark.browser

VIEWER_JS = ROOT / "app" / "web" / "static" / "vendor" / "bpmn-js" / \
    "bpmn-navigated-viewer.production.min.js"
MARKED_JS = """(marker) => [...document.querySelectorAll('.djs-element.' + marker)]
  .map(e => e.getAttribute('data-element-id')).sort()"""


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):
    """The app on a fresh SQLite database with the demo users and one case in review (one of
    two reviews done), served on 127.0.0.1; yield the base URL and the case's id."""
    require_axe()
    require(VIEWER_JS, "bpmn-js viewer", "run `make node-modules` (copies it to static/)")
    url = f"sqlite:///{tmp_path_factory.mktemp('map') / 'map.db'}"
    db_engine = make_engine(url)
    Base.metadata.create_all(db_engine)
    db_engine.dispose()
    app = make_test_app(url)
    engine = app.extensions["engine"]
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
        application = submitted_application(session, engine, titel="Kartan")
        to_review(session, engine, application, deadline="2030-01-31")
        review_all(session, engine, application, reviewers=("bedomare",))
        case_id = session.scalars(select(Application.id)
                                  .where(Application.title == "Kartan")).one()
    with live_server(app) as base_url:
        yield base_url, case_id, chromium
    app.extensions["db_engine"].dispose()


def logged_in(browser, base_url, username, **options):
    """A tab of the user's, logged in, under the app's real CSP (not bypassed)."""
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base_url + "/logga-in")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill("demo1234")
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()
    return page


def test_the_map_highlights_the_current_steps_and_marks_the_path(served):
    base_url, case_id, browser = served
    page = logged_in(browser, base_url, "handlaggare")
    problems = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(f"{base_url}/ansokningar/{case_id}")
        page.wait_for_selector(".process-map-figure[data-ready='true']")
        # The review is inside Handläggning: the viewer opened that subprocess's plane, or
        # shows the whole process with the subprocess drawn expanded.
        assert "bedomning" in page.evaluate(MARKED_JS, "map-current")
        assert set(page.evaluate(MARKED_JS, "map-current")) <= {"bedomning", "handlaggning"}
        completed = page.evaluate(MARKED_JS, "map-completed")
        assert {"formell_kontroll", "tilldela_bedomare", "skicka_tilldelning"} <= set(completed)
        taken = page.evaluate(MARKED_JS, "map-taken")
        assert {"Flow_komplett", "Flow_tilldela_skicka", "Flow_skicka_bedomning"} <= set(taken)
        assert "Flow_begar_komplettering" not in taken
        not_reached = page.evaluate(MARKED_JS, "map-not-reached")
        assert {"beredning", "beslut"} <= set(not_reached)
        assert not set(completed) & set(not_reached)
        # Selecting the review shows who, when and its SLA clock.
        page.locator(".djs-element[data-element-id='bedomning']").first.click()
        detail = page.locator(".process-map-detail")
        assert "Bedömning – Pågår" in detail.inner_text()
        assert "kvar" in detail.locator(".sla").inner_text()
        assert "Bo Bedömare" in detail.inner_text()
        # From the list (keyboard): the step's button shows it in the map with its facts.
        page.get_by_role("button", name="Visa i kartan: Formell kontroll").press("Enter")
        assert detail.locator("h3").inner_text() == "Formell kontroll – Klart"
        assert page.evaluate("() => document.activeElement.className") == "process-map-detail"
        assert not problems, problems  # no CSP refusal, no script error
    finally:
        page.context.close()


def test_the_case_page_with_the_map_passes_axe(served):
    base_url, case_id, browser = served
    page = logged_in(browser, base_url, "handlaggare", bypass_csp=True)  # to inject axe
    try:
        page.goto(f"{base_url}/ansokningar/{case_id}")
        page.wait_for_selector(".process-map-figure[data-ready='true']")
        page.locator(".djs-element[data-element-id='bedomning']").first.click()
        violations = axe_violations(page)
        assert not violations, format_violations(violations)
    finally:
        page.context.close()


def test_without_javascript_the_steps_are_a_list(served):
    base_url, case_id, browser = served
    page = logged_in(browser, base_url, "sokande", java_script_enabled=False)
    try:
        page.goto(f"{base_url}/ansokningar/{case_id}")
        assert page.locator(".process-map-figure").is_hidden()
        steps = page.locator("ol.process-steps > li")
        ids = [steps.nth(i).get_attribute("id") for i in range(steps.count())]
        assert ids.index("steg-ansokan") < ids.index("steg-formell_kontroll") < ids.index(
            "steg-bedomning")
        review = page.locator("#steg-bedomning").inner_text()
        assert "Pågår" in review and "kvar" in review
        assert "Bo Bedömare" not in review  # the applicant does not learn the reviewers
    finally:
        page.context.close()


# Every labelled element's rendered lines, and each plane's drawn width.
LABELS_JS = """async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  await viewer.importXML(xml);
  const registry = viewer.get('elementRegistry');
  const canvas = viewer.get('canvas');
  const lines = registry.getAll()
    .filter(e => e.parent && e.businessObject && e.businessObject.name && !e.labelTarget)
    .map(e => {
      const label = e.label ? registry.getGraphics(e.label) : registry.getGraphics(e);
      return [e.id, e.businessObject.name,
              [...label.querySelectorAll('tspan')].map(t => t.textContent.trim())];
    });
  const widths = {};
  canvas.getRootElements().forEach(root => {
    canvas.setRootElement(root);
    widths[root.id] = Math.round(canvas.getActiveLayer().getBBox().width);
  });
  viewer.destroy();
  return { lines, widths };
}"""


def test_the_shipped_diagram_fits_the_page_and_breaks_no_word(chromium):
    require(VIEWER_JS, "bpmn-js viewer", "run `make node-modules` (copies it to static/)")
    page = chromium.new_page()
    try:
        page.set_content('<!doctype html><meta charset="utf-8">'
                         '<div id="canvas" style="width: 1000px; height: 600px"></div>')
        for css in ("diagram-js.css", "bpmn-js.css"):
            page.add_style_tag(path=str(VIEWER_JS.parent / css))
        page.add_script_tag(path=str(VIEWER_JS))
        for path in sorted((ROOT / "processes").glob("*.bpmn")):
            result = page.evaluate(LABELS_JS, path.read_text(encoding="utf-8"))
            # A line break inside a word is one the viewer had to force: the label's box is
            # too narrow (a break after a hyphen or slash is the word's own).
            broken = [(element, name, lines) for element, name, lines in result["lines"]
                      if lines and " ".join(lines).split() != name.split()]
            assert broken == [], (path.name, broken)
            assert result["lines"], path.name
            too_wide = {plane: width for plane, width in result["widths"].items()
                        if width > 2000}
            assert too_wide == {}, (path.name, too_wide)
    finally:
        page.close()
