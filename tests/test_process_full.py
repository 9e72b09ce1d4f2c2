"""The full trygghetsfond process through the engine: every path of the issue, both backends."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.engine.models import HumanTask, ProcessInstance
from app.engine.serializer import dump_state
from app.engine.tasks import next_timer_at
from app.engine.timers import run_due_timers
from app.errors import InvalidInput, NotAllowed, NotFound
from app.grants import applications, budget
from app.grants.models import Decision, JavDeclaration, RepaymentClaim
from app.letters.issue import letter_of_decision
from app.notifications.models import OutboxMessage
from app.storage import storage_from_config
from tests.factories import (
    complete,
    decision_data,
    open_task_names,
    pay_out,
    proposal_data,
    review_all,
    review_data,
    submitted_application,
    to_review,
    user,
)


def make_timers_due(session, engine, application):
    """Move the case's waiting timers into the past (instead of waiting for them)."""
    session.rollback()
    instance = engine.lock_instance(session, application.process_instance_id)
    workflow = engine.load_workflow(session, instance)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for task in workflow.event_manager.tasks.values():
        task.internal_data["event_value"] = past
    instance.state = dump_state(workflow)
    instance.next_timer_at = next_timer_at(workflow)
    session.commit()


SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


def proposed(session, engine, outcome="bifall", amount=90000, round_id=None):
    """A case reviewed and prepared, waiting for a delegated officer's decision (in the round,
    default: the demo round)."""
    application = submitted_application(session, engine, round_id=round_id, **SMALL)
    to_review(session, engine, application)
    review_all(session, engine, application)
    complete(session, engine, application, "beredning", proposal_data(outcome, amount),
             "handlaggare")
    return application


def decided(session, engine, outcome="bifall", amount=90000, decision=None, round_id=None):
    """A case decided by a delegated officer (≤ 100 000 kr)."""
    application = proposed(session, engine, outcome, amount, round_id)
    complete(session, engine, application, "beslut",
             decision or decision_data(outcome, amount if outcome != "avslag" else None),
             "beslutsfattare")
    session.refresh(application)
    return application


def test_bifall_with_two_tranches_then_follow_up_approved(session, sessions, engine, demo):
    application = decided(session, engine)
    assert application.status == "Dags för återrapportering" or open_task_names(
        session, application) == []
    decision = session.scalars(select(Decision)).one()
    assert (decision.outcome, decision.amount, decision.level) == ("bifall", 90000, "delegat")
    assert decision.presenter.username == "handlaggare"
    assert "punkt 4.2" not in decision.delegation_reference
    data = session.get(ProcessInstance, application.process_instance_id).data
    assert [t["belopp"] for t in data["utbetalningsplan"]] == [45000, 45000]
    ledger = budget.ledger_for(session, application.round_id)
    assert (ledger.reserved, ledger.granted) == (0, 90000)
    assert application.status == "Beviljad, väntar på utbetalning"
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    assert open_task_names(session, application) == []  # the follow-up waits for the money
    pay_out(session, engine, application)
    session.refresh(application)
    assert application.status.startswith("Beslutad, väntar till")
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    assert open_task_names(session, application) == ["aterrapportering"]
    complete(session, engine, application, "aterrapportering",
             {"genomfort": "Nattvandringar varje helg.", "anvant_belopp": 90000,
              "indikator_utfall": [{"indikator": "Trygghet", "utfall": "66 %"}]}, "sokande")
    complete(session, engine, application, "granska_aterrapport", {"granskning": "godkand"},
             "handlaggare")
    session.refresh(application)
    assert application.status == "Avslutad"
    kinds = set(session.scalars(select(OutboxMessage.kind)))
    assert {"kvitto", "tilldelning", "beslut", "utbetalning", "aterrapportering"} <= kinds


def test_delvis_bifall(session, engine, demo):
    application = decided(session, engine, "delvis_bifall", 60000)
    assert application.granted_amount == 60000
    assert session.scalars(select(Decision.outcome)).one() == "delvis_bifall"


def test_avslag_releases_the_reservation(session, engine, demo):
    application = decided(session, engine, "avslag", 0)
    assert application.status == "Avslag"
    ledger = budget.ledger_for(session, application.round_id)
    assert (ledger.reserved, ledger.granted, ledger.remaining) == (0, 0, 10_000_000)


@pytest.mark.parametrize(("amount", "level", "task"), [
    (90_000, "delegat", "beslut"), (300_000, "au", "namndbeslut"),
    (900_000, "ks", "namndbeslut")])
def test_decision_level_comes_from_the_delegation_table(session, engine, demo, amount, level,
                                                        task):
    application = submitted_application(session, engine, budget=[
        {"post": "Insats", "belopp": amount}], sokt_belopp=amount)
    to_review(session, engine, application)
    review_all(session, engine, application)
    complete(session, engine, application, "beredning", proposal_data("bifall", amount),
             "handlaggare")
    assert open_task_names(session, application) == [task]
    data = {"beslut": "bifall", "beviljat_belopp": amount, "beslut_motivering": "Enligt förslaget."}
    if task == "namndbeslut":
        data.update(sammantradesdatum="2027-02-10", paragraf="§ 42", organ=level)
    else:
        data["beslut_jav_intygande"] = True
    complete(session, engine, application, task, data, "beslutsfattare")
    decision = session.scalars(select(Decision)).one()
    assert decision.level == level
    assert decision.organ == {"delegat": "Kommunstyrelsen", "au": "Kommunstyrelsens arbetsutskott",
                              "ks": "Kommunstyrelsen"}[level]
    if level != "delegat":
        assert (decision.meeting_paragraph, str(decision.meeting_date)) == ("§ 42", "2027-02-10")


def test_the_minutes_name_the_deciding_committee_and_the_letter_says_so(
        session, engine, demo, tmp_path):
    """The DMN asks for the arbetsutskott, but the case was lifted to the kommunstyrelse: the
    decision and its letter name the body that really decided, meeting and §."""
    from app.letters.models import Letter
    from app.storage import LocalFileStorage
    from tests.test_letters import pdf_text

    engine.config["UPLOAD_DIR"], before = str(tmp_path), engine.config["UPLOAD_DIR"]
    try:
        application = submitted_application(session, engine, budget=[
            {"post": "Insats", "belopp": 300_000}], sokt_belopp=300_000)
        to_review(session, engine, application)
        review_all(session, engine, application)
        complete(session, engine, application, "beredning", proposal_data("bifall", 300_000),
                 "handlaggare")
        complete(session, engine, application, "namndbeslut", {
            "beslut": "bifall", "beviljat_belopp": 300_000,
            "beslut_motivering": "Enligt förslaget.", "organ": "ks",
            "sammantradesdatum": "2027-02-10", "paragraf": "§ 42"}, "beslutsfattare")
        decision = session.scalars(select(Decision)).one()
        assert (decision.level, decision.organ) == ("au", "Kommunstyrelsen")
        letter = session.scalars(select(Letter)).one()
        text = pdf_text(LocalFileStorage(tmp_path).get(letter.storage_key))
    finally:
        engine.config["UPLOAD_DIR"] = before
    assert "Kommunstyrelsen beviljar" in text
    assert "Beslutet har fattats av Kommunstyrelsen vid sammanträdet 10 februari 2027, § 42" \
        in text
    assert "arbetsutskott" not in text


def test_komplettering_twice_then_complete(session, engine, demo):
    application = submitted_application(session, engine)
    for _ in range(2):
        complete(session, engine, application, "formell_kontroll",
                 {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
                  "komplettering_delar": ["budget", "sokt_belopp"],
                  "kontroll_meddelande": "Dela upp budgeten per kvartal."}, "handlaggare")
        task = session.scalars(select(HumanTask).where(
            HumanTask.task_name == "komplettering", HumanTask.completed_at.is_(None))).one()
        assert task.field_names == ["budget", "sokt_belopp"]
        complete(session, engine, application, "komplettering",
                 {"budget": [{"post": "Q1", "belopp": 100000}, {"post": "Q2", "belopp": 100000}],
                  "sokt_belopp": 200000}, "sokande")
    session.refresh(application)
    assert application.requested_amount == 200000
    complete(session, engine, application, "formell_kontroll", {"kontroll_utfall": "komplett"},
             "handlaggare")
    assert open_task_names(session, application) == ["tilldela_bedomare"]


def test_at_most_three_komplettering_rounds(session, engine, demo):
    application = submitted_application(session, engine)
    request = {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
               "komplettering_delar": ["beskrivning"], "kontroll_meddelande": "Förtydliga."}
    for _ in range(3):
        complete(session, engine, application, "formell_kontroll", request, "handlaggare")
        complete(session, engine, application, "komplettering",
                 {"beskrivning": "Förtydligad beskrivning av problemet."}, "sokande")
    with pytest.raises(InvalidInput) as err:
        complete(session, engine, application, "formell_kontroll", request, "handlaggare")
    assert "kontroll_utfall" in err.value.errors


def test_komplettering_deadline_expiry_then_avskrivning(session, sessions, engine, demo):
    application = submitted_application(session, engine)
    with pytest.raises(InvalidInput):  # avskrivning needs an expired deadline
        complete(session, engine, application, "formell_kontroll",
                 {"kontroll_utfall": "avskrivning", "avskrivning_motivering": "Inget svar."},
                 "handlaggare")
    session.rollback()
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
              "komplettering_delar": ["malgrupp"], "kontroll_meddelande": "Beskriv målgruppen."},
             "handlaggare")
    make_timers_due(session, engine, application)
    assert run_due_timers(sessions, engine) == 1
    assert open_task_names(session, application) == ["formell_kontroll"]
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "avskrivning", "avskrivning_motivering": "Inget svar."},
             "handlaggare")
    session.refresh(application)
    assert application.status == "Avskriven"
    assert_formal_decision(session, application, "avskrivning", "Inget svar.")


def test_avvisning_is_a_decision_with_a_letter(session, engine, demo):
    application = submitted_application(session, engine)
    reason = "Sökanden är varken en nämnd eller ett kommunalt bolag."
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "avvisning", "avvisning_motivering": reason}, "handlaggare")
    session.refresh(application)
    assert application.status == "Avvisad"
    assert_formal_decision(session, application, "avvisning", reason)


def assert_formal_decision(session, application, outcome, reason):
    """The officer's decision is recorded, with its letter, and the applicant is told."""
    decision = session.scalars(select(Decision).where(
        Decision.application_id == application.id)).one()
    assert (decision.outcome, decision.amount, decision.motivation) == (outcome, 0, reason)
    assert decision.decided_by.username == "handlaggare"
    assert "punkt 1.4" in decision.delegation_reference
    letter = letter_of_decision(session, decision.id)
    assert letter is not None and letter.filename.startswith("Beslut KS-")
    notice = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "beslut",
        OutboxMessage.process_instance_id == application.process_instance_id)).first()
    assert notice is not None and ("Avvisning" in notice.body or "Avskrivning" in notice.body)


def test_withdrawal_during_review_closes_every_task_and_frees_money(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    assert open_task_names(session, application) == ["bedomning", "bedomning"]
    applications.withdraw_application(session, engine, user(session, "sokande"),
                                      application.id, "Insatsen finansieras på annat sätt.")
    session.commit()
    session.refresh(application)
    assert application.status == "Återkallad"
    assert open_task_names(session, application) == []
    assert budget.ledger_for(session, application.round_id).reserved == 0
    with pytest.raises(NotFound):  # another organisation does not even see the case
        applications.withdraw_application(session, engine, user(session, "sokande2"),
                                          application.id, "")


def test_withdrawal_after_proposal_releases_the_reservation(session, engine, demo):
    application = proposed(session, engine)
    assert budget.ledger_for(session, application.round_id).reserved == 90000
    applications.withdraw_application(session, engine, user(session, "sokande"),
                                      application.id, "")
    session.commit()
    ledger = budget.ledger_for(session, application.round_id)
    assert (ledger.reserved, ledger.remaining) == (0, 10_000_000)
    session.refresh(application)
    assert application.status == "Återkallad"


def test_jav_recusal_asks_the_officer_for_another_reviewer(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    reviewer_task = session.scalars(select(HumanTask).where(
        HumanTask.assignee == "bedomare", HumanTask.completed_at.is_(None))).one()
    applications.complete_task(session, engine, user(session, "bedomare"), reviewer_task.id,
                               review_data(jav=True), datetime.now(UTC).date())
    session.commit()
    review_all(session, engine, application, reviewers=("bedomare2",))
    assert open_task_names(session, application) == ["tilldela_bedomare"]
    assert session.scalars(select(JavDeclaration)).one().user.username == "bedomare"
    with pytest.raises(InvalidInput):  # the jävig reviewer cannot be chosen again
        complete(session, engine, application, "tilldela_bedomare",
                 {"valda_bedomare": ["bedomare"], "bedomning_frist": "2030-01-31"}, "handlaggare")


def test_decision_maker_who_declares_jav_is_barred(session, engine, demo):
    application = proposed(session, engine)
    task = session.scalars(select(HumanTask).where(
        HumanTask.task_name == "beslut", HumanTask.completed_at.is_(None))).one()
    applications.declare_jav(session, user(session, "beslutsfattare"), task.id,
                             "Jag sitter i styrelsen för föreningen.")
    session.commit()
    with pytest.raises(NotAllowed, match="jäv"):
        complete(session, engine, application, "beslut", decision_data(amount=90000),
                 "beslutsfattare")


def test_aterkrav(session, sessions, engine, demo):
    from app.payouts.claims import settle
    from app.payouts.plans import payouts_of
    from app.payouts.reconcile import reconcile

    application = decided(session, engine)
    pay_out(session, engine, application)  # 45 000 of 90 000; the rest waits for a condition
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    complete(session, engine, application, "aterrapportering",
             {"genomfort": "Hälften av kvällarna.", "anvant_belopp": 20000,
              "indikator_utfall": [{"indikator": "Trygghet", "utfall": "58 %"}]}, "sokande")
    with pytest.raises(InvalidInput) as refused:
        complete(session, engine, application, "granska_aterrapport",
                 {"granskning": "aterkrav", "aterkrav_belopp": 50000}, "handlaggare")
    assert "45\u00a0000\u00a0kr" in refused.value.errors["aterkrav_belopp"][0]
    session.rollback()
    complete(session, engine, application, "granska_aterrapport",
             {"granskning": "aterkrav", "aterkrav_belopp": 25000}, "handlaggare")
    claim = session.scalars(select(RepaymentClaim)).one()
    assert (claim.amount, claim.status) == (25000, "open")
    assert [p.status for p in payouts_of(session, application.id)] == ["paid", "cancelled"]
    session.refresh(application)
    assert application.status == "Avslutad med återkrav"
    settle(session, user(session, "ekonomi"), claim.id, claim.created_at.date(), claim.created_at)
    session.commit()
    ledger = budget.ledger_for(session, application.round_id)
    assert (ledger.granted, ledger.cancelled, ledger.paid, ledger.reclaimed) == (
        90000, 45000, 45000, 25000)
    # The cancelled tranche and the repayment both return to the fund.
    assert ledger.remaining == ledger.budget - 90000 + 45000 + 25000
    assert reconcile(session, application.round_id) == []


def test_a_correction_is_a_new_decision_referencing_the_old(session, engine, demo):
    from app.grants.decisions import correct_decision, is_replaced

    application = decided(session, engine)
    old = session.scalars(select(Decision)).one()
    original = (old.motivation, old.amount, old.decided_at)
    with pytest.raises(NotAllowed):
        correct_decision(session, user(session, "handlaggare"), old.id,
                         motivation="Ny motivering här.", conditions="", reason="Skrivfel")
    new = correct_decision(session, user(session, "beslutsfattare"), old.id,
                           motivation="Rättad motivering: insatsen bygger på lägesbilden 2026.",
                           conditions="Återrapportering senast 2028-01-31.",
                           reason="Fel årtal i motiveringen",
                           storage=storage_from_config(engine.config), config=engine.config)
    session.commit()
    # The corrected decision has its own letter, next to the old one's.
    letters = [letter_of_decision(session, d.id) for d in (old, new)]
    assert all(letters) and letters[0].sha256 != letters[1].sha256
    session.refresh(old)
    assert (old.motivation, old.amount, old.decided_at) == original  # never changed
    assert new.replaces_id == old.id and new.amount == old.amount
    assert is_replaced(session, old)
    with pytest.raises(Exception, match="redan rättat"):
        correct_decision(session, user(session, "beslutsfattare"), old.id,
                         motivation="Ännu en rättelse av texten.", conditions="", reason="x")
    assert len(application.decisions) >= 1
