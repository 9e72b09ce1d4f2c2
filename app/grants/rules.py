"""Rules a JSON Schema cannot express: they compare with the round, the case or other fields.

Each rule gets the case data as it will be after the task (the case data merged with the
submitted data) and returns field path → messages. The task's name selects the rules.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import object_session

from app.errors import InvalidInput
from app.formatting import kronor
from app.grants.models import Application

MAX_KOMPLETTERING_ROUNDS = 3
Errors = dict[str, list[str]]


def amount(value) -> Decimal | None:
    """Return a form amount as a Decimal, or None when empty or not a number."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def check_task_data(application: Application, task_name: str, case_data: dict, data: dict,
                    today: date) -> None:
    """Raise InvalidInput with field messages if the task's data breaks a rule."""
    errors = task_data_problems(application, task_name, case_data, data, today)
    if errors:
        raise InvalidInput("Uppgifterna innehåller fel.", errors)


def task_data_problems(application: Application, task_name: str, case_data: dict, data: dict,
                       today: date) -> Errors:
    """Return every rule the task's data breaks, as field path → messages."""
    return _apply(RULES.get(task_name, []), application, case_data, data, today)


def task_warnings(application: Application, task_name: str, case_data: dict, data: dict,
                  today: date) -> list[str]:
    """Return notices on the task's data that do not stop it (likely mistakes)."""
    warnings = _apply(WARNINGS.get(task_name, []), application, case_data, data, today)
    return [message for messages in warnings.values() for message in messages]


def _apply(rules, application: Application, case_data: dict, data: dict,
           today: date) -> Errors:
    merged = {**case_data, **data}
    errors: Errors = {}
    for rule in rules:
        for path, messages in rule(application, merged, data, today).items():
            errors.setdefault(path, []).extend(messages)
    return errors


def application_rules(application: Application, merged: dict, data: dict, today: date) -> Errors:
    """The round is open (at first submission), dates fit the round, the sums add up."""
    fund_round, errors = application.round, {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    if application.submitted_at is None and not fund_round.is_open(today):
        add("", f"Ansökningsomgången {fund_round.name} är stängd.")
    start, end = merged.get("startdatum"), merged.get("slutdatum")
    if start and end and end < start:
        add("slutdatum", "Slutdatum får inte vara före startdatum.")
    if start and fund_round.period_start and start < fund_round.period_start.isoformat():
        add("startdatum", f"Insatsen får börja tidigast {fund_round.period_start}.")
    if end and fund_round.period_end and end > fund_round.period_end.isoformat():
        add("slutdatum", f"Insatsen ska vara slut senast {fund_round.period_end}.")
    requested = amount(merged.get("sokt_belopp"))
    if requested is not None and requested > fund_round.max_per_application:
        add("sokt_belopp",
            f"Får vara högst {kronor(fund_round.max_per_application)} i den här omgången.")
    lines = merged.get("budget") or []
    if requested is not None and lines:
        total = sum((amount(line.get("belopp")) or Decimal(0) for line in lines), Decimal(0))
        expected = total - (amount(merged.get("medfinansiering")) or Decimal(0))
        if requested != expected:
            add("sokt_belopp", f"Sökt belopp ska vara budgetens summa minus "
                               f"medfinansieringen: {kronor(expected)}.")
    return errors


def formal_check_rules(application: Application, merged: dict, data: dict,
                       today: date) -> Errors:
    """At most three komplettering rounds; avskrivning only after an unanswered deadline."""
    outcome = data.get("kontroll_utfall")
    if outcome == "komplettering":
        if merged.get("komplettering_omgangar", 0) >= MAX_KOMPLETTERING_ROUNDS:
            return {"kontroll_utfall": [
                f"Ansökan har redan kompletterats {MAX_KOMPLETTERING_ROUNDS} gånger. "
                "Gå vidare, avvisa eller avskriv ärendet."]}
        deadline = data.get("komplettering_frist")
        if deadline and deadline <= today.isoformat():
            return {"komplettering_frist": ["Svarsfristen måste ligga efter i dag."]}
    if outcome == "avskrivning" and not merged.get("komplettering_utgangen"):
        return {"kontroll_utfall": [
            "Ärendet kan bara avskrivas när en svarsfrist har gått ut utan svar."]}
    return {}


def reviewer_rules(application: Application, merged: dict, data: dict, today: date) -> Errors:
    """Enough reviewers, none jävig, none who has already reviewed the case."""
    chosen = data.get("bedomare") or []
    javiga = set(merged.get("javiga_bedomare") or [])
    earlier = {r.get("bedomare") for r in merged.get("alla_bedomningar") or []}
    valid = sum(1 for r in merged.get("alla_bedomningar") or [] if r.get("jav") == "ingen")
    errors: Errors = {}
    if javiga & set(chosen):
        errors["bedomare"] = ["Välj inte bedömare som har anmält jäv i ärendet."]
    elif earlier & set(chosen):
        errors["bedomare"] = ["Välj bedömare som inte redan har bedömt ärendet."]
    elif valid + len(chosen) < 2:
        errors["bedomare"] = [f"Ärendet behöver minst två bedömningar; välj minst "
                              f"{2 - valid} bedömare."]
    deadline = data.get("bedomning_frist")
    if deadline and deadline <= today.isoformat():
        errors["bedomning_frist"] = ["Sista dag för bedömning måste ligga efter i dag."]
    return errors


def review_amount_rules(application: Application, merged: dict, data: dict,
                        today: date) -> Errors:
    """A reviewer recommends at most the requested amount."""
    review = data.get("bedomning") if isinstance(data.get("bedomning"), Mapping) else {}
    recommended = amount(review.get("rekommenderat_belopp"))
    requested = application.requested_amount
    if recommended is not None and requested is not None and recommended > requested:
        return {"bedomning.rekommenderat_belopp": [
            f"Högst det sökta beloppet: {kronor(requested)}."]}
    return {}


def report_rules(application: Application, merged: dict, data: dict, today: date) -> Errors:
    """The money reported as used is at most the granted amount."""
    used, granted = amount(data.get("anvant_belopp")), application.granted_amount
    if used is not None and granted is not None and used > granted:
        return {"anvant_belopp": [f"Högst det beviljade beloppet: {kronor(granted)}."]}
    return {}


def proposal_rules(application: Application, merged: dict, data: dict, today: date) -> Errors:
    """The amount fits the outcome and the request; the payout plan sums to the amount."""
    outcome, proposed = data.get("forslag"), amount(data.get("forslag_belopp"))
    requested = application.requested_amount or Decimal(0)
    errors: Errors = {}
    if proposed is not None:
        problem = _amount_problem(outcome, proposed, requested)
        if problem:
            errors["forslag_belopp"] = [problem]
    plan = data.get("utbetalningsplan")
    if outcome != "avslag" and plan and proposed is not None:
        problems = plan_problems(plan, proposed)
        if problems:
            errors["utbetalningsplan"] = problems
    follow_up = data.get("aterrapportering_datum")
    if outcome != "avslag" and follow_up and follow_up <= today.isoformat():
        errors["aterrapportering_datum"] = [
            "Datum för återrapportering måste ligga framåt i tiden."]
    return errors


MAX_TRANCHES = 4


def plan_problems(plan: Sequence[Mapping] | None, granted: Decimal) -> list[str]:
    """Why a payout plan cannot pay out `granted` (empty when it can): 1–4 tranches, each
    with an amount and a day, summing exactly to the granted amount; the first tranche is
    unconditional (the process waits for it before the follow-up)."""
    rows = [row for row in plan or [] if isinstance(row, Mapping)]
    if not rows:
        return [f"Ange minst en utbetalning som tillsammans blir {kronor(granted)}."]
    if len(rows) > MAX_TRANCHES:
        return [f"Högst {MAX_TRANCHES} utbetalningar."]
    amounts = [amount(row.get("belopp")) for row in rows]
    if any(value is None or value <= 0 for value in amounts) or not all(
            row.get("datum") for row in rows):
        return ["Varje utbetalning behöver ett belopp över 0 kr och en utbetalningsdag."]
    total = sum(amounts, Decimal(0))
    if total != granted:
        return [f"Utbetalningarna ska tillsammans bli {kronor(granted)} (nu {kronor(total)})."]
    first = min(rows, key=lambda row: str(row.get("datum")))
    if (first.get("villkor") or "").strip():
        return ["Den första utbetalningen kan inte ha ett villkor: ärendet väntar på den "
                "innan återrapporteringen."]
    return []


def decision_rules(application: Application, merged: dict, data: dict, today: date) -> Errors:
    """A partial grant is less than the requested amount (a full grant is "bifall"); the
    payout plan pays out exactly the granted amount."""
    outcome = data.get("beslut")
    granted = amount(data.get("beviljat_belopp"))
    requested = application.requested_amount
    if outcome == "delvis_bifall" and granted is not None and requested is not None:
        problem = _amount_problem("delvis_bifall", granted, requested)
        if problem:
            return {"beviljat_belopp": [problem]}
    if outcome == "bifall":
        granted = requested
    if outcome in ("bifall", "delvis_bifall") and granted is not None:
        problems = plan_problems(merged.get("utbetalningsplan"), granted)
        if problems:
            return {"utbetalningsplan": problems}
    return {}


def _amount_problem(outcome: str | None, value: Decimal, requested: Decimal) -> str | None:
    if outcome == "bifall" and value != requested:
        return f"Vid bifall är beloppet det sökta: {kronor(requested)}."
    if outcome == "delvis_bifall" and not 0 < value < requested:
        return f"Vid delvis bifall ska beloppet vara lägre än det sökta ({kronor(requested)})."
    if outcome == "avslag" and value != 0:
        return "Vid avslag är beloppet 0 kr."
    return None


def follow_up_rules(application: Application, merged: dict, data: dict, today: date) -> Errors:
    """An återkrav asks back at most the money that has been sent to the recipient."""
    from app.payouts.plans import sent_amount  # payouts build on these rules

    claimed = amount(data.get("aterkrav_belopp"))
    if data.get("granskning") != "aterkrav" or claimed is None:
        return {}
    sent = sent_amount(object_session(application), application.id)
    if claimed > sent:
        return {"aterkrav_belopp": [
            f"Högst det som har betalats ut hittills: {kronor(sent)}."]}
    return {}


def follow_up_warnings(application: Application, merged: dict, data: dict,
                       today: date) -> Errors:
    """A follow-up report due before the project ends cannot report its outcome (allowed:
    an interim report may be what the officer wants)."""
    follow_up, end = merged.get("aterrapportering_datum"), merged.get("slutdatum")
    if merged.get("forslag") == "avslag" or not (
            isinstance(follow_up, str) and isinstance(end, str) and follow_up and end):
        return {}
    if follow_up < end:
        return {"aterrapportering_datum": [
            f"Observera: återrapporteringen ({follow_up}) ligger före projektets slutdatum "
            f"({end}). Sökanden kan då inte redovisa hela insatsen. Välj ett senare datum om "
            "det inte är en delrapport du vill ha."]}
    return {}


Rule = Callable[[Application, dict, dict, date], Errors]
RULES: dict[str, list[Rule]] = {
    "ansokan": [application_rules],
    "komplettering": [application_rules],
    "formell_kontroll": [formal_check_rules],
    "tilldela_bedomare": [reviewer_rules],
    "bedomning": [review_amount_rules],
    "beredning": [proposal_rules],
    "beslut": [decision_rules],
    "namndbeslut": [decision_rules],
    "granska_aterrapport": [follow_up_rules],
    "aterrapportering": [report_rules],
}
# Notices shown with the form that do not stop the task.
WARNINGS: dict[str, list[Rule]] = {
    "beredning": [follow_up_warnings],
}
