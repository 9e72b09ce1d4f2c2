"""The fund overview (/oversikt): every figure against hand-counted cases, both databases."""

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
from sqlalchemy import select, update

from app.db import utcnow
from app.effects.facts import case_indicators, fact_fields, is_reached
from app.effects.models import CaseFact, CaseIndicator
from app.engine.models import HumanTask
from app.formatting import local_today
from app.grants.models import Application, Round
from app.overview import figures
from app.overview.filters import OverviewFilter
from tests.conftest import login
from tests.factories import (
    complete,
    decision_data,
    make_application,
    pay_out,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)

SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


def three_cases(session, engine):
    """A: Flemingsberg + Vårby, social, nattvandring; granted 90 000, 45 000 paid.
    B: Vårby, situational, belysning + röjning; submitted, 90 000 sought.
    C: a draft in Flemingsberg (never counted)."""
    a = submitted_application(session, engine, stadsdelar=["Flemingsberg", "Vårby"], **SMALL)
    to_review(session, engine, a)
    review_all(session, engine, a)
    complete(session, engine, a, "beredning", proposal_data("bifall", 90000), "handlaggare")
    complete(session, engine, a, "beslut", decision_data("bifall", 90000), "beslutsfattare")
    pay_out(session, engine, a)
    b = submitted_application(session, engine, stadsdelar=["Vårby"], kategori="situationell",
                              atgardstyper=["belysning", "rojning"], **SMALL)
    make_application(session, engine)
    return a, b


def test_every_figure_against_hand_counted_cases(session, engine, demo):
    a, _b = three_cases(session, engine)
    everything = OverviewFilter()
    rows = {r.value: r for r in figures.amounts_by(session, everything, "district")}
    assert set(rows) == {"Flemingsberg", "Vårby"}
    assert (rows["Flemingsberg"].applications, rows["Flemingsberg"].requested,
            rows["Flemingsberg"].granted, rows["Flemingsberg"].paid) == (1, 90000, 90000, 45000)
    assert (rows["Vårby"].applications, rows["Vårby"].requested, rows["Vårby"].granted,
            rows["Vårby"].paid) == (2, 180000, 90000, 45000)
    kinds = {r.value: (r.applications, r.requested, r.granted, r.paid)
             for r in figures.amounts_by(session, everything, "prevention_kind")}
    assert kinds == {"social": (1, 90000, 90000, 45000), "situationell": (1, 90000, 0, 0)}
    measures = {r.value: r.applications
                for r in figures.amounts_by(session, everything, "measure_type")}
    assert measures == {"nattvandring": 1, "belysning": 1, "rojning": 1}
    total = figures.totals(session, everything)
    assert (total.applications, total.requested, total.granted, total.paid) == (
        2, 180000, 90000, 45000)
    assert figures.status_funnel(session, everything) == [
        ("submitted", 2), ("registered", 2), ("decided", 1), ("granted", 1), ("paid", 1),
        ("closed", 0)]
    assert figures.decisions_by_level(session, everything) == [
        ("delegat", "bifall", 1, Decimal("90000.00"))]

    fund_round = session.get(Round, a.round_id)
    burn = figures.budget_burn(session, everything)
    assert [(r.round_name, r.reserved, r.granted, r.paid, r.remaining) for r in burn] == [
        (fund_round.name, 0, 90000, 45000, fund_round.budget - 90000)]


def test_lead_time_percentiles_and_overdue_tasks(session, engine, demo):
    a, b = three_cases(session, engine)
    start = utcnow() - timedelta(days=30)
    for application, days in ((a, 1), (b, 3)):  # the application step took 1 and 3 days
        session.execute(update(HumanTask).where(
            HumanTask.instance_id == application.process_instance_id,
            HumanTask.task_name == "ansokan").values(
            created_at=start, completed_at=start + timedelta(days=days)))
    session.execute(update(HumanTask).where(
        HumanTask.instance_id == b.process_instance_id, HumanTask.completed_at.is_(None))
        .values(due_at=utcnow() - timedelta(days=1)))
    session.commit()
    steps = {r.step: r for r in figures.lead_times(session, OverviewFilter(), utcnow())}
    applying = session.scalar(select(HumanTask.title).where(HumanTask.task_name == "ansokan"))
    assert (steps[applying].completed, steps[applying].p50_days,
            steps[applying].p90_days) == (2, 1.0, 3.0)
    open_title = session.scalar(select(HumanTask.title).where(
        HumanTask.instance_id == b.process_instance_id, HumanTask.completed_at.is_(None)))
    assert (steps[open_title].open, steps[open_title].overdue) == (1, 1)
    assert sum(r.overdue for r in steps.values()) == 1


def test_filters_by_round_and_period(session, engine, demo):
    a, _b = three_cases(session, engine)
    today = local_today()
    assert figures.totals(session, OverviewFilter(round_id=a.round_id)).applications == 2
    assert figures.totals(session, OverviewFilter(round_id=a.round_id + 1000)).applications == 0
    assert figures.totals(session, OverviewFilter(start=today, end=today)).applications == 2
    earlier = today - timedelta(days=10)
    assert figures.totals(session, OverviewFilter(start=earlier, end=earlier)).applications == 0
    fund_id = session.get(Round, a.round_id).fund_id
    assert figures.totals(session, OverviewFilter(fund_id=fund_id)).applications == 2
    assert figures.status_funnel(session, OverviewFilter(end=earlier))[0] == ("submitted", 0)


def test_facts_and_indicators_follow_the_case_data(session, engine, demo):
    a, b = three_cases(session, engine)
    facts = set(session.execute(select(CaseFact.kind, CaseFact.value)
                                .where(CaseFact.application_id == b.id)))
    assert facts == {("district", "Vårby"), ("prevention_kind", "situationell"),
                     ("measure_type", "belysning"), ("measure_type", "rojning")}
    indicator = session.scalars(select(CaseIndicator)
                                .where(CaseIndicator.application_id == a.id)).one()
    assert (indicator.name, indicator.baseline, indicator.target, indicator.outcome,
            indicator.reached) == ("Upplevd trygghet i trygghetsmätningen", "54 %", "65 %",
                                   None, None)
    assert session.scalar(select(Application.id).where(Application.submitted_at.is_(None)))


def test_indicator_outcomes_are_matched_by_name_and_judged_when_numbers(real_forms):
    forms = {name: {"schema": form.schema} for name, form in real_forms.items()}
    declared = fact_fields(forms)
    data = {"resultat": [{"indikator": "Trygghet", "utgangslage": "54 %", "mal": "65 %"},
                         {"indikator": "Klotter", "utgangslage": "40 anmälningar",
                          "mal": "20 anmälningar"},
                         {"indikator": "Stämning", "utgangslage": "dålig", "mal": "bra"}],
            "indikator_utfall": [{"indikator": "trygghet", "utfall": "66 %"},
                                 {"indikator": "Klotter", "utfall": "25 anmälningar"}]}
    assert case_indicators(data, declared) == [
        ("Trygghet", "54 %", "65 %", "66 %", True),
        ("Klotter", "40 anmälningar", "20 anmälningar", "25 anmälningar", False),
        ("Stämning", "dålig", "bra", None, None)]
    assert is_reached("1 200", "1 500", "1 500 besök") is True
    assert is_reached("3,5", "2", "2,0") is True


def test_indicators_aggregate_per_district(session, engine, demo):
    a, _b = three_cases(session, engine)
    session.execute(update(CaseIndicator).where(CaseIndicator.application_id == a.id)
                    .values(outcome="66 %", reached=True))
    session.commit()
    rows = {r.value: (r.indicators, r.reported, r.reached, r.not_reached)
            for r in figures.indicators_by(session, OverviewFilter(), "district")}
    assert rows == {"Flemingsberg": (1, 1, 1, 0), "Vårby": (2, 1, 1, 0)}


def test_page_shows_charts_tables_and_downloads(app, client, session, demo):
    _a, _b = three_cases(session, app.extensions["engine"])
    login(client, "handlaggare")
    page = client.get("/oversikt")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') >= 5 and "<script" not in html.split("<main")[1]
    assert "<desc id=\"kommundelar-desc\">" in html
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/oversikt/kommundelar.xlsx").data))
    sheet = workbook.active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows == {"Flemingsberg": (1, 90000, 90000, 45000), "Vårby": (2, 180000, 90000, 45000)}
    every = openpyxl.load_workbook(io.BytesIO(client.get("/oversikt/alla.xlsx").data))
    assert len(every.sheetnames) == 10
    assert client.get("/oversikt/finns-inte.xlsx").status_code == 404


def test_bad_filters_are_named_not_errors(client, demo):
    login(client, "handlaggare")
    page = client.get("/oversikt?fond=x&fran=2027-13-01&till=1999-01-01&omgang=-1")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    for field in ("#fond", "#fran", "#till", "#omgang"):
        assert f'href="{field}"' in html
    report = client.get("/oversikt/effektrapport.pdf?ar=abc")
    assert report.status_code == 422
    assert 'href="#rapport-fond"' in report.get_data(as_text=True)
    assert 'href="#ar"' in report.get_data(as_text=True)


def test_the_follow_up_report_records_each_indicators_outcome(session, sessions, engine, demo):
    from app.engine.timers import run_due_timers
    from tests.test_process_full import decided, make_timers_due

    application = decided(session, engine)
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    pay_out(session, engine, application)
    make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    complete(session, engine, application, "aterrapportering",
             {"genomfort": "Nattvandringar varje helg.", "anvant_belopp": 90000,
              "indikator_utfall": [{"indikator": "Upplevd trygghet i trygghetsmätningen",
                                    "utfall": "66 %"}]}, "sokande")
    session.rollback()
    indicator = session.scalars(select(CaseIndicator).where(
        CaseIndicator.application_id == application.id)).one()
    assert (indicator.outcome, indicator.reached) == ("66 %", True)
    rows = figures.indicators_by(session, OverviewFilter(), "measure_type")
    assert [(r.value, r.indicators, r.reported, r.reached) for r in rows] == [
        ("nattvandring", 1, 1, 1)]


def test_cases_saved_before_the_overview_get_their_facts_by_command(app, session, runner,
                                                                    demo):
    three_cases(session, app.extensions["engine"])
    session.execute(CaseFact.__table__.delete())
    session.execute(CaseIndicator.__table__.delete())
    session.execute(update(Application).values(facts_digest=None))
    session.commit()
    result = runner.invoke(args=["db", "record-facts"])
    assert result.exit_code == 0 and "Fakta inskrivna för 3 ärenden." in result.output
    session.rollback()
    assert figures.totals(session, OverviewFilter()).applications == 2
    rows = {r.value: r.applications for r in figures.amounts_by(session, OverviewFilter(),
                                                                   "district")}
    assert rows == {"Flemingsberg": 1, "Vårby": 2}
    assert "Fakta inskrivna för 0 ärenden." in runner.invoke(args=["db", "record-facts"]).output
