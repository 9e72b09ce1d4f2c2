"""A manual task (no form) through the web client: instructions and a Klar/Done button."""

import pytest
from sqlalchemy import select

from app.demo import load_demo
from app.engine.models import HumanTask, ProcessInstance
from app.formatting import local_today
from tests.conformance import CONFORMANCE
from tests.conftest import csrf_token, login, make_test_app, wipe
from tests.test_i18n import switch_language


@pytest.fixture
def manual_app(database_url):
    app = make_test_app(database_url, PROCESSES_DIR=str(CONFORMANCE),
                        FORMS_DIR=str(CONFORMANCE / "forms"))
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
    yield app
    wipe(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


def start_manual_task(app) -> tuple[int, str]:
    with app.extensions["sessions"]() as session:
        instance = app.extensions["engine"].start_instance(session, "manual_task", actor_id=None)
        session.commit()
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance.id)).one()
        return instance.id, task_id


def test_a_manual_task_shows_its_instructions_and_is_done_with_one_button(manual_app):
    instance_id, task_id = start_manual_task(manual_app)
    client = manual_app.test_client()
    login(client, "handlaggare")
    url = f"/uppgifter/{task_id}"
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Skicka originalen till registraturen med internpost." in page
    assert ">Klar</button>" in page
    response = client.post(url, data={"klar": "1", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with manual_app.extensions["sessions"]() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "completed" and instance.data == {"papper_skickade": True}
        row = session.get(HumanTask, task_id)
        assert row.outcome == "completed" and row.completed_by.username == "handlaggare"


def test_a_manual_task_in_english(manual_app):
    _instance_id, task_id = start_manual_task(manual_app)
    client = manual_app.test_client()
    login(client, "handlaggare")
    switch_language(client, "en")
    page = client.get(f"/uppgifter/{task_id}").get_data(as_text=True)
    assert ">Done</button>" in page and "This task has no form." in page


def test_a_manual_task_without_the_csrf_token_is_refused(manual_app):
    instance_id, task_id = start_manual_task(manual_app)
    client = manual_app.test_client()
    login(client, "handlaggare")
    response = client.post(f"/uppgifter/{task_id}", data={"klar": "1"})
    assert response.status_code in (400, 422)
    with manual_app.extensions["sessions"]() as session:
        assert session.get(ProcessInstance, instance_id).status == "running"
