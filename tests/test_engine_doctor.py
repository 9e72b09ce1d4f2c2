"""A case never stops silently: the health check finds running instances that wait for no task,
timer or message, and raises one incident each, which an administrator sees and can retry."""

import shutil
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, event, select, update

from app import worker
from app.audit import AuditEvent
from app.db import utcnow
from app.engine.doctor import find_stuck_instances, raise_stuck_incidents
from app.engine.incidents import open_incidents, retry_incident
from app.engine.models import HumanTask, Incident, ProcessInstance
from app.engine.serializer import dump_state, load_state
from app.engine.specs import parse_sources
from app.engine.tasks import awaited_events, next_timer_at, sync_human_tasks
from app.engine.timers import run_due_timers
from app.errors import IncidentRaised
from app.grants.applications import case_label
from tests import factories
from tests.conftest import FIXTURES, csrf_token, login, make_test_app, wipe

PROCESS = "stuck_multi"
NOTE = {"anteckning": "klart"}


@pytest.fixture
def fixture_app(database_url, tmp_path):
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    processes.mkdir()
    forms.mkdir()
    shutil.copy(FIXTURES / "processes" / "stuck_multi.bpmn", processes)
    shutil.copy(FIXTURES / "forms" / "enkel-schema.json", forms)
    app = make_test_app(database_url, PROCESSES_DIR=str(processes), FORMS_DIR=str(forms))
    yield app
    wipe(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


def start(app, reviewers=("a", "b")) -> int:
    with app.extensions["sessions"]() as session:
        instance = app.extensions["engine"].start_instance(
            session, PROCESS, actor_id=None, data={"bedomare": list(reviewers)})
        session.commit()
        return instance.id


def open_task_ids(app, instance_id) -> list[str]:
    with app.extensions["sessions"]() as session:
        return list(session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.completed_at.is_(None))))


def complete_all(app, instance_id, data=NOTE) -> None:
    engine = app.extensions["engine"]
    for task_id in open_task_ids(app, instance_id):
        with app.extensions["sessions"]() as session:
            engine.complete_task(session, task_id, data, actor_id=None)
            session.commit()


def complete_the_old_way(app, instance_id, data_of=lambda task: NOTE) -> None:
    """Complete an instance's open user tasks as the engine did before every spec it runs went
    through the serializer: on a spec freshly parsed from the BPMN, where a multi-instance
    parent never merges its finished children (what a restart used to do to "Bedömning")."""
    engine = app.extensions["engine"]
    with app.extensions["sessions"]() as session:
        instance = engine.lock_instance(session, instance_id)
        parser = parse_sources(instance.process_version.sources, validate=False)
        workflow = load_state(instance.state, parser.get_spec(instance.process_id),
                              parser.get_subprocess_specs(instance.process_id))
        workflow.script_engine = engine.load_workflow(session, instance).script_engine
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            task.set_data(**data_of(task))
            task.run()
        workflow.do_engine_steps()
        instance.state = dump_state(workflow)
        instance.next_timer_at, instance.awaits = next_timer_at(workflow), awaited_events(workflow)
        sync_human_tasks(session, instance, workflow, utcnow())
        session.commit()


def make_timers_due(app, instance_id) -> None:
    engine = app.extensions["engine"]
    with app.extensions["sessions"]() as session:
        instance = engine.lock_instance(session, instance_id)
        workflow = engine.load_workflow(session, instance)
        for task in workflow.event_manager.tasks.values():
            if "event_value" in task.internal_data:
                task.internal_data["event_value"] = (datetime.now(UTC) - timedelta(1)).isoformat()
        instance.state = dump_state(workflow)
        instance.next_timer_at = next_timer_at(workflow)
        session.commit()


def doctor(app, describe=None) -> list[Incident]:
    with app.extensions["sessions"]() as session:
        incidents = raise_stuck_incidents(session, app.extensions["engine"], describe=describe)
        session.commit()
        return incidents


def open_incident_rows(app) -> list[Incident]:
    with app.extensions["sessions"]() as session:
        return open_incidents(session)


@contextmanager
def counted_statements(db_engine):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db_engine, "before_cursor_execute", count)


def test_stuck_multi_instance_gets_an_incident_naming_the_element(fixture_app):
    healthy, stuck = start(fixture_app), start(fixture_app)
    complete_the_old_way(fixture_app, stuck)
    assert open_task_ids(fixture_app, stuck) == []

    incidents = doctor(fixture_app)

    assert [i.instance_id for i in incidents] == [stuck]
    with fixture_app.extensions["sessions"]() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.element == "bedomning (Bedömning)"  # not the subprocess, not the boundary
        assert f"Instans {stuck} står still vid bedomning (Bedömning)" in incident.message
        assert incident.process_id == PROCESS and incident.action["kind"] == "stuck"
        audit = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "instance_stuck")).one()
        assert audit.process_instance_id == stuck
        assert audit.details == {"incident": incident.id, "elements": ["bedomning (Bedömning)"]}
        assert session.get(ProcessInstance, healthy).status == "running"


def test_instances_waiting_for_users_a_timer_or_a_message_are_healthy(fixture_app):
    instance_id = start(fixture_app)
    assert doctor(fixture_app) == []  # two reviews open
    complete_all(fixture_app, instance_id)
    with fixture_app.extensions["sessions"]() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.next_timer_at is not None and instance.awaits is None
    assert doctor(fixture_app) == []  # waits a day
    make_timers_due(fixture_app, instance_id)
    assert run_due_timers(fixture_app.extensions["sessions"], fixture_app.extensions["engine"]) == 1
    with fixture_app.extensions["sessions"]() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.next_timer_at is None and instance.awaits == ["utbetalning_klar"]
    assert doctor(fixture_app) == []  # waits for the payout message
    with fixture_app.extensions["sessions"]() as session:
        fixture_app.extensions["engine"].send_message(session, instance_id, "utbetalning_klar",
                                                      {}, actor_id=None)
        session.commit()
        assert session.get(ProcessInstance, instance_id).status == "completed"
    assert doctor(fixture_app) == []
    assert open_incident_rows(fixture_app) == []


def test_a_boundary_message_alone_does_not_keep_a_case_alive(fixture_app):
    """The stuck instance still awaits the withdrawal message on its subprocess's boundary:
    an optional exit, so it is not recorded as something the case waits for."""
    instance_id = start(fixture_app)
    complete_the_old_way(fixture_app, instance_id)
    engine = fixture_app.extensions["engine"]
    with fixture_app.extensions["sessions"]() as session:
        instance = session.get(ProcessInstance, instance_id)
        names = [e.name for e in engine.load_workflow(session, instance).waiting_events()]
        assert names == ["aterkallelse"] and instance.awaits is None


def test_doctor_is_idempotent(fixture_app):
    instance_id = start(fixture_app)
    complete_the_old_way(fixture_app, instance_id)
    assert len(doctor(fixture_app)) == 1
    assert doctor(fixture_app) == []
    incident = open_incident_rows(fixture_app)
    assert [(i.instance_id, i.attempts) for i in incident] == [(instance_id, 1)]


def test_the_query_is_one_statement_however_many_healthy_cases(fixture_app):
    for _ in range(5):
        start(fixture_app)
    db_engine = fixture_app.extensions["db_engine"]
    with fixture_app.extensions["sessions"]() as session:
        with counted_statements(db_engine) as statements:
            assert find_stuck_instances(session, fixture_app.extensions["engine"]) == []
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1, statements


def test_a_state_saved_before_awaits_existed_is_checked_once_and_remembered(fixture_app):
    instance_id = start(fixture_app)
    complete_all(fixture_app, instance_id)
    make_timers_due(fixture_app, instance_id)
    run_due_timers(fixture_app.extensions["sessions"], fixture_app.extensions["engine"])
    with fixture_app.extensions["sessions"]() as session:  # as the migration left every row
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(awaits=None))
        session.commit()
        version = session.get(ProcessInstance, instance_id).version
    assert doctor(fixture_app) == []
    with fixture_app.extensions["sessions"]() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.awaits == ["utbetalning_klar"] and instance.version == version


def test_retry_of_a_still_stuck_instance_counts_an_attempt(fixture_app):
    instance_id = start(fixture_app)
    complete_the_old_way(fixture_app, instance_id)
    (incident,) = doctor(fixture_app)
    sessions = fixture_app.extensions["sessions"]
    with sessions() as session, pytest.raises(IncidentRaised) as err:
        retry_incident(session, fixture_app.extensions["engine"], incident.id, actor_id=None)
    assert f"incident {incident.id}" in err.value.message
    (still,) = open_incident_rows(fixture_app)
    assert still.id == incident.id and still.attempts == 2
    assert "står fortfarande still vid bedomning (Bedömning)" in still.message


def test_retry_resolves_an_instance_that_moves_again(fixture_app):
    """Lost task rows: the workflow has READY reviews but the inboxes show none. A retry saves
    the instance again, which restores the rows, and resolves the incident."""
    instance_id = start(fixture_app)
    sessions = fixture_app.extensions["sessions"]
    with sessions() as session:
        session.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        session.commit()
    (incident,) = doctor(fixture_app)
    assert incident.element == "bedomning (Bedömning)"
    with sessions() as session:
        retry_incident(session, fixture_app.extensions["engine"], incident.id, actor_id=None)
    assert open_incident_rows(fixture_app) == []
    assert len(open_task_ids(fixture_app, instance_id)) == 2
    assert doctor(fixture_app) == []


def test_an_instance_whose_state_cannot_be_loaded_is_reported(fixture_app):
    instance_id = start(fixture_app)
    with fixture_app.extensions["sessions"]() as session:
        session.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(state='{"trasig": true}'))
        session.commit()
    (incident,) = doctor(fixture_app)
    assert incident.element.startswith("sparat tillstånd (kan inte läsas")
    with fixture_app.extensions["sessions"]() as session, pytest.raises(IncidentRaised):
        retry_incident(session, fixture_app.extensions["engine"], incident.id, actor_id=None)
    (still,) = open_incident_rows(fixture_app)
    assert still.attempts == 2 and "kan inte läsas" in still.message


def test_cli_doctor_exit_codes(fixture_app):
    runner = fixture_app.test_cli_runner()
    result = runner.invoke(args=["engine", "doctor"])
    assert result.exit_code == 0 and "Inga nya ärenden står still" in result.output
    instance_id = start(fixture_app)
    complete_the_old_way(fixture_app, instance_id)
    result = runner.invoke(args=["engine", "doctor"])
    assert result.exit_code == 1
    assert f"Instans {instance_id} står still vid bedomning (Bedömning)" in result.output
    result = runner.invoke(args=["engine", "doctor"])
    assert result.exit_code == 0
    assert "1 ärenden som står still har redan en öppen incident" in result.output


def test_a_worker_round_runs_the_check(fixture_app):
    sessions, engine = fixture_app.extensions["sessions"], fixture_app.extensions["engine"]
    instance_id = start(fixture_app)
    complete_the_old_way(fixture_app, instance_id)
    assert worker.work_once(sessions, engine, fixture_app.config, check_stuck=False).stuck == 0
    assert open_incident_rows(fixture_app) == []
    assert worker.work_once(sessions, engine, fixture_app.config).stuck == 1
    assert [i.instance_id for i in open_incident_rows(fixture_app)] == [instance_id]


def test_the_worker_loop_checks_in_its_first_round(fixture_app):
    sessions, engine = fixture_app.extensions["sessions"], fixture_app.extensions["engine"]
    complete_the_old_way(fixture_app, start(fixture_app))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run,
                              args=(sessions, engine, fixture_app.config, 0.05, stop))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not open_incident_rows(fixture_app) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(20)
    assert len(open_incident_rows(fixture_app)) == 1


def test_a_stuck_case_shows_on_the_admin_page_with_its_case(app, session, sessions, demo):
    """The real process, broken at "Bedömning" as a restart used to: both reviews done, the
    multi-instance parent never merged, the reviewers' reminder fired — nothing left to wait
    for but a withdrawal."""
    engine = app.extensions["engine"]
    application = factories.submitted_application(session, engine)
    factories.to_review(session, engine, application)
    instance_id = application.process_instance_id
    complete_the_old_way(app, instance_id, lambda task: factories.review_data())
    make_timers_due(app, instance_id)
    run_due_timers(sessions, engine)

    incidents = doctor(app, describe=case_label)

    assert [i.element for i in incidents] == ["bedomning (Bedömning)"]
    session.expire_all()
    diarienummer = session.get(type(application), application.id).diarienummer
    assert diarienummer and f"Ärende {diarienummer} (instans {instance_id})" in incidents[0].message
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/").get_data(as_text=True)
    assert f'href="/ansokningar/{application.id}">{diarienummer}</a>' in page
    assert "bedomning (Bedömning)" in page and "Kontrollera igen" in page
    url = f"/admin/incidenter/{incidents[0].id}/kor-om"
    response = admin.post(url, data={"csrf_token": csrf_token(admin, "/admin/")})
    assert response.status_code == 302
    assert "står fortfarande still" in admin.get("/admin/").get_data(as_text=True)


def test_an_event_based_gateway_awaits_its_messages_not_its_timer():
    """A case at an event-based gateway waits for the gateway's events (one waiting task with
    several definitions): the doctor must not take it for a stopped case."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    parser = parse_sources({"event_gateway.bpmn": (
        FIXTURES / "conformance" / "event_gateway.bpmn").read_text(encoding="utf-8")})
    process_id = parser.get_process_ids()[0]
    workflow = BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
    workflow.task_tree.data["svarstid"] = "PT1H"
    workflow.do_engine_steps()
    assert awaited_events(workflow) == ["svar_inkom"]
