"""An applicant acts for several organisations: set in the user form and `flask users`, the
existing single link kept by the migration, one organisation chosen per new application, and
the cases and tasks of every one of them (and of no other) theirs."""

from sqlalchemy import select, text

from app.accounts.models import User, UserOrganisation, UserRole
from app.accounts.passwords import hash_password
from app.audit import AuditEvent
from app.grants.models import Application, Organisation, Round
from tests.conftest import csrf_token, login

KULTUR, HUGE, SOCIAL = "Kultur- och fritidsnämnden", "Huge Fastigheter AB", "Socialnämnden"


def organisation_ids(session, *names: str) -> list[int]:
    found = dict(session.execute(select(Organisation.name, Organisation.id)).all())
    return [found[name] for name in names]


def post(client, path: str, data: dict, page: str = "/uppgifter"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_admin_gives_a_user_several_organisations_audited(app, sessions, demo):
    client = app.test_client()
    login(client, "admin")
    with sessions() as session:
        kultur, huge = organisation_ids(session, KULTUR, HUGE)
    form = {"username": "maria", "display_name": "Maria Malm", "email": "maria@x.example",
            "roles": ["sokande"], "organisation_ids": [str(kultur), str(huge)]}
    assert post(client, "/admin/anvandare/ny", form, "/admin/anvandare/ny").status_code == 302
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "maria")).one()
        assert user.organisation_ids == {kultur, huge}
        assert [o.name for o in user.organisations] == [HUGE, KULTUR]  # by name
        created = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "user_created")).all()[-1]
        assert created.details["organisations"] == sorted([kultur, huge])
    page = client.get(f"/admin/anvandare/{user.id}").get_data(as_text=True)
    assert f'id="organisation_ids-{kultur}" name="organisation_ids" value="{kultur}" checked' \
        in page
    assert "Huge Fastigheter AB, Kultur- och fritidsnämnden" in client.get(
        "/admin/anvandare").get_data(as_text=True)
    # One taken away: audited with before and after.
    assert post(client, f"/admin/anvandare/{user.id}", {**form, "organisation_ids": [
        str(huge)]}).status_code == 302
    with sessions() as session:
        assert session.get(User, user.id).organisation_ids == {huge}
        changed = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "user_changed")).one()
        assert changed.details["changed"]["organisations"] == [sorted([kultur, huge]), [huge]]
    # An unknown organisation is named; an applicant without any too.
    bad = post(client, f"/admin/anvandare/{user.id}", {**form, "organisation_ids": [
        str(huge), "99999999", "x"]})
    assert bad.status_code == 422 and "Välj organisationerna ur listan" in \
        bad.get_data(as_text=True)
    none = post(client, f"/admin/anvandare/{user.id}", {**form, "organisation_ids": []})
    assert none.status_code == 422 and "måste höra till en organisation" in \
        none.get_data(as_text=True)
    with sessions() as session:
        assert session.get(User, user.id).organisation_ids == {huge}


def test_flask_users_takes_several_organisations(app, runner, sessions, demo):
    result = runner.invoke(args=["users", "create", "olle", "--name", "Olle Ek", "--email",
                                 "olle@x.example", "--role", "sokande", "--organisation", HUGE,
                                 "--organisation", KULTUR])
    assert result.exit_code == 0, result.output
    assert f"{HUGE}, {KULTUR}" in runner.invoke(args=["users", "list"]).output
    unknown = runner.invoke(args=["users", "edit", "olle", "--organisation", "Finns inte AB"])
    assert unknown.exit_code == 1 and "--organisation: Välj organisationerna ur listan" in \
        unknown.output
    cleared = runner.invoke(args=["users", "edit", "olle", "--organisation", ""])
    assert cleared.exit_code == 1 and "--organisation: En sökande måste höra till" in \
        cleared.output
    kept = runner.invoke(args=["users", "edit", "olle", "--title", "Ordförande"])
    assert kept.exit_code == 0, kept.output
    assert runner.invoke(args=["users", "edit", "olle", "--organisation",
                               SOCIAL]).exit_code == 0
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "olle")).one()
        assert user.organisation_ids == set(organisation_ids(session, SOCIAL))
        assert user.title == "Ordförande"


def make_multi_applicant(sessions, *names: str) -> int:
    """A local applicant acting for the named organisations (password demo1234)."""
    with sessions() as session:
        user = User(username="multi", display_name="Mona Multi", email="mona@x.example",
                    password_hash=hash_password("demo1234"),
                    organisation_rows=[UserOrganisation(organisation_id=i)
                                       for i in organisation_ids(session, *names)],
                    role_rows=[UserRole(role="sokande")])
        session.add(user)
        session.commit()
        return user.id


def test_an_applicant_of_several_organisations_chooses_one_at_start(app, sessions, demo):
    make_multi_applicant(sessions, KULTUR, HUGE)
    with sessions() as session:
        round_id = session.scalars(select(Round.id)).first()
        huge, social = organisation_ids(session, HUGE, SOCIAL)
    client = app.test_client()
    login(client, "multi")
    page = client.get("/ansokningar").get_data(as_text=True)
    assert 'name="organisation_id"' in page and "Organisation som söker" in page
    assert f'<option value="{huge}">{HUGE}</option>' in page
    assert f'<option value="{social}">' not in page  # only their own are offered
    assert "Mona Multi, Huge Fastigheter AB, Kultur- och fritidsnämnden" in page
    for chosen, message in (("", "Välj vilken organisation ansökan gäller."),
                            (str(social), "Välj en av de organisationer du söker för."),
                            ("x", "Välj vilken organisation ansökan gäller.")):
        refused = post(client, "/ansokningar/ny", {"round_id": round_id,
                                                   "organisation_id": chosen})
        body = refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in body, chosen
        assert f'href="#organisation_id-{round_id}"' in body and 'aria-invalid="true"' in body
    with sessions() as session:
        assert session.scalars(select(Application)).all() == []
    started = post(client, "/ansokningar/ny", {"round_id": round_id, "organisation_id": huge})
    assert started.status_code == 302
    with sessions() as session:
        application = session.scalars(select(Application)).one()
        assert application.organisation_id == huge
    # The other applicant of Huge sees the draft; the one of Kultur does not.
    for username, status in (("sokande2", 200), ("sokande", 404)):
        other = app.test_client()
        login(other, username)
        assert other.get(f"/ansokningar/{application.id}").status_code == status, username


def test_an_applicant_with_one_organisation_is_not_asked(app, sessions, demo):
    with sessions() as session:
        round_id = session.scalars(select(Round.id)).first()
    client = app.test_client()
    login(client, "sokande")
    assert 'name="organisation_id"' not in client.get("/ansokningar").get_data(as_text=True)
    assert post(client, "/ansokningar/ny", {"round_id": round_id}).status_code == 302
    # Posting someone else's organisation is refused all the same.
    with sessions() as session:
        (huge,) = organisation_ids(session, HUGE)
    refused = post(client, "/ansokningar/ny", {"round_id": round_id, "organisation_id": huge})
    assert refused.status_code == 422


def test_migration_keeps_each_users_organisation(empty_database_url):
    """users.organisation_id becomes a row of user_organisations, and back on downgrade;
    nothing else of the users goes (SQLite rebuilds the table)."""
    from alembic import command

    from app.cli import alembic_config
    from app.db import make_engine

    def migrate(engine, step, revision):
        with engine.connect() as connection:  # as `flask db upgrade` does
            step(alembic_config(connection), revision)
            connection.commit()

    for backend in ("sqlite", "postgres"):
        engine = make_engine(empty_database_url(backend))
        try:
            migrate(engine, command.upgrade, "d4a8e1c2f5b6")
            with engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO organisations (id, name, kind, active) VALUES "
                    "(1, 'A', 'namnd', true), (2, 'B', 'bolag', true)"))
                connection.execute(text(
                    "INSERT INTO users (id, username, display_name, title, email, "
                    "password_hash, organisation_id, active, session_epoch, created_at) VALUES "
                    "(1, 'a', 'A', '', '', '', 2, true, 0, CURRENT_TIMESTAMP), "
                    "(2, 'b', 'B', '', '', '', NULL, true, 0, CURRENT_TIMESTAMP)"))
                connection.execute(text("INSERT INTO user_roles VALUES (1, 'sokande')"))
            migrate(engine, command.upgrade, "b83f5d1e0a47")
            with engine.begin() as connection:
                rows = connection.execute(text(
                    "SELECT user_id, organisation_id, source FROM user_organisations")).all()
                assert [tuple(r) for r in rows] == [(1, 2, "admin")], backend
                assert connection.execute(text("SELECT count(*) FROM user_roles")).scalar() == 1
                connection.execute(text(
                    "INSERT INTO user_organisations VALUES (1, 1, 'sso'), (2, 1, 'admin')"))
            migrate(engine, command.downgrade, "d4a8e1c2f5b6")
            with engine.begin() as connection:
                back = connection.execute(text(
                    "SELECT id, organisation_id FROM users ORDER BY id")).all()
                assert [tuple(r) for r in back] == [(1, 1), (2, 1)], backend
                assert connection.execute(text("SELECT count(*) FROM user_roles")).scalar() == 1
        finally:
            engine.dispose()


def test_notices_reach_every_applicant_acting_for_the_organisation(app, sessions, demo):
    from app.notifications.models import OutboxMessage
    from tests.factories import submitted_application

    make_multi_applicant(sessions, KULTUR, HUGE)
    with sessions() as session:
        submitted_application(session, app.extensions["engine"])  # Kultur's, by sokande
        receipts = set(session.scalars(select(OutboxMessage.recipient_email).where(
            OutboxMessage.kind == "kvitto")))
    assert {"mona@x.example", "sokande@huddinge.example"} <= receipts
    assert "sokande2@huddinge.example" not in receipts  # Huge's applicant
