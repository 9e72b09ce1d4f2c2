"""A case survives a restart: what one process saved, another process continues.

`make run` loads the demo with `flask demo load` in one process and serves it from another; a
multi-instance review whose instances were created by the first process must still merge in
the second (it used to stop for good in "Bedömning").
"""

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from app.engine.models import HumanTask, ProcessInstance
from app.formatting import local_today
from app.grants import applications
from app.grants.models import Application
from tests.conftest import make_test_app
from tests.factories import review_data, user

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_REVIEW = "Fritidsgård med kvällsöppet i Länna"  # the demo case left in Bedömning


def flask_in_another_process(database_url: str, *args: str) -> str:
    """Run a `flask` command in a new Python process against the database."""
    env = {**os.environ, "TF_DATABASE_URL": database_url, "TF_TIMER_THREAD": "0",
           "TF_ENVIRONMENT": "development"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_demo_case_in_review_completes_in_another_process(empty_database_url, backend):
    url = empty_database_url(backend)
    flask_in_another_process(url, "db", "upgrade")
    flask_in_another_process(url, "demo", "load")

    app = make_test_app(url)  # this process has never seen the instance: a restarted server
    try:
        sessions, engine = app.extensions["sessions"], app.extensions["engine"]
        for reviewer in ("bedomare", "bedomare2"):
            with sessions() as session:
                case = session.scalars(select(Application).where(
                    Application.title == IN_REVIEW)).one()
                task = session.scalars(select(HumanTask).where(
                    HumanTask.instance_id == case.process_instance_id,
                    HumanTask.task_name == "bedomning", HumanTask.assignee == reviewer,
                    HumanTask.completed_at.is_(None))).one()
                applications.complete_task(session, engine, user(session, reviewer), task.id,
                                           review_data(), local_today())
                session.commit()
        with sessions() as session:
            case = session.scalars(select(Application).where(
                Application.title == IN_REVIEW)).one()
            open_names = session.scalars(select(HumanTask.task_name).where(
                HumanTask.instance_id == case.process_instance_id,
                HumanTask.completed_at.is_(None))).all()
            instance = session.get(ProcessInstance, case.process_instance_id)
            assert open_names == ["beredning"], case.status
            assert case.status == "Beredning"
            assert len(instance.data["bedomningar"]) == 2  # both reviews merged
    finally:
        app.extensions["db_engine"].dispose()
