"""The real trygghetsfond process end to end through the engine (no web)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.engine.models import ProcessInstance
from app.engine.timers import run_due_timers
from app.errors import InvalidInput, NotAllowed
from app.grants.models import Decision
from tests.factories import complete, open_task_names, submitted_application

KOMPLETT = {"kontroll_utfall": "komplett", "komplettering_frist_dagar": 14}


def test_bifall_registers_and_decides(session, engine, demo):
    application = submitted_application(session, engine)
    assert application.diarienummer == f"KS-{datetime.now(UTC).year}/0001"
    assert application.status == "Formell kontroll"
    assert open_task_names(session, application) == ["formell_kontroll"]
    complete(session, engine, application, "formell_kontroll", KOMPLETT, "handlaggare")
    complete(session, engine, application, "beslut",
             {"beslut": "bifall", "beslut_motivering": "Väl underbyggd ansökan."},
             "beslutsfattare")
    session.refresh(application)
    assert application.status == "Beviljad"
    assert application.granted_amount == 250000
    decision = session.scalars(select(Decision)).one()
    assert (decision.outcome, decision.amount) == ("bifall", 250000)
    instance = session.get(ProcessInstance, application.process_instance_id)
    assert instance.status == "completed" and instance.end_name == "Beviljad"
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.process_instance_id == instance.id)).all()
    assert {"registered", "task_completed", "decided", "instance_completed"} <= set(actions)


def test_avslag(session, engine, demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll", KOMPLETT, "handlaggare")
    complete(session, engine, application, "beslut",
             {"beslut": "avslag",
              "beslut_motivering": "Åtgärden saknar koppling till lägesbilden."},
             "beslutsfattare")
    session.refresh(application)
    assert application.status == "Avslag"
    assert application.granted_amount == 0


def test_delvis_bifall_needs_lower_amount(session, engine, demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll", KOMPLETT, "handlaggare")
    with pytest.raises(InvalidInput) as err:
        complete(session, engine, application, "beslut",
                 {"beslut": "delvis_bifall", "beviljat_belopp": 300000,
                  "beslut_motivering": "Delvis bifall till arvoden."}, "beslutsfattare")
    assert "beviljat_belopp" in err.value.errors
    session.rollback()
    complete(session, engine, application, "beslut",
             {"beslut": "delvis_bifall", "beviljat_belopp": 200000,
              "beslut_motivering": "Delvis bifall till arvoden."}, "beslutsfattare")
    session.refresh(application)
    assert (application.status, application.granted_amount) == ("Delvis beviljad", 200000)


def test_komplettering_then_bifall(session, engine, demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplettering", "komplettering_frist_dagar": 10,
              "kontroll_meddelande": "Bifoga en budget per kvartal."}, "handlaggare")
    assert open_task_names(session, application) == ["komplettering"]
    session.refresh(application)
    assert application.status == "Komplettering"
    complete(session, engine, application, "komplettering",
             {"komplettering_svar": "Budget per kvartal: 60 000 kr per kvartal."}, "sokande")
    assert open_task_names(session, application) == ["formell_kontroll"]
    complete(session, engine, application, "formell_kontroll", KOMPLETT, "handlaggare")
    complete(session, engine, application, "beslut",
             {"beslut": "bifall", "beslut_motivering": "Kompletteringen besvarade frågan."},
             "beslutsfattare")
    session.refresh(application)
    assert application.status == "Beviljad"


def test_avvisning(session, engine, demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "avvisning", "komplettering_frist_dagar": 14,
              "avvisning_motivering": "Sökanden är inte en nämnd eller ett bolag i kommunen."},
             "handlaggare")
    session.refresh(application)
    assert application.status == "Avvisad"
    assert open_task_names(session, application) == []


def test_komplettering_deadline_returns_case_to_officer(session, sessions, engine, demo):
    application = submitted_application(session, engine)
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplettering", "komplettering_frist_dagar": 14,
              "kontroll_meddelande": "Komplettera med tidsplan."}, "handlaggare")
    instance = session.get(ProcessInstance, application.process_instance_id)
    due = instance.next_timer_at
    assert due is not None and timedelta(days=13) < due - datetime.now(UTC) <= timedelta(days=14)
    session.rollback()  # release SQLite's write lock before the timer worker's sessions run
    assert run_due_timers(sessions, engine) == 0  # not yet due
    _make_timers_due(session, engine, instance.id)
    assert run_due_timers(sessions, engine) == 1
    assert open_task_names(session, application) == ["formell_kontroll"]
    assert run_due_timers(sessions, engine) == 0  # fired once


def _make_timers_due(session, engine, instance_id):
    """Move the instance's waiting timers into the past (instead of sleeping 14 days)."""
    from app.engine.serializer import dump_state
    from app.engine.tasks import next_timer_at

    instance = engine.lock_instance(session, instance_id)
    workflow = engine.load_workflow(session, instance)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for task in workflow.event_manager.tasks.values():
        task.internal_data["event_value"] = past
    instance.state = dump_state(workflow)
    instance.next_timer_at = next_timer_at(workflow)
    session.commit()
    session.rollback()


def test_decision_maker_is_never_the_preparer(session, engine, demo):
    from app.accounts.models import UserRole

    application = submitted_application(session, engine)
    officer = demo["handlaggare"]
    session.add(UserRole(user_id=officer.id, role="beslutsfattare"))
    session.commit()
    complete(session, engine, application, "formell_kontroll", KOMPLETT, "handlaggare")
    with pytest.raises(NotAllowed, match="fyraögonsprincipen"):
        complete(session, engine, application, "beslut",
                 {"beslut": "bifall", "beslut_motivering": "Jag beslutar själv."}, "handlaggare")


def test_invalid_task_data_is_refused_with_field_errors(session, engine, demo):
    application = submitted_application(session, engine)
    with pytest.raises(InvalidInput) as err:
        complete(session, engine, application, "formell_kontroll",
                 {"kontroll_utfall": "komplettering", "komplettering_frist_dagar": 14},
                 "handlaggare")
    assert "kontroll_meddelande" in err.value.errors


def test_running_instance_stays_on_its_version(session, engine, demo):
    application = submitted_application(session, engine)
    instance = session.get(ProcessInstance, application.process_instance_id)
    old_hash = instance.process_version.content_hash
    definition = engine.catalogue.processes["trygghetsfond"]
    definition.content_hash = "0" * 64  # as if processes/ changed after the instance started
    try:
        fresh = submitted_application(session, engine)
        new_instance = session.get(ProcessInstance, fresh.process_instance_id)
        assert new_instance.process_version.content_hash == "0" * 64
        complete(session, engine, application, "formell_kontroll", KOMPLETT, "handlaggare")
        session.refresh(instance)
        assert instance.process_version.content_hash == old_hash
    finally:
        definition.content_hash = old_hash
