"""Engine benchmark: time to complete ONE human task, ours (persisted) vs bare SpiffWorkflow.

    .venv/bin/python bench/engine.py [--instances 200] [--warmup 10] [--json] [--no-postgres]

"Ours" is what a web request does after form validation: a new session, loading the user by
id, `applications.complete_task(...)` (lock, version check, JSON Schema validation, load the
workflow, run the task and the engine steps, save, sync human tasks, audit) and `commit()`.
It runs on SQLite (temp file) and PostgreSQL (a throwaway database; admin URL from
TF_TEST_POSTGRES_URL, as in tests/conftest.py; skipped with a note if unreachable).

"Bare" is the same process (processes/trygghetsfond.bpmn) and the same three completions in
memory with plain SpiffWorkflow: deserialize the previous JSON (standard serializer, spec
embedded), set the script engine, set_data, run, do_engine_steps, serialize to JSON.

Path per instance: ansokan (sokande) → formell_kontroll "komplett" (handlaggare) → beslut
"bifall" (beslutsfattare). Starting an instance is not timed; each completion is.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.db import Base, make_engine  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.engine.models import HumanTask  # noqa: E402
from app.grants import applications  # noqa: E402
from app.grants.models import Application, Round  # noqa: E402
from tests.factories import application_data  # noqa: E402

BPMN_FILE = ROOT / "processes" / "trygghetsfond.bpmn"
PROCESS_ID = "trygghetsfond"
POSTGRES_ADMIN_URL = os.environ.get(
    "TF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TARGET_RATIO = 3.0

# (task name, username, form data) in process order.
STEPS = [
    ("ansokan", "sokande", application_data()),
    ("formell_kontroll", "handlaggare",
     {"kontroll_utfall": "komplett", "komplettering_frist_dagar": 14}),
    ("beslut", "beslutsfattare",
     {"beslut": "bifall", "beslut_motivering": "Väl underbyggd ansökan."}),
]
TASK_NAMES = [name for name, _user, _data in STEPS]


# -- statistics -------------------------------------------------------------------------------


def summarize(samples: list[float]) -> dict:
    """Median and p95 in milliseconds of samples in seconds."""
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": statistics.quantiles(ms, n=20)[-1],
        "mean_ms": statistics.fmean(ms),
    }


def summarize_run(samples: dict[str, list[float]]) -> dict:
    """Overall and per-task figures of {task name: [seconds]}."""
    everything = [s for name in TASK_NAMES for s in samples[name]]
    return {**summarize(everything),
            "per_task": {name: summarize(samples[name]) for name in TASK_NAMES}}


# -- bare SpiffWorkflow -----------------------------------------------------------------------


class BareScriptEngine(PythonScriptEngine):
    """The default (unrestricted) environment; service tasks answer with fixed results."""

    RESULTS = {
        "registrera_ansokan": {"diarienummer": "KS-2027/0001", "registrerad": "2027-01-01"},
        "registrera_beslut": {"beslut_id": 1, "beviljat": "250000"},
    }

    def call_service(self, task, operation_name=None, operation_params=None, **kw):
        return json.dumps(self.RESULTS[operation_name])


def run_bare(instances: int, warmup: int) -> dict:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(BPMN_FILE))
    spec = parser.get_spec(PROCESS_ID)
    subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    script_engine = BareScriptEngine()
    samples: dict[str, list[float]] = {name: [] for name in TASK_NAMES}
    state_bytes = 0
    for number in range(warmup + instances):
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        for name, _username, data in STEPS:
            # The task id is what the request URL carries; look it up outside the timing.
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            assert [t.task_spec.name for t in ready] == [name], ready
            task_id = ready[0].id
            started = time.perf_counter()
            workflow = serializer.deserialize_json(state)
            workflow.script_engine = script_engine
            task = workflow.get_task_from_id(task_id)
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
            elapsed = time.perf_counter() - started
            if number >= warmup:
                samples[name].append(elapsed)
            if name == "ansokan":
                state_bytes = len(state)
        assert workflow.completed, "bare workflow did not complete"
    return {**summarize_run(samples), "state_bytes_after_ansokan": state_bytes}


# -- ours -------------------------------------------------------------------------------------


def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def create_postgres_database() -> str:
    name = f"tf_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare_app(url: str):
    db_engine = make_engine(url)
    Base.metadata.create_all(db_engine)
    db_engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.extensions["sessions"]() as session:
        load_demo(session, date.today())
        session.commit()
    return app


def run_ours(url: str, instances: int, warmup: int) -> dict:
    app = prepare_app(url)
    sessions = app.extensions["sessions"]
    engine = app.extensions["engine"]
    today = date.today()
    try:
        with sessions() as session:
            user_ids = {u.username: u.id for u in session.scalars(select(User))}
            round_id = session.scalars(select(Round.id)).first()
        samples: dict[str, list[float]] = {name: [] for name in TASK_NAMES}
        state_bytes = 0
        for number in range(warmup + instances):
            with sessions() as session:  # not timed: the draft exists before the form is sent
                applicant = session.get(User, user_ids["sokande"])
                application = applications.start_application(session, engine, applicant,
                                                              round_id, today)
                session.commit()
                application_id = application.id
                instance_id = application.process_instance_id
            for name, username, data in STEPS:
                task_id = open_task_id(sessions, instance_id, name)  # the id in the URL
                started = time.perf_counter()
                with sessions() as session:
                    user = session.get(User, user_ids[username])
                    applications.complete_task(session, engine, user, task_id, data, today)
                    session.commit()
                elapsed = time.perf_counter() - started
                if number >= warmup:
                    samples[name].append(elapsed)
                if name == "ansokan" and not state_bytes:
                    with sessions() as session:
                        state_bytes = len(engine.lock_instance(session, instance_id).state)
            with sessions() as session:
                status = session.get(Application, application_id).status
            assert status == "Beviljad", f"instance {instance_id} ended as {status!r}"
        return {**summarize_run(samples), "state_bytes_after_ansokan": state_bytes}
    finally:
        app.extensions["db_engine"].dispose()


def open_task_id(sessions, instance_id: int, task_name: str) -> str:
    with sessions() as session:
        return session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.task_name == task_name,
            HumanTask.completed_at.is_(None))).one()


def run_sqlite(instances: int, warmup: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tf-bench-") as folder:
        return run_ours(f"sqlite:///{Path(folder) / 'bench.db'}", instances, warmup)


def run_postgres(instances: int, warmup: int) -> dict | None:
    if not postgres_reachable():
        return None
    url = create_postgres_database()
    try:
        return run_ours(url, instances, warmup)
    finally:
        drop_postgres_database(url)


# -- report -----------------------------------------------------------------------------------


def report(results: dict) -> str:
    bare = results["bare"]
    lines = [
        f"Engine benchmark — {results['instances']} instances × {len(STEPS)} human tasks, "
        f"after {results['warmup']} warm-up instances ({results['cores']} cores)",
        f"{'':30}{'median ms':>10}{'p95 ms':>10}",
        f"{'bare SpiffWorkflow round trip':30}{bare['median_ms']:10.2f}{bare['p95_ms']:10.2f}",
    ]
    for key, label in (("sqlite", "ours, SQLite"), ("postgres", "ours, PostgreSQL")):
        ours = results[key]
        if ours is None:
            lines.append(f"{label:30}{'skipped: PostgreSQL unreachable at ':>10}"
                         f"{make_url(POSTGRES_ADMIN_URL).render_as_string()}")
            continue
        ratio = results["ratio"][key]
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        lines.append(f"{label:30}{ours['median_ms']:10.2f}{ours['p95_ms']:10.2f}   "
                     f"ratio {ratio:.1f}× (target ≤ {TARGET_RATIO:g}×: {verdict})")
    for key, label in (("bare", "bare"), ("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if results[key] is None:
            continue
        per_task = ", ".join(f"{name} {results[key]['per_task'][name]['median_ms']:.2f}"
                             for name in TASK_NAMES)
        lines.append(f"per task ({label}): {per_task} (median ms)")
    sizes = ", ".join(f"{key} {results[key]['state_bytes_after_ansokan']:,}"
                      for key in ("bare", "sqlite") if results[key] is not None)
    lines.append(f"state JSON after ansokan (bytes): {sizes} (ours stores no spec)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=200, help="counted instances (200)")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted instances first (10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args(argv)
    if args.instances < 2:
        parser.error("--instances must be at least 2")

    results: dict = {"instances": args.instances, "warmup": args.warmup,
                     "tasks_per_instance": len(STEPS), "cores": os.cpu_count(),
                     "target_ratio": TARGET_RATIO}
    results["bare"] = run_bare(args.instances, args.warmup)
    results["sqlite"] = run_sqlite(args.instances, args.warmup)
    results["postgres"] = None if args.no_postgres else run_postgres(args.instances, args.warmup)
    if results["postgres"] is None and not args.no_postgres:
        print(f"note: PostgreSQL skipped (unreachable at "
              f"{make_url(POSTGRES_ADMIN_URL).render_as_string()})", file=sys.stderr)
    results["ratio"] = {
        key: results[key]["median_ms"] / results["bare"]["median_ms"]
        for key in ("sqlite", "postgres") if results[key] is not None
    }
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
