"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright, the real app
behind a real WSGI server, and the checks every page visited must pass (axe-core with the
WCAG 2.1 A/AA rules, reflow at 320 CSS px and at 200 % zoom)."""

import hashlib
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app.config import ROOT
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
# WCAG 1.4.10: content reflows without horizontal scrolling at 320 CSS px; 1280 px at 200 %
# zoom is a 640 CSS px viewport.
REFLOW_WIDTHS = (320, 640)

AXE_RUN_JS = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags },
                                           resultTypes: ['violations'] });
  return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')) }));
}"""
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  // Wider than the viewport and not inside a scrolling box (positioned boxes may escape one).
  const inScrollBox = e => {
    if (['absolute', 'fixed'].includes(getComputedStyle(e).position)) return false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    return false;
  };
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1 && !inScrollBox(e))
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (typeof e.className === 'string' && e.className
                 ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
  return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide.slice(0, 8) };
}"""


def require(path: Path, what: str, install: str) -> None:
    """Skip without the tool; under CI=true a missing tool is a failure, not a skip."""
    if path.exists():
        return
    message = f"{what} is missing ({path}); {install}"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def require_chromium() -> None:
    require(CHROMIUM, "Chromium", "install Debian's chromium (`make test` does)")


@contextmanager
def launched_chromium():
    """Start Playwright and Debian's Chromium; yield the browser, close both after."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        """Keep the test output for failures (errors are still logged)."""


@contextmanager
def live_server(app):
    """Serve the app with werkzeug's threaded WSGI server on a free 127.0.0.1 port; yield its
    base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def require_axe() -> None:
    require(AXE_JS, "axe-core", "run `make node-modules` (npm ci)")


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page; return the violations."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(AXE_RUN_JS, AXE_TAGS)


def reflow_problems(page) -> list[str]:
    """Return how the page scrolls sideways at each reflow width (none: it reflows)."""
    problems = []
    try:
        for width in REFLOW_WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow:
                problems.append(f"{width} px: scrollWidth {overflow['scrollWidth']} > "
                                f"{overflow['clientWidth']}; wider: {overflow['wide']}")
    finally:
        page.set_viewport_size(DESKTOP)
    return problems


def format_violations(violations: list[dict]) -> str:
    return "\n".join(f"  {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"])
                     for v in violations)


def field(scope, label: str):
    """The input labelled exactly `label` (a date's label shows its format, a required one
    says so after it)."""
    return scope.get_by_label(re.compile(
        rf"^{re.escape(label)}( \(obligatoriskt\))?( \(ÅÅÅÅ-MM-DD\))?$"))


def group(scope, name: str):
    """The fieldset (or other group) whose name contains `name`."""
    return scope.get_by_role("group", name=re.compile(re.escape(name)))


@contextmanager
def known_defect(reason: str):
    """A step that fails today for a defect being fixed elsewhere: an expected failure until
    then. pytest.xfail ends the test, so make it the test's last step."""
    try:
        yield
    except AssertionError as error:
        pytest.xfail(f"{reason} ({str(error).splitlines()[0]})")


class PageChecks:
    """Checks every page a walk visits and remembers which ones it checked."""

    def __init__(self):
        self.checked: list[str] = []
        self.markups: set[bytes] = set()  # of the pages that passed axe (digits, values out)

    def __call__(self, page, base_url: str) -> None:
        """Assert the page has no axe violation and reflows at 320 px and at 200 % zoom."""
        path = page.url.removeprefix(base_url)
        markup = hashlib.sha256(re.sub(r'value="[^"]*"|\d', "", page.content()).encode())
        if markup.digest() in self.markups:  # the same page again: it passed axe already
            violations = []
        else:
            violations = axe_violations(page)
            self.markups.add(markup.digest())
        assert not violations, f"axe on {path}:\n{format_violations(violations)}"
        problems = reflow_problems(page)
        assert not problems, f"reflow on {path}: " + "; ".join(problems)
        self.checked.append(path)


class Site:
    """The app served on 127.0.0.1 and a way to use it as each demo user would: every page a
    user's tab shows is checked (axe, reflow) before the walk goes on."""

    def __init__(self, app, base_url: str, browser):
        self.app, self.base_url, self.browser = app, base_url, browser
        self.check_page = PageChecks()
        self.unchecked: dict = {}  # page -> the URLs shown since its last check
        self.tabs: dict = {}  # username -> their logged-in page

    def login(self, username: str, password: str = "demo1234"):
        """Return the user's tab on their inbox: logged in through the form the first time
        (in a context of its own), reused after."""
        if username in self.tabs:
            page = self.tabs[username]
            self.goto(page, "/uppgifter")
            return page
        context = self.browser.new_context(bypass_csp=True, viewport=DESKTOP, locale="sv-SE",
                                           accept_downloads=True)
        page = self.tabs[username] = context.new_page()
        page.set_default_timeout(10_000)
        self.unchecked[page] = []
        page.on("framenavigated", lambda frame: frame.parent_frame is None
                and self.unchecked[page].append(frame.url))
        self.goto(page, "/logga-in")
        page.get_by_label("Användarnamn").fill(username)
        page.get_by_label("Lösenord").fill(password)
        self.click(page, page.get_by_role("button", name="Logga in"))
        return page

    def goto(self, page, path: str) -> None:
        page.goto(self.base_url + path)
        self.check(page)

    def click(self, page, locator) -> None:
        """Click something that loads a new page (a link, a submit button); check that page."""
        with page.expect_navigation():
            locator.click()
        self.check(page)

    def download(self, page, locator) -> tuple[str, bytes]:
        """Click a download link; return the file's suggested name and bytes."""
        with page.expect_download() as info:
            locator.click()
        download = info.value
        return download.suggested_filename, Path(download.path()).read_bytes()

    def fetch(self, page, locator):
        """Fetch a link's target with the page's cookies, as a tab opening it inline would;
        return the response."""
        response = page.context.request.get(self.base_url + locator.get_attribute("href"))
        assert response.ok, response.status
        return response

    def check(self, page) -> None:
        shown = self.unchecked[page]
        assert len(shown) <= 1, f"pages shown without a check: {shown[:-1]}"
        self.check_page(page, self.base_url)
        shown.clear()

    def leave(self, page) -> None:
        """Done with the tab for now: the last page it showed was checked."""
        assert not self.unchecked[page], "the last page shown was not checked"

    def close(self) -> None:
        for page in self.tabs.values():
            page.context.close()
