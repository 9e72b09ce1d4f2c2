"""No page grows with history: the SQL statements of every staff and applicant page are the
same at 10 cases as at 200.

The 11 cases are the demo's (one in every state, made through the real operations) and one
at beredning; the 220 are those plus 19 faithful copies of every related row
(tests/population.py). Each page is requested by the user who uses it, and its statements are
counted at both sizes. Timing is bench/pages.py's business; a count that grows with the cases
is what makes a page slow at 100 000 cases, and a test catches it at 220.
"""

from sqlalchemy import event, func, select

from app.grants.models import Application
from tests.conftest import login
from tests.population import make_sample, multiply, pages_by_user


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
        make_sample(session, app.extensions["engine"])
        pages = pages_by_user(session)
    few = _count(app, pages)
    with app.extensions["db_engine"].begin() as connection:
        multiply(connection, 19)
    with sessions() as session:
        assert session.scalar(select(func.count(Application.id))) == 20 * 11
    many = _count(app, pages)
    grown = {page: (few[page], many[page]) for page in few if many[page] != few[page]}
    assert not grown, "\n".join(f"{who} {path}: {a} -> {b} statements"
                                   for (who, path), (a, b) in grown.items())
