"""Funds and rounds through the domain operations: every rule has a clear message on its
field, every change writes an audit event, the budget never drops below committed money."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.engine.models import HumanTask
from app.errors import InvalidInput
from app.formatting import local_today
from app.grants import applications, budget, funds, rounds
from app.grants.models import Fund, Round
from app.grants.reviews import criteria_of, review_table
from tests.factories import (
    complete,
    submitted_application,
    to_review,
    user,
)

PROCESSES = {"trygghetsfond"}
TODAY = local_today()
YEAR = TODAY.year + 2  # well after the demo round (which closes by next year's 31 March)


def fund_form(**overrides) -> dict:
    form = {"name": "Sommarlovsfonden", "process_id": "trygghetsfond", "diarie_prefix": "SF",
            "description": "Medel för sommarlovsaktiviteter.", "organ": "Kultur- och "
            "fritidsnämnden", "signatory_name": "Karin Kultur", "signatory_title": "Ordförande",
            "cost_centre": "4200", "cost_centre_name": "KFN Sommarlov",
            "project_pattern": "SL{year2}-{seq}"}
    form.update(overrides)
    return form


def round_form(**overrides) -> dict:
    form = {"name": f"Omgång {YEAR}", "opens_on": f"{YEAR}-01-01", "closes_on": f"{YEAR}-03-31",
            "period_start": f"{YEAR}-06-01", "period_end": f"{YEAR}-08-31",
            "budget": "2 000 000", "max_per_application": "250000", "komplettering_days": "10"}
    form.update(overrides)
    return form


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.errors


def events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def new_fund(session, **overrides) -> Fund:
    fund = funds.create_fund(session, fund_form(**overrides), processes=PROCESSES, actor_id=None)
    session.commit()
    return fund


def demo_round(session) -> Round:
    return session.scalars(select(Round).where(Round.name == "Ansökningsomgång 2027")).one()


def criteria(app):
    return rounds.review_criteria(app.extensions["engine"].catalogue.forms)


# -- funds --------------------------------------------------------------------------------------

def test_a_fund_is_created_with_every_setting_and_an_audit_event(session, demo):
    fund = funds.create_fund(session, fund_form(allow_overlapping_rounds="ja"),
                             processes=PROCESSES, actor_id=demo["admin"].id)
    session.commit()
    stored = session.get(Fund, fund.id)
    assert (stored.name, stored.process_id, stored.diarie_prefix, stored.organ) == (
        "Sommarlovsfonden", "trygghetsfond", "SF", "Kultur- och fritidsnämnden")
    assert (stored.signatory_name, stored.signatory_title) == ("Karin Kultur", "Ordförande")
    assert (stored.cost_centre, stored.cost_centre_name, stored.project_pattern) == (
        "4200", "KFN Sommarlov", "SL{year2}-{seq}")
    assert stored.allow_overlapping_rounds is True
    [event] = events(session, "fund_created")[-1:]
    assert event.actor_id == demo["admin"].id and event.details["fund"] == fund.id
    assert event.details["values"]["diarie_prefix"] == "SF"


def test_every_bad_fund_field_is_named(session, demo):
    errors = errors_of(lambda: funds.create_fund(session, fund_form(
        name="  ", process_id="okand", diarie_prefix="K-1", cost_centre="11 00!",
        project_pattern="TF{year2}", signatory_name="x" * 201, organ="Nämnd\x00"),
        processes=PROCESSES, actor_id=None))
    assert set(errors) == {"name", "process_id", "diarie_prefix", "cost_centre",
                           "project_pattern", "signatory_name", "organ"}
    assert errors["name"] == ["Fyll i namn."]
    assert "processkatalogen" in errors["process_id"][0]
    assert "1–20 bokstäver" in errors["diarie_prefix"][0]
    assert "{seq}" in errors["project_pattern"][0]
    assert "högst 200 tecken" in errors["signatory_name"][0]
    assert "otillåtna tecken" in errors["organ"][0]
    assert errors_of(lambda: funds.create_fund(
        session, fund_form(project_pattern="{seq}{nope}"), processes=PROCESSES,
        actor_id=None))["project_pattern"]
    session.rollback()
    assert session.scalars(select(Fund).where(Fund.name != "Trygghetsfonden 2027")).all() == []


def test_a_fund_name_is_unique(session, demo):
    errors = errors_of(lambda: funds.create_fund(session, fund_form(name="Trygghetsfonden 2027"),
                                                 processes=PROCESSES, actor_id=None))
    assert errors == {"name": ["Det finns redan en fond som heter Trygghetsfonden 2027."]}


def test_editing_a_fund_audits_each_change_and_keeps_other_names_unique(session, demo):
    fund = new_fund(session)
    funds.update_fund(session, fund, {**funds.fund_values(fund), "diarie_prefix": "KFN",
                                      "cost_centre": ""}, processes=PROCESSES, actor_id=None)
    session.commit()
    [event] = events(session, "fund_changed")
    assert event.details["changed"] == {"diarie_prefix": ["SF", "KFN"],
                                        "cost_centre": ["4200", ""]}
    funds.update_fund(session, fund, funds.fund_values(fund), processes=PROCESSES,
                      actor_id=None)  # nothing changed: no event
    session.commit()
    assert len(events(session, "fund_changed")) == 1
    errors = errors_of(lambda: funds.update_fund(
        session, fund, {**funds.fund_values(fund), "name": "Trygghetsfonden 2027"},
        processes=PROCESSES, actor_id=None))
    assert "name" in errors


def test_fund_settings_fall_back_to_the_global_settings(session, demo, app):
    # The demo fund's prefix: the two share its numbers, so the global pattern cannot collide.
    bare = new_fund(session, diarie_prefix="KS", organ="", signatory_name="", cost_centre="",
                    cost_centre_name="", project_pattern="")
    settings = funds.fund_settings(bare, app.config)
    assert (settings.organ, settings.cost_centre, settings.project_pattern) == (
        app.config["LETTER_NAMND"], app.config["FINANCE_FUND_COST_CENTRE"],
        app.config["FINANCE_PROJECT_PATTERN"])
    own = new_fund(session, name="Egen fond")
    settings = funds.fund_settings(own, app.config)
    assert (settings.organ, settings.cost_centre, settings.cost_centre_name,
            settings.project_pattern, settings.signatory_name) == (
        "Kultur- och fritidsnämnden", "4200", "KFN Sommarlov", "SL{year2}-{seq}",
        "Karin Kultur")


# -- opening a round -----------------------------------------------------------------------------

def test_a_round_is_opened_with_its_weights_and_an_audit_event(app, session, demo):
    fund = new_fund(session)
    fund_round = rounds.open_round(session, fund, round_form(vikt_samverkan="5",
                                                             vikt_budget=""),
                                   criteria=criteria(app), today=TODAY,
                                   actor_id=demo["admin"].id)
    session.commit()
    stored = session.get(Round, fund_round.id)
    assert stored.budget == Decimal("2000000.00")
    assert stored.max_per_application == Decimal("250000.00")
    assert (stored.period_start.isoformat(), stored.komplettering_days) == (f"{YEAR}-06-01", 10)
    assert stored.criteria_weights == {"samverkan": 5}
    weights = {c.key: c.weight for c in rounds.round_criteria(criteria(app), stored)}
    assert weights["samverkan"] == 5 and weights["problemanalys"] == 3  # the form's x-vikt
    [event] = events(session, "round_opened")[-1:]
    assert event.details["round"] == fund_round.id and event.actor_id == demo["admin"].id


@pytest.mark.parametrize("overrides, field, message", [
    ({"closes_on": f"{YEAR}-01-01", "opens_on": f"{YEAR}-02-01"}, "closes_on",
     "Sista ansökningsdag kan inte ligga före den första."),
    ({"period_start": f"{YEAR}-09-01"}, "period_end",
     "Projektperioden kan inte sluta innan den börjar."),
    ({"opens_on": "2020-01-01", "closes_on": "2020-02-01"}, "closes_on",
     "Sista ansökningsdag har redan passerat."),
    ({"opens_on": "31/12/2027"}, "opens_on", "ange ett datum i formen ÅÅÅÅ-MM-DD"),
    ({"closes_on": "9999-12-31"}, "closes_on", "mellan 2000 och 2199"),
    ({"opens_on": ""}, "opens_on", "Ange första ansökningsdag"),
    ({"budget": "0"}, "budget", "större än 0 kr"),
    ({"budget": "-5"}, "budget", "större än 0 kr"),
    ({"budget": "1000000000000"}, "budget", "mindre än 1"),
    ({"budget": "10,005"}, "budget", "högst två decimaler"),
    ({"budget": "mycket"}, "budget", "ange ett belopp med siffror"),
    ({"max_per_application": "3 000 000"}, "max_per_application",
     "kan inte vara större än budgeten"),
    ({"komplettering_days": "0"}, "komplettering_days", "från 1 till 365"),
    ({"name": ""}, "name", "Fyll i namn."),
    ({"name": "x" * 201}, "name", "högst 200 tecken"),
    ({"vikt_samverkan": "101"}, "vikt_samverkan", "från 0 till 100"),
])
def test_every_round_rule_has_a_clear_message_on_its_field(app, session, demo, overrides,
                                                            field, message):
    fund = new_fund(session)
    errors = errors_of(lambda: rounds.open_round(session, fund, round_form(**overrides),
                                                 criteria=criteria(app), today=TODAY,
                                                 actor_id=None))
    assert field in errors, errors
    assert any(message in m for m in errors[field]), errors[field]
    session.rollback()
    assert session.scalars(select(Round).where(Round.fund_id == fund.id)).all() == []


def test_at_least_one_criterion_weighs_something(app, session, demo):
    fund = new_fund(session)
    zeros = {f"vikt_{c.key}": "0" for c in criteria(app)}
    errors = errors_of(lambda: rounds.open_round(session, fund, round_form(**zeros),
                                                 criteria=criteria(app), today=TODAY,
                                                 actor_id=None))
    assert errors == {"vikt_problemanalys": [
        "Minst ett kriterium måste ha en vikt större än 0."]}


def test_overlapping_rounds_of_a_fund_are_refused_unless_it_allows_them(app, session, demo):
    fund = new_fund(session)
    rounds.open_round(session, fund, round_form(), criteria=[], today=TODAY, actor_id=None)
    session.commit()
    overlapping = round_form(name="Extra", opens_on=f"{YEAR}-03-31", closes_on=f"{YEAR}-05-01")
    errors = errors_of(lambda: rounds.open_round(session, fund, overlapping, criteria=[],
                                                 today=TODAY, actor_id=None))
    assert "överlappar omgången Omgång" in errors["opens_on"][0]
    session.rollback()
    after = round_form(name="Höst", opens_on=f"{YEAR}-04-01", closes_on=f"{YEAR}-05-01")
    rounds.open_round(session, fund, after, criteria=[], today=TODAY, actor_id=None)
    # another fund's rounds never count
    other = new_fund(session, name="Annan fond")
    rounds.open_round(session, other, round_form(), criteria=[], today=TODAY, actor_id=None)
    session.commit()
    funds.update_fund(session, fund, {**funds.fund_values(fund),
                                      "allow_overlapping_rounds": "ja"},
                      processes=PROCESSES, actor_id=None)
    rounds.open_round(session, fund, overlapping, criteria=[], today=TODAY, actor_id=None)
    session.commit()
    assert len(session.scalars(select(Round).where(Round.fund_id == fund.id)).all()) == 3


def test_a_round_name_is_unique_within_its_fund(app, session, demo):
    fund = session.scalars(select(Fund)).one()
    errors = errors_of(lambda: rounds.open_round(
        session, fund, round_form(name="Ansökningsomgång 2027"), criteria=[], today=TODAY,
        actor_id=None))
    assert errors["name"] == ["Fonden har redan en omgång som heter Ansökningsomgång 2027."]


# -- the round's weights score the reviews ------------------------------------------------------

def test_the_rounds_weights_score_the_reviews(app, session, engine, demo):
    fund = session.scalars(select(Fund)).one()
    funds.update_fund(session, fund, {**funds.fund_values(fund),
                                      "allow_overlapping_rounds": "ja"},
                      processes=PROCESSES, actor_id=None)
    only_analysis = {f"vikt_{c.key}": "0" for c in criteria(app)} | {"vikt_problemanalys": "7"}
    weighted = rounds.open_round(session, fund, round_form(
        name="Viktad", opens_on=TODAY.isoformat(), closes_on=(TODAY + timedelta(30)).isoformat(),
        period_start="", period_end="",
        **only_analysis), criteria=criteria(app), today=TODAY, actor_id=None)
    session.commit()
    case = applications.start_application(session, engine, user(session, "sokande"),
                                          weighted.id, TODAY)
    session.commit()
    from tests.factories import application_data
    complete(session, engine, case, "ansokan", application_data(), "sokande")
    to_review(session, engine, case)
    scores = {c.key: {"poang": 1, "motivering": "Svagt."} for c in criteria(app)}
    scores["problemanalys"] = {"poang": 5, "motivering": "Utmärkt."}
    for reviewer in ("bedomare", "bedomare2"):
        task = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == case.process_instance_id, HumanTask.assignee == reviewer,
            HumanTask.completed_at.is_(None))).one()
        applications.complete_task(session, engine, user(session, reviewer), task.id, {
            "bedomning": {"jav": "ingen", "kriterier": scores, "rekommendation": "bifall"}},
            TODAY)
        session.commit()
    schema = app.extensions["engine"].catalogue.forms["bedomning"].schema
    session.expire_all()
    table = review_table(session, schema, session.get(type(case), case.id))
    assert table["score"] == Decimal("5.00")  # only problemanalys weighs
    form_weights = criteria_of(schema)
    total = sum(c.weight for c in form_weights)
    expected = Decimal(5 * 3 + (total - 3)) / total  # the form's own weights: 1.92
    assert table["score"] != expected.quantize(Decimal("0.01"))


# -- budget changes -------------------------------------------------------------------------------

def test_the_budget_never_drops_below_what_is_reserved_and_granted(session, engine, demo):
    case = submitted_application(session, engine)
    budget.reserve(session, case, Decimal("250000"), actor_id=None)
    session.commit()
    fund_round = demo_round(session)
    errors = errors_of(lambda: rounds.change_budget(
        session, fund_round.id, {"budget": "249 999,99", "reason": "Neddragning"},
        actor_id=demo["admin"].id))
    assert errors == {"budget": ["Budgeten kan inte bli lägre än det som redan är reserverat "
                                 "och beviljat: 250\xa0000\xa0kr."]}
    session.rollback()
    rounds.change_budget(session, fund_round.id, {"budget": "250000", "reason": "Neddragning"},
                         actor_id=demo["admin"].id)
    session.commit()
    assert budget.ledger_for(session, fund_round.id).remaining == Decimal("0.00")
    [event] = events(session, "round_budget_changed")
    assert event.details == {"fund": fund_round.fund_id, "round": fund_round.id,
                             "before": "10000000.00", "after": "250000.00",
                             "committed": "250000.00", "reason": "Neddragning"}
    assert event.actor_id == demo["admin"].id
    assert budget.check_ledger(session, fund_round.id) == []


def test_a_budget_change_needs_a_reason_and_a_new_amount(session, demo):
    fund_round = demo_round(session)
    errors = errors_of(lambda: rounds.change_budget(session, fund_round.id,
                                                    {"budget": "", "reason": " "},
                                                    actor_id=None))
    assert set(errors) == {"budget", "reason"}
    errors = errors_of(lambda: rounds.change_budget(
        session, fund_round.id, {"budget": "10000000", "reason": "Samma"}, actor_id=None))
    assert errors == {"budget": ["Budgeten är redan 10\xa0000\xa0000\xa0kr."]}
    session.rollback()
    assert events(session, "round_budget_changed") == []


# -- closing early --------------------------------------------------------------------------------

def test_closing_a_round_early_makes_today_its_last_day(session, demo):
    fund_round = demo_round(session)
    before = fund_round.closes_on
    rounds.close_round(session, fund_round.id, {"reason": "Medlen är slut"}, today=TODAY,
                       actor_id=demo["admin"].id)
    session.commit()
    session.expire_all()
    assert demo_round(session).closes_on == TODAY
    [event] = events(session, "round_closed")
    assert event.details["closes_on"] == [before.isoformat(), TODAY.isoformat()]
    assert event.details["reason"] == "Medlen är slut"
    errors = errors_of(lambda: rounds.close_round(session, fund_round.id, {"reason": "Igen"},
                                                  today=TODAY, actor_id=None))
    assert errors == {"": ["Omgången stänger redan i dag."]}
    tomorrow = TODAY + timedelta(days=1)
    errors = errors_of(lambda: rounds.close_round(session, fund_round.id, {"reason": "Igen"},
                                                  today=tomorrow, actor_id=None))
    assert errors == {"": ["Omgången är redan stängd."]}


def test_a_round_that_has_not_opened_cannot_be_closed_and_a_reason_is_needed(session, demo):
    fund = new_fund(session)
    later = rounds.open_round(session, fund, round_form(), criteria=[], today=TODAY,
                              actor_id=None)
    session.commit()
    errors = errors_of(lambda: rounds.close_round(session, later.id, {"reason": ""},
                                                  today=TODAY, actor_id=None))
    assert errors["reason"] == ["Fyll i skäl."]
    assert "har inte öppnat än" in errors[""][0]


def test_the_demo_creates_its_fund_and_round_through_the_operations(session, demo):
    assert [e.details["values"]["name"] for e in events(session, "fund_created")] == [
        "Trygghetsfonden 2027"]
    assert [e.details["values"]["name"] for e in events(session, "round_opened")] == [
        "Ansökningsomgång 2027"]


# -- the round's row lock -----------------------------------------------------------------------

def test_a_budget_cut_waits_for_a_reservation_in_progress_and_then_sees_it(sessions, engine,
                                                                            demo):
    """A reservation holds the round's row lock until it commits; a budget cut that started
    meanwhile waits, then counts the reserved money and is refused (never a budget below
    what is committed)."""
    import threading

    with sessions() as setup:
        case = submitted_application(setup, engine)
        round_id = case.round_id
    outcome = {}

    def cut_budget():
        with sessions() as session:
            try:
                rounds.change_budget(session, round_id, {"budget": "100000", "reason": "Cut"},
                                     actor_id=None)
                session.commit()
                outcome["result"] = "changed"
            except InvalidInput as err:
                outcome["result"] = err.errors

    with sessions() as reserving:
        budget.reserve(reserving, reserving.get(type(case), case.id), Decimal("250000"),
                       actor_id=None)
        cutter = threading.Thread(target=cut_budget)
        cutter.start()
        cutter.join(timeout=0.5)
        assert cutter.is_alive(), "the budget cut did not wait for the round's lock"
        reserving.commit()
    cutter.join(timeout=30)
    assert "budget" in outcome["result"] and "250\xa0000" in outcome["result"]["budget"][0]
    with sessions() as check:
        assert budget.ledger_for(check, round_id).budget == Decimal("10000000.00")


# -- editing a round -----------------------------------------------------------------

def test_editing_a_round_audits_each_change_and_never_touches_the_budget(app, session, demo):
    fund = new_fund(session)
    first = rounds.open_round(session, fund, round_form(), criteria=criteria(app), today=TODAY,
                              actor_id=None)
    second = rounds.open_round(session, fund, round_form(
        name="Höst", opens_on=f"{YEAR}-09-01", closes_on=f"{YEAR}-10-01"), criteria=[],
        today=TODAY, actor_id=None)
    session.commit()
    values = {**rounds.round_values(first), "closes_on": f"{YEAR}-04-30", "budget": "1",
              "vikt_samverkan": "9", "name": f"Omgång {YEAR}"}  # its own name: no clash
    rounds.update_round(session, first.id, values, criteria=criteria(app), today=TODAY,
                        actor_id=demo["admin"].id)
    session.commit()
    stored = session.get(Round, first.id)
    assert stored.closes_on.isoformat() == f"{YEAR}-04-30"
    assert stored.budget == Decimal("2000000.00")  # only change_budget changes it
    assert stored.criteria_weights == {"samverkan": 9}
    [event] = events(session, "round_changed")
    assert event.details["changed"] == {"closes_on": [f"{YEAR}-03-31", f"{YEAR}-04-30"],
                                        "criteria_weights": [{}, {"samverkan": 9}]}
    errors = errors_of(lambda: rounds.update_round(
        session, first.id, {**rounds.round_values(first), "closes_on": f"{YEAR}-09-15"},
        criteria=[], today=TODAY, actor_id=None))
    assert "överlappar omgången Höst" in errors["opens_on"][0]
    errors = errors_of(lambda: rounds.update_round(
        session, first.id, {**rounds.round_values(first), "name": "Höst"}, criteria=[],
        today=TODAY, actor_id=None))
    assert errors == {"name": ["Fonden har redan en omgång som heter Höst."]}
    assert second.id != first.id


def test_a_closed_round_keeps_its_past_last_day_when_edited(session, demo):
    fund_round = demo_round(session)
    rounds.close_round(session, fund_round.id, {"reason": "Slut"}, today=TODAY, actor_id=None)
    session.commit()
    later = TODAY + timedelta(days=3)
    rounds.update_round(session, fund_round.id, {**rounds.round_values(fund_round),
                                                 "name": "Omgång 2027 (stängd)"},
                        criteria=[], today=later, actor_id=None)
    session.commit()
    errors = errors_of(lambda: rounds.update_round(
        session, fund_round.id, {**rounds.round_values(fund_round),
                                 "closes_on": (TODAY + timedelta(days=1)).isoformat()},
        criteria=[], today=later, actor_id=None))
    assert errors == {"closes_on": ["Sista ansökningsdag har redan passerat."]}


def test_two_administrators_creating_the_same_fund_name_at_once_get_a_message(sessions, demo):
    """clean_fund's look-up cannot see the other's uncommitted fund: the unique index decides,
    and the one who loses gets the message on the name (never a database error)."""
    import threading

    outcome = {}

    def create_second():
        with sessions() as session:
            try:
                funds.create_fund(session, fund_form(), processes=PROCESSES, actor_id=None)
                session.commit()
                outcome["second"] = "created"
            except InvalidInput as err:
                outcome["second"] = err.errors

    with sessions() as first:
        funds.create_fund(first, fund_form(), processes=PROCESSES, actor_id=None)
        second = threading.Thread(target=create_second)
        second.start()
        second.join(timeout=0.5)
        first.commit()
    second.join(timeout=30)
    assert outcome["second"] == {"name": ["Det finns redan en fond som heter Sommarlovsfonden."]}
    with sessions() as check:
        assert len(check.scalars(select(Fund).where(Fund.name == "Sommarlovsfonden")).all()) == 1
