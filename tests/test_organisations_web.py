"""Organisationer: the administrator keeps payout details; bad identifiers are named."""

from lxml import html
from sqlalchemy import select

from app.audit import AuditEvent
from app.grants.models import Organisation
from tests.conftest import csrf_token, login

ROLES = ["anonym", "sokande", "handlaggare", "bedomare", "beslutsfattare", "ekonomi", "admin"]
HUGE = "Huge Fastigheter AB"


def organisation(session, name: str) -> Organisation:
    session.rollback()  # a fresh snapshot: see what the requests committed
    return session.scalars(select(Organisation).where(Organisation.name == name)).one()


def edit_as_admin(client, session, name: str, **fields):
    """Post the organisation's edit form as the administrator."""
    login(client, "admin")
    url = f"/admin/organisationer/{organisation(session, name).id}"
    return client.post(url, data={**fields, "csrf_token": csrf_token(client, url)})


def test_organisation_pages_are_for_admins_only(app, session, demo):
    huge = organisation(session, HUGE)
    for role in ROLES:
        client = app.test_client()
        if role != "anonym":
            login(client, role)
        for path in ("/admin/organisationer", f"/admin/organisationer/{huge.id}"):
            expected = {"anonym": 302, "admin": 200}.get(role, 404)
            assert client.get(path).status_code == expected, f"{role} GET {path}"
        token = csrf_token(client)
        response = client.post(f"/admin/organisationer/{huge.id}",
                               data={"kind": "bolag", "csrf_token": token})
        assert response.status_code == {"anonym": 302, "admin": 422}.get(role, 404), role
    assert client.get("/admin/organisationer/99999").status_code == 404


def test_list_shows_payout_details_and_what_is_missing(client, session, demo):
    session.add(Organisation(name="Södertörns brandförsvarsförbund", kind="kommunalforbund"))
    session.commit()
    login(client, "admin")
    tree = html.fromstring(client.get("/admin/organisationer").get_data(as_text=True))
    rows = {r.xpath("string(th)").strip(): r.text_content() for r in tree.xpath("//tbody/tr")}
    assert "Bankgiro 5050-1055" in rows[HUGE] and "556070-0519" in rows[HUGE]
    assert "Plusgiro 48 65 02-8" in rows["Huddinge Samhällsfastigheter AB"]
    assert "Intern överföring till ansvar 4200" in rows["Kultur- och fritidsnämnden"]
    assert "Klar för utbetalning" in rows[HUGE]
    missing = rows["Södertörns brandförsvarsförbund"]
    assert "Uppgifter saknas" in missing and "saknar organisationsnummer" in missing


def test_a_bad_bankgiro_is_named_by_its_field_and_the_input_kept(client, session, demo):
    response = edit_as_admin(client, session, HUGE, kind="bolag", org_number="556070-0519",
                             account_kind="bankgiro", account="1234-5675", bic="")
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert "Kontrollsiffran stämmer inte" in tree.xpath("string(//p[@id='account--fel'])")
    field = tree.xpath("//input[@id='account']")[0]
    assert field.get("value") == "1234-5675" and field.get("aria-invalid") == "true"
    assert "account--fel" in field.get("aria-describedby")
    assert tree.xpath("//div[@class='error-summary']//a/@href") == ["#account"]
    assert tree.xpath("//input[@id='account_kind-bankgiro']/@checked")
    assert organisation(session, HUGE).account == "50501055"


def test_a_namnd_needs_its_ansvar(client, session, demo):
    response = edit_as_admin(client, session, "Socialnämnden", kind="namnd", cost_centre="")
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert "ansvar/kostnadsställe" in tree.xpath("string(//p[@id='cost_centre--fel'])")
    assert tree.xpath("//select[@id='kind']/option[@selected]/@value") == ["namnd"]


def test_good_payout_details_are_saved_with_an_audit_event(client, session, demo):
    response = edit_as_admin(client, session, HUGE, kind="bolag", org_number="5560700519",
                             account_kind="bankgiro", account="1234-5674", bic="")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/organisationer")
    page = client.get("/admin/organisationer").get_data(as_text=True)
    assert f"Utbetalningsuppgifterna för {HUGE} är sparade." in page
    assert "Bankgiro 1234-5674" in page
    saved = organisation(session, HUGE)
    assert (saved.org_number, saved.account_kind, saved.account) == (
        "556070-0519", "bankgiro", "12345674")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "payee_changed")).one()
    assert event.details["changed"] == {"account": ["50501055", "12345674"]}
    assert event.actor.username == "admin"


def test_a_post_without_csrf_token_is_refused(client, session, demo):
    huge = organisation(session, HUGE)
    login(client, "admin")
    response = client.post(f"/admin/organisationer/{huge.id}",
                           data={"kind": "bolag", "account_kind": "bankgiro",
                                 "account": "1234-5674"})
    assert response.status_code == 400
    assert organisation(session, HUGE).account == "50501055"
