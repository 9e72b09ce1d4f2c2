"""The happy path through the browser as each role, drafts, errors that keep input."""

import re

import pytest
from lxml import html
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.grants.models import Application
from tests.conftest import csrf_token, login
from tests.factories import KRITERIER, application_data, formdata

TASK_URL = re.compile(r"/uppgifter/([0-9a-f-]{36})")


def post(client, url, pairs, **extra):
    data = MultiDict([*pairs, ("csrf_token", csrf_token(client, url)), *list(extra.items())])
    return client.post(url, data=data)


def open_task_url(client, title: str) -> str:
    page = html.fromstring(client.get("/uppgifter").get_data(as_text=True))
    links = [a.get("href") for a in page.xpath("//table//a") if a.text_content().strip() == title]
    assert links, f"no task {title!r} in the inbox"
    return links[0]


def logout(client):
    client.post("/logga-ut", data={"csrf_token": csrf_token(client, "/uppgifter")})


SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


def test_happy_path_through_every_role(client, demo, sessions):
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": _round_id(sessions),
                                                    "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    task_url = TASK_URL.search(response.headers["Location"]).group(0)

    # A draft keeps what was typed, without validation.
    response = post(client, task_url, [("titel", "Trygga kvällar i Vårby")], spara_utkast="1")
    assert response.status_code == 302
    page = client.get(task_url).get_data(as_text=True)
    assert 'value="Trygga kvällar i Vårby"' in page

    # A rejected form keeps the input and names the field.
    bad = application_data(titel="", kort_beskrivning="Kvällsaktiviteter för unga i Vårby.")
    response = post(client, task_url, formdata(bad), slutfor="1")
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert tree.xpath("//*[contains(@class,'error-summary')]")
    assert tree.xpath("//textarea[@name='kort_beskrivning']")[0].text_content().strip() == \
        "Kvällsaktiviteter för unga i Vårby."
    assert tree.xpath("//input[@name='titel'][@aria-invalid='true']")

    good = application_data(titel="Trygga kvällar i Vårby", **SMALL)
    response = post(client, task_url, formdata(good), slutfor="1")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case_url = response.headers["Location"]
    page = client.get(case_url).get_data(as_text=True)
    assert "KS-" in page and "Formell kontroll" in page
    logout(client)

    login(client, "handlaggare")
    complete_in_inbox(client, "Formell kontroll", [("kontroll_utfall", "komplett")])
    complete_in_inbox(client, "Tilldela bedömare", [
        ("valda_bedomare", "bedomare"), ("valda_bedomare", "bedomare2"),
        ("bedomning_frist", "2030-01-31")])
    logout(client)

    for reviewer, score in (("bedomare", 4), ("bedomare2", 3)):
        login(client, reviewer)
        assert client.get(case_url + "/bedomningar").status_code == 404  # blind review
        complete_in_inbox(client, "Bedömning", review_pairs(score))
        assert client.get(case_url + "/bedomningar").status_code == 200
        inbox = html.fromstring(client.get("/uppgifter").get_data(as_text=True))
        assert inbox.findtext(".//title").split("–")[0].strip() == "Mina uppgifter"
        assert inbox.xpath("//main//h2[@id='bedomda-rubrik']")
        logout(client)

    login(client, "handlaggare")
    page = client.get(open_task_url(client, "Beredning")).get_data(as_text=True)
    assert "Viktat medelvärde" in page and "3,50" in page  # (4 + 3) / 2, equal weights per review
    complete_in_inbox(client, "Beredning", [
        ("forslag", "bifall"), ("forslag_belopp", "90000"),
        ("utbetalningsplan-0-datum", "2027-02-01"), ("utbetalningsplan-0-belopp", "90000"),
        ("aterrapportering_datum", "2028-01-31")])
    logout(client)

    login(client, "beslutsfattare")
    complete_in_inbox(client, "Beslut", [
        ("beslut", "bifall"), ("beviljat_belopp", "90000"),
        ("beslut_motivering", "Åtgärden bygger på lägesbilden."),
        ("beslut_jav_intygande", "y")])
    page = client.get(case_url).get_data(as_text=True)
    assert "Bifall" in page and "90\u00a0000\u00a0kr" in page
    with sessions() as session:
        application = session.scalars(select(Application)).one()
        assert application.granted_amount == 90000
    logout(client)

    login(client, "sokande")
    page = client.get(case_url).get_data(as_text=True)
    tree = html.fromstring(page)
    history = tree.xpath("//section[@aria-labelledby='historik']//td/text()")
    assert any("Registrerad med diarienummer" in t for t in history)
    # The applicant never sees the reviewers' scores.
    assert "Viktat" not in page and "Väl underbyggt" not in page
    assert client.get(case_url + "/bedomningar").status_code == 404


def review_pairs(score: int) -> list[tuple[str, str]]:
    pairs = [("bedomning-jav", "ingen"), ("bedomning-rekommendation", "bifall")]
    for key in KRITERIER:
        pairs += [(f"bedomning-kriterier-{key}-poang", str(score)),
                  (f"bedomning-kriterier-{key}-motivering", "Väl underbyggt.")]
    return pairs


def complete_in_inbox(client, title: str, pairs):
    url = open_task_url(client, title)
    response = post(client, url, pairs, slutfor="1")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response


def test_second_completion_of_a_task_gets_a_clear_message(client, demo, sessions, app):
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": _round_id(sessions),
                                                    "csrf_token": csrf_token(client)})
    task_url = TASK_URL.search(response.headers["Location"]).group(0)
    assert post(client, task_url, formdata(application_data()), slutfor="1").status_code == 302
    other = app.test_client()
    login(other, "sokande")
    response = other.get(task_url, follow_redirects=True)
    assert "redan slutförd av Sara Sökande" in response.get_data(as_text=True)


def test_csrf_is_required(client, demo):
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": 1})
    assert response.status_code == 400


def test_login_rejects_wrong_password(client, demo):
    token = csrf_token(client)
    response = client.post("/logga-in", data={"username": "sokande", "password": "fel",
                                              "csrf_token": token})
    assert response.status_code == 422
    assert "Fel användarnamn eller lösenord" in response.get_data(as_text=True)


def test_security_headers(client, demo):
    response = client.get("/logga-in")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_samesite_lax_and_httponly(client, demo):
    response = login(client, "sokande")
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("path", [
    "/ansokningar/2147483648", "/ansokningar/99999999999999999999", "/bilagor/2147483648",
    "/beslut/9223372036854775808/brev", "/ansokningar/2147483648/bedomningar"])
def test_an_id_beyond_any_row_is_no_page(client, demo, path):
    login(client, "handlaggare")
    assert client.get(path).status_code == 404  # not a database error (PostgreSQL INTEGER)


def _round_id(sessions) -> int:
    from app.grants.models import Round

    with sessions() as session:
        return session.scalars(select(Round.id)).first()


def test_logout_ends_the_session(client, demo):
    login(client, "sokande")
    assert client.get("/uppgifter").status_code == 200
    client.post("/logga-ut", data={"csrf_token": csrf_token(client, "/uppgifter")})
    assert client.get("/uppgifter").status_code == 302


def test_deactivated_user_loses_session(client, demo, sessions):
    from app.accounts.models import User

    login(client, "sokande")
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "sokande")).one()
        user.active = False
        session.commit()
    assert client.get("/uppgifter").status_code == 302


def test_a_colleague_in_the_same_organisation_continues_the_draft(client, app, demo, sessions):
    from app.accounts.models import User, UserOrganisation, UserRole
    from app.accounts.passwords import hash_password

    with sessions() as session:
        colleague = User(username="kollega", display_name="Kim Kollega", email="kim@x.example",
                         organisation_rows=[UserOrganisation(
                             organisation_id=min(demo["sokande"].organisation_ids))],
                         password_hash=hash_password("demo1234"),
                         role_rows=[UserRole(role="sokande")])
        session.add(colleague)
        session.commit()
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": _round_id(sessions),
                                                    "csrf_token": csrf_token(client)})
    task_url = TASK_URL.search(response.headers["Location"]).group(0)
    post(client, task_url, [("titel", "Gemensamt utkast")], spara_utkast="1")
    other = app.test_client()
    login(other, "kollega")
    assert 'value="Gemensamt utkast"' in other.get(task_url).get_data(as_text=True)
    response = post(other, task_url, formdata(application_data(**SMALL)), slutfor="1")
    assert response.status_code == 302
    stranger = app.test_client()
    login(stranger, "sokande2")
    assert stranger.get(task_url).status_code == 404


def test_one_submit_reports_every_field_and_rule_error_at_once(client, demo, sessions):
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": _round_id(sessions),
                                                    "csrf_token": csrf_token(client)})
    task_url = TASK_URL.search(response.headers["Location"]).group(0)
    wrong = application_data(titel="", startdatum="2026-11-01", slutdatum="2026-10-01",
                             budget=[{"post": "Arvoden", "belopp": 90000}],
                             sokt_belopp=1600000)

    response = post(client, task_url, formdata(wrong), slutfor="1")

    assert response.status_code == 422
    page = html.fromstring(response.get_data(as_text=True))

    def errors_of(name: str) -> str:
        return " ".join(p.text_content() for p in page.xpath(
            f"//div[contains(@class,'field-error')][.//*[@name='{name}']]//p[@class='error']"))

    assert errors_of("titel")
    assert "tidigast 2027-01-01" in errors_of("startdatum")
    assert "före startdatum" in errors_of("slutdatum")
    assert "högst 1 500 000" in errors_of("sokt_belopp").replace("\u00a0", " ")
    assert "budgetens summa minus medfinansieringen" in errors_of("sokt_belopp")
    with sessions() as session:
        assert session.scalars(select(Application.submitted_at)).one() is None


@pytest.mark.parametrize(("button", "text"), [
    ("slutfor", "Natt\x00vandring"), ("slutfor", "Trygghet \u202efdp.exe"),
    ("spara_utkast", "Natt\x00vandring"), ("spara_utkast", "Nattvandring\u200b")])
def test_hidden_characters_are_refused_on_their_field_and_the_text_is_kept(
        client, demo, sessions, button, text):
    login(client, "sokande")
    response = client.post("/ansokningar/ny", data={"round_id": _round_id(sessions),
                                                    "csrf_token": csrf_token(client)})
    task_url = TASK_URL.search(response.headers["Location"]).group(0)
    data = application_data(malgrupp=text)

    response = post(client, task_url, formdata(data), **{button: "1"})

    assert response.status_code == 422  # never a 500 (PostgreSQL refuses NUL in text)
    page = html.fromstring(response.get_data(as_text=True))
    error = " ".join(p.text_content() for p in page.xpath(
        "//div[contains(@class,'field-error')][.//*[@name='malgrupp']]//p[@class='error']"))
    assert "osynliga styr- eller riktningstecken" in error
    assert page.xpath("//*[@name='titel']/@value") == [data["titel"]]  # typed input kept
    with sessions() as session:
        assert session.scalars(select(Application.submitted_at)).one() is None
