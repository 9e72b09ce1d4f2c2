"""A real OpenID Connect provider for the tests (tests/oidc_provider.mjs, the certified
`oidc-provider` from npm), and a user agent that logs in through its own pages."""

import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from tests.browser import require

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).parent / "oidc_provider.mjs"
CLIENT_ID = "trygghetsfonden"
CLIENT_SECRET = "test-secret-of-the-trygghetsfonden-client"
OUR_ORIGIN = "http://localhost"  # the Flask test client's host
FORM_RE = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@contextmanager
def running_provider(fault: str = "") -> Iterator[str]:
    """Start the provider on a free port of 127.0.0.1; yield its issuer URL. `fault`:
    "expired" or "tampered" ID tokens (see tests/oidc_provider.mjs)."""
    require(ROOT / "node_modules" / "oidc-provider" / "package.json", "oidc-provider",
            "run `make node-modules` (npm ci)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(port), f"{OUR_ORIGIN}/logga-in/sso/klar",
         f"{OUR_ORIGIN}/logga-in", fault], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the OIDC provider did not start: {line!r}"
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def sign_in_at_provider(authorization_url: str, account: str,
                        agent: requests.Session | None = None) -> str:
    """Follow the provider's login and consent pages as a browser would (the agent keeps the
    provider's cookies), typing the account name; return the URL the provider sends the
    browser back to at our app."""
    agent = agent or requests.Session()
    response = agent.get(authorization_url, allow_redirects=False, timeout=10)
    for _step in range(12):
        if response.status_code in (302, 303):
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(OUR_ORIGIN):
                return location
            response = agent.get(location, allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, response.text[:500]
        response = _submit_first_form(agent, response, {"login": account, "password": "x"})
    raise AssertionError("the provider never sent the browser back")


def follow_provider_logout(agent: requests.Session, logout_url: str) -> str:
    """Confirm the provider's log-out page ("Yes, sign me out"); return where it sends the
    browser back to."""
    response = agent.get(logout_url, allow_redirects=False, timeout=10)
    assert response.status_code == 200, response.text[:500]
    response = _submit_first_form(agent, response, {}, always={"logout": "yes"})
    assert response.status_code in (302, 303), response.text[:500]
    return urljoin(response.url, response.headers["Location"])


def local_path(url: str) -> str:
    """Return the path and query of a URL at our app (for the Flask test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _submit_first_form(agent: requests.Session, page: requests.Response,
                       typed: dict[str, str], always: dict | None = None
                       ) -> requests.Response:
    action, body = FORM_RE.search(page.text).groups()
    data = {name: unescape(value) for name, value in HIDDEN_RE.findall(body)}
    data.update({name: value for name, value in typed.items() if f'name="{name}"' in body})
    data.update(always or {})
    return agent.post(urljoin(page.url, unescape(action)), data=data, allow_redirects=False,
                      timeout=10)
