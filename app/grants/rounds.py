"""Ansökningsomgångar: open and edit a round, change its budget (never below the money
already committed), close it early. The only writers of the rounds table (the budget ledger
only locks a round's row); every change is audited."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.errors import NotFound
from app.formatting import kronor
from app.grants.budget import Ledger, ledger_for
from app.grants.declarations import ProcessDeclarations
from app.grants.fields import FormFields
from app.grants.ledger_models import RoundBalance
from app.grants.models import Fund, Round
from app.grants.reviews import Criterion, criteria_of, rescore_round, review_form_of

WEIGHT_PREFIX = "vikt_"  # form fields of the criteria weights: vikt_<criterion key>
MAX_WEIGHT = 100
ROUND_FIELDS = ("name", "opens_on", "closes_on", "period_start", "period_end", "budget",
                "max_per_application", "komplettering_days")


def review_criteria(forms: Mapping, lang: str | None = None) -> list[Criterion]:
    """The criteria reviewers score and their weights in the review form (the catalogue's),
    with their titles in `lang`."""
    review_form = review_form_of(forms)
    if review_form is None:
        return []
    return criteria_of(review_form.in_language(lang).schema)


def review_schema_of(forms: Mapping) -> dict | None:
    """The schema of the catalogue's review form (its criteria score the cases), or None."""
    review_form = review_form_of(forms)
    return None if review_form is None else review_form.schema


def round_criteria(criteria: list[Criterion], fund_round: Round) -> list[Criterion]:
    """The criteria with the round's weights where it sets them."""
    weights = fund_round.criteria_weights or {}
    return [Criterion(c.key, c.title, int(weights.get(c.key, c.weight))) for c in criteria]


def deadline_days(decl: ProcessDeclarations, fund_round: Round) -> dict[str, int]:
    """Days from today of the round's default deadlines, by form field (the formal check's
    declared completion_deadline)."""
    field = decl.field("completion_deadline")
    return {field.path[-1]: fund_round.komplettering_days} if field else {}


def get_round(session: Session, round_id: int) -> Round:
    fund_round = session.get(Round, round_id)
    if fund_round is None:
        raise NotFound("Ansökningsomgången finns inte.")
    return fund_round


def committed(ledger: Ledger) -> Decimal:
    """Money the round has promised: reserved and granted, less what came back to it."""
    return ledger.budget - ledger.remaining


def open_round(session: Session, fund: Fund, form: Mapping, *, criteria: list[Criterion],
               today: date, actor_id: int | None) -> Round:
    """Open a new round of the fund from the form's values; every bad field is named."""
    _lock_fund(session, fund.id)
    values = clean_round(session, fund, form, criteria, today)
    fund_round = Round(fund_id=fund.id, **values)
    session.add(fund_round)
    session.flush()
    session.add(RoundBalance(round_id=fund_round.id))  # its running totals start at 0
    record_event(session, "round_opened", f"Ansökningsomgången {fund_round.name} i "
                 f"{fund.name} öppnad, budget {kronor(fund_round.budget)}",
                 actor_id=actor_id, details={"fund": fund.id, "round": fund_round.id,
                                             "values": _jsonable(values)})
    return fund_round


def change_budget(session: Session, round_id: int, form: Mapping, *,
                  actor_id: int | None) -> Round:
    """Set the round's budget (`budget`) for a reason (`reason`); never below what is
    reserved and granted. Locks the round's row as every budget writer does."""
    fund_round = _lock_round(session, round_id)
    fields = FormFields(form)
    new_budget = fields.amount("budget", "Budget")
    reason = fields.text("reason", "Skäl", 1000, multiline=True)
    fields.raise_if_any("Budgetändringen innehåller fel.")
    ledger = ledger_for(session, round_id)
    floor = committed(ledger)
    if new_budget < floor:
        fields.problem("budget", f"Budgeten kan inte bli lägre än det som redan är reserverat "
                                 f"och beviljat: {kronor(floor)}.")
    elif new_budget == ledger.budget:
        fields.problem("budget", f"Budgeten är redan {kronor(new_budget)}.")
    fields.raise_if_any("Budgetändringen innehåller fel.")
    fund_round.budget = new_budget
    session.flush()
    record_event(session, "round_budget_changed",
                 f"Budgeten för {fund_round.name} ändrad från {kronor(ledger.budget)} till "
                 f"{kronor(new_budget)}: {reason}", actor_id=actor_id,
                 details={"fund": fund_round.fund_id, "round": round_id,
                          "before": str(ledger.budget), "after": str(new_budget),
                          "committed": str(floor), "reason": reason})
    return fund_round


def close_round(session: Session, round_id: int, form: Mapping, *, today: date,
                actor_id: int | None) -> Round:
    """Close an open round early: its last day becomes today. Needs a reason (`reason`)."""
    fund_round = _lock_round(session, round_id)
    fields = FormFields(form)
    reason = fields.text("reason", "Skäl", 1000, multiline=True)
    if fund_round.opens_on > today:
        fields.problem("", "Omgången har inte öppnat än. Ändra omgångens datum i stället "
                           "för att stänga den.")
    elif fund_round.closes_on < today:
        fields.problem("", "Omgången är redan stängd.")
    elif fund_round.closes_on == today:
        fields.problem("", "Omgången stänger redan i dag.")
    fields.raise_if_any("Omgången kan inte stängas.")
    before = fund_round.closes_on
    fund_round.closes_on = today
    session.flush()
    record_event(session, "round_closed",
                 f"Ansökningsomgången {fund_round.name} stängd i förtid (sista dag {today}, "
                 f"var {before}): {reason}", actor_id=actor_id,
                 details={"fund": fund_round.fund_id, "round": round_id,
                          "closes_on": [before.isoformat(), today.isoformat()],
                          "reason": reason})
    return fund_round


def round_values(fund_round: Round | None = None) -> dict:
    """The values a round's form starts from (a new round: 14 days to reply; the weights are
    empty, so the review form's own weights apply)."""
    if fund_round is None:
        return {"komplettering_days": "14"}
    values = {name: getattr(fund_round, name) for name in ROUND_FIELDS}
    return {**values, **{WEIGHT_PREFIX + key: str(weight)
                         for key, weight in (fund_round.criteria_weights or {}).items()}}


def update_round(session: Session, round_id: int, form: Mapping, *, criteria: list[Criterion],
                 today: date, actor_id: int | None, review_schema: dict | None = None) -> Round:
    """Save a round's changed name, dates, maximum, deadline and weights (the budget changes
    only with change_budget); an audit event lists each change (before, after). New weights
    rescore the round's reviewed cases (with `review_schema`, the review form's schema)."""
    _lock_fund(session, get_round(session, round_id).fund_id)  # as open_round: fund, then round
    fund_round = _lock_round(session, round_id)
    values = clean_round(session, fund_round.fund, form, criteria, today, fund_round)
    changed = {name: [_jsonable_value(getattr(fund_round, name)), _jsonable_value(value)]
               for name, value in values.items() if getattr(fund_round, name) != value}
    for name, value in values.items():
        setattr(fund_round, name, value)
    session.flush()
    if "criteria_weights" in changed and review_schema is not None:
        rescore_round(session, round_id, review_schema, fund_round.criteria_weights)
    if changed:
        record_event(session, "round_changed", f"Ansökningsomgången {fund_round.name} ändrad",
                     actor_id=actor_id, details={"fund": fund_round.fund_id,
                                                 "round": fund_round.id, "changed": changed})
    return fund_round


def clean_round(session: Session, fund: Fund, form: Mapping, criteria: list[Criterion],
                today: date, editing: Round | None = None) -> dict:
    """Return the form's values checked; raise InvalidInput naming every bad field. A round
    being edited keeps its budget (change_budget changes it) and may keep a past last day."""
    fields = FormFields(form)
    values = {
        "name": fields.text("name", "Namn", 200),
        "opens_on": fields.date("opens_on", "Första ansökningsdag"),
        "closes_on": fields.date("closes_on", "Sista ansökningsdag"),
        "period_start": fields.date("period_start", "Projektperiodens början", required=False),
        "period_end": fields.date("period_end", "Projektperiodens slut", required=False),
        "budget": fields.amount("budget", "Budget") if editing is None else editing.budget,
        "max_per_application": fields.amount("max_per_application",
                                             "Högsta belopp per ansökan"),
        "komplettering_days": fields.whole("komplettering_days", "Svarsfrist för komplettering "
                                           "(dagar)", 1, 365),
        "criteria_weights": _weights(fields, criteria),
    }
    _check_order(fields, values, today, editing)
    if values["name"] and "name" not in fields.errors:
        _refuse_taken_name(session, fields, fund, values["name"], editing)
    if not fields.errors and not fund.allow_overlapping_rounds:
        _refuse_overlap(session, fields, fund, values["opens_on"], values["closes_on"], editing)
    fields.raise_if_any("Omgången innehåller fel.")
    if editing is not None:
        del values["budget"]
    return values


def _weights(fields: FormFields, criteria: list[Criterion]) -> dict[str, int]:
    weights = {}
    for criterion in criteria:
        name = WEIGHT_PREFIX + criterion.key
        weight = fields.whole(name, f"Vikt för {criterion.title}", 0, MAX_WEIGHT,
                              required=False)
        if weight is not None:
            weights[criterion.key] = weight
    effective = [weights.get(c.key, c.weight) for c in criteria]
    if criteria and not any(effective) and not fields.errors:
        fields.problem(WEIGHT_PREFIX + criteria[0].key,
                       "Minst ett kriterium måste ha en vikt större än 0.")
    return weights


def _check_order(fields: FormFields, values: dict, today: date, editing: Round | None) -> None:
    opens, closes = values["opens_on"], values["closes_on"]
    kept = editing is not None and closes == editing.closes_on
    if opens and closes and opens > closes:
        fields.problem("closes_on", "Sista ansökningsdag kan inte ligga före den första.")
    elif closes and closes < today and not kept:
        fields.problem("closes_on", "Sista ansökningsdag har redan passerat.")
    start, end = values["period_start"], values["period_end"]
    if start and end and start > end:
        fields.problem("period_end", "Projektperioden kan inte sluta innan den börjar.")
    budget, most = values["budget"], values["max_per_application"]
    if budget and most and most > budget:
        fields.problem("max_per_application", f"Högsta belopp per ansökan kan inte vara större "
                                              f"än budgeten ({kronor(budget)}).")


def _refuse_taken_name(session: Session, fields: FormFields, fund: Fund, name: str,
                       editing: Round | None) -> None:
    query = select(Round.id).where(Round.fund_id == fund.id, Round.name == name)
    if editing is not None:
        query = query.where(Round.id != editing.id)
    if session.scalar(query) is not None:
        fields.problem("name", f"Fonden har redan en omgång som heter {name}.")


def _refuse_overlap(session: Session, fields: FormFields, fund: Fund, opens: date,
                    closes: date, editing: Round | None) -> None:
    query = select(Round).where(Round.fund_id == fund.id, Round.opens_on <= closes,
                                Round.closes_on >= opens).order_by(Round.opens_on)
    if editing is not None:
        query = query.where(Round.id != editing.id)
    other = session.scalars(query).first()
    if other is not None:
        fields.problem("opens_on", f"Ansökningsperioden överlappar omgången {other.name} "
                                   f"({other.opens_on}–{other.closes_on}). Fonden tillåter "
                                   f"inte omgångar som är öppna samtidigt.")


def _lock_fund(session: Session, fund_id: int) -> None:
    # Two administrators opening rounds of one fund at once queue here, so the overlap check
    # sees the other's round (SQLite serialises write transactions anyway: app.db).
    session.execute(select(Fund.id).where(Fund.id == fund_id).with_for_update())


def _lock_round(session: Session, round_id: int) -> Round:
    # The row lock the budget writers take (app.grants.budget): a reservation cannot slip in
    # between the check against the committed money and the new budget.
    query = (select(Round).where(Round.id == round_id)
             .with_for_update(key_share=True, of=Round)
             .execution_options(populate_existing=True))
    fund_round = session.scalars(query).first()
    if fund_round is None:
        raise NotFound("Ansökningsomgången finns inte.")
    return fund_round


def _jsonable(values: dict) -> dict:
    return {name: _jsonable_value(value) for name, value in values.items()
            if value not in ("", None)}


def _jsonable_value(value):
    return str(value) if isinstance(value, (date, Decimal)) else value
