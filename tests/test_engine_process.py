"""Engine behaviour on the real process: registration, validation, four eyes, versions."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.engine.models import ProcessInstance
from app.errors import InvalidInput, NotAllowed
from tests.factories import (
    complete,
    open_task_names,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)


def test_submission_registers_with_a_diarienummer(session, engine, demo):
    application = submitted_application(session, engine)
    assert application.diarienummer == f"KS-{datetime.now(UTC).year}/0001"
    assert application.status == "Formell kontroll"
    assert open_task_names(session, application) == ["formell_kontroll"]
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.process_instance_id == application.process_instance_id)).all()
    assert {"instance_started", "task_completed", "registered"} <= set(actions)


def test_round_rules_are_checked_on_submission(session, engine, demo):
    with pytest.raises(InvalidInput) as err:
        submitted_application(session, engine, sokt_belopp=260000)
    assert "sokt_belopp" in err.value.errors  # budget 250 000 − medfinansiering 0
    session.rollback()
    with pytest.raises(InvalidInput) as err:
        submitted_application(session, engine, startdatum="2027-03-01", slutdatum="2027-02-01")
    assert "slutdatum" in err.value.errors
    session.rollback()
    with pytest.raises(InvalidInput) as err:
        submitted_application(session, engine, slutdatum="2028-06-30")
    assert "slutdatum" in err.value.errors  # outside the round's period


def test_invalid_task_data_is_refused_with_field_errors(session, engine, demo):
    application = submitted_application(session, engine)
    with pytest.raises(InvalidInput) as err:
        complete(session, engine, application, "formell_kontroll",
                 {"kontroll_utfall": "komplettering"}, "handlaggare")
    assert "kontroll_meddelande" in err.value.errors


def test_decision_maker_is_never_the_preparer(session, engine, demo):
    from app.accounts.models import UserRole

    application = submitted_application(session, engine, budget=[
        {"post": "Arvoden", "belopp": 90000}], sokt_belopp=90000)
    officer = demo["handlaggare"]
    session.add(UserRole(user_id=officer.id, role="beslutsfattare"))
    session.commit()
    to_review(session, engine, application)
    review_all(session, engine, application)
    complete(session, engine, application, "beredning", proposal_data("bifall", 90000),
             "handlaggare")
    with pytest.raises(NotAllowed, match="fyraögonsprincipen"):
        complete(session, engine, application, "beslut",
                 {"beslut": "bifall", "beviljat_belopp": 90000,
                  "beslut_motivering": "Jag beslutar själv.",
                  "beslut_jav_intygande": True}, "handlaggare")


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
        complete(session, engine, application, "formell_kontroll",
                 {"kontroll_utfall": "komplett"}, "handlaggare")
        session.refresh(instance)
        assert instance.process_version.content_hash == old_hash
    finally:
        definition.content_hash = old_hash
