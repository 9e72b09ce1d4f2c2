"""Payout details of organisations (payees), kept by the administrator."""

from collections.abc import Mapping

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.errors import InvalidInput, NotAllowed
from app.grants.models import ORGANISATION_KINDS, Organisation
from app.payouts import identifiers
from app.payouts.lines import ACCOUNT_KINDS, INTERNAL_KINDS

ACCOUNT_KIND_NAMES = {"bankgiro": "Bankgiro", "plusgiro": "Plusgiro", "iban": "Bankkonto (IBAN)"}
PAYEE_FIELDS = ("kind", "org_number", "cost_centre", "account_kind", "account", "bic")


def is_internal(organisation: Organisation) -> bool:
    """A nämnd is no legal person: it is paid by an internal transfer, not a payment."""
    return organisation.kind in INTERNAL_KINDS


def payee_problems(organisation: Organisation) -> list[str]:
    """What is missing before money can be sent to the organisation (empty when ready)."""
    if is_internal(organisation):
        return [] if organisation.cost_centre else [
            f"{organisation.name} saknar ansvar/kostnadsställe för interna överföringar."]
    missing = []
    if not organisation.org_number:
        missing.append("organisationsnummer")
    if organisation.account_kind not in ACCOUNT_KINDS or not organisation.account:
        missing.append("bankgiro, plusgiro eller IBAN")
    return [f"{organisation.name} saknar {' och '.join(missing)}."] if missing else []


def update_payee(session: Session, user: User, organisation: Organisation,
                 form: Mapping[str, str]) -> Organisation:
    """Validate and save the organisation's payout details; every bad field is named."""
    if not user.has_role("admin"):
        raise NotAllowed("Bara en administratör kan ändra utbetalningsuppgifter.")
    values, errors = clean_payee(form)
    if errors:
        raise InvalidInput("Utbetalningsuppgifterna innehåller fel.", errors)
    before = {name: getattr(organisation, name) for name in PAYEE_FIELDS}
    for name, value in values.items():
        setattr(organisation, name, value)
    changed = {name: [before[name], values[name]] for name in PAYEE_FIELDS
               if before[name] != values[name]}
    if changed:
        record_event(session, "payee_changed",
                     f"Utbetalningsuppgifter ändrade för {organisation.name}",
                     actor_id=user.id, details={"organisation": organisation.id,
                                                "changed": changed})
    return organisation


def clean_payee(form: Mapping[str, str]) -> tuple[dict, dict[str, list[str]]]:
    """The form's values normalised, and the messages per field for those that are wrong."""
    get = {name: (form.get(name) or "").strip() for name in PAYEE_FIELDS}
    errors: dict[str, list[str]] = {}
    values: dict[str, str | None] = {name: None for name in PAYEE_FIELDS}
    kind = get["kind"]
    if kind not in ORGANISATION_KINDS:
        errors["kind"] = ["Välj typ av organisation."]
    values["kind"] = kind

    def check(name: str, validate, value: str) -> None:
        try:
            values[name] = validate(value)
        except ValueError as err:
            errors[name] = [str(err)]

    if kind in INTERNAL_KINDS:
        if not get["cost_centre"]:
            errors["cost_centre"] = ["En nämnd får pengar som intern överföring: ange "
                                     "ansvar/kostnadsställe."]
        else:
            check("cost_centre", identifiers.cost_centre, get["cost_centre"])
        if get["org_number"]:
            check("org_number", identifiers.org_number, get["org_number"])
        return values, errors
    if kind:
        if get["org_number"]:
            check("org_number", identifiers.org_number, get["org_number"])
        else:
            errors["org_number"] = ["Ange organisationsnummer (NNNNNN-NNNN)."]
        if get["account_kind"] not in ACCOUNT_KINDS:
            errors["account_kind"] = ["Välj bankgiro, plusgiro eller IBAN."]
        elif not get["account"]:
            errors["account"] = [f"Ange {ACCOUNT_KIND_NAMES[get['account_kind']].lower()}."]
        else:
            values["account_kind"] = get["account_kind"]
            check("account", lambda v: identifiers.account(get["account_kind"], v),
                  get["account"])
        if get["bic"]:
            check("bic", identifiers.bic, get["bic"])
        if get["cost_centre"]:
            errors["cost_centre"] = ["Ansvar anges bara för nämnder (interna överföringar)."]
    return values, errors
