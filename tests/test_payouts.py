"""Payouts through the real process and the finance steps: plans, attest, batches, paid."""

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import UserRole
from app.audit import AuditEvent
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotAllowed
from app.formatting import local_today
from app.grants import budget
from app.grants.models import Organisation
from app.notifications.models import OutboxMessage
from app.payouts import attest, batches
from app.payouts.models import BatchItem, Payout
from app.payouts.plans import payouts_of
from app.payouts.reconcile import reconcile
from app.storage import storage_from_config
from tests.factories import complete, decision_data, open_task_names, pay_out, user
from tests.test_process_full import decided, make_timers_due, proposed


def new_batch(session, engine, ids, finance="ekonomi"):
    return batches.create_batch(session, storage_from_config(engine.config), engine.config,
                                user(session, finance), execution_date=local_today(), now=utcnow(),
                                payout_ids=ids)


def attested(session, engine, application, tranches=(1,)):
    ids = [p.id for p in payouts_of(session, application.id) if p.tranche in tranches]
    attest.attest(session, user(session, "ekonomi"), ids, utcnow())
    session.commit()
    return ids


def test_the_decision_creates_the_tranches_of_its_plan(session, engine, demo):
    application = decided(session, engine)
    number = application.diarienummer.replace("/", "-")
    payouts = payouts_of(session, application.id)
    assert [(p.tranche, p.reference, p.amount, p.status) for p in payouts] == [
        (1, f"TF-{number}-1", 45000, "planned"),
        (2, f"TF-{number}-2", 45000, "waiting")]
    assert payouts[1].condition == "Efter godkänd delrapport"
    assert sum(p.amount for p in payouts) == application.granted_amount


def test_the_plan_must_pay_exactly_the_granted_amount(session, engine, demo):
    application = proposed(session, engine, "bifall", 90000)
    with pytest.raises(InvalidInput) as wrong:
        complete(session, engine, application, "beslut", decision_data("delvis_bifall", 60000),
                 "beslutsfattare")
    assert "60\u00a0000\u00a0kr" in wrong.value.errors["utbetalningsplan"][0]
    session.rollback()
    plan = [{"datum": "2027-02-01", "belopp": 30000, "villkor": "Efter delrapport"},
            {"datum": "2027-06-01", "belopp": 30000}]
    with pytest.raises(InvalidInput) as conditional_first:
        complete(session, engine, application, "beslut",
                 {**decision_data("delvis_bifall", 60000), "utbetalningsplan": plan},
                 "beslutsfattare")
    assert "första utbetalningen" in conditional_first.value.errors["utbetalningsplan"][0]
    session.rollback()
    plan[0].pop("villkor")
    complete(session, engine, application, "beslut",
             {**decision_data("delvis_bifall", 60000), "utbetalningsplan": plan},
             "beslutsfattare")
    assert [p.amount for p in payouts_of(session, application.id)] == [30000, 30000]


def test_attest_is_four_eyes_and_waits_for_conditions(session, engine, demo):
    application = decided(session, engine)
    first, second = payouts_of(session, application.id)
    preparer = user(session, "handlaggare")
    preparer.role_rows.append(UserRole(role="ekonomi"))
    session.commit()
    with pytest.raises(NotAllowed, match="berett eller beslutat"):
        attest.attest(session, preparer, [first.id], utcnow())
    session.rollback()
    with pytest.raises(NotAllowed, match="Bara ekonomi"):
        attest.attest(session, user(session, "sokande"), [first.id], utcnow())
    session.rollback()
    finance = user(session, "ekonomi")
    with pytest.raises(NotAllowed, match="villkoret"):
        attest.attest(session, finance, [first.id, second.id], utcnow())
    session.rollback()
    assert session.get(Payout, first.id).status == "planned"  # all or nothing
    attest.attest(session, finance, [first.id], utcnow())
    session.commit()
    payout = session.get(Payout, first.id)
    assert (payout.status, payout.attested_by_id) == ("attested", finance.id)
    with pytest.raises(NotAllowed, match="redan attesterad"):
        attest.attest(session, finance, [first.id], utcnow())
    session.rollback()
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.action == "payout_attested")).one().actor_id == finance.id


def test_a_batch_stores_its_files_and_takes_each_payout_once(session, engine, demo):
    internal = decided(session, engine)
    external = decided(session, engine)
    external.organisation = session.scalars(
        select(Organisation).where(Organisation.name == "Huge Fastigheter AB")).one()
    session.commit()
    ids = attested(session, engine, internal) + attested(session, engine, external)
    batch = new_batch(session, engine, ids)
    session.commit()
    assert batch.number == f"UB-{local_today().year}-0001"
    assert (batch.count, batch.total, batch.status) == (2, 90000, "exported")
    storage = storage_from_config(engine.config)
    files = {f.kind: f for f in batch.files}
    assert set(files) == {"sie", "pain001", "xlsx", "csv"}
    for file in files.values():
        data = storage.get(file.storage_key)
        assert hashlib.sha256(data).hexdigest() == file.sha256 and len(data) == file.size
    assert b"#VER" in storage.get(files["sie"].storage_key)
    assert b"BGNR" in storage.get(files["pain001"].storage_key)
    assert {p.status for p in session.scalars(select(Payout).where(Payout.id.in_(ids)))} == {
        "batched"}
    with pytest.raises(Conflict):
        new_batch(session, engine, ids)
    session.rollback()
    # The database itself refuses a second live membership, whatever the code does.
    session.add(BatchItem(batch_id=batch.id, payout_id=ids[0], amount=45000, live=True))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_payee_without_details_stops_the_batch_with_its_name(session, engine, demo):
    application = decided(session, engine)
    application.organisation.cost_centre = None
    session.commit()
    ids = attested(session, engine, application)
    with pytest.raises(InvalidInput) as missing:
        new_batch(session, engine, ids)
    assert "Kultur- och fritidsnämnden saknar ansvar" in missing.value.errors["utbetalningar"][0]


def test_voiding_releases_the_payouts_for_a_new_batch(session, engine, demo):
    application = decided(session, engine)
    ids = attested(session, engine, application)
    batch = new_batch(session, engine, ids)
    session.commit()
    finance = user(session, "ekonomi")
    with pytest.raises(InvalidInput):
        batches.void_batch(session, finance, batch.id, "", utcnow())
    session.rollback()
    batches.void_batch(session, finance, batch.id, "Fel utbetalningsdag", utcnow())
    session.commit()
    assert session.get(Payout, ids[0]).status == "attested"
    assert not session.scalars(select(BatchItem.live).where(BatchItem.batch_id == batch.id)).one()
    again = new_batch(session, engine, ids)
    session.commit()
    assert again.number.endswith("0002")
    with pytest.raises(Conflict, match="makulerad"):
        batches.mark_paid(session, engine, finance, batch.id, local_today(), utcnow())
    session.rollback()


def test_marking_paid_books_the_payout_and_moves_the_process_on(session, sessions, engine,
                                                                 demo):
    application = decided(session, engine)
    assert application.status == "Beviljad, väntar på utbetalning"
    ids = attested(session, engine, application)
    batch = new_batch(session, engine, ids)
    session.commit()
    finance = user(session, "ekonomi")
    with pytest.raises(InvalidInput):
        batches.mark_paid(session, engine, finance, batch.id, local_today() + timedelta(days=1),
                          utcnow())
    session.rollback()
    with pytest.raises(InvalidInput) as before_export:
        batches.mark_paid(session, engine, finance, batch.id, date(1, 1, 1), utcnow())
    assert "före den" in before_export.value.errors["utbetald_datum"][0]
    session.rollback()
    batches.mark_paid(session, engine, finance, batch.id, local_today(), utcnow())
    session.commit()
    session.refresh(application)
    assert application.status.startswith("Beslutad, väntar till")
    payout = session.get(Payout, ids[0])
    assert (payout.status, payout.paid_on) == ("paid", local_today())
    assert budget.ledger_for(session, application.round_id).paid == 45000
    assert session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "utbetalning")).first() is not None
    with pytest.raises(Conflict, match="utbetald"):
        batches.mark_paid(session, engine, finance, batch.id, local_today(), utcnow())
    session.rollback()
    assert reconcile(session, application.round_id) == []


def test_the_conditional_tranche_is_released_by_the_approved_report(session, sessions, engine,
                                                                    demo):
    from app.engine.timers import run_due_timers

    application = decided(session, engine)
    pay_out(session, engine, application)
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    complete(session, engine, application, "aterrapportering",
             {"genomfort": "Alla kvällar.", "anvant_belopp": 45000,
              "indikator_utfall": [{"indikator": "Trygghet", "utfall": "66 %"}]}, "sokande")
    assert payouts_of(session, application.id)[1].status == "waiting"
    complete(session, engine, application, "granska_aterrapport", {"granskning": "godkand"},
             "handlaggare")
    assert payouts_of(session, application.id)[1].status == "planned"
    assert open_task_names(session, application) == []
    # The case has ended; paying the second tranche is still recorded on it.
    pay_out(session, engine, application, tranches=(2,))
    assert [p.status for p in payouts_of(session, application.id)] == ["paid", "paid"]
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.action == "payout_paid",
        AuditEvent.process_instance_id == application.process_instance_id)).all()
    assert reconcile(session, application.round_id) == []
    assert budget.ledger_for(session, application.round_id).paid == 90000


def test_attest_refuses_jav_and_the_receiving_organisation(session, engine, demo):
    from app.grants.models import JavDeclaration

    application = decided(session, engine)
    first = payouts_of(session, application.id)[0]
    finance = user(session, "ekonomi")
    session.add(JavDeclaration(application_id=application.id, user_id=finance.id,
                               task_name="attest", reason="Min bror leder insatsen."))
    colleague = user(session, "sokande")  # works at the receiving nämnd
    colleague.role_rows.append(UserRole(role="ekonomi"))
    session.commit()
    problems = attest.attest_problems(session, finance, [first])
    assert "jäv" in problems[first.id]
    assert "mottagaren" in attest.attest_problems(session, colleague, [first])[first.id]
    with pytest.raises(NotAllowed, match="jäv"):
        attest.attest(session, finance, [first.id], utcnow())


def test_attest_refuses_a_user_acting_for_the_receiver_among_other_organisations(
        session, engine, demo):
    """Every organisation a user acts for counts, not only one of them (the lowest id)."""
    from app.accounts.models import UserOrganisation
    from app.grants.models import Organisation

    application = decided(session, engine)
    first = payouts_of(session, application.id)[0]
    other = session.scalars(select(Organisation).where(
        Organisation.id != application.organisation_id).order_by(Organisation.id)).first()
    assert other.id < application.organisation_id  # the receiver is not the user's lowest id
    finance = user(session, "ekonomi")
    finance.organisation_rows.extend([UserOrganisation(organisation_id=other.id),
                                      UserOrganisation(organisation_id=application.organisation_id)])
    session.commit()
    assert "mottagaren" in attest.attest_problems(session, finance, [first])[first.id]
    with pytest.raises(NotAllowed, match="mottagaren"):
        attest.attest(session, finance, [first.id], utcnow())


def test_a_batch_that_rolls_back_leaves_no_files(session, engine, demo):
    application = decided(session, engine)
    ids = attested(session, engine, application)
    batch = new_batch(session, engine, ids)
    keys = [f.storage_key for f in batch.files]
    storage = storage_from_config(engine.config)
    assert all(storage.get(key) for key in keys)
    session.rollback()  # e.g. the commit failed
    for key in keys:
        with pytest.raises(FileNotFoundError):
            storage.get(key)
    assert session.get(Payout, ids[0]).status == "attested"
