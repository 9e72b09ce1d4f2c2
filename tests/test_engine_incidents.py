"""Failing automatic steps roll back whole and become retryable incidents; timers fire once."""

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.engine.incidents import open_incidents, retry_incident, run_step
from app.engine.models import HumanTask, Incident, ProcessInstance
from app.engine.serializer import dump_state
from app.engine.tasks import next_timer_at
from app.engine.timers import run_due_timers
from app.errors import IncidentRaised
from tests.conftest import FIXTURES, csrf_token, login, make_test_app, wipe

FIXTURE_PROCESSES = ["failing_service.bpmn", "evil_condition.bpmn", "evil_subclasses.bpmn",
                     "timer_process.bpmn"]


class Switch:
    """A service operation that fails until switched on."""

    def __init__(self):
        self.works = False

    def __call__(self, ctx, data):
        if not self.works:
            raise RuntimeError("ekonomisystemet svarar inte")
        return {"ok": True}


@pytest.fixture
def fixture_app(database_url, tmp_path):
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    processes.mkdir()
    forms.mkdir()
    for name in FIXTURE_PROCESSES:
        shutil.copy(FIXTURES / "processes" / name, processes)
    shutil.copy(FIXTURES / "forms" / "enkel-schema.json", forms)
    app = make_test_app(database_url, PROCESSES_DIR=str(processes), FORMS_DIR=str(forms))
    app.extensions["engine"].operations["misslyckas"] = Switch()
    yield app
    wipe(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


def start(app, process_id):
    engine = app.extensions["engine"]
    with app.extensions["sessions"]() as session:
        instance = engine.start_instance(session, process_id, actor_id=None)
        session.commit()
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None))).one()
        return instance.id, task_id


def complete(app, task_id, data=None):
    engine = app.extensions["engine"]
    data = data or {"anteckning": "klart"}
    with app.extensions["sessions"]() as session:
        action = {"kind": "complete_task", "task_id": task_id, "data": data, "actor_id": None}
        run_step(session, action, lambda: engine.complete_task(session, task_id, data,
                                                                actor_id=None))


def open_task_names(app, instance_id):
    with app.extensions["sessions"]() as session:
        return sorted(session.scalars(select(HumanTask.task_name).where(
            HumanTask.instance_id == instance_id, HumanTask.completed_at.is_(None))))


@pytest.mark.parametrize(("process_id", "refused"), [
    ("evil_condition", "__import__"), ("evil_subclasses", "__class__")])
def test_escaping_condition_is_refused_as_an_incident(fixture_app, process_id, refused):
    instance_id, task_id = start(fixture_app, process_id)
    with pytest.raises(IncidentRaised):
        complete(fixture_app, task_id)
    assert open_task_names(fixture_app, instance_id) == ["steg"]  # rolled back whole
    with fixture_app.extensions["sessions"]() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.process_id == process_id
        assert incident.element  # names the gateway
        assert refused in incident.message
        assert session.get(ProcessInstance, instance_id).status == "running"


def test_failing_service_task_rolls_back_and_retry_resolves(fixture_app):
    instance_id, task_id = start(fixture_app, "failing_service")
    with pytest.raises(IncidentRaised) as err:
        complete(fixture_app, task_id)
    assert "incident" in err.value.message
    assert open_task_names(fixture_app, instance_id) == ["steg"]
    with pytest.raises(IncidentRaised):  # the user tries again: same incident, one more attempt
        complete(fixture_app, task_id)
    sessions = fixture_app.extensions["sessions"]
    with sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.attempts == 2 and "trasig" in incident.element
        assert "ekonomisystemet svarar inte" in incident.message
    fixture_app.extensions["engine"].operations["misslyckas"].works = True
    with sessions() as session:
        retry_incident(session, fixture_app.extensions["engine"], incident.id, actor_id=None)
    assert open_task_names(fixture_app, instance_id) == ["efter"]
    with sessions() as session:
        assert open_incidents(session) == []


def test_user_sees_a_clear_message_not_a_500(fixture_app):
    from app.demo import load_demo

    with fixture_app.extensions["sessions"]() as session:
        load_demo(session, datetime.now(UTC).date())
        session.commit()
    _instance_id, task_id = start(fixture_app, "failing_service")
    client = fixture_app.test_client()
    login(client, "handlaggare")
    url = f"/uppgifter/{task_id}"
    response = client.post(url, data={"anteckning": "Mitt svar", "slutfor": "1",
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Ett automatiskt steg misslyckades" in page and "Mitt svar" in page
    admin = fixture_app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/").get_data(as_text=True)
    assert "ekonomisystemet svarar inte" in page


def test_timer_fires_once_when_due(fixture_app):
    instance_id, _task_id = start(fixture_app, "timer_process")
    sessions, engine = fixture_app.extensions["sessions"], fixture_app.extensions["engine"]
    assert run_due_timers(sessions, engine) == 0
    with sessions() as session:
        instance = engine.lock_instance(session, instance_id)
        workflow = engine.load_workflow(session, instance)
        for task in workflow.event_manager.tasks.values():
            task.internal_data["event_value"] = (datetime.now(UTC) - timedelta(1)).isoformat()
        instance.state = dump_state(workflow)
        instance.next_timer_at = next_timer_at(workflow)
        session.commit()
    assert run_due_timers(sessions, engine) == 1
    assert open_task_names(fixture_app, instance_id) == ["efter_timer"]
    assert run_due_timers(sessions, engine) == 0


def test_cli_run_timers(fixture_app):
    result = fixture_app.test_cli_runner().invoke(args=["engine", "run-timers"])
    assert result.exit_code == 0 and "0 ärenden" in result.output


def test_a_domain_rule_in_an_operation_is_the_users_error_not_an_incident(fixture_app):
    from app.errors import InvalidInput

    def no_budget(ctx, data):
        raise InvalidInput("Budgeten räcker inte.", {"belopp": ["Det finns bara 0 kr kvar."]})

    fixture_app.extensions["engine"].operations["misslyckas"] = no_budget
    instance_id, task_id = start(fixture_app, "failing_service")
    with pytest.raises(InvalidInput) as err:
        complete(fixture_app, task_id)
    assert err.value.errors == {"belopp": ["Det finns bara 0 kr kvar."]}
    assert open_task_names(fixture_app, instance_id) == ["steg"]
    with fixture_app.extensions["sessions"]() as session:
        assert session.scalars(select(Incident)).all() == []
