"""The fund ledger page, the delegation report (page and CSV) and the living demo."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from lxml import html
from sqlalchemy import select, update

from app import worker
from app.audit import AuditEvent
from app.demo import demo_files, load_demo_cases
from app.formatting import local_today
from app.grants.ledger_models import LedgerReconciliation, RoundBalance
from app.grants.models import Application
from app.spreadsheet import csv_cell
from tests.conftest import csrf_token, login
from tests.test_process_full import decided


def test_delegation_report_lists_delegated_decisions_as_csv(app, session, engine, demo):
    application = decided(session, engine)
    client = app.test_client()
    login(client, "handlaggare")
    today = local_today().isoformat()
    page = client.get(f"/rapporter/delegationsbeslut?fran={today}&till={today}")
    assert application.diarienummer in page.get_data(as_text=True)
    response = client.get(f"/rapporter/delegationsbeslut?fran={today}&till={today}&format=csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:3] == ["Beslutsdatum", "Diarienummer", "Sökande"]
    assert rows[1][1] == application.diarienummer
    assert rows[1][5] == "90000,00" and "punkt 4.1" in rows[1][7]
    empty = client.get("/rapporter/delegationsbeslut?fran=2001-01-01&till=2001-01-31")
    assert "Inga delegationsbeslut under perioden" in empty.get_data(as_text=True)


def test_delegation_csv_never_carries_a_formula(app, session, engine, demo):
    """A title an applicant typed as a formula stays text in Excel (CSV injection)."""
    application = decided(session, engine)
    application.title = '=HYPERLINK("http://example.invalid","Öppna")'
    session.commit()
    client = app.test_client()
    login(client, "handlaggare")
    today = local_today().isoformat()
    response = client.get(f"/rapporter/delegationsbeslut?fran={today}&till={today}&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[1][3] == "'" + application.title


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+46 8 535", "'+46 8 535"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Nattvandring", "Nattvandring"), (None, ""),
    (Decimal("90000"), "90000,00"), (Decimal("-12.5"), "-12,50"), (date(2027, 3, 14), "2027-03-14"),
])
def test_every_csv_cell_is_text_or_a_swedish_number(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.parametrize("query", ["fran=0001-01-01&till=9999-12-31",
                                   "fran=0001-01-01&till=9999-12-31&format=csv",
                                   "fran=2027-13-45&till=x"])
def test_report_dates_out_of_range_are_not_an_error(app, demo, query):
    client = app.test_client()
    login(client, "handlaggare")
    assert client.get(f"/rapporter/delegationsbeslut?{query}").status_code == 200


def test_ledger_page_shows_the_round(app, session, engine, demo):
    decided(session, engine)
    client = app.test_client()
    login(client, "ekonomi")
    page = client.get("/budget").get_data(as_text=True)
    assert "10\u00a0000\u00a0000\u00a0kr" in page and "9\u00a0910\u00a0000\u00a0kr" in page


def test_the_ledger_is_reconciled_on_request_and_the_page_shows_the_last_run(app, session,
                                                                            engine, demo):
    application = decided(session, engine)
    client = app.test_client()
    login(client, "handlaggare")
    assert "Inte avstämd än" in client.get("/budget").get_data(as_text=True)
    assert client.post("/budget/avstamning", data={
        "csrf_token": csrf_token(client, "/budget")}).status_code == 404  # ekonomi, admin
    login(client, "ekonomi")
    response = client.post("/budget/avstamning",
                           data={"csrf_token": csrf_token(client, "/budget")})
    assert response.status_code == 302
    row = html.fromstring(client.get("/budget").get_data(as_text=True)).xpath("//tbody/tr")[0]
    assert "Stämmer" in row.text_content() and "Avstämd" in row.text_content()
    session.rollback()  # a new snapshot: what the requests committed
    [run] = session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger_reconciled"))
    assert run.actor_id == demo["ekonomi"].id

    # Running totals that drift from the ledger's rows are found by the next run.
    session.execute(update(RoundBalance).values(grant=RoundBalance.grant + 1))
    session.commit()
    client.post("/budget/avstamning", data={"csrf_token": csrf_token(client, "/budget")})
    row = html.fromstring(client.get("/budget").get_data(as_text=True)).xpath("//tbody/tr")[0]
    assert "Stämmer inte" in row.text_content()
    assert "löpande summorna" in row.text_content()
    session.rollback()
    assert session.scalars(select(LedgerReconciliation.round_id)).all() == [
        application.round_id] * 2


def test_the_worker_reconciles_once_a_day(app, sessions, engine, demo):
    with sessions() as session:
        decided(session, engine)
    config = {**app.config, "RECONCILE_INTERVAL": 86400}
    assert worker.work_once(sessions, engine, config).reconciled  # none yet: it runs
    assert not worker.work_once(sessions, engine, config).reconciled  # not due again
    assert not worker.work_once(sessions, engine, {**config, "RECONCILE_INTERVAL": 0},
                                check_stuck=False).reconciled  # only with the doctor's check
    assert worker.work_once(sessions, engine, {**config, "RECONCILE_INTERVAL": 0}).reconciled
    with sessions() as session:
        runs = session.scalars(select(LedgerReconciliation)).all()
        assert len(runs) == 2 and all(r.actor_id is None and r.problems == [] for r in runs)


def test_living_demo_has_a_case_in_every_state(session, engine, demo):
    assert load_demo_cases(session, engine, local_today()) == sum(
        len(demo["cases"]) for demo in demo_files())
    session.commit()
    statuses = set(session.scalars(select(Application.status)))
    for expected in ("Utkast", "Komplettering", "Bedömning", "Beslut", "Avslag",
                     "Återrapportering", "Avslutad", "Avvisad"):
        assert expected in statuses, statuses
    assert "Beviljad, väntar på utbetalning" in statuses
    assert load_demo_cases(session, engine, local_today()) == 0  # idempotent
