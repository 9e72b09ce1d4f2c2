"""No page grows with history: the SQL statements of every staff and applicant page are the
same at 10 cases as at 200.

The 11 cases are the demo's (one in every state, made through the real operations) and one
at beredning; the 220 are those plus 19 faithful copies of every related row
(tests/population.py). Each page is requested by the user who uses it, and its statements are
counted at both sizes. Timing is bench/pages.py's business; a count that grows with the cases
is what makes a page slow at 100 000 cases, and a test catches it at 220.
"""

from sqlalchemy import event, func, select

from app.demo import load_demo_cases
from app.engine.models import HumanTask
from app.formatting import local_today
from app.grants.models import Application, Round
from app.payouts.models import PayoutBatch
from tests.conftest import login
from tests.factories import review_all, submitted_application, to_review
from tests.population import multiply


def _open_task_id(session, task_name: str) -> str:
    return session.scalars(select(HumanTask.id).where(
        HumanTask.task_name == task_name, HumanTask.completed_at.is_(None))
        .order_by(HumanTask.created_at)).first()


def _pages(session) -> dict[str, list[str]]:
    """The pages of every role, by username (the sample's own rows, so the same URLs at both
    sizes)."""
    cases = session.scalars(select(Application.id).order_by(Application.id)).all()
    decided = session.scalars(select(Application.id).where(Application.granted_amount > 0)
                              .order_by(Application.id)).first()
    case, own = f"/ansokningar/{cases[3]}", f"/ansokningar/{cases[0]}"
    round_id = session.scalars(select(Round.id)).first()
    batch_id = session.scalars(select(PayoutBatch.id)).first()
    task = {name: f"/uppgifter/{_open_task_id(session, name)}"
            for name in ("ansokan", "formell_kontroll", "bedomning", "beredning", "beslut",
                         "komplettering")}
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


def _count(app, pages: dict[str, list[str]]) -> dict[tuple[str, str], int]:
    """The statements each page takes (after a first request that warms the caches)."""
    counts = {}
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    db_engine = app.extensions["db_engine"]
    for username, paths in pages.items():
        client = app.test_client()
        login(client, username)
        for path in paths:
            assert client.get(path).status_code == 200, (username, path)
            statements.clear()
            event.listen(db_engine, "before_cursor_execute", count)
            try:
                response = client.get(path)
            finally:
                event.remove(db_engine, "before_cursor_execute", count)
            assert response.status_code == 200, (username, path)
            counts[username, path] = len(statements)
    return counts


def test_no_page_takes_more_statements_with_more_cases(app, sessions, demo):
    with sessions() as session:
        load_demo_cases(session, app.extensions["engine"], local_today())
        ready = submitted_application(session, app.extensions["engine"])  # at beredning
        to_review(session, app.extensions["engine"], ready)
        review_all(session, app.extensions["engine"], ready)
        session.commit()
        pages = _pages(session)
    few = _count(app, pages)
    with app.extensions["db_engine"].begin() as connection:
        multiply(connection, 19)
    with sessions() as session:
        assert session.scalar(select(func.count(Application.id))) == 20 * 11
    many = _count(app, pages)
    grown = {page: (few[page], many[page]) for page in few if many[page] != few[page]}
    assert not grown, "\n".join(f"{who} {path}: {a} -> {b} statements"
                                   for (who, path), (a, b) in grown.items())
