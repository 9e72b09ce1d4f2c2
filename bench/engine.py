"""Engine benchmark: time to complete ONE human task, ours (persisted) vs bare SpiffWorkflow.

    .venv/bin/python bench/engine.py [--instances 60] [--warmup 10] [--json] [--no-postgres]

"Ours" is what a web request does after form validation: a new session, loading the user by
id, `applications.complete_task(...)` (lock, version check, JSON Schema validation, load the
workflow, run the task and the engine steps, save, sync human tasks, audit) and `commit()`.
Every step starts from the stored state, as a new worker would: nothing of the workflow is
kept in memory between steps, only the specs of the process version (each worker builds them
once from the stored version). The SQL statements of every step are counted. A "cold" line
shows the first step of a brand-new worker: a new Engine per step, specs rebuilt from the
stored version each time.
It runs on SQLite (temp file) and PostgreSQL (a throwaway database; admin URL from
TF_TEST_POSTGRES_URL, as in tests/conftest.py; skipped with a note if unreachable).

"Bare" is the same process (processes/*.bpmn and *.dmn) and the same completions in memory
with plain SpiffWorkflow: deserialize the previous JSON (standard serializer, spec embedded),
set the script engine (plain eval/exec; service tasks answer with fixed results), set_data,
run, do_engine_steps, serialize to JSON.

Path per instance, to the decision (see STEPS): ansokan → formell_kontroll "komplett" →
tilldela_bedomare → bedomning × 2 → beredning → beslut "bifall". Starting an instance is not
timed; each completion is. The runners take turns instance by instance (order rotated), so
background load hits them alike. The default of 60 instances (420 completions per runner)
keeps a run near two minutes on 2 cores.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.db import Base, make_engine  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.engine.instances import Engine  # noqa: E402
from app.engine.models import HumanTask  # noqa: E402
from app.engine.scripting import HELPERS  # noqa: E402
from app.formatting import local_today  # noqa: E402
from app.grants import applications  # noqa: E402
from app.grants.models import Round  # noqa: E402
from tests.factories import (  # noqa: E402
    application_data,
    decision_data,
    proposal_data,
    review_data,
)
from tests.postgres import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

PROCESSES = ROOT / "processes"
BPMN_FILE = PROCESSES / "trygghetsfond.bpmn"
PROCESS_ID = "trygghetsfond"
TARGET_RATIO = 2.0
COLD_INSTANCES = 3  # instances run with a new engine per step, after the timed ones
AMOUNT = 100000  # within the delegat's limit in delegationsordning.dmn, so "beslut" decides

# The path to the decision, (task name, who completes it, form data) in process order. The
# data comes from tests/factories.py so that it follows the forms. "bedomning" is a
# multi-instance task: one instance per reviewer, told apart by its assignee.
STEPS = [
    ("ansokan", "sokande", application_data(
        sokt_belopp=AMOUNT, budget=[{"post": "Arvoden", "belopp": AMOUNT}])),
    ("formell_kontroll", "handlaggare", {"kontroll_utfall": "komplett"}),
    ("tilldela_bedomare", "handlaggare",
     {"valda_bedomare": ["bedomare", "bedomare2"], "bedomning_frist": "2030-01-31"}),
    ("bedomning", "bedomare", review_data()),
    ("bedomning", "bedomare2", review_data()),
    ("beredning", "handlaggare", proposal_data("bifall", AMOUNT)),
    ("beslut", "beslutsfattare", decision_data("bifall", AMOUNT)),
]
TASK_NAMES = list(dict.fromkeys(name for name, _user, _data in STEPS))


def path_changed(expected: str, found: list[str]) -> SystemExit:
    return SystemExit(f"The process path has changed: expected an open {expected}, found "
                      f"{sorted(found)}. Update STEPS in bench/engine.py.")


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


def summarize_run(samples: list[tuple[str, float]]) -> dict:
    """Overall, per-task and first/last-quarter figures of (task name, seconds) in run order."""
    everything = [seconds for _name, seconds in samples]
    quarter = max(len(everything) // 4, 1)
    return {
        **summarize(everything),
        "per_task": {name: summarize([s for n, s in samples if n == name])
                     for name in TASK_NAMES},
        "first_quarter_median_ms": statistics.median(everything[:quarter]) * 1000,
        "last_quarter_median_ms": statistics.median(everything[-quarter:]) * 1000,
    }


# -- bare SpiffWorkflow -----------------------------------------------------------------------


class BareScriptEngine(PythonScriptEngine):
    """The default (unrestricted) environment; service tasks answer with fixed results."""

    RESULTS = {
        "registrera_ansokan": {"diarienummer": "KS-2027/0001", "registrerad": "2027-01-01"},
        "registrera_beslut": {"beslut_id": 1, "beviljat": str(AMOUNT)},
    }

    def call_service(self, task, operation_name=None, operation_params=None, **kw):
        return json.dumps(self.RESULTS.get(operation_name, {}))


def _assignee_variable(task_spec) -> str:
    """The data variable naming a task's assignee (spiffworkflow property "assignee")."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return properties.get("assignee", "")


class BareRunner:
    """The process in memory, with a standard serialize/deserialize round trip per task."""

    def __init__(self):
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(BPMN_FILE))
        parser.add_dmn_files([str(path) for path in sorted(PROCESSES.glob("*.dmn"))])
        self.spec = parser.get_spec(PROCESS_ID)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        # Plain eval/exec, with the helpers (date, timedelta, …) the process's scripts use.
        self.script_engine = BareScriptEngine(environment=TaskDataEnvironment(dict(HELPERS)))
        self.state_bytes = 0

    def run_instance(self) -> list[tuple[str, float]]:
        """Start an instance (not timed), then time each human task completion."""
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs,
                                script_engine=self.script_engine)
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        times = []
        for name, username, data in STEPS:
            # The task id is what the request URL carries; look it up outside the timing.
            task_id = self.ready_task_id(workflow, name, username)
            started = time.perf_counter()
            workflow = self.serializer.deserialize_json(state)
            workflow.script_engine = self.script_engine
            task = workflow.get_task_from_id(task_id)
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
            state = self.serializer.serialize_json(workflow)
            times.append((name, time.perf_counter() - started))
            if name == "ansokan":
                self.state_bytes = len(state)
        return times

    @staticmethod
    def ready_task_id(workflow: BpmnWorkflow, name: str, username: str):
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        matches = [t for t in ready if t.task_spec.bpmn_id == name and
                   t.data.get(_assignee_variable(t.task_spec), username) == username]
        if len(matches) != 1:
            raise path_changed(f"{name} for {username}", [t.task_spec.bpmn_id for t in ready])
        return matches[0].id

    def close(self) -> None:
        pass


# -- ours -------------------------------------------------------------------------------------


class OursRunner:
    """The real app on a fresh database: each completion is one request's transaction."""

    def __init__(self, url: str):
        db_engine = make_engine(url)
        Base.metadata.create_all(db_engine)
        db_engine.dispose()
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench",
                               "ENVIRONMENT": "development"})
        self.sessions = self.app.extensions["sessions"]
        self.engine = self.app.extensions["engine"]
        self.today = local_today()
        with self.sessions() as session:
            load_demo(session, self.today)
            session.commit()
            self.user_ids = {u.username: u.id for u in session.scalars(select(User))}
            self.round_id = session.scalars(select(Round.id)).first()
        self.state_bytes = 0
        self.statements = 0
        self.statement_counts: list[tuple[str, int]] = []
        event.listen(self.app.extensions["db_engine"], "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.statements += 1

    def step_engine(self, cold: bool):
        """The app's engine, or (cold) a new one that has built no spec yet."""
        if not cold:
            return self.engine
        return Engine(self.engine.catalogue, self.engine.operations, self.engine.config,
                      on_saved=self.engine.on_saved, choices=self.engine.choices)

    def run_instance(self, cold: bool = False) -> list[tuple[str, float]]:
        """Start an application (not timed), then time each human task completion."""
        with self.sessions() as session:  # the draft exists before the form is sent
            applicant = session.get(User, self.user_ids["sokande"])
            application = applications.start_application(session, self.engine, applicant,
                                                          self.round_id, self.today)
            session.commit()
            instance_id = application.process_instance_id
        times = []
        for name, username, data in STEPS:
            task_id = self.open_task_id(instance_id, name, username)  # the id in the URL
            engine = self.step_engine(cold)
            self.statements = 0
            started = time.perf_counter()
            with self.sessions() as session:
                user = session.get(User, self.user_ids[username])
                applications.complete_task(session, engine, user, task_id, data, self.today)
                session.commit()
            times.append((name, time.perf_counter() - started))
            if not cold:
                self.statement_counts.append((name, self.statements))
            if name == "ansokan" and not self.state_bytes:
                with self.sessions() as session:
                    self.state_bytes = len(self.engine.lock_instance(session, instance_id).state)
        return times

    def open_task_id(self, instance_id: int, task_name: str, username: str) -> str:
        with self.sessions() as session:
            open_tasks = session.execute(
                select(HumanTask.task_name, HumanTask.assignee, HumanTask.id).where(
                    HumanTask.instance_id == instance_id, HumanTask.completed_at.is_(None))
            ).all()
        ids = [task_id for name, assignee, task_id in open_tasks
               if name == task_name and assignee in (None, username)]
        if len(ids) != 1:
            raise path_changed(f"{task_name} for {username}", [t[0] for t in open_tasks])
        return ids[0]

    def close(self) -> None:
        self.app.extensions["db_engine"].dispose()


# -- run --------------------------------------------------------------------------------------


def run(instances: int, warmup: int, postgres: bool, stack: ExitStack) -> dict:
    """Interleave the runners instance by instance, so background load hits them alike."""
    runners: dict[str, BareRunner | OursRunner | None] = {"bare": BareRunner()}
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="tf-bench-"))
    runners["sqlite"] = OursRunner(f"sqlite:///{Path(folder) / 'bench.db'}")
    stack.callback(runners["sqlite"].close)
    runners["postgres"] = None
    if postgres and postgres_reachable():
        url = create_postgres_database("tf_bench")
        stack.callback(drop_postgres_database, url)
        runners["postgres"] = OursRunner(url)
        stack.callback(runners["postgres"].close)
    active = {key: runner for key, runner in runners.items() if runner is not None}
    samples: dict[str, list[tuple[str, float]]] = {key: [] for key in active}
    keys = list(active)
    for number in range(warmup + instances):
        for key in keys[number % len(keys):] + keys[:number % len(keys)]:  # rotate the order
            times = active[key].run_instance()
            if number >= warmup:
                samples[key].extend(times)
    results = {key: None for key in runners}
    for key, runner in active.items():
        results[key] = {**summarize_run(samples[key]),
                        "state_bytes_after_ansokan": runner.state_bytes}
        if isinstance(runner, OursRunner):
            counts = runner.statement_counts
            results[key]["statements_per_task"] = {
                name: statistics.median(c for n, c in counts if n == name)
                for name in TASK_NAMES}
            results[key]["statements_median"] = statistics.median(c for _n, c in counts)
            cold = [s for _ in range(COLD_INSTANCES) for s in runner.run_instance(cold=True)]
            results[key]["cold"] = summarize([seconds for _name, seconds in cold])
    return results


# -- report -----------------------------------------------------------------------------------


def report(results: dict) -> str:
    bare = results["bare"]
    lines = [
        f"Engine benchmark — {results['instances']} instances × {len(STEPS)} human tasks, "
        f"after {results['warmup']} warm-up instances ({results['cores']} cores, load average "
        f"{results['load_before']:.2f} before / {results['load_after']:.2f} after)",
        f"{'':30}{'median ms':>10}{'p95 ms':>10}",
        f"{'bare SpiffWorkflow round trip':30}{bare['median_ms']:10.2f}{bare['p95_ms']:10.2f}",
    ]
    for key, label in (("sqlite", "ours, SQLite"), ("postgres", "ours, PostgreSQL")):
        ours = results[key]
        if ours is None:
            lines.append(f"{label:30}    skipped ({results['postgres_note']})")
            continue
        ratio = results["ratio"][key]
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        lines.append(f"{label:30}{ours['median_ms']:10.2f}{ours['p95_ms']:10.2f}   "
                     f"ratio {ratio:.2f}× (target ≤ {TARGET_RATIO:g}×: {verdict}), "
                     f"{ours['statements_median']:g} SQL statements per step (median)")
        cold = ours["cold"]
        lines.append(f"{'  cold: new engine per step':30}{cold['median_ms']:10.2f}"
                     f"{cold['p95_ms']:10.2f}   (specs rebuilt from the stored version)")
    for key, label in (("bare", "bare"), ("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if results[key] is None:
            continue
        per_task = ", ".join(f"{name} {results[key]['per_task'][name]['median_ms']:.2f}"
                             for name in TASK_NAMES)
        lines.append(f"per task ({label}): {per_task} (median ms)")
    for key, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if results[key] is not None:
            counts = ", ".join(f"{name} {count:g}"
                               for name, count in results[key]["statements_per_task"].items())
            lines.append(f"SQL statements per task ({label}, median): {counts}")
    trend = ", ".join(f"{label} {results[key]['first_quarter_median_ms']:.2f} → "
                      f"{results[key]['last_quarter_median_ms']:.2f}"
                      for key, label in (("bare", "bare"), ("sqlite", "SQLite"),
                                         ("postgres", "PostgreSQL"))
                      if results[key] is not None)
    lines.append(f"first → last quarter of the instances (median ms): {trend}")
    sizes = ", ".join(f"{key} {results[key]['state_bytes_after_ansokan']:,}"
                      for key in ("bare", "sqlite") if results[key] is not None)
    lines.append(f"state JSON after ansokan (bytes): {sizes} (ours keeps the spec out)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=60, help="counted instances (60)")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted instances first (10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args(argv)
    if args.instances < 2 or args.warmup < 0:
        parser.error("--instances must be at least 2 and --warmup at least 0")

    results: dict = {"instances": args.instances, "warmup": args.warmup,
                     "tasks_per_instance": len(STEPS), "cores": os.cpu_count(),
                     "target_ratio": TARGET_RATIO, "load_before": os.getloadavg()[0]}
    with ExitStack() as stack:
        results.update(run(args.instances, args.warmup, not args.no_postgres, stack))
    results["load_after"] = os.getloadavg()[0]
    results["postgres_note"] = None
    if results["postgres"] is None:
        results["postgres_note"] = ("--no-postgres" if args.no_postgres else
                                    "PostgreSQL unreachable at "
                                    + make_url(POSTGRES_ADMIN_URL).render_as_string())
        print(f"note: PostgreSQL skipped: {results['postgres_note']}", file=sys.stderr)
    results["ratio"] = {
        key: results[key]["median_ms"] / results["bare"]["median_ms"]
        for key in ("sqlite", "postgres") if results[key] is not None
    }
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
