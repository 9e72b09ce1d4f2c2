"""Reliability figures on PostgreSQL (a script that prints figures, not a test).

    .venv/bin/python bench/reliability.py [--runs 50] [--steppers 2] [--workers 2]
                                          [--timers 1000] [--timer-workers 4] [--json]

1. Kill -9. Each run starts `--steppers` processes that complete the real steps of cases
   (a new case and its application, formal check, reviewer assignment, both reviews,
   preparation, the decision with its PDF letter, and finance's attest, batch files and
   payment) and `--workers` worker processes (`app.worker.work_once`: timers, e-mail, the
   doctor), all against one throwaway PostgreSQL database and one upload folder. A stepper
   prints `ACK <task id>` after each commit, as a web response would be seen; at a random
   moment every process of the run gets SIGKILL. Then:
   - lost acknowledged steps: ACKed tasks whose row is not completed in the database;
   - stuck cases: what the engine doctor finds (app/engine/doctor.py) after a clean worker
     round, and open incidents;
   - orphan files: files in the upload folder that no row names (letters, batch files,
     attachments), and rows whose file is missing — by comparing storage with the rows; if
     the app has a `flask storage sweep` command, it runs and the orphans are counted again;
   - `reconcile()` of every fund round (app/payouts/reconcile.py): problems found.
2. Timers. `--timers` cases wait for a komplettering whose deadline (a boundary timer) is made
   due; `--timer-workers` processes run timer passes at once until none is due. Every timer
   must fire exactly once: `timer_fired` audit events per instance, the open "Formell kontroll"
   rows per case, and the sum of the counts the passes reported.

The database is created with the admin URL of tests/postgres.py (TF_TEST_POSTGRES_URL) and
dropped at the end. The defaults take a few minutes on 2 cores.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.audit import AuditEvent  # noqa: E402
from app.db import Base, make_engine, utcnow  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.engine.doctor import find_stuck_instances  # noqa: E402
from app.engine.models import HumanTask, Incident, ProcessInstance  # noqa: E402
from app.engine.serializer import dump_state  # noqa: E402
from app.engine.tasks import next_timer_at  # noqa: E402
from app.errors import DomainError  # noqa: E402
from app.formatting import STOCKHOLM, local_today  # noqa: E402
from app.grants import applications  # noqa: E402
from app.grants.models import Round  # noqa: E402
from tests.factories import (  # noqa: E402
    application_data,
    decision_data,
    proposal_data,
    review_data,
)
from tests.postgres import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

AMOUNT = 90_000  # within the delegate's limit: the decision is a "Beslut" task
KOMPLETTERING = {"kontroll_utfall": "komplettering", "komplettering_frist": "2030-01-01",
                 "komplettering_delar": ["malgrupp"], "kontroll_meddelande": "Beskriv målgruppen."}
STORAGE_COLUMNS = (("letters", "storage_key"), ("batch_files", "storage_key"),
                   ("attachments", "key"))


# -- the child processes ------------------------------------------------------------------------

def task_data(task: HumanTask) -> tuple[str, dict] | None:
    """Who completes a task of the happy path, with what; None for tasks left alone."""
    if task.task_name == "formell_kontroll":
        return "handlaggare", {"kontroll_utfall": "komplett"}
    if task.task_name == "tilldela_bedomare":
        return "handlaggare", {"bedomare": ["bedomare", "bedomare2"],
                               "bedomning_frist": "2030-01-31"}
    if task.task_name == "bedomning":
        return task.assignee, review_data()
    if task.task_name == "beredning":
        return "handlaggare", proposal_data("bifall", AMOUNT)
    if task.task_name == "beslut":
        return "beslutsfattare", decision_data("bifall")
    return None


def run_stepper(app, out: int, seed: int) -> None:
    """Complete steps for ever, writing ACK <task id> to `out` after each commit."""
    rng = random.Random(seed)
    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    while True:
        with sessions() as session:
            try:
                if rng.random() < 0.15:
                    acked = pay_out(session, engine, app.config)
                else:
                    acked = complete_some_task(session, engine, rng)
            except DomainError:
                session.rollback()
                continue
        if acked:
            os.write(out, f"ACK {acked}\n".encode())


def users(session) -> dict[str, User]:
    return {u.username: u for u in session.scalars(select(User))}


def start_case(session, engine) -> str:
    fund_round = session.scalars(select(Round)).first()
    applicant = users(session)["sokande"]
    application = applications.start_application(session, engine, applicant, fund_round.id,
                                                 local_today())
    session.commit()
    task = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.completed_at.is_(None))).one()
    data = application_data(budget=[{"post": "Arvoden", "belopp": AMOUNT}], sokt_belopp=AMOUNT)
    applications.complete_task(session, engine, applicant, task.id, data, local_today())
    session.commit()
    return task.id


STAGES = ("formell_kontroll", "tilldela_bedomare", "bedomning", "beredning", "beslut")


def complete_some_task(session, engine, rng: random.Random) -> str | None:
    """Complete an open task, the furthest cases first (so cases reach their letters and
    payouts); start a new case when few tasks are open."""
    open_tasks = session.execute(select(HumanTask.id, HumanTask.task_name).where(
        HumanTask.completed_at.is_(None), HumanTask.task_name.in_(STAGES))).all()
    if len(open_tasks) < 4 and rng.random() < 0.5:
        return start_case(session, engine)
    if not open_tasks:
        return start_case(session, engine)
    open_tasks.sort(key=lambda row: -STAGES.index(row.task_name))
    task = session.get(HumanTask, rng.choice(open_tasks[:3]).id)
    who, data = task_data(task)
    applications.complete_task(session, engine, users(session)[who], task.id, data,
                               local_today())
    session.commit()
    return task.id


def pay_out(session, engine, config) -> str | None:
    """Finance attests the due payouts, makes a batch (its files) and marks it paid."""
    from app.payouts import attest, batches
    from app.payouts.models import Payout
    from app.storage import storage_from_config

    due = session.scalars(select(Payout.id).where(Payout.status == "planned").limit(5)).all()
    if not due:
        return None
    finance, now = users(session)["ekonomi"], utcnow()
    today = now.astimezone(STOCKHOLM).date()
    attest.attest(session, finance, due, now)
    batch = batches.create_batch(session, storage_from_config(config), config, finance,
                                 execution_date=today, now=now, payout_ids=due)
    batches.mark_paid(session, engine, finance, batch.id, today, now)
    session.commit()
    return None  # acknowledged steps are task completions; batches are checked by reconcile


def run_worker(app, out: int, seed: int, interval: float = 0.05) -> None:
    """The background worker's rounds, as `flask engine worker` runs them."""
    from app.worker import work_once

    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    while True:
        work_once(sessions, engine, app.config)
        time.sleep(interval)


def run_timer_worker(app, out: int, start_at: float) -> None:
    """Timer passes until one finds nothing due; write how many instances they reported."""
    from app.engine.timers import run_due_timers

    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    time.sleep(max(0.0, start_at - time.monotonic()))  # start together
    fired = 0
    while True:
        fired += run_due_timers(sessions, engine)
        with sessions() as session:
            if not engine.due_instance_ids(session, utcnow(), limit=1):
                break
    os.write(out, f"FIRED {fired}\n".encode())


def run_creator(app, out: int, count: int) -> None:
    """Make `count` cases that wait for a komplettering, their deadline made due."""
    for instance_id in make_waiting_cases(app, count):
        os.write(out, f"CASE {instance_id}\n".encode())


# -- the parent: setup, runs and checks ---------------------------------------------------------

def fork(app, target, *args) -> tuple[int, int]:
    """Run target(app, out, *args) in a forked process (the parent's imports and parsed
    processes come along; its database connections do not); return (pid, read end)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 0
        try:
            app.extensions["db_engine"].dispose(close=False)
            target(app, write_end, *args)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def read_lines(read_end: int) -> list[str]:
    """Everything a finished (or killed) child wrote."""
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    return b"".join(chunks).decode().splitlines()


def kill_runs(app, runs: int, steppers: int, workers: int, rng) -> dict:
    sessions = app.extensions["sessions"]
    acked: list[str] = []
    started = time.monotonic()
    for run in range(runs):
        children = [fork(app, run_stepper, run * 100 + i) for i in range(steppers)]
        children += [fork(app, run_worker, 0) for _ in range(workers)]
        time.sleep(rng.uniform(0.5, 4.0))
        for pid, _ in rng.sample(children, len(children)):  # in a random order
            os.kill(pid, signal.SIGKILL)
        for pid, read_end in children:
            os.waitpid(pid, 0)
            acked += [line.split()[1] for line in read_lines(read_end)
                      if line.startswith("ACK ")]
    with sessions() as session:
        completed = set(session.scalars(select(HumanTask.id).where(
            HumanTask.id.in_(acked), HumanTask.outcome == "completed")))
    return {"runs": runs, "acknowledged_steps": len(acked),
            "lost_acknowledged_steps": len(set(acked) - completed),
            "seconds": round(time.monotonic() - started, 1)}


def stored_keys(session) -> set[str]:
    from sqlalchemy import text

    keys = set()
    for table, column in STORAGE_COLUMNS:
        keys |= set(session.scalars(text(f"SELECT {column} FROM {table}")))
    return keys


def file_check(app) -> dict:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    with app.extensions["sessions"]() as session:
        keys = stored_keys(session)
    files = {p.name for p in upload_dir.iterdir()} if upload_dir.exists() else set()
    orphans = files - keys
    return {"files": len(files), "rows": len(keys), "orphan_files": len(orphans),
            "interrupted_writes": sum(1 for name in orphans if name.startswith(".upload-")),
            "missing_files": len(keys - files)}


def sweep(app) -> str:
    """Run `flask storage sweep` when the app has it. Every process of the runs is dead, so no
    transaction is open: orphans of any age go (STORAGE_SWEEP_HOURS 0)."""
    app.config["STORAGE_SWEEP_HOURS"] = 0
    result = app.test_cli_runner().invoke(args=["storage", "sweep"])
    if result.exit_code == 2 and "No such command" in result.output:
        return "no `flask storage sweep` in this tree"
    return (result.output.strip().splitlines() or [""])[-1][:200]


def health_check(app) -> dict:
    from app.engine.timers import run_due_timers
    from app.payouts.reconcile import reconcile

    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    run_due_timers(sessions, engine)
    with sessions() as session:
        stuck = find_stuck_instances(session, engine)
        incidents = session.scalar(select(func.count()).select_from(Incident)
                                   .where(Incident.resolved_at.is_(None)))
        problems = [p for round_id in session.scalars(select(Round.id))
                    for p in reconcile(session, round_id)]
        cases = session.scalar(select(func.count()).select_from(ProcessInstance))
        session.rollback()
    return {"cases": cases, "stuck_cases": len(stuck), "open_incidents": incidents,
            "reconcile_problems": len(problems), "reconcile_messages": problems[:5]}


def make_waiting_cases(app, count: int) -> list[int]:
    """`count` cases waiting for a komplettering, their deadline timer made due."""
    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    ids = []
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    with sessions() as session:
        people = users(session)
        fund_round = session.scalars(select(Round)).first()
        for _ in range(count):
            application = applications.start_application(
                session, engine, people["sokande"], fund_round.id, local_today())
            session.flush()
            for who, data in (("sokande", application_data()), ("handlaggare", KOMPLETTERING)):
                task = session.scalars(select(HumanTask).where(
                    HumanTask.instance_id == application.process_instance_id,
                    HumanTask.completed_at.is_(None))).one()
                applications.complete_task(session, engine, people[who], task.id, data,
                                           local_today())
            instance = engine.lock_instance(session, application.process_instance_id)
            workflow = engine.load_workflow(session, instance)
            for task in workflow.event_manager.tasks.values():
                task.internal_data["event_value"] = past
            instance.state = dump_state(workflow)
            instance.next_timer_at = next_timer_at(workflow)
            session.commit()
            ids.append(instance.id)
    return ids


def timer_runs(app, count: int, workers: int) -> dict:
    sessions = app.extensions["sessions"]
    created = time.monotonic()
    creators = [fork(app, run_creator, count // 2 + (i < count % 2)) for i in range(2)]
    ids = []
    for pid, read_end in creators:
        ids += [int(line.split()[1]) for line in read_lines(read_end)]
        os.waitpid(pid, 0)
    setup_seconds = time.monotonic() - created
    with sessions() as session:
        before = session.scalar(select(func.max(AuditEvent.id))) or 0
    start_at = time.monotonic() + 1.0
    children = [fork(app, run_timer_worker, start_at) for _ in range(workers)]
    reported = 0
    for pid, read_end in children:
        reported += sum(int(line.split()[1]) for line in read_lines(read_end)
                        if line.startswith("FIRED "))
        os.waitpid(pid, 0)
    seconds = time.monotonic() - start_at
    with sessions() as session:
        fired = dict(session.execute(
            select(AuditEvent.process_instance_id, func.count())
            .where(AuditEvent.id > before, AuditEvent.action == "timer_fired",
                   AuditEvent.process_instance_id.in_(ids))
            .group_by(AuditEvent.process_instance_id)).all())
        checks = dict(session.execute(
            select(HumanTask.instance_id, func.count())
            .where(HumanTask.instance_id.in_(ids), HumanTask.task_name == "formell_kontroll",
                   HumanTask.completed_at.is_(None))
            .group_by(HumanTask.instance_id)).all())
    return {"due_timers": len(ids), "timer_workers": workers,
            "fired_once": sum(1 for i in ids if fired.get(i) == 1),
            "duplicates": sum(max(0, n - 1) for n in fired.values()),
            "not_fired": sum(1 for i in ids if i not in fired),
            "cases_with_one_open_check": sum(1 for i in ids if checks.get(i) == 1),
            "reported_by_passes": reported,
            "setup_seconds": round(setup_seconds, 1), "seconds": round(seconds, 1),
            "timers_per_second": round(len(ids) / seconds, 1) if seconds else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--steppers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--timer-workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not postgres_reachable():
        raise SystemExit("PostgreSQL is not reachable (TF_TEST_POSTGRES_URL)")
    url = create_postgres_database("tf_bench")
    upload_dir = tempfile.mkdtemp(prefix="tf-bench-uploads-")
    config = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "x" * 40,
              "UPLOAD_DIR": upload_dir, "LOG_LEVEL": "WARNING"}  # figures, not every e-mail
    try:
        db_engine = make_engine(url)
        Base.metadata.create_all(db_engine)
        db_engine.dispose()
        app = create_app(config)
        with app.extensions["sessions"]() as session:
            load_demo(session, local_today())
            session.commit()
        rng = random.Random(args.seed)
        figures = {"kill": kill_runs(app, args.runs, args.steppers, args.workers, rng)}
        figures["files_before_sweep"] = file_check(app)
        figures["sweep"] = sweep(app)
        figures["files_after_sweep"] = file_check(app)
        figures["health"] = health_check(app)
        figures["timers"] = timer_runs(app, args.timers, args.timer_workers)
        app.extensions["db_engine"].dispose()
    finally:
        drop_postgres_database(url)
        shutil.rmtree(upload_dir, ignore_errors=True)
    print_figures(figures, args)


def print_figures(figures: dict, args) -> None:
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    kill, health, timers = figures["kill"], figures["health"], figures["timers"]
    before, after = figures["files_before_sweep"], figures["files_after_sweep"]
    print(f"kill -9: {kill['runs']} runs × ({args.steppers} steppers + {args.workers} workers) "
          f"on PostgreSQL, {kill['seconds']} s")
    print(f"  acknowledged steps:       {kill['acknowledged_steps']}")
    print(f"  lost acknowledged steps:  {kill['lost_acknowledged_steps']}")
    print(f"  cases:                    {health['cases']}")
    print(f"  stuck cases (doctor):     {health['stuck_cases']}")
    print(f"  open incidents:           {health['open_incidents']}")
    print(f"  reconcile() problems:     {health['reconcile_problems']}")
    for message in health["reconcile_messages"]:
        print(f"    {message}")
    print(f"  stored files / rows:      {before['files']} / {before['rows']}")
    print(f"  orphan files:             {before['orphan_files']} (of them interrupted "
          f"writes: {before['interrupted_writes']}; rows without file: "
          f"{before['missing_files']})")
    print(f"  sweep:                    {figures['sweep']}")
    print(f"  orphan files after sweep: {after['orphan_files']}")
    print(f"timers: {timers['due_timers']} due, {timers['timer_workers']} worker processes, "
          f"{timers['seconds']} s ({timers['timers_per_second']}/s; setup "
          f"{timers['setup_seconds']} s)")
    print(f"  fired exactly once:       {timers['fired_once']}")
    print(f"  duplicates:               {timers['duplicates']}")
    print(f"  not fired:                {timers['not_fired']}")
    print(f"  cases with one open check:{timers['cases_with_one_open_check']:>5}")
    print(f"  fired as the passes said: {timers['reported_by_passes']}")


if __name__ == "__main__":
    main()
