"""Organisations that apply (nämnder, bolag, kommunalförbund, föreningar): created and
edited here with their payout details, every identifier checked (app.payouts.identifiers);
the finance side's own payout form is app.payouts.payees."""

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.errors import NotFound
from app.grants.fields import FormFields, flush_unique
from app.grants.models import ORGANISATION_KINDS, Organisation
from app.payouts import identifiers
from app.payouts.lines import ACCOUNT_KINDS, INTERNAL_KINDS

PAYEE_FIELDS = ("cost_centre", "account_kind", "account", "bic")
ORGANISATION_FIELDS = ("name", "kind", "org_number", "active", *PAYEE_FIELDS)
ACCOUNT_NAMES = {"bankgiro": "bankgiro", "plusgiro": "plusgiro", "iban": "IBAN"}


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("Organisationen finns inte.")
    return organisation


def organisation_values(organisation: Organisation | None) -> dict:
    """The form's values of an organisation (a new one: active, no kind chosen)."""
    if organisation is None:
        return {"active": True}
    return {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}


def create_organisation(session: Session, form: Mapping, *,
                        actor_id: int | None) -> Organisation:
    """Create an organisation from the form's values; every bad field is named."""
    values = clean_organisation(session, form)
    organisation = Organisation(**values)
    session.add(organisation)
    flush_unique(session, "Organisationen innehåller fel.", "name",
                 f"Det finns redan en organisation som heter {organisation.name}.")
    record_event(session, "organisation_created", f"Organisationen {organisation.name} skapad",
                 actor_id=actor_id, details={"organisation": organisation.id,
                                             "values": values})
    return organisation


def update_organisation(session: Session, organisation: Organisation, form: Mapping, *,
                        actor_id: int | None) -> Organisation:
    """Save the organisation's changed name, kind, number, status and payout details
    (audited)."""
    values = clean_organisation(session, form, organisation)
    changed = {name: [getattr(organisation, name), value] for name, value in values.items()
               if getattr(organisation, name) != value}
    for name, value in values.items():
        setattr(organisation, name, value)
    flush_unique(session, "Organisationen innehåller fel.", "name",
                 f"Det finns redan en organisation som heter {organisation.name}.")
    if changed:
        record_event(session, "organisation_changed",
                     f"Organisationen {organisation.name} ändrad", actor_id=actor_id,
                     details={"organisation": organisation.id, "changed": changed})
    return organisation


def clean_organisation(session: Session, form: Mapping,
                       organisation: Organisation | None = None) -> dict:
    """Return the form's values checked; raise InvalidInput naming every bad field."""
    fields = FormFields(form)
    values = {"name": fields.text("name", "Namn", 200), "kind": fields.raw("kind"),
              "org_number": _org_number(fields), "active": fields.flag("active"),
              **_payee(fields, fields.raw("kind"))}
    if values["kind"] not in ORGANISATION_KINDS:
        fields.problem("kind", "Välj typ av organisation: "
                               f"{', '.join(ORGANISATION_KINDS.values()).lower()}.")
    elif values["kind"] not in INTERNAL_KINDS and not values["org_number"] \
            and "org_number" not in fields.errors:
        fields.problem("org_number", "Ange organisationsnummer (NNNNNN-NNNN): bolag, "
                                     "kommunalförbund och föreningar har ett eget.")
    if values["name"] and "name" not in fields.errors:
        query = select(Organisation.id).where(Organisation.name == values["name"])
        if organisation is not None:
            query = query.where(Organisation.id != organisation.id)
        if session.scalar(query) is not None:
            fields.problem("name", f"Det finns redan en organisation som heter "
                                   f"{values['name']}.")
    fields.raise_if_any("Organisationen innehåller fel.")
    return values


def _org_number(fields: FormFields) -> str | None:
    return _checked(fields, "org_number", identifiers.org_number)


def _payee(fields: FormFields, kind: str) -> dict:
    """The payout details, each optional but checked when given: a nämnd (or the kommun)
    gets an internal transfer to its ansvar, anyone else a payment to an account."""
    internal = kind in INTERNAL_KINDS
    account_kind = fields.raw("account_kind")
    values = {"cost_centre": _checked(fields, "cost_centre", identifiers.cost_centre),
              "account_kind": account_kind or None, "account": None,
              "bic": _checked(fields, "bic", identifiers.bic) or None}
    if values["cost_centre"] and not internal and kind in ORGANISATION_KINDS:
        fields.problem("cost_centre", "Ansvar/kostnadsställe anges bara för nämnder och "
                                      "kommunen (interna överföringar).")
    if account_kind and account_kind not in ACCOUNT_KINDS:
        fields.problem("account_kind", "Välj kontotyp: bankgiro, plusgiro eller IBAN.")
    elif account_kind and internal:
        fields.problem("account_kind", "En nämnd får pengarna som intern överföring: lämna "
                                       "kontotyp och kontonummer tomma.")
    elif account_kind:
        values["account"] = _checked(fields, "account",
                                     lambda v: identifiers.account(account_kind, v))
        if values["account"] is None:
            fields.problem("account", f"Ange {ACCOUNT_NAMES[account_kind]}-numret.")
    elif fields.raw("account"):
        fields.problem("account_kind", "Välj kontotyp för kontonumret: bankgiro, plusgiro "
                                       "eller IBAN.")
    if values["bic"] and account_kind != "iban":
        fields.problem("bic", "BIC anges bara tillsammans med ett IBAN.")
    return values


def _checked(fields: FormFields, name: str, check) -> str | None:
    """The field's value as `check` normalises it; None when empty; its message when bad."""
    value = fields.raw(name)
    if not value:
        return None
    try:
        return check(value)
    except ValueError as err:
        fields.problem(name, str(err))
        return value
