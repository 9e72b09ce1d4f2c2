"""Organisations are created and edited by the administrator (nämnd, bolag,
kommunalförbund, förening) with their organisationsnummer checked, and audited."""

from sqlalchemy import select

from app.audit import AuditEvent
from app.grants.models import Organisation
from tests.conftest import csrf_token, login


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/uppgifter"), **data})


def test_admin_creates_a_forening_with_its_number_checked(app, sessions, demo):
    client = app.test_client()
    login(client, "admin")
    bad = post(client, "/admin/organisationer/ny", {"name": "Flemingsbergs IF",
                                                    "kind": "forening",
                                                    "org_number": "802015-4328"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Kontrollsiffran stämmer inte" in page
    assert 'value="802015-4328"' in page and 'value="Flemingsbergs IF"' in page
    missing = post(client, "/admin/organisationer/ny", {"name": "Flemingsbergs IF",
                                                        "kind": "forening"})
    assert missing.status_code == 422 and "Ange organisationsnummer" in \
        missing.get_data(as_text=True)
    no_kind = post(client, "/admin/organisationer/ny", {"name": "X", "kind": "kung"})
    assert no_kind.status_code == 422 and "Välj typ av organisation" in \
        no_kind.get_data(as_text=True)
    taken = post(client, "/admin/organisationer/ny", {"name": "Huge Fastigheter AB",
                                                      "kind": "bolag",
                                                      "org_number": "8020154327"})
    assert taken.status_code == 422 and "Det finns redan" in taken.get_data(as_text=True)
    ok = post(client, "/admin/organisationer/ny", {"name": "Flemingsbergs IF",
                                                   "kind": "forening",
                                                   "org_number": "8020154327",
                                                   "active": "ja"})
    assert ok.status_code == 302
    with sessions() as session:
        org = session.scalars(select(Organisation).where(
            Organisation.name == "Flemingsbergs IF")).one()
        assert (org.kind, org.org_number, org.active) == ("forening", "802015-4327", True)
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "organisation_created")).one()
        assert event.actor_id == demo["admin"].id
    assert "Förening" in client.get("/admin/organisationer").get_data(as_text=True)
    # Rename and switch off: audited with before and after.
    renamed = post(client, f"/admin/organisationer/{org.id}/uppgifter", {
        "name": "Flemingsbergs idrottsförening", "kind": "forening",
        "org_number": "802015-4327"})
    assert renamed.status_code == 302
    with sessions() as session:
        org = session.get(Organisation, org.id)
        assert org.name == "Flemingsbergs idrottsförening" and not org.active
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "organisation_changed")).one()
        assert event.details["changed"]["name"] == ["Flemingsbergs IF",
                                                    "Flemingsbergs idrottsförening"]


def test_a_namnd_needs_no_number_of_its_own(app, sessions, demo):
    client = app.test_client()
    login(client, "admin")
    ok = post(client, "/admin/organisationer/ny", {"name": "Miljönämnden", "kind": "namnd",
                                                   "active": "ja"})
    assert ok.status_code == 302
    with sessions() as session:
        assert session.scalars(select(Organisation.org_number).where(
            Organisation.name == "Miljönämnden")).one() is None
