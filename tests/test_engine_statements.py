"""An engine step is a handful of round trips to the database: count its SQL statements.

On PostgreSQL every statement is a round trip, and under load each one costs a wait for the
server's process; bench/engine.py times the steps, these tests keep their statement counts
from creeping back up. The user is loaded before counting (that is the request's business).
"""

from sqlalchemy import event, select

from app.accounts.models import User
from app.formatting import local_today
from app.grants import applications, budget
from app.grants.ledger_models import LedgerEntry
from app.grants.models import Application
from tests.factories import (
    complete,
    decision_data,
    open_task,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)


def counted_completion(app, sessions, application, task_name: str, data: dict,
                       username: str) -> list[str]:
    """Complete the open task as a request would (a new session); return its statements."""
    with sessions() as session:
        task_id = open_task(session, application, task_name).id
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE
            statements.append(statement)

    db_engine = app.extensions["db_engine"]
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        assert user.roles  # loaded before counting, as the request does
        event.listen(db_engine, "before_cursor_execute", count)
        try:
            applications.complete_task(session, app.extensions["engine"], user, task_id, data,
                                       local_today())
            session.commit()
        finally:
            event.remove(db_engine, "before_cursor_execute", count)
    return statements


def test_a_plain_step_takes_eight_statements(app, sessions, demo):
    engine = app.extensions["engine"]
    with sessions() as session:
        application = submitted_application(session, engine)
    statements = counted_completion(app, sessions, application, "formell_kontroll",
                                    {"kontroll_utfall": "komplett"}, "handlaggare")
    # Lock, task rows, case and jäv; then audit, instance, closed task, new task, case status.
    assert len(statements) <= 8, "\n".join(statements)
    assert statements[0].lstrip().startswith("SELECT process_instances")
    with sessions() as session:
        assert open_task(session, application, "tilldela_bedomare") is not None


def test_a_proposal_reads_the_ledger_once(app, sessions, demo):
    engine = app.extensions["engine"]
    with sessions() as session:
        application = submitted_application(session, engine, sokt_belopp=90000,
                                            budget=[{"post": "Arvoden", "belopp": 90000}])
        to_review(session, engine, application)
        review_all(session, engine, application)
    statements = counted_completion(app, sessions, application, "beredning",
                                    proposal_data("bifall", 90000), "handlaggare")
    ledger_reads = [s for s in statements
                    if s.lstrip().startswith("SELECT") and "ledger_entries" in s]
    assert len(ledger_reads) == 1, "\n".join(ledger_reads)
    # The case's own entries and the round's running totals: never the round's whole ledger.
    assert "ledger_entries.round_id" not in ledger_reads[0], ledger_reads[0]
    # SQLite inserts audit rows one by one; one UPDATE adds to the round's running totals.
    assert len(statements) <= 13, "\n".join(statements)
    with sessions() as session:
        case = session.get(Application, application.id)
        reserved = session.scalars(select(LedgerEntry.amount).where(
            LedgerEntry.application_id == case.id, LedgerEntry.kind == "reservation")).all()
        assert [int(amount) for amount in reserved] == [90000]
        # What the step says remains is what the ledger says, without reading it again.
        results = [value for value in case.instance.data.values()
                   if isinstance(value, dict) and "kvar" in value]
        assert [r["kvar"] for r in results] == [
            str(budget.ledger_for(session, case.round_id).remaining)]


def test_a_decision_renders_its_letter_before_it_locks_the_round(app, sessions, demo):
    engine = app.extensions["engine"]
    with sessions() as session:
        application = submitted_application(session, engine, sokt_belopp=90000,
                                            budget=[{"post": "Arvoden", "belopp": 90000}])
        to_review(session, engine, application)
        review_all(session, engine, application)
        complete(session, engine, application, "beredning", proposal_data("bifall", 90000),
                 "handlaggare")
    statements = counted_completion(app, sessions, application, "beslut",
                                    decision_data("bifall", 90000), "beslutsfattare")
    letter = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO letters"))
    lock = next(i for i, s in enumerate(statements) if s.startswith("SELECT rounds.budget"))
    # Other decisions of the round wait on its lock; none waits while a PDF is rendered.
    assert letter < lock, "\n".join(statements)
    assert not any("ledger_entries.round_id" in s for s in statements[lock:]
                   if s.startswith("SELECT")), "the round's whole ledger is summed"
