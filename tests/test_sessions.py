"""Server-side sessions: revoked at logout, on a new password and on deactivation; idle and
absolute lifetimes; the cookie carries only a random session id; cookie flags and the secret
key outside development."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from app.accounts.models import User, UserSession
from app.accounts.users import deactivate_user, set_password
from app.audit import AuditEvent
from app.config import load_config
from app.db import utcnow
from tests.conftest import csrf_token, login, make_test_app


def logout(client):
    return client.post("/logga-ut", data={"csrf_token": csrf_token(client, "/uppgifter")})


def cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def logged_in(client) -> bool:
    response = client.get("/uppgifter")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def rows(sessions, username: str) -> list[UserSession]:
    with sessions() as session:
        return list(session.scalars(select(UserSession).join(User).where(
            User.username == username).order_by(UserSession.created_at)))


def actions(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def shift(sessions, username: str, **ages: timedelta) -> None:
    """Make the user's sessions look older: created_at / last_seen_at = now - age."""
    now = utcnow()
    with sessions() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        session.execute(update(UserSession).where(UserSession.user_id == user_id).values(
            **{column: now - age for column, age in ages.items()}))
        session.commit()


def test_a_cookie_captured_before_logout_no_longer_works(app, client, demo, sessions):
    login(client, "handlaggare")
    captured = cookie(client)
    assert logged_in(with_cookie(app, captured))

    logout(client)

    assert not logged_in(client)
    assert not logged_in(with_cookie(app, captured))  # the replayed cookie is worthless
    [row] = rows(sessions, "handlaggare")
    assert row.revoked_at is not None and row.revoked_reason == "logout"
    assert actions(sessions)[-2:] == ["login", "logout"]


def test_the_cookie_carries_only_a_random_session_id(app, client, demo, sessions):
    login(client, "admin")
    data = app.session_interface.get_signing_serializer(app).loads(cookie(client))
    assert "user_id" not in data and set(data) <= {"sid", "csrf_token", "lang", "_flashes"}
    [row] = rows(sessions, "admin")
    assert row.id == hashlib.sha256(data["sid"].encode()).hexdigest()  # stored hashed only
    assert row.client_address == "127.0.0.1"


def test_a_cookie_signed_with_the_key_but_naming_a_user_is_no_login(app, demo):
    """Knowing the secret key is not enough to become admin: a session must exist."""
    serializer = app.session_interface.get_signing_serializer(app)
    forged = serializer.dumps({"user_id": demo["admin"].id, "epoch": 0, "sid": "guessed"})
    assert not logged_in(with_cookie(app, forged))


def test_a_new_password_ends_every_session_of_that_user(app, demo, sessions):
    first, second, colleague = app.test_client(), app.test_client(), app.test_client()
    login(first, "sokande")
    login(second, "sokande")
    login(colleague, "handlaggare")

    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "sokande")).one()
        assert set_password(session, user, "ett nytt lösenord", utcnow(),
                            actor_id=demo["admin"].id) == 2
        session.commit()

    assert not logged_in(first) and not logged_in(second)
    assert logged_in(colleague)
    assert {r.revoked_reason for r in rows(sessions, "sokande")} == {"password"}
    assert actions(sessions)[-2:] == ["password_set", "sessions_revoked"]
    login(first, "sokande", "ett nytt lösenord")


def test_flask_users_set_password_ends_the_sessions_and_refuses_a_short_one(
        app, client, demo, sessions):
    login(client, "ekonomi")
    runner = app.test_cli_runner()

    result = runner.invoke(args=["users", "set-password", "ekonomi", "--password", "kort"])
    assert result.exit_code == 1 and "minst 12 tecken" in result.output
    assert logged_in(client)

    result = runner.invoke(args=["users", "set-password", "ekonomi", "--password",
                                 "lang-och-hemlig-fras"])
    assert result.exit_code == 0, result.output
    assert "1 inloggningar avslutades" in result.output
    assert not logged_in(client)
    login(client, "ekonomi", "lang-och-hemlig-fras")


def test_flask_users_logout_ends_every_session(app, client, demo, sessions):
    login(client, "ekonomi")
    result = app.test_cli_runner().invoke(args=["users", "logout", "ekonomi"])
    assert result.exit_code == 0 and "1 inloggningar" in result.output
    assert not logged_in(client)
    assert actions(sessions)[-1] == "sessions_revoked"


def test_deactivating_a_user_ends_their_sessions(client, demo, sessions):
    login(client, "bedomare")
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "bedomare")).one()
        deactivate_user(session, user, utcnow())
        session.commit()
    assert not logged_in(client)
    assert rows(sessions, "bedomare")[0].revoked_reason == "deactivated"


def test_an_idle_session_ends(app, client, demo, sessions):
    login(client, "handlaggare")
    shift(sessions, "handlaggare", last_seen_at=timedelta(minutes=59))
    assert logged_in(client)  # still within the hour, and the visit counts as activity
    assert utcnow() - rows(sessions, "handlaggare")[0].last_seen_at < timedelta(minutes=1)

    shift(sessions, "handlaggare", last_seen_at=timedelta(minutes=61))
    assert not logged_in(client)


def test_an_active_session_still_ends_after_the_absolute_lifetime(app, client, demo, sessions):
    assert app.config["SESSION_MAX_HOURS"] == 12
    login(client, "handlaggare")
    shift(sessions, "handlaggare", created_at=timedelta(hours=11, minutes=58))
    assert logged_in(client)
    shift(sessions, "handlaggare", created_at=timedelta(hours=12, minutes=1),
          last_seen_at=timedelta(seconds=5))
    assert not logged_in(client)


def test_last_seen_is_written_at_most_once_a_minute(client, demo, sessions):
    login(client, "handlaggare")
    shift(sessions, "handlaggare", last_seen_at=timedelta(seconds=30))
    before = rows(sessions, "handlaggare")[0].last_seen_at
    assert logged_in(client)
    assert rows(sessions, "handlaggare")[0].last_seen_at == before  # no write per request

    shift(sessions, "handlaggare", last_seen_at=timedelta(minutes=2))
    assert logged_in(client)
    assert utcnow() - rows(sessions, "handlaggare")[0].last_seen_at < timedelta(seconds=30)


def test_a_login_starts_a_new_session_id(client, demo, sessions):
    login(client, "handlaggare")
    first = cookie(client)
    login(client, "handlaggare")
    assert cookie(client) != first
    assert len(rows(sessions, "handlaggare")) == 2


def test_outside_development_the_cookie_is_secure_httponly_and_samesite_lax(database_url):
    app = make_test_app(database_url, ENVIRONMENT="production", SECRET_KEY="k" * 32)
    try:
        response = app.test_client().get("/logga-in")
        set_cookie = response.headers["Set-Cookie"]
        assert "Secure" in set_cookie and "HttpOnly" in set_cookie
        assert "SameSite=Lax" in set_cookie
        assert "max-age" in response.headers["Strict-Transport-Security"]
    finally:
        app.extensions["db_engine"].dispose()


def test_in_development_the_cookie_works_over_plain_http(app, client):
    response = client.get("/logga-in")
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("key", [None, "dev-secret-change-me", "x" * 31])
def test_outside_development_the_app_refuses_a_default_or_short_secret_key(
        tmp_path, monkeypatch, key):
    monkeypatch.delenv("TF_ENVIRONMENT", raising=False)
    monkeypatch.delenv("TF_SECRET_KEY", raising=False)
    config = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    if key is not None:
        config["SECRET_KEY"] = key
    assert load_config(config)["ENVIRONMENT"] == "production"  # the default
    with pytest.raises(SystemExit) as stopped:
        create_app(config)
    assert "TF_SECRET_KEY" in str(stopped.value) and "32" in str(stopped.value)


def test_a_long_secret_key_starts_in_production_and_any_key_in_development(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    production = create_app({"DATABASE_URL": url, "SECRET_KEY": "s" * 32})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    development = create_app({"DATABASE_URL": url, "ENVIRONMENT": "development"})
    assert development.config["SESSION_COOKIE_SECURE"] is False
    forced = create_app({"DATABASE_URL": url, "ENVIRONMENT": "development",
                         "SESSION_COOKIE_SECURE": "1"})
    assert forced.config["SESSION_COOKIE_SECURE"] is True


def test_an_unreachable_database_while_checking_the_session_is_not_swallowed():
    """The session check lets OperationalError through: it becomes the outage page (503 with
    Retry-After), never a 500 and never a silent log-out."""
    app = make_test_app("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    client = with_cookie(app, app.session_interface.get_signing_serializer(app).dumps(
        {"sid": "some-token"}))
    response = client.get("/uppgifter")
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_checking_a_session_is_one_primary_key_lookup(app, client, demo, sessions):
    from sqlalchemy import event

    from app.accounts.sessions import Lifetimes, find_session

    login(client, "handlaggare")
    token = app.session_interface.get_signing_serializer(app).loads(cookie(client))["sid"]
    statements: list[str] = []

    def collect(_conn, _cursor, statement, *_args):
        statements.append(statement)

    db_engine = app.extensions["db_engine"]
    event.listen(db_engine, "before_cursor_execute", collect)
    try:
        with sessions() as session:
            found = find_session(session, token, utcnow(),
                                 Lifetimes(timedelta(hours=1), timedelta(hours=12)))
            assert found.user.username == "handlaggare" and found.user.roles == {"handlaggare"}
    finally:
        event.remove(db_engine, "before_cursor_execute", collect)
    lookups = [s for s in statements if "FROM user_sessions" in s]
    assert len(lookups) == 1 and "WHERE user_sessions.id = " in lookups[0]
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The session joined with its user; the user's roles; their organisations.
    assert len(queries) == 3


def test_a_login_clears_the_users_sessions_older_than_thirty_days(client, demo, sessions):
    login(client, "handlaggare")
    shift(sessions, "handlaggare", created_at=timedelta(days=31))
    login(client, "handlaggare")
    assert len(rows(sessions, "handlaggare")) == 1


def test_the_login_page_works_with_an_expired_session_cookie(client, demo, sessions):
    """An expired login is forgotten without taking the login form's CSRF token along."""
    login(client, "handlaggare")
    shift(sessions, "handlaggare", last_seen_at=timedelta(hours=2))
    token = csrf_token(client)  # the page both issues a token and finds the login expired
    response = client.post("/logga-in", data={"username": "handlaggare", "password": "demo1234",
                                              "csrf_token": token})
    assert response.status_code == 302
