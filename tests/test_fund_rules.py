"""Every rule for every fund: a small fund written as files only (tests/fixtures/testfond, its
own task, field and message names) gets the round rules, the decided amount, withdrawal,
reminders and the budget ledger through its declarations."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine.deployment import deploy_files
from app.engine.models import HumanTask, ProcessInstance
from app.errors import InvalidInput
from app.formatting import local_today
from app.grants import applications, budget
from app.grants.funds import create_fund
from app.grants.models import Application, Decision, Fund
from app.grants.rounds import open_round
from app.notifications.models import OutboxMessage
from tests.factories import user
from tests.test_process_full import make_timers_due

FIXTURE = Path(__file__).parent / "fixtures" / "testfond"
TODAY = local_today()


@pytest.fixture
def fund_round(app, session, engine, demo):
    """The test fund deployed next to the shipped catalogue, with a round open today."""
    files = {path.name: path.read_bytes() for path in sorted(FIXTURE.iterdir())}
    session.rollback()
    deploy_files(session, engine.versions, files, engine.operations, actor_id=None,
                 checks=engine.checks)
    fund = create_fund(session, {"name": "Testfonden", "process_id": "testfond",
                                 "diarie_prefix": "TEST", "organ": "Testnämnden",
                                 "project_pattern": "TEST{year2}-{seq}"},
                       processes={"testfond"}, actor_id=None)
    created = open_round(session, fund, {
        "name": "Testomgången", "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=30)).isoformat(), "budget": "100000",
        "max_per_application": "50000", "komplettering_days": "14"},
        criteria=[], today=TODAY, actor_id=None)
    session.commit()
    yield created
    app.extensions["engine"].versions.forget()


def open_task(session, application: Application) -> HumanTask:
    session.expire_all()
    return session.scalars(select(HumanTask).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.completed_at.is_(None))).one()


def submitted(session, engine, fund_round, amount: int = 40000) -> Application:
    application = applications.start_application(session, engine, user(session, "sokande"),
                                                 fund_round.id, TODAY)
    session.commit()
    applications.complete_task(session, engine, user(session, "sokande"),
                               open_task(session, application).id,
                               {"rubrik": "Trygga trappor", "summa_sokt": amount,
                                "kontakt_epost": "kontakt@forening.example"}, TODAY)
    session.commit()
    session.refresh(application)
    return application


def decide(session, engine, application, data: dict) -> None:
    applications.complete_task(session, engine, user(session, "beslutsfattare"),
                               open_task(session, application).id, data, TODAY)
    session.commit()
    session.refresh(application)


def test_the_case_row_and_the_reservation_come_from_the_declared_fields(session, engine,
                                                                          fund_round):
    application = submitted(session, engine, fund_round)
    assert (application.title, application.requested_amount) == ("Trygga trappor", 40000)
    assert application.diarienummer.startswith("TEST-")
    assert budget.active_reservation(session, application) == Decimal(40000)
    assert open_task(session, application).task_name == "avgora"


def test_a_grant_of_10_000_on_a_request_of_40_000_grants_10_000(session, engine, fund_round):
    application = submitted(session, engine, fund_round, amount=40000)
    decide(session, engine, application, {"utslag": "ja", "summa": 10000,
                                          "skal": "Vi beviljar en del av kostnaden."})
    decision = session.scalars(select(Decision)).one()
    assert (decision.outcome, decision.amount) == ("bifall", Decimal(10000))
    assert application.granted_amount == Decimal(10000)
    assert decision.motivation == "Vi beviljar en del av kostnaden."
    ledger = budget.ledger_for(session, fund_round.id)
    assert ledger.remaining == Decimal(90000)  # the reservation of 40 000 became 10 000


def test_a_grant_needs_its_amount_and_at_most_the_requested(session, engine, fund_round):
    application = submitted(session, engine, fund_round, amount=40000)
    with pytest.raises(InvalidInput) as missing:
        decide(session, engine, application, {"utslag": "ja", "skal": "Beviljas."})
    assert missing.value.errors == {"summa": ["Ange det beviljade beloppet."]}
    session.rollback()
    with pytest.raises(InvalidInput) as above:
        decide(session, engine, application, {"utslag": "ja", "summa": 50000, "skal": "Ja."})
    assert list(above.value.errors) == ["summa"]


def test_a_rejection_grants_nothing_and_releases_the_reservation(session, engine, fund_round):
    application = submitted(session, engine, fund_round)
    decide(session, engine, application, {"utslag": "nej", "skal": "Ryms inte i fonden."})
    decision = session.scalars(select(Decision)).one()
    assert (decision.outcome, decision.amount) == ("avslag", Decimal(0))
    assert budget.ledger_for(session, fund_round.id).remaining == Decimal(100000)


def test_an_application_after_its_round_closed_is_refused(session, engine, fund_round):
    application = applications.start_application(session, engine, user(session, "sokande"),
                                                 fund_round.id, TODAY)
    session.commit()
    too_late = fund_round.closes_on + timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        applications.complete_task(session, engine, user(session, "sokande"),
                                   open_task(session, application).id,
                                   {"rubrik": "Sent", "summa_sokt": 1000}, too_late)
    assert refused.value.errors == {"": ["Ansökningsomgången Testomgången är stängd."]}


def test_the_round_maximum_and_period_apply_to_the_declared_fields(session, engine,
                                                                   fund_round):
    application = applications.start_application(session, engine, user(session, "sokande"),
                                                 fund_round.id, TODAY)
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        applications.complete_task(session, engine, user(session, "sokande"),
                                   open_task(session, application).id,
                                   {"rubrik": "Stort", "summa_sokt": 60000,
                                    "fran": "2027-06-01", "till": "2027-05-01"}, TODAY)
    assert set(refused.value.errors) == {"summa_sokt", "till"}


def test_withdrawal_by_the_declared_message(session, engine, fund_round):
    application = submitted(session, engine, fund_round)
    applications.withdraw_application(session, engine, user(session, "sokande"),
                                      application.id, "Vi fick pengar på annat håll.")
    session.commit()
    session.expire_all()
    instance = session.get(ProcessInstance, application.process_instance_id)
    assert (instance.status, instance.end_name) == ("completed", "Tillbakatagen")
    assert budget.active_reservation(session, application) == Decimal(0)


def test_a_reminder_reaches_everyone_who_may_claim_the_task(session, engine, fund_round):
    application = submitted(session, engine, fund_round)
    make_timers_due(session, engine, application)
    engine.fire_timers(session, application.process_instance_id)
    session.commit()
    reminded = session.scalars(select(OutboxMessage.recipient_user_id).where(
        OutboxMessage.kind == "paminnelse")).all()
    deciders = {u.id for u in [user(session, "beslutsfattare")]}
    assert set(reminded) == deciders  # the task is unassigned: its lane's role gets it


def test_an_instance_starts_through_the_engine_without_an_application(session, engine,
                                                                       fund_round):
    instance = engine.start_instance(session, "testfond", actor_id=None)
    session.commit()
    assert instance.status == "running"
    assert session.scalars(select(HumanTask.task_name).where(
        HumanTask.instance_id == instance.id)).all() == ["soka"]
    assert session.scalars(select(Application)).all() == []
    assert session.scalars(select(Fund.name).where(Fund.process_id == "testfond")).one()
