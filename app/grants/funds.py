"""Funds: create and edit a fund (its process, diarium prefix, owning organ, letter
signature and finance dimensions). The only writers of the funds table."""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.config import DEFAULTS
from app.errors import NotFound
from app.grants.fields import LETTERS, FormFields, flush_unique, given_values
from app.grants.models import Fund
from app.payouts.identifiers import cost_centre as check_cost_centre

# The editable fields, in the order forms show them.
FUND_FIELDS = ("name", "description", "process_id", "diarie_prefix", "organ", "signatory_name",
               "signatory_title", "contact", "cost_centre", "cost_centre_name", "project_pattern",
               "transfer_account", "allow_overlapping_rounds")
# Placeholders a project pattern may use (app.payouts.export.project_code).
PROJECT_SAMPLE = {"prefix": "KS", "year": "2027", "year2": "27", "seq": "0001"}
# An account of the kommun's chart of accounts (BAS: four digits).
LEDGER_ACCOUNT = re.compile(r"[0-9]{4}")
# A process id that can name a folder: a BPMN id (an XML NCName) without dots or dashes.
PROCESS_FOLDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


@dataclass(frozen=True)
class FundSettings:
    """What a fund's letters and payouts use: its own values, or the global settings."""

    organ: str
    signatory_name: str
    signatory_title: str
    contact: str
    cost_centre: str
    cost_centre_name: str
    project_pattern: str
    transfer_account: str


def list_funds(session: Session) -> list[Fund]:
    """Return every fund by name (with its rounds)."""
    return list(session.scalars(select(Fund).order_by(Fund.name)))


def get_fund(session: Session, fund_id: int) -> Fund:
    fund = session.get(Fund, fund_id)
    if fund is None:
        raise NotFound("Fonden finns inte.")
    return fund


def create_fund(session: Session, form: Mapping, *, processes: Collection[str],
                actor_id: int | None, config: Mapping | None = None) -> Fund:
    """Create a fund from the form's values; every bad field is named. `config` gives the
    global project pattern a fund without its own uses (default: the built-in settings)."""
    values = clean_fund(session, form, processes, config=config)
    fund = Fund(**values)
    session.add(fund)
    flush_unique(session, "Fonden innehåller fel.", "name",
                 f"Det finns redan en fond som heter {fund.name}.")
    record_event(session, "fund_created", f"Fonden {fund.name} skapad", actor_id=actor_id,
                 details={"fund": fund.id, "values": given_values(values)})
    return fund


def update_fund(session: Session, fund: Fund, form: Mapping, *, processes: Collection[str],
                actor_id: int | None, config: Mapping | None = None) -> Fund:
    """Save the fund's changed values; an audit event lists each change (before, after)."""
    values = clean_fund(session, form, processes, fund, config=config)
    changed = {name: [getattr(fund, name), value] for name, value in values.items()
               if getattr(fund, name) != value}
    for name, value in values.items():
        setattr(fund, name, value)
    flush_unique(session, "Fonden innehåller fel.", "name",
                 f"Det finns redan en fond som heter {fund.name}.")
    if changed:
        record_event(session, "fund_changed", f"Fonden {fund.name} ändrad", actor_id=actor_id,
                     details={"fund": fund.id, "changed": changed})
    return fund


def fund_values(fund: Fund | None) -> dict:
    """The form's values of a fund (a new fund: the defaults)."""
    if fund is None:
        return {"diarie_prefix": DEFAULTS["DIARIE_PREFIX"]}
    return {name: getattr(fund, name) for name in FUND_FIELDS}


def fund_settings(fund: Fund, config: Mapping) -> FundSettings:
    """Return the fund's organ, signature, contact and finance dimensions, falling back to
    the global settings (LETTER_NAMND, LETTER_CONTACT, FINANCE_FUND_COST_CENTRE[_NAME],
    FINANCE_PROJECT_PATTERN, FINANCE_TRANSFER_ACCOUNT)."""
    settings = {**DEFAULTS, **config}
    return FundSettings(
        organ=fund.organ or settings["LETTER_NAMND"],
        signatory_name=fund.signatory_name, signatory_title=fund.signatory_title,
        contact=fund.contact or settings["LETTER_CONTACT"],
        cost_centre=fund.cost_centre or str(settings["FINANCE_FUND_COST_CENTRE"]),
        cost_centre_name=fund.cost_centre_name or settings["FINANCE_FUND_COST_CENTRE_NAME"],
        project_pattern=fund.project_pattern or settings["FINANCE_PROJECT_PATTERN"],
        transfer_account=fund.transfer_account or str(settings["FINANCE_TRANSFER_ACCOUNT"]))


def with_fund_settings(fund: Fund, config: Mapping) -> dict:
    """The settings with the fund's own values in place of the global ones: LETTER_NAMND (the
    organ letters name), LETTER_CONTACT (the contact letters print),
    FINANCE_FUND_COST_CENTRE[_NAME], FINANCE_PROJECT_PATTERN and FINANCE_TRANSFER_ACCOUNT."""
    settings = fund_settings(fund, config)
    return {**DEFAULTS, **config, "LETTER_NAMND": settings.organ,
            "LETTER_CONTACT": settings.contact,
            "FINANCE_FUND_COST_CENTRE": settings.cost_centre,
            "FINANCE_FUND_COST_CENTRE_NAME": settings.cost_centre_name,
            "FINANCE_PROJECT_PATTERN": settings.project_pattern,
            "FINANCE_TRANSFER_ACCOUNT": settings.transfer_account}


def texts_folder(fund: Fund, config: Mapping, part: str) -> str:
    """The fund's own texts of one kind (`letters`, `messages`) as a folder path:
    `<PROCESSES_DIR>/<process id>/<part>`, if the process has that folder; '' if not (or if
    the process id could not be a folder name)."""
    if not PROCESS_FOLDER.fullmatch(fund.process_id or ""):
        return ""
    folder = Path(config.get("PROCESSES_DIR", DEFAULTS["PROCESSES_DIR"]), fund.process_id, part)
    return str(folder) if folder.is_dir() else ""


def clean_fund(session: Session, form: Mapping, processes: Collection[str],
               fund: Fund | None = None, config: Mapping | None = None) -> dict:
    """Return the form's values checked; raise InvalidInput naming every bad field."""
    fields = FormFields(form)
    values = {
        "name": fields.text("name", "Namn", 200),
        "description": fields.text("description", "Beskrivning", 5000, required=False,
                                   multiline=True),
        "process_id": _process(fields, processes),
        "diarie_prefix": _prefix(fields),
        "organ": fields.text("organ", "Ägande organ", 200, required=False),
        "signatory_name": fields.text("signatory_name", "Undertecknare", 200, required=False),
        "signatory_title": fields.text("signatory_title", "Undertecknarens titel", 200,
                                       required=False),
        "contact": fields.text("contact", "Kontakt i breven", 300, required=False),
        "cost_centre": _cost_centre(fields),
        "cost_centre_name": fields.text("cost_centre_name", "Ansvarets namn", 200,
                                        required=False),
        "project_pattern": _project_pattern(fields),
        "transfer_account": _transfer_account(fields),
        "allow_overlapping_rounds": fields.flag("allow_overlapping_rounds"),
    }
    if values["name"] and "name" not in fields.errors:
        _refuse_taken_name(session, fields, values["name"], fund)
    if not {"diarie_prefix", "project_pattern"} & set(fields.errors):
        _refuse_colliding_codes(session, fields, values, fund, {**DEFAULTS, **(config or {})})
    fields.raise_if_any("Fonden innehåller fel.")
    return values


def _process(fields: FormFields, processes: Collection[str]) -> str:
    value = fields.raw("process_id")
    if value not in processes:
        fields.problem("process_id", "Välj en process ur processkatalogen.")
    return value


def _prefix(fields: FormFields) -> str:
    value = fields.raw("diarie_prefix")
    if not LETTERS.fullmatch(value):
        fields.problem("diarie_prefix", "Diarieprefixet ska vara 1–20 bokstäver, t.ex. KS.")
    return value


def _cost_centre(fields: FormFields) -> str:
    value = fields.raw("cost_centre")
    if not value:
        return ""
    try:
        return check_cost_centre(value)
    except ValueError as err:
        fields.problem("cost_centre", str(err))
        return value


def _project_pattern(fields: FormFields) -> str:
    value = fields.text("project_pattern", "Projektkod", 40, required=False)
    if not value or "project_pattern" in fields.errors:
        return value
    try:
        sample = value.format(**PROJECT_SAMPLE)
    except (KeyError, ValueError, IndexError, AttributeError):
        sample = None
    if sample is None or "{seq}" not in value or not ("{year}" in value or "{year2}" in value):
        fields.problem("project_pattern", "Projektkoden ska innehålla {seq} och {year} eller "
                                          "{year2} och får bara använda {prefix}, {year}, "
                                          "{year2} och {seq}, t.ex. {prefix}{year2}-{seq}.")
    return value


def _transfer_account(fields: FormFields) -> str:
    value = fields.raw("transfer_account")
    if value and not LEDGER_ACCOUNT.fullmatch(value):
        fields.problem("transfer_account", "Kontot ska vara fyra siffror ur kontoplanen, "
                                           "t.ex. 7990.")
    return value


def project_sample(pattern: str, prefix: str) -> str:
    """The project code a pattern gives the first case of 2027 with this diarium prefix."""
    return pattern.format(**{**PROJECT_SAMPLE, "prefix": prefix})


def _refuse_colliding_codes(session: Session, fields: FormFields, values: Mapping,
                            fund: Fund | None, config: Mapping) -> None:
    """Refuse a project pattern (the fund's own, else the global FINANCE_PROJECT_PATTERN)
    that gives the same code as another fund's for a different diarienummer. Funds with the
    same prefix share its number sequence, so only funds with other prefixes can collide: the
    pattern must then include {prefix} or a fund code of its own."""
    own, prefix = values["project_pattern"], values["diarie_prefix"]
    general = str(config["FINANCE_PROJECT_PATTERN"])
    code = project_sample(own or general, prefix)
    others = select(Fund.name, Fund.diarie_prefix, Fund.project_pattern).where(
        Fund.diarie_prefix != prefix)
    if fund is not None:
        others = others.where(Fund.id != fund.id)
    for name, other_prefix, other_pattern in session.execute(others.order_by(Fund.name)):
        if project_sample(other_pattern or general, other_prefix) != code:
            continue
        numbers = f"{prefix}-2027/0001 och {other_prefix}-2027/0001"
        if own:
            message = (f"Projektkoden krockar med fonden {name}: båda ger {code} ({numbers}). "
                       "Ta med {prefix} eller en egen fondkod, t.ex. {prefix}{year2}-{seq}.")
        else:
            message = (f"Den gemensamma projektkoden {general} ger samma kod som fonden "
                       f"{name}: {code} ({numbers}). Ange en egen projektkod med {{prefix}} "
                       "eller en egen fondkod, t.ex. {prefix}{year2}-{seq}.")
        fields.problem("project_pattern", message)
        return


def _refuse_taken_name(session: Session, fields: FormFields, name: str,
                       fund: Fund | None) -> None:
    query = select(Fund.id).where(Fund.name == name)
    if fund is not None:
        query = query.where(Fund.id != fund.id)
    if session.scalar(query) is not None:
        fields.problem("name", f"Det finns redan en fond som heter {name}.")
