"""The administrator's audit log: filters (who, what kind, period, case), newest first,
keyset pages that never read more than one page of rows."""

from datetime import timedelta

from sqlalchemy import event, select

from app.audit import AuditEvent, record_event
from app.audit_log import PAGE_SIZE
from app.db import utcnow
from tests.conftest import login
from tests.factories import submitted_application


def add_events(sessions, demo, count: int) -> None:
    with sessions() as session:
        start = utcnow() - timedelta(days=count)
        for i in range(count):
            row = record_event(session, "test_event", f"Händelse {i}",
                               actor_id=demo["handlaggare"].id)
            row.at = start + timedelta(days=i)
        session.commit()


def summaries(page: str) -> list[str]:
    import re
    return re.findall(r"<td>(Händelse \d+)</td>", page)


def test_audit_log_pages_newest_first_with_filters(app, sessions, demo):
    add_events(sessions, demo, PAGE_SIZE + 10)
    client = app.test_client()
    login(client, "admin")
    first = client.get("/admin/handelser?typ=test_event").get_data(as_text=True)
    shown = summaries(first)
    assert len(shown) == PAGE_SIZE and shown[0] == f"Händelse {PAGE_SIZE + 9}"
    import re
    older = re.search(r'href="([^"]*fore=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    rest = summaries(client.get(older).get_data(as_text=True))
    assert rest == [f"Händelse {i}" for i in range(9, -1, -1)]
    # Who: the administrator's own login events only.
    mine = client.get("/admin/handelser?vem=admin").get_data(as_text=True)
    assert "Inloggad" in mine and summaries(mine) == []
    # Period: the last three days.
    today = utcnow().date()
    recent = client.get(f"/admin/handelser?typ=test_event&fran={today - timedelta(days=3)}"
                        f"&till={today}").get_data(as_text=True)
    assert 2 <= len(summaries(recent)) <= 4
    bad = client.get("/admin/handelser?fran=2027-13-01&till=igår")
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.get_data(as_text=True)


def test_audit_log_filters_by_case_and_reads_one_page(app, sessions, engine, demo):
    with sessions() as session:
        case = submitted_application(session, engine)
        number = case.diarienummer
    add_events(sessions, demo, 200)
    client = app.test_client()
    login(client, "admin")
    page = client.get(f"/admin/handelser?arende={number}").get_data(as_text=True)
    assert number in page and summaries(page) == []
    rows = []
    db_engine = app.extensions["db_engine"]

    def count(_conn, _cursor, statement, _params, _context, _many):
        if "FROM audit_events" in statement:
            rows.append(statement)
    event.listen(db_engine, "before_cursor_execute", count)
    try:
        client.get("/admin/handelser")
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert len(rows) == 1 and "LIMIT" in rows[0]
    with sessions() as session:
        assert session.scalar(select(AuditEvent.id).limit(1)) is not None
