"""Single sign-on with OpenID Connect against a real provider (oidc-provider from npm) started
on 127.0.0.1: log-in through its own pages, users by issuer + subject, the group mapping,
log-out there too, and tokens that must be refused."""

import base64
import json
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.accounts.group_mappings import add_mapping
from app.accounts.models import GroupMapping, User, UserIdentity
from app.accounts.oidc import LoginRefused, OidcSettings, discover, verify_id_token
from app.audit import AuditEvent
from app.grants.models import Organisation
from tests.conftest import CSRF_RE, csrf_token, login, make_test_app
from tests.oidc_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    follow_provider_logout,
    local_path,
    running_provider,
    sign_in_at_provider,
)


@pytest.fixture(scope="module")
def issuer():
    with running_provider() as url:
        yield url


def sso_settings(issuer: str, **overrides) -> dict:
    return {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_PROVIDER_NAME": "Testkommunens IdP",
            **overrides}


@pytest.fixture(scope="module")
def sso_app(database_url, issuer):
    """The app with single sign-on configured, on the same database as the `app` fixture."""
    app = make_test_app(database_url, **sso_settings(issuer))
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="module")
def sso_only_app(database_url, issuer):
    """Single sign-on only: LOCAL_LOGIN off."""
    app = make_test_app(database_url, LOCAL_LOGIN=False, **sso_settings(issuer))
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def mapping(session, demo):
    """The mapping of the provider's test groups; returns the förening's organisation id."""
    forening = Organisation(name="Förening X", kind="forening")
    session.add(forening)
    session.flush()
    for group, role in (("tf-handlaggare", "handlaggare"), ("tf-bedomare", "bedomare"),
                        ("tf-sokande", "sokande"), ("tf-admin", "admin")):
        add_mapping(session, group, role=role)
    add_mapping(session, "forening-x", organisation_id=forening.id)
    session.commit()
    return forening.id


def sso_login(client, account: str, agent: requests.Session | None = None, next_: str = ""):
    """Log in through the provider's pages; return our callback's response."""
    start = client.get("/logga-in/sso" + (f"?next={next_}" if next_ else ""))
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    back = sign_in_at_provider(start.headers["Location"], account, agent)
    return client.get(local_path(back))


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_login_page_offers_the_provider_by_name(sso_app, sessions):
    page = sso_app.test_client().get("/logga-in").get_data(as_text=True)
    assert "Logga in med Testkommunens IdP" in page
    assert 'name="password"' in page  # local accounts stay on by default


def test_authorization_request_uses_pkce_state_and_nonce(sso_app, issuer, sessions):
    response = sso_app.test_client().get("/logga-in/sso")
    url = urlsplit(response.headers["Location"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{issuer}/auth"
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) == {"openid", "profile", "email", "groups"}


def test_first_login_creates_the_user_with_mapped_roles(sso_app, session, mapping, issuer):
    client = sso_app.test_client()
    response = sso_login(client, "anna", next_="/ansokningar")
    assert response.status_code == 302 and response.headers["Location"] == "/ansokningar"
    identity = session.scalars(select(UserIdentity).where(UserIdentity.subject == "anna")).one()
    assert identity.issuer == issuer
    user = session.get(User, identity.user_id)
    assert (user.username, user.display_name, user.email) == (
        "anna", "Anna Andersson", "anna@kommun.example")
    assert user.roles == {"handlaggare", "bedomare"}
    assert client.get("/budget").status_code == 200  # a handläggare's page
    assert [e.details["user_id"] for e in events(session, "sso_user_created")] == [user.id]
    mapped = events(session, "sso_roles_mapped")
    assert mapped[0].details["roles"] == ["bedomare", "handlaggare"]
    assert mapped[0].details["groups"] == ["tf-bedomare", "tf-handlaggare"]


def test_next_login_finds_the_same_user_and_replaces_roles_and_profile(sso_app, sessions,
                                                                     mapping):
    sso_login(sso_app.test_client(), "anna")
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "anna")).one()
        user.display_name, user.email = "Gammalt namn", "gammal@example.org"
        session.delete(session.scalars(select(GroupMapping).where(
            GroupMapping.group_value == "tf-bedomare")).one())
        session.commit()
    client = sso_app.test_client()
    assert sso_login(client, "anna").status_code == 302
    with sessions() as session:
        users = session.scalars(select(User).where(User.username.like("anna%"))).all()
        assert len(users) == 1 and users[0].id == user.id
        assert users[0].roles == {"handlaggare"}  # the removed mapping's role is gone
        assert (users[0].display_name, users[0].email) == ("Anna Andersson",
                                                           "anna@kommun.example")
        assert len(events(session, "sso_roles_mapped")) == 2


def test_groups_map_to_an_organisation(sso_app, session, mapping):
    client = sso_app.test_client()
    assert sso_login(client, "bertil").status_code == 302
    user = session.scalars(select(User).where(User.username == "bertil")).one()
    assert user.roles == {"sokande"} and user.organisation_ids == {mapping}
    assert client.get("/ansokningar").status_code == 200


def test_a_local_account_of_the_same_name_is_never_taken_over(sso_app, session, mapping, demo):
    client = sso_app.test_client()
    assert sso_login(client, "cecilia").status_code == 302  # preferred_username "admin"
    local = session.scalars(select(User).where(User.username == "admin")).one()
    assert local.id == demo["admin"].id and local.display_name == demo["admin"].display_name
    sso_user = session.scalars(select(User).where(User.username == "admin-2")).one()
    assert sso_user.roles == {"admin"} and sso_user.display_name == "Cecilia Ceder"
    assert client.get("/admin/sso-grupper").status_code == 200
    login(sso_app.test_client(), "admin")  # the local admin still logs in with the password


def test_no_mapped_group_means_no_role(sso_app, session, mapping):
    client = sso_app.test_client()
    assert sso_login(client, "doris").status_code == 302
    user = session.scalars(select(User).where(User.username == "doris")).one()
    assert user.roles == set()
    assert client.get("/budget").status_code == 404


def test_deactivated_user_is_refused(sso_app, sessions, mapping):
    sso_login(sso_app.test_client(), "anna")
    with sessions() as session:
        session.scalars(select(User).where(User.username == "anna")).one().active = False
        session.commit()
    client = sso_app.test_client()
    response = sso_login(client, "anna")
    assert response.status_code == 403
    assert "Kontot är inaktiverat" in response.get_data(as_text=True)
    assert client.get("/uppgifter").status_code == 302


def test_logout_ends_our_session_and_the_providers(sso_app, sessions, mapping):
    client, agent = sso_app.test_client(), requests.Session()
    sso_login(client, "anna", agent)
    token = csrf_token(client, "/uppgifter")
    response = client.post("/logga-ut", data={"csrf_token": token})
    there = urlsplit(response.headers["Location"])
    query = parse_qs(there.query)
    assert there.path == "/session/end"
    assert query["post_logout_redirect_uri"] == ["http://localhost/logga-in"]
    assert query["client_id"] == [CLIENT_ID] and query["id_token_hint"][0].count(".") == 2
    assert client.get("/uppgifter").status_code == 302  # our session is over
    with sessions() as session:
        assert len(events(session, "logout")) == 1
    back = follow_provider_logout(agent, response.headers["Location"])
    assert back == "http://localhost/logga-in"
    # The provider's session is over too: a new log-in asks for the account again.
    start = client.get("/logga-in/sso")
    page = agent.get(start.headers["Location"]).text
    assert 'name="login"' in page


def test_a_wrong_state_is_refused(sso_app, sessions, mapping):
    client = sso_app.test_client()
    start = client.get("/logga-in/sso")
    back = sign_in_at_provider(start.headers["Location"], "anna")
    query = parse_qs(urlsplit(back).query)
    response = client.get(f"/logga-in/sso/klar?code={query['code'][0]}&state=fel-state")
    assert response.status_code == 403
    assert "(state)" in response.get_data(as_text=True)
    with sessions() as session:
        assert session.scalars(select(User).where(User.username == "anna")).first() is None
        assert len(events(session, "sso_login_refused")) == 1
    assert client.get("/uppgifter").status_code == 302


def test_a_callback_used_twice_is_refused(sso_app, sessions, mapping):
    client = sso_app.test_client()
    start = client.get("/logga-in/sso")
    back = local_path(sign_in_at_provider(start.headers["Location"], "anna"))
    assert client.get(back).status_code == 302
    other = sso_app.test_client()  # e.g. someone who got hold of the URL
    assert other.get(back).status_code == 403
    assert other.get("/uppgifter").status_code == 302


def test_an_error_from_the_provider_is_shown(sso_app, sessions):
    client = sso_app.test_client()
    client.get("/logga-in/sso")
    with client.session_transaction() as cookie:
        state = cookie["oidc_pending"]["state"]
    response = client.get(f"/logga-in/sso/klar?error=access_denied&state={state}")
    assert response.status_code == 403
    assert "access_denied" in response.get_data(as_text=True)


def test_id_token_signature_issuer_audience_expiry_and_nonce_are_checked(sso_app, issuer,
                                                                          sessions, mapping):
    client = sso_app.test_client()
    sso_login(client, "anna")
    with client.session_transaction() as cookie:
        id_token = cookie["oidc_id_token"]
    settings = OidcSettings.from_config(sso_app.config)
    jwks = requests.get(discover(settings)["jwks_uri"], timeout=10).json()
    claims = _payload(id_token)
    nonce = claims["nonce"]
    assert verify_id_token(settings, jwks, id_token, nonce)["sub"] == "anna"  # the real one

    header, payload, signature = id_token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    forged_payload = _b64({**claims, "sub": "cecilia"})
    refused = {
        "signature": (f"{header}.{payload}.{flipped}", nonce, None, settings),
        "payload": (f"{header}.{forged_payload}.{signature}", nonce, None, settings),
        "alg none": (f"{_b64({'alg': 'none'})}.{payload}.", nonce, None, settings),
        "expired": (id_token, nonce, claims["exp"] + 120, settings),
        "nonce": (id_token, "another-login", None, settings),
        "audience": (id_token, nonce, None, OidcSettings.from_config(
            {**sso_app.config, "OIDC_CLIENT_ID": "another-client"})),
        "issuer": (id_token, nonce, None, OidcSettings.from_config(
            {**sso_app.config, "OIDC_ISSUER": "http://127.0.0.1:1"})),
    }
    for what, (token, wanted_nonce, now, checked_by) in refused.items():
        with pytest.raises(LoginRefused):
            verify_id_token(checked_by, jwks, token, wanted_nonce, now)
            pytest.fail(f"{what}: accepted")
    assert verify_id_token(settings, jwks, id_token, nonce, claims["exp"] + 30)  # leeway
    assert claims["exp"] > time.time()


def test_local_login_off_refuses_passwords_and_keeps_sso(sso_only_app, sessions, demo, mapping):
    client = sso_only_app.test_client()
    page = client.get("/logga-in").get_data(as_text=True)
    assert 'name="password"' not in page and "Logga in med Testkommunens IdP" in page
    token = CSRF_RE.search(page).group(1)  # the language form's: a valid token
    response = client.post("/logga-in", data={"username": "admin", "password": "demo1234",
                                              "csrf_token": token})
    assert response.status_code == 403
    assert "Inloggning med lösenord är avstängd" in response.get_data(as_text=True)
    assert client.get("/uppgifter").status_code == 302
    with sessions() as session:
        assert events(session, "login") == []
    assert sso_login(client, "anna").status_code == 302
    assert client.get("/uppgifter").status_code == 200


def test_sso_routes_are_no_pages_when_not_configured(app, sessions):
    client = app.test_client()
    assert client.get("/logga-in/sso").status_code == 404
    assert client.get("/logga-in/sso/klar?code=x&state=y").status_code == 404
    assert "Logga in med" not in client.get("/logga-in").get_data(as_text=True)


def test_the_mapping_page_adds_and_removes_with_audit(app, session, demo):
    client = app.test_client()
    login(client, "admin")
    token = csrf_token(client, "/admin/sso-grupper")
    empty = client.post("/admin/sso-grupper", data={"csrf_token": token, "group_value": "",
                                                     "role": "handlaggare"})
    assert empty.status_code == 422
    assert "Ange gruppens värde" in empty.get_data(as_text=True)
    both = client.post("/admin/sso-grupper", data={
        "csrf_token": token, "group_value": "tf-x", "role": "admin", "organisation_id": "1"})
    assert both.status_code == 422
    assert "antingen en roll eller en organisation" in both.get_data(as_text=True)
    assert 'value="tf-x"' in both.get_data(as_text=True)  # typed input kept
    bad_org = client.post("/admin/sso-grupper", data={
        "csrf_token": token, "group_value": "tf-x", "organisation_id": "99999999999"})
    assert bad_org.status_code == 422
    ok = client.post("/admin/sso-grupper", data={"csrf_token": token, "group_value": "tf-x",
                                                  "role": "ekonomi"})
    assert ok.status_code == 302
    again = client.post("/admin/sso-grupper", data={"csrf_token": token, "group_value": "tf-x",
                                                     "role": "ekonomi"})
    assert again.status_code == 422 and "finns redan" in again.get_data(as_text=True)
    row = session.scalars(select(GroupMapping)).one()
    assert (row.group_value, row.role) == ("tf-x", "ekonomi")
    assert "tf-x" in client.get("/admin/sso-grupper").get_data(as_text=True)
    added = events(session, "group_mapping_added")
    assert added[0].actor_id == demo["admin"].id and added[0].details["role"] == "ekonomi"
    removed = client.post(f"/admin/sso-grupper/{row.id}/ta-bort", data={"csrf_token": token})
    assert removed.status_code == 302
    session.rollback()  # a new snapshot (SQLite WAL: a read transaction sees its start)
    assert session.scalars(select(GroupMapping)).all() == []
    assert len(events(session, "group_mapping_removed")) == 1


def _payload(token: str) -> dict:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_new_pages_have_english_texts(sso_app, app, sessions, demo):
    client = sso_app.test_client()
    client.post("/sprak", data={"lang": "en", "csrf_token": csrf_token(client)})
    assert "Log in with Testkommunens IdP" in client.get("/logga-in").get_data(as_text=True)
    refused = client.get("/logga-in/sso/klar?code=x&state=y").get_data(as_text=True)
    assert "could not be accepted" in refused
    admin = app.test_client()
    login(admin, "admin")
    admin.post("/sprak", data={"lang": "en", "csrf_token": csrf_token(admin, "/uppgifter")})
    page = admin.get("/admin/sso-grupper").get_data(as_text=True)
    assert "Groups from the sign-in service" in page and "New mapping" in page


def test_an_unreachable_provider_gives_a_clear_page(database_url, sessions):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app = make_test_app(database_url, OIDC_TIMEOUT=2, **sso_settings(closed))
    try:
        client = app.test_client()
        response = client.get("/logga-in/sso")
        assert response.status_code == 403
        assert "Identitetsleverantören svarar inte" in response.get_data(as_text=True)
        with client.session_transaction() as cookie:
            cookie["oidc_pending"] = {"stale": "cookie"}  # from an older version, say
        assert client.get("/logga-in/sso/klar?code=x&state=y").status_code == 403
    finally:
        app.extensions["db_engine"].dispose()


def test_a_local_account_linked_by_subject_is_found_at_first_sso_login(sso_app, session,
                                                                        mapping, demo):
    runner = sso_app.test_cli_runner()
    result = runner.invoke(args=["users", "link-sso", "sokande", "bertil"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "link-sso", "sokande2", "bertil"])
    assert again.exit_code == 1 and "redan kopplad" in again.output
    client = sso_app.test_client()
    assert sso_login(client, "bertil").status_code == 302
    session.rollback()
    linked = session.get(User, demo["sokande"].id)
    # The mapped organisation adds to the one the administrator gave.
    assert linked.display_name == "Bertil Berg"
    assert linked.organisation_ids == {min(demo["sokande"].organisation_ids), mapping}
    assert session.scalars(select(User).where(User.username == "bertil")).first() is None
    assert [e.details["subject"] for e in events(session, "sso_identity_linked")] == ["bertil"]


@pytest.mark.parametrize(("fault", "message"), [
    ("tampered", "ID-token har fel signatur"),
    ("expired", "ID-token har redan gått ut"),
])
def test_a_tampered_or_expired_id_token_is_refused_at_the_callback(database_url, sessions,
                                                                   mapping, caplog, fault,
                                                                   message):
    """End to end through the callback: a provider whose token answer is altered on the way
    (the groups claim raised to tf-admin under the original signature), and one whose clock
    is slow so its ID tokens have expired when they arrive."""
    with running_provider(fault) as faulty:
        app = make_test_app(database_url, **sso_settings(faulty))
        try:
            client = app.test_client()
            with caplog.at_level("WARNING"):
                response = sso_login(client, "bertil")
            page = response.get_data(as_text=True)
            assert response.status_code == 403
            assert "Inloggningen via identitetsleverantören kunde inte godtas" in page
            assert message in page
            assert client.get("/uppgifter").status_code == 302  # not logged in
            assert any(message in record.getMessage() for record in caplog.records)
        finally:
            app.extensions["db_engine"].dispose()
    with sessions() as session:
        assert session.scalars(select(User).where(User.username == "bertil")).first() is None
        assert session.scalars(select(UserIdentity)).all() == []
        [refused] = events(session, "sso_login_refused")
        assert message in refused.details["reason"] and refused.details["ip"]
        assert events(session, "login") == []


def test_mapped_organisations_add_to_those_the_administrator_gave(sso_app, app, session,
                                                                   mapping, demo):
    huge = session.scalars(select(Organisation.id).where(
        Organisation.name == "Huge Fastigheter AB")).one()
    kultur = min(demo["sokande"].organisation_ids)
    add_mapping(session, "tf-sokande", organisation_id=huge)  # bertil is in both groups
    session.commit()
    assert sso_login(sso_app.test_client(), "bertil").status_code == 302
    session.rollback()
    bertil = session.scalars(select(User).where(User.username == "bertil")).one()
    assert bertil.organisation_ids == {mapping, huge}
    # The administrator adds one in the user form.
    admin = app.test_client()
    login(admin, "admin")
    form = {"username": "bertil", "display_name": "Bertil Berg", "roles": ["sokande"],
            "email": "bertil@forening.example",
            "organisation_ids": [str(mapping), str(huge), str(kultur)],
            "csrf_token": csrf_token(admin, "/uppgifter")}
    assert admin.post(f"/admin/anvandare/{bertil.id}", data=form).status_code == 302
    # The group leaves the mapping: its organisation goes at the next log-in, the
    # administrator's stays.
    session.rollback()  # a new snapshot, to write after the form's commit
    session.delete(session.scalars(select(GroupMapping).where(
        GroupMapping.group_value == "forening-x")).one())
    session.commit()
    assert sso_login(sso_app.test_client(), "bertil").status_code == 302
    session.rollback()
    assert session.get(User, bertil.id).organisation_ids == {huge, kultur}
    last = events(session, "sso_roles_mapped")[-1]
    assert (last.details["organisations_before"], last.details["organisations"]) == (
        sorted([mapping, huge, kultur]), sorted([huge, kultur]))
