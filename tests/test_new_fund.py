"""The README's "Sätta upp en ny fond" walkthrough, step by step on an empty database: the first
administrator from the command line, a fund and a round, an organisation from its page, an
applicant, and the applicant's first application in the new round."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import Base, make_engine
from app.formatting import local_today
from app.grants.models import Application, Fund, Round
from tests.conftest import csrf_token, login, make_test_app

PASSWORD = "Trygg-Fond-Huddinge-2027!"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_app(request, empty_database_url):
    url = empty_database_url(request.param)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = make_test_app(url)
    yield app
    app.extensions["db_engine"].dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_new_fund_is_set_up_from_an_empty_database_without_python(empty_app):
    app = empty_app
    today = local_today()
    run(app, "users", "create", "admin.anna", "--name", "Anna Admin",
        "--email", "anna.admin@kommun.example", "--role", "admin")
    run(app, "users", "set-password", "admin.anna", "--password", PASSWORD)
    run(app, "funds", "create", "--name", "Föreningsbidraget", "--process", "trygghetsfond",
        "--diarie-prefix", "KFN", "--organ", "Kultur- och fritidsnämnden")
    with app.extensions["sessions"]() as session:
        fund = session.scalars(select(Fund)).one()
    run(app, "rounds", "open", str(fund.id), "--name", "Våren", "--opens-on", str(today),
        "--closes-on", str(today + timedelta(days=30)), "--budget", "500000",
        "--max-per-application", "50000")

    admin = app.test_client()
    login(admin, "admin.anna", PASSWORD)
    created = admin.post("/admin/organisationer/ny", data={
        "csrf_token": csrf_token(admin, "/uppgifter"), "name": "Flemingsbergs IF",
        "kind": "forening", "org_number": "8020154327", "active": "ja"})
    assert created.status_code == 302

    run(app, "users", "create", "sara", "--name", "Sara Sökande", "--email",
        "sara@forening.example", "--role", "sokande", "--organisation", "Flemingsbergs IF")
    run(app, "users", "set-password", "sara", "--password", PASSWORD)
    applicant = app.test_client()
    login(applicant, "sara", PASSWORD)
    with app.extensions["sessions"]() as session:
        fund_round = session.scalars(select(Round)).one()
    started = applicant.post("/ansokningar/ny", data={
        "csrf_token": csrf_token(applicant, "/ansokningar"), "round_id": fund_round.id})
    assert started.status_code == 302 and "/uppgifter/" in started.headers["Location"]
    with app.extensions["sessions"]() as session:
        application = session.scalars(select(Application)).one()
        assert application.round.fund.name == "Föreningsbidraget"
        assert application.organisation.name == "Flemingsbergs IF"
