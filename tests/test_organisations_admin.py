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
        [event] = [e for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "organisation_created")) if e.details["organisation"] == org.id]
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


def test_payout_details_are_given_at_creation_each_checked(app, sessions, demo):
    client = app.test_client()
    login(client, "admin")
    bad = post(client, "/admin/organisationer/ny", {
        "name": "Vårby BK", "kind": "forening", "org_number": "802015-4327",
        "account_kind": "bankgiro", "account": "5050-1056", "bic": "ESSESESS",
        "cost_centre": "4200"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Kontrollsiffran stämmer inte" in page
    assert "BIC anges bara tillsammans med ett IBAN." in page
    assert "Ansvar/kostnadsställe anges bara för nämnder" in page
    assert 'href="#account"' in page and 'href="#bic"' in page and 'href="#cost_centre"' in page
    assert 'value="5050-1056"' in page  # kept as typed
    for fields, message in (
            ({"kind": "namnd", "account_kind": "bankgiro", "account": "5050-1055"},
             "En nämnd får pengarna som intern överföring"),
            ({"kind": "bolag", "org_number": "556070-0519", "account": "5050-1055"},
             "Välj kontotyp för kontonumret"),
            ({"kind": "bolag", "org_number": "556070-0519", "account_kind": "swish",
              "account": "123"}, "Välj kontotyp: bankgiro, plusgiro eller IBAN."),
            ({"kind": "bolag", "org_number": "556070-0519", "account_kind": "plusgiro"},
             "Ange plusgiro-numret."),
            ({"kind": "namnd", "cost_centre": "42 00!"}, "Ansvarskoden ska ha 1–10 tecken")):
        refused = post(client, "/admin/organisationer/ny", {"name": "Prov", **fields})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), fields
    ok = post(client, "/admin/organisationer/ny", {
        "name": "Vårby BK", "kind": "forening", "org_number": "802015-4327",
        "account_kind": "iban", "account": "se45 5000 0000 0583 9825 7466", "bic": "essesess",
        "active": "ja"})
    assert ok.status_code == 302
    with sessions() as session:
        org = session.scalars(select(Organisation).where(Organisation.name == "Vårby BK")).one()
        assert (org.account_kind, org.account, org.bic, org.cost_centre) == (
            "iban", "SE4550000000058398257466", "ESSESESS", None)
        [event] = [e for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "organisation_created")) if e.details["organisation"] == org.id]
        assert event.details["values"]["account"] == "SE4550000000058398257466"
    # The details page shows them, and saving it keeps them.
    details = f"/admin/organisationer/{org.id}/uppgifter"
    page = client.get(details).get_data(as_text=True)
    assert 'value="SE4550000000058398257466"' in page and 'value="iban" checked' in page
    kept = post(client, details, {"name": "Vårby Bollklubb", "kind": "forening",
                                  "org_number": "802015-4327", "account_kind": "iban",
                                  "account": "SE4550000000058398257466", "bic": "ESSESESS",
                                  "active": "ja"})
    assert kept.status_code == 302
    with sessions() as session:
        org = session.get(Organisation, org.id)
        assert (org.name, org.account, org.bic) == ("Vårby Bollklubb",
                                                    "SE4550000000058398257466", "ESSESESS")


def test_flask_organisations_create_edit_list(app, runner, sessions, demo):
    bad = runner.invoke(args=["organisations", "create", "--name", "Länna IF", "--kind",
                              "forening", "--org-number", "802015-4327", "--account-kind",
                              "plusgiro", "--account", "4865029"])
    assert bad.exit_code == 1 and "--account: Kontrollsiffran stämmer inte" in bad.output
    made = runner.invoke(args=["organisations", "create", "--name", "Länna IF", "--kind",
                               "forening", "--org-number", "8020154327", "--account-kind",
                               "plusgiro", "--account", "486502-8"])
    assert made.exit_code == 0, made.output
    with sessions() as session:
        org = session.scalars(select(Organisation).where(Organisation.name == "Länna IF")).one()
        assert (org.org_number, org.account_kind, org.account, org.active) == (
            "802015-4327", "plusgiro", "4865028", True)
    wrong = runner.invoke(args=["organisations", "edit", str(org.id), "--cost-centre", "42"])
    assert wrong.exit_code == 1 and "--cost-centre: Ansvar/kostnadsställe anges bara" in \
        wrong.output
    edited = runner.invoke(args=["organisations", "edit", str(org.id), "--inactive",
                                 "--account-kind", "bankgiro", "--account", "5050-1055"])
    assert edited.exit_code == 0, edited.output
    listing = runner.invoke(args=["organisations", "list"]).output
    assert f"{org.id}\tLänna IF\tforening\t802015-4327\tbankgiro 50501055\tinaktiv" in listing
    assert runner.invoke(args=["organisations", "edit", "99999"]).exit_code == 1


def test_demo_organisations_come_through_the_operation(sessions, demo):
    with sessions() as session:
        created = {e.details["values"]["name"]: e.details["values"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organisation_created"))}
        assert created["Kultur- och fritidsnämnden"]["cost_centre"] == "4200"
        assert created["Huge Fastigheter AB"]["account"] == "50501055"
        assert sorted(created) == sorted(session.scalars(select(Organisation.name)))
