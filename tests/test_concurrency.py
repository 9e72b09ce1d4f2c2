"""Concurrent users: one task completed twice, diarienummer taken at the same moment."""

import threading

from sqlalchemy import select

from app.engine.incidents import run_step
from app.errors import Conflict
from app.formatting import local_today
from app.grants import applications
from app.grants.models import Application
from tests.factories import (
    application_data,
    make_application,
    open_task,
    submitted_application,
    user,
)

THREADS = 8


def run_together(count: int, work) -> list:
    """Run work(i) in `count` threads released at the same moment; return results/errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as err:  # collected and asserted by the test
            results[i] = err

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_officers_complete_the_same_task_one_wins(sessions, engine, demo):
    with sessions() as session:
        application = submitted_application(session, engine)
        task_id = open_task(session, application, "formell_kontroll").id
    data = {"kontroll_utfall": "komplett"}

    def complete(_i):
        with sessions() as session:
            officer = user(session, "handlaggare")
            action = {"kind": "complete_task", "task_id": task_id, "data": data}
            run_step(session, action, lambda: applications.complete_task(
                session, engine, officer, task_id, data, local_today()))
            return "ok"

    results = run_together(THREADS, complete)
    winners = [r for r in results if r == "ok"]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1, results
    assert all("redan slutförd av Hanna Handläggare" in e.message for e in losers)
    with sessions() as session:
        application = session.get(Application, application.id)
        assert open_task(session, application, "tilldela_bedomare") is not None


def test_concurrent_submissions_get_gap_free_numbers(sessions, engine, demo):
    with sessions() as session:
        ids = [make_application(session, engine).id for _ in range(THREADS)]

    def submit(i):
        with sessions() as session:
            application = session.get(Application, ids[i])
            task = open_task(session, application, "ansokan")
            applicant = user(session, "sokande")
            run_step(session, {"kind": "complete_task"}, lambda: applications.complete_task(
                session, engine, applicant, task.id, application_data(), local_today()))
            return "ok"

    results = run_together(THREADS, submit)
    assert results == ["ok"] * THREADS
    with sessions() as session:
        numbers = sorted(session.scalars(select(Application.diarienummer)))
    year = numbers[0].split("-")[1].split("/")[0]
    assert numbers == [f"KS-{year}/{n:04d}" for n in range(1, THREADS + 1)]
