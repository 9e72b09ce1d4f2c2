"""PostgreSQL goes away (refused, black-holed) and comes back: every request gets a 503 page
with Retry-After within seconds that keeps what was posted, and the app recovers by itself.
The outage is real: a TCP proxy on loopback between the app and the server is cut."""

import io
import re
import time

import pytest
from lxml import html
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

from app.db import Base, make_engine
from app.demo import load_demo
from app.formatting import local_today
from app.grants.models import Round
from tests.conftest import csrf_token, login, make_test_app
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

TASK_URL = re.compile(r"/uppgifter/[0-9a-f-]{36}")
MOTIVATION = "Nattvandring i Flemingsberg <fredagar> & lördagar, 20–24.\nAndra raden."


@pytest.fixture
def outage(empty_database_url):
    """An app whose PostgreSQL sits behind a proxy the test can cut; demo data loaded."""
    url = make_url(empty_database_url("postgres"))
    engine = make_engine(url.render_as_string(hide_password=False))
    Base.metadata.create_all(engine)
    engine.dispose()
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = make_test_app(proxied, DATABASE_CONNECT_TIMEOUT=2, DATABASE_STATEMENT_TIMEOUT=3,
                        DATABASE_RETRY_AFTER=17)
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
    yield app, proxy
    proxy.close()
    app.extensions["db_engine"].dispose()


def _draft_task(app, client) -> str:
    with app.extensions["sessions"]() as session:
        round_id = session.scalars(select(Round.id)).first()
    response = client.post("/ansokningar/ny", data={"round_id": round_id,
                                                    "csrf_token": csrf_token(client)})
    return TASK_URL.search(response.headers["Location"]).group(0)


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _resend_form(page: str) -> tuple[str, MultiDict]:
    form = html.fromstring(page).xpath("//form[contains(@class,'resend')]")[0]
    data = MultiDict([(field.get("name"), field.value) for field in form.xpath(".//textarea")]
                     + [(field.get("name"), field.get("value"))
                        for field in form.xpath(".//input[@type='hidden']")])
    return form.get("action"), data


@pytest.mark.parametrize("cut", ["refuse", "blackhole"])
def test_a_lost_database_gives_a_503_that_keeps_the_form_and_the_app_recovers(outage, cut):
    app, proxy = outage
    client = app.test_client()
    login(client, "sokande")
    task_url = _draft_task(app, client)
    token = csrf_token(client, task_url)

    getattr(proxy, cut)()
    response, seconds = _timed(lambda: client.post(task_url, data=MultiDict([
        ("titel", "Trygga kvällar"), ("kort_beskrivning", MOTIVATION),
        ("csrf_token", token), ("spara_utkast", "1")])))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "17"
    assert seconds < 12, f"the request waited {seconds:.1f} s"
    page = response.get_data(as_text=True)
    assert "Tjänsten är tillfälligt otillgänglig" in page
    action, resent = _resend_form(page)
    assert action == task_url
    assert resent["titel"] == "Trygga kvällar"
    assert resent["kort_beskrivning"] == MOTIVATION  # kept exactly, newline and markup too
    assert resent["spara_utkast"] == "1" and resent["csrf_token"]
    assert client.get("/uppgifter").status_code == 503  # reads fail the same way

    proxy.forward()
    response = client.post(action, data=resent)  # sent again from the 503 page

    assert response.status_code == 302
    assert 'value="Trygga kvällar"' in client.get(task_url).get_data(as_text=True)
    assert client.get("/uppgifter").status_code == 200  # still logged in, nothing restarted


def test_the_503_page_speaks_english_keeps_no_password_and_names_lost_files(outage):
    app, proxy = outage
    client, anonymous = app.test_client(), app.test_client()
    login(client, "sokande")
    token, anonymous_token = csrf_token(client), csrf_token(anonymous)
    anonymous.post("/sprak", data={"lang": "en", "csrf_token": anonymous_token, "next": "/"})
    client.post("/sprak", data={"lang": "en", "csrf_token": token, "next": "/"})
    proxy.refuse()

    login_page = anonymous.post("/logga-in", data={
        "username": "sokande", "password": "hemligt-1", "csrf_token": anonymous_token})
    upload = client.post("/uppgifter/00000000-0000-0000-0000-000000000000", data={
        "titel": "Belysning", "csrf_token": token,
        "bilagor": (io.BytesIO(b"%PDF-1.4"), "karta.pdf")}, content_type="multipart/form-data")

    assert login_page.status_code == 503
    page = login_page.get_data(as_text=True)
    assert "The service is temporarily unavailable" in page
    assert "sokande" in page and "hemligt-1" not in page
    assert upload.status_code == 503
    text = html.fromstring(upload.get_data(as_text=True)).text_content()
    assert "karta.pdf" in text and "Belysning" in upload.get_data(as_text=True)
    assert "Attached files cannot be kept" in text


def test_a_statement_over_the_timeout_is_cancelled_by_the_server(outage):
    app, _proxy = outage
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    started = time.monotonic()
    with app.extensions["sessions"]() as session, pytest.raises(OperationalError) as caught:
        session.execute(text("SELECT pg_sleep(10)"))
    assert time.monotonic() - started < 6
    assert "statement timeout" in str(caught.value)


def test_readyz_reports_the_lost_database_while_healthz_stays_up(outage):
    app, proxy = outage
    client = app.test_client()
    assert client.get("/readyz").status_code == 200

    proxy.blackhole()
    started = time.monotonic()
    lost = client.get("/readyz")
    waited = time.monotonic() - started
    alive = client.get("/healthz")
    proxy.forward()
    back = client.get("/readyz")

    assert lost.status_code == 503 and waited < 12
    assert lost.get_json() == {"status": "unavailable", "database": "unavailable",
                               "storage": "ok"}
    assert alive.status_code == 200
    assert back.status_code == 200


def test_migrations_run_without_the_statement_timeout(outage):
    app, _proxy = outage
    from sqlalchemy import text

    from app.db_timeouts import without_timeouts

    with app.extensions["db_engine"].begin() as connection, without_timeouts(connection):
        started = time.monotonic()
        connection.execute(text("SELECT pg_sleep(6)"))  # over the 3 s and 5 s limits
        assert time.monotonic() - started >= 6
    with app.extensions["db_engine"].connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "3s"


def test_the_worker_fails_fast_in_an_outage_and_works_again_after_it(outage):
    app, proxy = outage
    from sqlalchemy.exc import OperationalError

    from app.worker import work_once

    def one_round():
        return work_once(app.extensions["sessions"], app.extensions["engine"], app.config)

    one_round()
    proxy.blackhole()
    started = time.monotonic()
    with pytest.raises(OperationalError):
        one_round()  # the worker's loop logs this and tries again next round
    waited = time.monotonic() - started
    proxy.forward()

    assert waited < 12
    assert one_round().fired == 0  # a round runs normally again: nothing restarted
