"""User administration: create, edit, deactivate (pages and `flask users …`), invitation
links, forgot password, changing one's own password, and the password policy."""

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from app.accounts.models import AccountToken, User, UserSession
from app.accounts.passwords import password_problem
from app.audit import AuditEvent
from app.db import utcnow
from app.grants.choices import users_with_role
from app.grants.models import Organisation
from app.notifications.models import OutboxMessage
from app.notifications.outbox import enqueue
from tests.conftest import csrf_token, login

GOOD = "grön kanot vid Orlången"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/konto/losenord/[A-Za-z0-9_-]+)")


def admin_client(app):
    client = app.test_client()
    login(client, "admin")
    return client


def post(client, path, data, page="/uppgifter"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def new_user_form(**overrides):
    return {"username": "anna.svensson", "display_name": "Anna Svensson", "title": "Utredare",
            "email": "anna@huddinge.example", "roles": ["handlaggare", "bedomare"],
            "organisation_ids": [], **overrides}


def messages_to(sessions, email):
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient_email == email).order_by(OutboxMessage.id)))


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def main(response) -> str:
    """The page's main content (what the visitor is told)."""
    page = response.get_data(as_text=True)
    return page[page.index("<main"):page.index("</main>")]


def actions(sessions):
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_password_policy_length_name_and_breached_lists():
    assert "minst 12" in password_problem("kort1234")
    assert "för lätt att gissa" in password_problem("password1234")  # zxcvbn: common
    assert "för lätt att gissa" in password_problem("qwertyuiop12")  # keyboard pattern
    assert "användarnamn" in password_problem("annasvensson-2027x", ("annasvensson",))
    assert password_problem(GOOD) is None
    assert password_problem("x" * 129) is not None


def test_admin_creates_user_with_roles_and_invitation_sets_the_password(app, sessions, demo):
    client = admin_client(app)
    response = post(client, "/admin/anvandare/ny", new_user_form(), "/admin/anvandare/ny")
    assert response.status_code == 302
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "anna.svensson")).one()
        assert user.roles == {"handlaggare", "bedomare"} and user.password_hash == ""
        tokens = session.scalars(select(AccountToken)).all()
        assert [t.purpose for t in tokens] == ["invitation"]
        assert timedelta(hours=71) < tokens[0].expires_at - tokens[0].created_at \
            <= timedelta(hours=72)
        assert ("anna.svensson", "Anna Svensson, Utredare") in users_with_role(session,
                                                                              "bedomare")
    [message] = messages_to(sessions, "anna@huddinge.example")
    assert message.kind == "inbjudan" and "Ämne" not in message.subject
    path = link_in(message)
    with sessions() as session:  # only the hash is stored
        assert session.scalar(select(func.count()).select_from(AccountToken).where(
            AccountToken.id == path.rsplit("/", 1)[1])) == 0
    # No password yet: logging in fails.
    other = app.test_client()
    assert other.post("/logga-in", data={"username": "anna.svensson", "password": "",
                                         "csrf_token": csrf_token(other)}).status_code == 422
    invitee = app.test_client()
    assert invitee.get(path).status_code == 200
    weak = post(invitee, path, {"password": "password1234", "password2": "password1234"}, path)
    assert weak.status_code == 422 and "lätt att gissa" in weak.get_data(as_text=True)
    response = post(invitee, path, {"password": GOOD, "password2": GOOD}, path)
    assert response.status_code == 302
    assert invitee.get("/uppgifter").status_code == 200  # logged in
    # Single use: the link is spent.
    assert app.test_client().get(path).status_code == 404
    login(app.test_client(), "anna.svensson", GOOD)
    assert {"user_created", "user_invited", "password_set", "invitation_used"} <= set(
        actions(sessions))


def test_bad_user_input_names_each_field_and_keeps_what_was_typed(app, sessions, demo):
    client = admin_client(app)
    form = new_user_form(username="Anna Svensson!", email="inte-en-adress", roles=["sokande",
                                                                                   "kung"])
    response = post(client, "/admin/anvandare/ny", form, "/admin/anvandare/ny")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Användarnamnet ska ha 2–80 tecken" in page
    assert "Ange en e-postadress som namn@exempel.se." in page
    assert "Okänd roll: kung" in page
    assert 'value="inte-en-adress"' in page
    taken = post(client, "/admin/anvandare/ny", new_user_form(username="handlaggare"),
                 "/admin/anvandare/ny")
    assert taken.status_code == 422 and "upptaget" in taken.get_data(as_text=True)
    no_org = post(client, "/admin/anvandare/ny", new_user_form(roles=["sokande"]),
                  "/admin/anvandare/ny")
    assert no_org.status_code == 422 and "måste höra till en organisation" in \
        no_org.get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User).where(
            User.username == "anna.svensson")) == 0


def test_edit_changes_roles_and_organisation_with_an_audit_event(app, sessions, demo):
    client = admin_client(app)
    with sessions() as session:
        user_id = session.scalar(select(User.id).where(User.username == "bedomare2"))
        org_id = session.scalar(select(Organisation.id).where(
            Organisation.name == "Kultur- och fritidsnämnden"))
    form = new_user_form(username="bedomare2", display_name="Berit Bedömare",
                         email="bedomare2@huddinge.example", roles=["bedomare", "sokande"],
                         organisation_ids=[str(org_id)])
    assert post(client, f"/admin/anvandare/{user_id}", form).status_code == 302
    with sessions() as session:
        user = session.get(User, user_id)
        assert user.roles == {"bedomare", "sokande"} and user.organisation_ids == {org_id}
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "user_changed")).one()
        assert event.details["changed"]["roles"] == [["bedomare"], ["bedomare", "sokande"]]
        assert event.actor_id == demo["admin"].id


def test_deactivated_user_is_logged_out_leaves_lists_and_keeps_history(app, sessions, demo):
    victim = app.test_client()
    login(victim, "bedomare2")
    client = admin_client(app)
    with sessions() as session:
        user_id = session.scalar(select(User.id).where(User.username == "bedomare2"))
    assert post(client, f"/admin/anvandare/{user_id}/inaktivera", {}).status_code == 302
    assert victim.get("/uppgifter").status_code == 302  # the session is revoked
    again = app.test_client()
    response = again.post("/logga-in", data={"username": "bedomare2", "password": "demo1234",
                                             "csrf_token": csrf_token(again)})
    assert response.status_code == 422
    with sessions() as session:
        assert "bedomare2" not in [u for u, _ in users_with_role(session, "bedomare")]
        user = session.get(User, user_id)
        assert enqueue(session, "tilldelning", [user], {
            "diarienummer": "KS-1", "titel": "t", "organisation": "o", "url": "u",
            "frist": "f", "fund": "Fonden"}) == []
        assert session.get(User, user_id) is not None  # the row (history) stays
        assert session.scalars(select(UserSession.revoked_reason).where(
            UserSession.user_id == user_id)).all() == ["deactivated"]
    # An admin cannot lock themselves out.
    own = post(client, f"/admin/anvandare/{demo['admin'].id}/inaktivera", {})
    assert own.status_code == 422
    assert post(client, f"/admin/anvandare/{user_id}/aktivera", {}).status_code == 302
    login(app.test_client(), "bedomare2")
    assert {"user_deactivated", "user_reactivated"} <= set(actions(sessions))


def test_users_list_filters_and_pages(app, sessions, demo):
    client = admin_client(app)
    page = client.get("/admin/anvandare?roll=bedomare").get_data(as_text=True)
    assert "Bo Bedömare" in page and "Berit Bedömare" in page and "Sara Sökande" not in page
    assert client.get("/admin/anvandare?sida=2").status_code == 200
    assert client.get("/admin/anvandare?sida=x&roll=kung&status=y").status_code == 422


def test_forgot_password_same_answer_single_use_expiring_and_rate_limited(app, sessions,
                                                                          demo):
    client = app.test_client()
    known = post(client, "/konto/glomt-losenord", {"email": "Sokande@huddinge.example"},
                 "/konto/glomt-losenord")
    unknown = post(client, "/konto/glomt-losenord", {"email": "ingen@huddinge.example"},
                   "/konto/glomt-losenord")
    assert known.status_code == unknown.status_code == 200
    assert main(known).replace("Sokande@huddinge.example", "X") == \
        main(unknown).replace("ingen@huddinge.example", "X")
    assert messages_to(sessions, "ingen@huddinge.example") == []
    [message] = messages_to(sessions, "sokande@huddinge.example")
    path = link_in(message)
    logged_in = app.test_client()
    login(logged_in, "sokande")
    assert post(client, path, {"password": GOOD, "password2": GOOD}, path).status_code == 302
    assert logged_in.get("/uppgifter").status_code == 302  # other sessions ended
    assert app.test_client().get(path).status_code == 404  # used
    # An expired link does not work.
    post(client, "/konto/glomt-losenord", {"email": "sokande2@huddinge.example"},
         "/konto/glomt-losenord")
    path2 = link_in(messages_to(sessions, "sokande2@huddinge.example")[-1])
    with sessions() as session:
        session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert app.test_client().get(path2).status_code == 404
    # Per account: after 3 requests the address gets no more mail (the answer is the same).
    for _ in range(4):
        response = post(client, "/konto/glomt-losenord",
                        {"email": "bedomare@huddinge.example"}, "/konto/glomt-losenord")
        assert response.status_code == 200
    assert len(messages_to(sessions, "bedomare@huddinge.example")) == 3
    # Per client address: after 10 requests this client must wait.
    statuses = [post(client, "/konto/glomt-losenord", {"email": f"x{i}@example.se"},
                     "/konto/glomt-losenord").status_code for i in range(6)]
    assert statuses[-1] == 429 and "För många förfrågningar" in post(
        client, "/konto/glomt-losenord", {"email": "y@example.se"},
        "/konto/glomt-losenord").get_data(as_text=True)
    bad = post(app.test_client(), "/konto/glomt-losenord", {"email": "inte en adress"},
               "/konto/glomt-losenord")
    assert bad.status_code == 422 and 'value="inte en adress"' in bad.get_data(as_text=True)


def test_change_own_password_needs_the_current_one_and_ends_other_sessions(app, sessions,
                                                                           demo):
    other = app.test_client()
    login(other, "handlaggare")
    client = app.test_client()
    login(client, "handlaggare")
    wrong = post(client, "/konto/byt-losenord", {"current": "fel", "password": GOOD,
                                                 "password2": GOOD}, "/konto/byt-losenord")
    assert wrong.status_code == 422 and "nuvarande lösenordet" in wrong.get_data(as_text=True)
    named = post(client, "/konto/byt-losenord", {
        "current": "demo1234", "password": "handlaggare-2027-x", "password2":
        "handlaggare-2027-x"}, "/konto/byt-losenord")
    assert named.status_code == 422 and "användarnamn" in named.get_data(as_text=True)
    mismatch = post(client, "/konto/byt-losenord", {"current": "demo1234", "password": GOOD,
                                                    "password2": GOOD + "x"},
                    "/konto/byt-losenord")
    assert mismatch.status_code == 422
    ok = post(client, "/konto/byt-losenord", {"current": "demo1234", "password": GOOD,
                                              "password2": GOOD}, "/konto/byt-losenord")
    assert ok.status_code == 302
    assert client.get("/uppgifter").status_code == 200  # this one continues
    assert other.get("/uppgifter").status_code == 302  # the other ended
    login(app.test_client(), "handlaggare", GOOD)


def test_flask_users_create_edit_deactivate_list(app, runner, sessions, demo):
    result = runner.invoke(args=["users", "create", "olle", "--name", "Olle Ek", "--email",
                                 "olle@huddinge.example", "--role", "sokande", "--role",
                                 "bedomare", "--organisation", "Huge Fastigheter AB"])
    assert result.exit_code == 0, result.output
    assert len(messages_to(sessions, "olle@huddinge.example")) == 1
    bad = runner.invoke(args=["users", "create", "x y", "--name", "X", "--email", "nej",
                              "--role", "kung"])
    assert bad.exit_code == 1 and "--username" in bad.output and "--email" in bad.output
    result = runner.invoke(args=["users", "edit", "olle", "--role", "ekonomi", "--title",
                                 "Controller"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list", "--role", "ekonomi"]).output
    assert "olle" in listing and "inbjuden" in listing and "sokande2" not in listing
    assert runner.invoke(args=["users", "deactivate", "olle"]).exit_code == 0
    assert "olle" not in runner.invoke(args=["users", "list"]).output
    assert "inaktiverad" in runner.invoke(args=["users", "list", "--all"]).output
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "olle")).one()
        assert user.roles == {"ekonomi"} and user.title == "Controller" and not user.active


def test_a_link_used_twice_at_the_same_moment_sets_the_password_once(app, sessions, demo):
    import threading

    from app.accounts.tokens import INVITATION, issue_token, use_token
    from app.errors import InvalidInput

    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "ekonomi")).one()
        token = issue_token(session, user, INVITATION, utcnow(), timedelta(hours=1))
        session.commit()
    barrier, results = threading.Barrier(2), []

    def use(password):
        with sessions() as session:
            barrier.wait()
            try:
                use_token(session, token, password, utcnow())
                session.commit()
                results.append(password)
            except InvalidInput:
                session.rollback()
                results.append(None)

    threads = [threading.Thread(target=use, args=(f"{GOOD} {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r]
    assert len(results) == 2 and len(winners) == 1, results
    login(app.test_client(), "ekonomi", winners[0])


def test_the_one_time_link_is_not_written_to_the_log(app, sessions, demo, caplog):
    import logging

    from app.accounts.tokens import RESET, issue_token

    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "ekonomi")).one()
        token = issue_token(session, user, RESET, utcnow(), timedelta(hours=1))
        session.commit()
    with caplog.at_level(logging.INFO, logger="app.web.ops"):
        assert app.test_client().get(f"/konto/losenord/{token}").status_code == 200
    assert "GET /konto/losenord/<token> 200" in caplog.text and token not in caplog.text


def test_forgot_password_takes_as_long_whether_or_not_the_address_exists(app, sessions, demo):
    import time

    from app.web.account import FORGOT_MIN_SECONDS

    client = app.test_client()
    took = {}
    for email in ("sokande@huddinge.example", "ingen@huddinge.example"):
        token = csrf_token(client, "/konto/glomt-losenord")
        started = time.monotonic()
        assert client.post("/konto/glomt-losenord", data={
            "csrf_token": token, "email": email}).status_code == 200
        took[email] = time.monotonic() - started
    assert all(seconds >= FORGOT_MIN_SECONDS for seconds in took.values()), took
    assert abs(took["sokande@huddinge.example"] - took["ingen@huddinge.example"]) < 0.1, took
