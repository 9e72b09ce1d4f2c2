"""Every HTTP error gets our page, in Swedish with its English, never Werkzeug's bare one."""

import pytest
from flask import abort
from lxml import html
from werkzeug.exceptions import default_exceptions

from tests.conftest import csrf_token, make_test_app

WERKZEUG_PAGE = "<!doctype html>\n<html lang=en>"


@pytest.fixture
def aborting_app(database_url):
    """An app with one extra page that answers with any HTTP error."""
    app = make_test_app(database_url)
    app.add_url_rule("/fel/<int:code>", "fel", lambda code: abort(code))
    yield app
    app.extensions["db_engine"].dispose()


def ours(response) -> html.HtmlElement:
    text = response.get_data(as_text=True)
    assert not text.startswith(WERKZEUG_PAGE)
    page = html.fromstring(text)
    assert page.xpath("//a[@class='skip-link']"), text[:300]  # our layout
    return page


@pytest.mark.parametrize("code", sorted(default_exceptions))
def test_every_http_error_is_our_page_in_swedish_and_english(aborting_app, code):
    client = aborting_app.test_client()

    swedish = ours(client.get(f"/fel/{code}"))
    client.post("/sprak", data={"lang": "en", "csrf_token": csrf_token(client)})
    english = ours(client.get(f"/fel/{code}"))

    assert swedish.xpath("string(/html/@lang)") == "sv"
    assert english.xpath("string(/html/@lang)") == "en"
    assert swedish.xpath("string(//h1)") and english.xpath("string(//h1)")
    assert swedish.xpath("string(//main//p)") != english.xpath("string(//main//p)")
    assert swedish.xpath("string(//h1)") != "Fel" or code not in (400, 405, 413, 414, 431)


def test_wrong_method_bad_body_and_too_large_body_get_our_pages(database_url):
    small = make_test_app(database_url, MAX_CONTENT_LENGTH=1024 * 1024)
    client = small.test_client()
    response = client.put("/logga-in")
    assert response.status_code == 405
    assert "Metoden är inte tillåten" in ours(response).xpath("string(//h1)")
    assert "POST" in response.headers["Allow"]

    response = client.post("/logga-in", data=b"--x\r\ntrasig",
                           content_type="multipart/form-data; boundary=x")
    assert response.status_code == 400
    assert ours(response).xpath("string(//h1)") == "Felaktig begäran"

    response = client.post("/logga-in", data=b"x" * (2 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    page = ours(response)
    assert page.xpath("string(//h1)") == "För stor fil"
    text = page.xpath("string(//main)")
    assert "inget av det har sparats" in text
    assert "högst 1 MB, en fil högst 10 MB och ett textfält högst 500 kB" in text
    small.extensions["db_engine"].dispose()
