"""Log-in throttling by account and by client address, with a growing wait kept in the
database, instead of a hard lock of the real user; user names with hidden characters."""

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select, update

from app.accounts.models import LoginThrottle, UserSession
from app.accounts.throttle import login_wait, record_failed_login
from app.audit import AuditEvent
from app.db import utcnow
from tests.conftest import csrf_token, make_test_app


def attempt(client, username: str, password: str = "fel", address: str = "10.0.0.1",
            token: str | None = None, **headers):
    return client.post("/logga-in", data={"username": username, "password": password,
                                          "csrf_token": token or csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def statuses(client, names, address: str, **headers) -> list[int]:
    """Try each name in turn, quickly (one CSRF token: the first wait is only a second)."""
    token = csrf_token(client)
    return [attempt(client, name, address=address, token=token, **headers).status_code
            for name in names]


def test_the_wait_doubles_with_each_failure_and_ends(sessions):
    now = utcnow()
    waits = []
    with sessions() as session:
        for _ in range(8):
            record_failed_login(session, "hanna", "10.0.0.1", now)
            waits.append(login_wait(session, "hanna", "10.0.0.1", now).total_seconds())
        assert login_wait(session, "hanna", "10.0.0.1", now + timedelta(minutes=2)) == \
            timedelta(0)  # waited long enough: free to try again, nothing is locked for good
        session.commit()
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32]


def test_a_quiet_hour_forgets_the_failures(sessions):
    now = utcnow()
    with sessions() as session:
        for _ in range(6):
            record_failed_login(session, "hanna", "10.0.0.1", now)
        later = now + timedelta(hours=1, minutes=1)
        record_failed_login(session, "hanna", "10.0.0.1", later)
        assert login_wait(session, "hanna", "10.0.0.1", later) == timedelta(0)
        session.commit()


def test_spraying_many_names_from_one_address_is_slowed(client, demo, sessions):
    names = [f"anvandare{i}" for i in range(12)]
    assert statuses(client, [*names, "handlaggare"], "10.0.0.66") == [422] * 10 + [429] * 3
    response = attempt(client, "handlaggare", "demo1234", address="10.0.0.66")
    assert response.status_code == 429  # even the right password waits at that address
    assert int(response.headers["Retry-After"]) >= 1
    assert "Vänta" in response.get_data(as_text=True)
    assert attempt(client, "handlaggare", "demo1234", address="10.0.0.7").status_code == 302


def test_an_attack_from_elsewhere_does_not_lock_the_real_user_out(client, demo, sessions):
    assert attempt(client, "handlaggare", "demo1234", address="10.0.0.7").status_code == 302
    client.post("/logga-ut", data={"csrf_token": csrf_token(client, "/uppgifter")})

    # A botnet: one wrong password for handlaggare from each of 10 addresses.
    token = csrf_token(client)
    for i in range(10):
        assert attempt(client, "handlaggare", address=f"192.0.2.{i}", token=token).status_code \
            == 422
    # Another new address now waits (the account's gentle cap: at most a minute) ...
    response = attempt(client, "handlaggare", "demo1234", address="198.51.100.1", token=token)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) <= 60
    # ... but the real user logs in from the address they used before.
    assert attempt(client, "handlaggare", "demo1234", address="10.0.0.7").status_code == 302


def test_wrong_passwords_slow_the_account_at_that_address_and_a_login_resets_it(
        client, demo, sessions):
    token = csrf_token(client)
    assert statuses(client, ["handlaggare"] * 3, "10.0.0.8") == [422] * 3
    response = attempt(client, "handlaggare", "demo1234", address="10.0.0.8", token=token)
    assert response.status_code == 429
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)

    with sessions() as session:  # the second has passed
        session.execute(update(LoginThrottle).values(blocked_until=utcnow()))
        session.commit()
    assert attempt(client, "handlaggare", "demo1234", address="10.0.0.8").status_code == 302
    with sessions() as session:
        left = session.scalars(select(LoginThrottle.scope)).all()
        failed = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "login_failed")).all()
    assert "account_address" not in left  # reset by the successful login
    assert len(failed) == 3 and failed[0].details == {"username": "handlaggare",
                                                      "ip": "10.0.0.8"}


def test_the_count_is_shared_by_every_web_process(database_url, client, demo, sessions):
    other_process = make_test_app(database_url)
    try:
        assert statuses(client, ["handlaggare"] * 3, "10.0.0.9") == [422] * 3
        assert attempt(other_process.test_client(), "handlaggare",
                       address="10.0.0.9").status_code == 429
    finally:
        other_process.extensions["db_engine"].dispose()


def test_forwarded_for_is_ignored_without_trusted_proxies(client, demo, sessions):
    token = csrf_token(client)
    codes = [attempt(client, f"namn{i}", address="10.0.0.66", token=token,
                     **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(12)]
    assert codes == [422] * 10 + [429] * 2  # a client cannot pick the address it is counted by


def test_behind_a_trusted_proxy_the_forwarded_address_counts(database_url, demo, sessions):
    proxied = make_test_app(database_url, TRUSTED_PROXIES=1)
    try:
        client = proxied.test_client()
        response = attempt(client, "handlaggare", "demo1234", address="10.9.9.9",
                           **{"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 302
        with sessions() as session:
            assert session.scalars(select(UserSession.client_address)).one() == "203.0.113.9"
        codes = [attempt(client, f"namn{i}", address="10.9.9.9",
                         **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                 for i in range(12)]
        assert codes == [422] * 12  # twelve clients behind the proxy, none slowed by the others
    finally:
        proxied.extensions["db_engine"].dispose()


@pytest.mark.parametrize("name", ["sok\x00ande", "sokande\x1b", "\u202esokande"])
def test_hidden_characters_in_the_user_name_get_a_message_and_the_name_is_kept(
        client, demo, sessions, name):
    response = attempt(client, name, "demo1234")
    assert response.status_code == 422  # never a 500 (PostgreSQL refuses NUL in text)
    page = response.get_data(as_text=True)
    assert "Användarnamnet innehåller osynliga styr- eller riktningstecken" in page
    assert f'value="{escape(name)}"' in page


def test_concurrent_failures_are_all_counted(sessions):
    """Eight web processes failing at once: no failure is lost (row lock, insert-or-nothing)."""
    from concurrent.futures import ThreadPoolExecutor

    now = utcnow()

    def fail(_):
        with sessions() as session:
            record_failed_login(session, "hanna", "10.0.0.1", now)
            session.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fail, range(24)))
    with sessions() as session:
        counts = dict(session.execute(select(LoginThrottle.scope, LoginThrottle.failures)).all())
    assert counts == {"account_address": 24, "address": 24, "account": 24}
