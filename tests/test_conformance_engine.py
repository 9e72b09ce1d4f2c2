"""What the engine adds around the constructs: signals sent from outside, BPMN errors from
operations, and incidents when nothing catches them."""

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.engine.incidents import run_step
from app.engine.instances import Engine
from app.engine.models import Incident, ProcessInstance
from app.errors import BpmnError, Conflict, IncidentRaised
from tests.conformance import conformance_catalogue


def new_engine(operations=None) -> Engine:
    return Engine(conformance_catalogue(), operations or {}, {})


def start(sessions, process_id, data=None, operations=None) -> int:
    with sessions() as session:
        instance = new_engine(operations).start_instance(session, process_id, actor_id=None,
                                                         data=data)
        session.commit()
        return instance.id


def test_a_signal_from_outside_is_audited_with_the_step(sessions):
    instance_id = start(sessions, "signal_external")
    with sessions() as session:
        new_engine().send_signal(session, instance_id, "namnden_har_sammantratt",
                                 {"datum": "2026-12-01"}, actor_id=None)
        session.commit()
    with sessions() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "signal")).one()
        assert event.process_instance_id == instance_id
        assert event.summary == "Nämnden har sammanträtt"  # the catching event's name
        assert event.details == {"signal": "namnden_har_sammantratt",
                                 "payload": {"datum": "2026-12-01"}}


def test_a_signal_nobody_waits_for_is_a_conflict_and_changes_nothing(sessions):
    instance_id = start(sessions, "signal_external")
    with sessions() as session, pytest.raises(Conflict):
        new_engine().send_signal(session, instance_id, "fel_signal", actor_id=None)
    with sessions() as session:
        assert session.get(ProcessInstance, instance_id).status == "running"
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "signal")).all() \
            == []


def test_a_message_is_not_taken_for_a_signal_of_the_same_name(sessions):
    instance_id = start(sessions, "signal_external")
    with sessions() as session, pytest.raises(Conflict):
        new_engine().send_message(session, instance_id, "namnden_har_sammantratt", {},
                                  actor_id=None)


def undeclared_error(ctx, data):
    raise BpmnError("okand_kod", "Något helt annat")


def test_a_bpmn_error_no_boundary_catches_is_an_incident(sessions):
    engine = new_engine({"kontrollera_behorighet": undeclared_error})
    with sessions() as session:
        with pytest.raises(IncidentRaised):
            run_step(session, {"kind": "start"}, lambda: engine.start_instance(
                session, "service_error", actor_id=None, data={"belopp": 1}))
        incident = session.scalars(select(Incident)).one()
        assert incident.element.startswith("kontrollera ")
        assert "BPMN-felet 'okand_kod'" in incident.message
        assert "ingen gränshändelse på uppgiften fångar det" in incident.message
        assert session.scalars(select(ProcessInstance)).all() == []  # rolled back whole
