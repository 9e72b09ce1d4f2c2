"""Rules a JSON Schema cannot express: they compare with the round, the case or other fields.

Each rule gets the process's declarations and the case data as it will be after the task (the
case data merged with the submitted data) and returns field path → messages. The task's
declared step (grant:step) selects the rules; fields are found by their declared meaning.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import object_session

from app.errors import InvalidInput
from app.formatting import kronor
from app.grants.declarations import GRANTING, ProcessDeclarations
from app.grants.models import Application
from app.grants.reviews import REVIEWER_KEY, REVIEWS_VARIABLE

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


def check_task_data(decl: ProcessDeclarations, application: Application, task_name: str,
                    case_data: dict, data: dict, today: date) -> None:
    """Raise InvalidInput with field messages if the task's data breaks a rule."""
    errors = task_data_problems(decl, application, task_name, case_data, data, today)
    if errors:
        raise InvalidInput("Uppgifterna innehåller fel.", errors)


def task_data_problems(decl: ProcessDeclarations, application: Application, task_name: str,
                       case_data: dict, data: dict, today: date) -> Errors:
    """Return every rule the task's data breaks, as field path → messages."""
    rules = RULES.get(decl.step_of(task_name) or "", [])
    return _apply(rules, decl, application, case_data, data, today)


def task_warnings(decl: ProcessDeclarations, application: Application, task_name: str,
                  case_data: dict, data: dict, today: date) -> list[str]:
    """Return notices on the task's data that do not stop it (likely mistakes)."""
    rules = WARNINGS.get(decl.step_of(task_name) or "", [])
    warnings = _apply(rules, decl, application, case_data, data, today)
    return [message for messages in warnings.values() for message in messages]


def _apply(rules, decl: ProcessDeclarations, application: Application, case_data: dict,
           data: dict, today: date) -> Errors:
    merged = {**case_data, **data}
    errors: Errors = {}
    for rule in rules:
        for path, messages in rule(decl, application, merged, data, today).items():
            errors.setdefault(path, []).extend(messages)
    return errors


def application_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                      data: dict, today: date) -> Errors:
    """The round is open (at first submission), dates fit the round, the sums add up."""
    fund_round, errors = application.round, {}

    def add(meaning: str, message: str) -> None:
        errors.setdefault(decl.path(meaning), []).append(message)

    if application.submitted_at is None and not fund_round.is_open(today):
        errors.setdefault("", []).append(f"Ansökningsomgången {fund_round.name} är stängd.")
    start, end = decl.value("project_start", merged), decl.value("project_end", merged)
    if start and end and end < start:
        add("project_end", "Slutdatum får inte vara före startdatum.")
    if start and fund_round.period_start and start < fund_round.period_start.isoformat():
        add("project_start", f"Insatsen får börja tidigast {fund_round.period_start}.")
    if end and fund_round.period_end and end > fund_round.period_end.isoformat():
        add("project_end", f"Insatsen ska vara slut senast {fund_round.period_end}.")
    requested = amount(decl.value("requested_amount", merged))
    if requested is not None and requested > fund_round.max_per_application:
        add("requested_amount",
            f"Får vara högst {kronor(fund_round.max_per_application)} i den här omgången.")
    lines = decl.value("budget_lines", merged) or []
    if requested is not None and lines and decl.field("cofinancing") is not None:
        total = sum((amount(decl.value("line_amount", line)) or Decimal(0)
                     for line in lines if isinstance(line, Mapping)), Decimal(0))
        expected = total - (amount(decl.value("cofinancing", merged)) or Decimal(0))
        if requested != expected:
            add("requested_amount", f"Sökt belopp ska vara budgetens summa minus "
                                    f"medfinansieringen: {kronor(expected)}.")
    return errors


def completion_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                     data: dict, today: date) -> Errors:
    """A komplettering is answered after submission: the application's rules but the round's
    opening (it may have closed since)."""
    return application_rules(decl, application, merged, data, today)


def formal_check_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                       data: dict, today: date) -> Errors:
    """At most three komplettering rounds; avskrivning only after an unanswered deadline."""
    outcome = decl.outcome("check_outcome", data)
    if outcome == "completion":
        if merged.get("komplettering_omgangar", 0) >= MAX_KOMPLETTERING_ROUNDS:
            return {decl.path("check_outcome"): [
                f"Ansökan har redan kompletterats {MAX_KOMPLETTERING_ROUNDS} gånger. "
                "Gå vidare, avvisa eller avskriv ärendet."]}
        deadline = decl.value("completion_deadline", data)
        if deadline and deadline <= today.isoformat():
            return {decl.path("completion_deadline"): ["Svarsfristen måste ligga efter i dag."]}
    if outcome == "written_off" and not merged.get("komplettering_utgangen"):
        return {decl.path("check_outcome"): [
            "Ärendet kan bara avskrivas när en svarsfrist har gått ut utan svar."]}
    return {}


def reviewer_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                   data: dict, today: date) -> Errors:
    """Enough reviewers, none jävig, none who has already reviewed the case."""
    chosen = decl.value("reviewers", data) or []
    javiga = set(merged.get("javiga_bedomare") or [])
    reviews = [r for r in merged.get(REVIEWS_VARIABLE) or [] if isinstance(r, Mapping)]
    earlier = {r.get(REVIEWER_KEY) for r in reviews}
    valid = sum(1 for r in reviews if decl.outcome_in("review_conflict", "review", r) == "none")
    errors: Errors = {}
    where = decl.path("reviewers")
    if javiga & set(chosen):
        errors[where] = ["Välj inte bedömare som har anmält jäv i ärendet."]
    elif earlier & set(chosen):
        errors[where] = ["Välj bedömare som inte redan har bedömt ärendet."]
    elif valid + len(chosen) < 2:
        errors[where] = [f"Ärendet behöver minst två bedömningar; välj minst "
                         f"{2 - valid} bedömare."]
    deadline = decl.value("review_deadline", data)
    if deadline and deadline <= today.isoformat():
        errors[decl.path("review_deadline")] = [
            "Sista dag för bedömning måste ligga efter i dag."]
    return errors


def review_amount_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                        data: dict, today: date) -> Errors:
    """A reviewer recommends at most the requested amount."""
    recommended = amount(decl.value("review_amount", data))
    requested = application.requested_amount
    if recommended is not None and requested is not None and recommended > requested:
        return {decl.path("review_amount"): [f"Högst det sökta beloppet: {kronor(requested)}."]}
    return {}


def report_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                 data: dict, today: date) -> Errors:
    """The money reported as used is at most the granted amount."""
    used, granted = amount(decl.value("used_amount", data)), application.granted_amount
    if used is not None and granted is not None and used > granted:
        return {decl.path("used_amount"): [f"Högst det beviljade beloppet: {kronor(granted)}."]}
    return {}


def proposal_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                   data: dict, today: date) -> Errors:
    """The amount fits the outcome and the request; the payout plan sums to the amount."""
    outcome = decl.outcome("proposal_outcome", data)
    proposed = amount(decl.value("proposal_amount", data))
    requested = application.requested_amount or Decimal(0)
    errors: Errors = {}
    if proposed is not None:
        problem = _amount_problem(outcome, proposed, requested)
        if problem:
            errors[decl.path("proposal_amount")] = [problem]
    plan = decl.value("payout_plan", data)
    if outcome != "rejected" and plan and proposed is not None:
        problems = plan_problems(decl, plan, proposed)
        if problems:
            errors[decl.path("payout_plan")] = problems
    follow_up = decl.value("report_due", data)
    if outcome != "rejected" and follow_up and follow_up <= today.isoformat():
        errors[decl.path("report_due")] = [
            "Datum för återrapportering måste ligga framåt i tiden."]
    return errors


MAX_TRANCHES = 4


def plan_problems(decl: ProcessDeclarations, plan: Sequence[Mapping] | None,
                  granted: Decimal) -> list[str]:
    """Why a payout plan cannot pay out `granted` (empty when it can): 1–4 tranches, each
    with an amount and a day, summing exactly to the granted amount; the first tranche is
    unconditional (the process waits for it before the follow-up)."""
    rows = [row for row in plan or [] if isinstance(row, Mapping)]
    if not rows:
        return [f"Ange minst en utbetalning som tillsammans blir {kronor(granted)}."]
    if len(rows) > MAX_TRANCHES:
        return [f"Högst {MAX_TRANCHES} utbetalningar."]
    amounts = [amount(decl.value("tranche_amount", row)) for row in rows]
    if any(value is None or value <= 0 for value in amounts) or not all(
            decl.value("tranche_date", row) for row in rows):
        return ["Varje utbetalning behöver ett belopp över 0 kr och en utbetalningsdag."]
    total = sum(amounts, Decimal(0))
    if total != granted:
        return [f"Utbetalningarna ska tillsammans bli {kronor(granted)} (nu {kronor(total)})."]
    first = min(rows, key=lambda row: str(decl.value("tranche_date", row)))
    if (decl.value("tranche_condition", first) or "").strip():
        return ["Den första utbetalningen kan inte ha ett villkor: ärendet väntar på den "
                "innan återrapporteringen."]
    return []


def decided_amount(decl: ProcessDeclarations, data: Mapping) -> Decimal:
    """The amount a decision grants: its amount field for a granting outcome, else 0."""
    if decl.outcome("decision_outcome", data) not in GRANTING:
        return Decimal(0)
    return amount(decl.value("decision_amount", data)) or Decimal(0)


def decision_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                   data: dict, today: date) -> Errors:
    """A granting decision names its amount (at most the requested, below it for a partial
    grant); the payout plan pays out exactly that amount."""
    outcome = decl.outcome("decision_outcome", data)
    granted = amount(decl.value("decision_amount", data))
    requested = application.requested_amount
    if outcome in GRANTING and granted is None:
        return {decl.path("decision_amount"): ["Ange det beviljade beloppet."]}
    if granted is not None and requested is not None:
        problem = _amount_problem(outcome, granted, requested)
        if problem:
            return {decl.path("decision_amount"): [problem]}
    if outcome in GRANTING and decl.field("payout_plan") is not None:
        problems = plan_problems(decl, decl.value("payout_plan", merged), granted)
        if problems:
            return {decl.path("payout_plan"): problems}
    return {}


def _amount_problem(outcome: str | None, value: Decimal, requested: Decimal) -> str | None:
    if outcome == "granted" and not 0 < value <= requested:
        return f"Vid bifall är beloppet högst det sökta: {kronor(requested)}."
    if outcome == "partly_granted" and not 0 < value < requested:
        return f"Vid delvis bifall ska beloppet vara lägre än det sökta ({kronor(requested)})."
    if outcome == "rejected" and value != 0:
        return "Vid avslag är beloppet 0 kr."
    return None


def follow_up_rules(decl: ProcessDeclarations, application: Application, merged: dict,
                    data: dict, today: date) -> Errors:
    """An återkrav asks back at most the money that has been sent to the recipient."""
    from app.payouts.plans import sent_amount  # payouts build on these rules

    claimed = amount(decl.value("claim_amount", data))
    if decl.outcome("report_review_outcome", data) != "claim" or claimed is None:
        return {}
    sent = sent_amount(object_session(application), application.id)
    if claimed > sent:
        return {decl.path("claim_amount"): [
            f"Högst det som har betalats ut hittills: {kronor(sent)}."]}
    return {}


def follow_up_warnings(decl: ProcessDeclarations, application: Application, merged: dict,
                       data: dict, today: date) -> Errors:
    """A follow-up report due before the project ends cannot report its outcome (allowed:
    an interim report may be what the officer wants)."""
    follow_up, end = decl.value("report_due", merged), decl.value("project_end", merged)
    if decl.outcome("proposal_outcome", merged) == "rejected" or not (
            isinstance(follow_up, str) and isinstance(end, str) and follow_up and end):
        return {}
    if follow_up < end:
        return {decl.path("report_due"): [
            f"Observera: återrapporteringen ({follow_up}) ligger före projektets slutdatum "
            f"({end}). Sökanden kan då inte redovisa hela insatsen. Välj ett senare datum om "
            "det inte är en delrapport du vill ha."]}
    return {}


Rule = Callable[[ProcessDeclarations, Application, dict, dict, date], Errors]
# The rules of each declared step (grant:step), the same for every fund.
RULES: dict[str, list[Rule]] = {
    "application": [application_rules],
    "completion": [completion_rules],
    "formal_check": [formal_check_rules],
    "assign_reviewers": [reviewer_rules],
    "review": [review_amount_rules],
    "proposal": [proposal_rules],
    "decision": [decision_rules],
    "report_review": [follow_up_rules],
    "report": [report_rules],
}
# Notices shown with the form that do not stop the task.
WARNINGS: dict[str, list[Rule]] = {
    "proposal": [follow_up_warnings],
}
