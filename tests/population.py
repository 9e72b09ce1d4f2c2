"""Many cases fast: faithful copies of the cases already in the database.

A sample of cases is made first through the real operations (make_sample: the demo's cases,
one in every state, and one at beredning, with their tasks, reviews, ledger entries,
decisions, letters, payouts, batches, messages and audit events). `multiply(connection,
copies)` then copies EVERY row that belongs to the cases, `copies` times, so each related
table grows in proportion:

- the case tables (CASE_TABLES) are copied whole; audit events and outbox messages only where
  they belong to a process instance (the global ones stay single);
- integer keys are shifted by `copy × (the table's largest id)`, and every foreign key that
  points into a copied table is shifted alike, so each copy is a closed family of rows;
- unique text (diarienummer, references, batch numbers, storage keys, dedupe keys, task ids)
  gets the copy's suffix or a derived id;
- dates and times move back by `copy × step` (by default the copies spread over ten years),
  so the history looks like years of work rather than one afternoon;
- the round's budget grows by the same factor, so the copied reservations and grants fit, and
  the rounds' running totals are counted anew from the ledger.

What is NOT like real history: every case is in the sample's one round and its few
organisations (so an applicant's own lists grow with N too). What is NOT rewritten: ids
inside JSON (process data, audit details) and the serialized workflow state, which still name
the sample's rows; a copy's open task can be shown but not completed (its workflow's task ids
are the sample's). Benchmarks complete tasks only on cases
made through the real operations. Files of copied attachments and letters are not copied.
"""

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.db import Base
from app.demo import load_demo_cases
from app.engine.models import HumanTask
from app.formatting import local_today
from app.grants.budget import recount_balances
from app.grants.models import Application, Round
from app.payouts.models import PayoutBatch
from tests.factories import review_all, submitted_application, to_review

# Every table whose rows belong to one case (directly or through another case table).
CASE_TABLES = ("process_instances", "applications", "human_tasks", "attachments",
               "audit_events", "incidents", "outbox_messages", "payout_batches", "batch_files",
               "decisions", "jav_declarations", "ledger_entries", "repayment_claims", "letters",
               "payouts", "batch_items")
# Rows of these tables are copied only when they belong to a process instance.
INSTANCE_ROWS = {"audit_events": "process_instance_id", "outbox_messages": "process_instance_id"}
# Unique text columns: how a copy's value is derived from (value, tag): the tag is the copy's
# new id (tables with integer keys) or the copy's number and the run's salt (task ids).
UNIQUE_TEXT = {
    ("applications", "diarienummer"): lambda value, tag: value and f"{value}-{tag}",
    ("payouts", "reference"): lambda value, tag: value and f"{value[:26]}-{tag}",
    ("payout_batches", "number"): lambda value, tag: value and f"{value[:30]}-{tag}",
    ("outbox_messages", "dedupe_key"): lambda value, tag: value and f"{value}#{tag}",
    ("attachments", "key"): lambda value, tag: value and uuid.uuid5(uuid.NAMESPACE_URL,
                                                                    f"{value}/{tag}").hex,
    ("human_tasks", "id"): lambda value, tag: str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                             f"{value}/{tag}")),
}
TEN_YEARS = timedelta(days=3650)
CHUNK = 5000


def make_sample(session: Session, engine) -> None:
    """The sample, through the real operations: the demo's cases (one in every state: draft,
    komplettering, review, decision, granted, partly granted, refused, follow-up, closed,
    rejected) and one case waiting for its beredning. Committed."""
    load_demo_cases(session, engine, local_today())
    at_beredning = submitted_application(session, engine)
    to_review(session, engine, at_beredning)
    review_all(session, engine, at_beredning)
    session.commit()


def multiply(connection: Connection, copies: int, step: timedelta | None = None) -> dict:
    """Add `copies` copies of every case row, copy k moved back by k × `step` (default: the
    copies spread over ten years); return the number of rows added per table."""
    tables = [t for t in Base.metadata.sorted_tables if t.name in CASE_TABLES]
    step = step if step is not None else TEN_YEARS / max(copies, 1)
    offsets = {t.name: connection.scalar(select(func.coalesce(func.max(t.c.id), 0)))
               for t in tables if isinstance(t.c.id.type, Integer)}
    salt = uuid.uuid4().hex[:8]  # task ids of this run differ from an earlier run's
    added = {}
    for table in tables:
        query = select(table)
        if table.name in INSTANCE_ROWS:
            query = query.where(table.c[INSTANCE_ROWS[table.name]].is_not(None))
        rows = [dict(row._mapping) for row in connection.execute(query.order_by(table.c.id))]
        shifts = _shifts(table, offsets)
        made = 0
        for chunk_start in range(0, len(rows) * copies, CHUNK):
            batch = []
            for index in range(chunk_start, min(chunk_start + CHUNK, len(rows) * copies)):
                k, row = index // len(rows) + 1, rows[index % len(rows)]
                batch.append(_copied(table, row, k, shifts, step, salt))
            connection.execute(table.insert(), batch)
            made += len(batch)
        added[table.name] = made
    connection.execute(update(Round).values(budget=Round.budget * (copies + 1)))
    recount_balances(connection)
    _reset_sequences(connection, offsets)
    return added


def _shifts(table, offsets: dict) -> dict[str, int]:
    """The columns whose integer values move per copy, and by how much per copy."""
    shifts = {}
    for column in table.columns:
        if column.primary_key and table.name in offsets:
            shifts[column.name] = offsets[table.name]
        for key in column.foreign_keys:
            if key.column.table.name in offsets:
                shifts[column.name] = offsets[key.column.table.name]
    return shifts


def _copied(table, row: dict, k: int, shifts: dict, step: timedelta, salt: str) -> dict:
    copy = dict(row)
    for name, offset in shifts.items():
        if copy[name] is not None:
            copy[name] += k * offset
    tag = copy["id"] if isinstance(copy["id"], int) else f"{salt}.{k}"
    for (table_name, name), derive in UNIQUE_TEXT.items():
        if table_name == table.name and name in copy:
            copy[name] = derive(copy[name], tag)
    back = step * k
    for name, value in copy.items():
        if isinstance(value, datetime):
            copy[name] = value - back
        elif isinstance(value, date):
            copy[name] = value - timedelta(days=back.days)
    return copy


def _reset_sequences(connection: Connection, offsets: dict) -> None:
    """PostgreSQL: the id sequences continue after the copies (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for name in offsets:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {name}))"))


# -- the pages every role uses (tests/test_page_statements.py, bench/pages.py) ---------------

def _open_task_id(session, task_name: str) -> str:
    return session.scalars(select(HumanTask.id).where(
        HumanTask.task_name == task_name, HumanTask.completed_at.is_(None))
        .order_by(HumanTask.created_at)).first()


def pages_by_user(session) -> dict[str, list[str]]:
    """The pages of every role, by username (the sample's own rows, so the same URLs at both
    sizes)."""
    cases = session.scalars(select(Application.id).order_by(Application.id)).all()
    decided = session.scalars(select(Application.id).where(Application.granted_amount > 0)
                              .order_by(Application.id)).first()
    case, own = f"/ansokningar/{cases[3]}", f"/ansokningar/{cases[0]}"
    round_id = session.scalars(select(Round.id)).first()
    batch_id = session.scalars(select(PayoutBatch.id)).first()
    task = {name: f"/uppgifter/{_open_task_id(session, name)}"
            for name in ("ansokan", "bedomning", "beredning", "beslut", "komplettering")}
    return {
        "sokande": ["/uppgifter", "/ansokningar", own, task["ansokan"]],
        "sokande2": ["/uppgifter", "/ansokningar", task["komplettering"]],
        "handlaggare": ["/uppgifter", "/ansokningar", case, f"/ansokningar/{decided}",
                        f"{case}/bedomningar", task["beredning"], "/budget",
                        "/rapporter/delegationsbeslut", "/utkorg"],
        "bedomare": ["/uppgifter", "/ansokningar", task["bedomning"]],
        "beslutsfattare": ["/uppgifter", "/ansokningar", task["beslut"], "/budget",
                           "/rapporter/delegationsbeslut"],
        "ekonomi": ["/uppgifter", "/ekonomi/", "/ekonomi/batcher", f"/ekonomi/batcher/{batch_id}",
                    "/ekonomi/aterkrav", "/budget"],
        "admin": ["/admin/", "/admin/handelser", "/admin/organisationer", "/admin/anvandare",
                  "/admin/fonder", f"/admin/fonder/omgangar/{round_id}", "/admin/processer",
                  "/utkorg", "/budget"],
    }
