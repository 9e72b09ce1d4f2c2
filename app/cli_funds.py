"""`flask funds …` and `flask rounds …`: the administrator's fund and round operations
(app.grants.funds, app.grants.rounds) from the command line, one transaction per command."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.errors import DomainError, InvalidInput
from app.formatting import kronor, local_today
from app.grants import funds, rounds
from app.grants.budget import ledger_for

FUND_OPTIONS = [
    ("name", "--name", "Fondens namn."),
    ("description", "--description", "Beskrivning."),
    ("process_id", "--process", "Processen fonden kör (ur processkatalogen)."),
    ("diarie_prefix", "--diarie-prefix", "Diarieprefix, t.ex. KS."),
    ("organ", "--organ", "Organet som äger fonden."),
    ("signatory_name", "--signatory-name", "Vem som undertecknar breven."),
    ("signatory_title", "--signatory-title", "Undertecknarens titel."),
    ("contact", "--contact", "Kontakt i breven (tom: den gemensamma inställningen)."),
    ("cost_centre", "--cost-centre", "Fondens ansvar/kostnadsställe."),
    ("cost_centre_name", "--cost-centre-name", "Ansvarets namn."),
    ("project_pattern", "--project-pattern", "Projektkod, t.ex. {prefix}{year2}-{seq}."),
    ("transfer_account", "--transfer-account", "Konto för fondens överföringar, t.ex. 7990."),
]
ROUND_OPTIONS = [
    ("name", "--name", "Omgångens namn."),
    ("opens_on", "--opens-on", "Första ansökningsdag (ÅÅÅÅ-MM-DD)."),
    ("closes_on", "--closes-on", "Sista ansökningsdag (ÅÅÅÅ-MM-DD)."),
    ("period_start", "--period-start", "Projektperiodens början (ÅÅÅÅ-MM-DD)."),
    ("period_end", "--period-end", "Projektperiodens slut (ÅÅÅÅ-MM-DD)."),
    ("budget", "--budget", "Budget i kronor."),
    ("max_per_application", "--max-per-application", "Högsta belopp per ansökan."),
    ("komplettering_days", "--komplettering-days", "Svarsfrist för komplettering (dagar)."),
]
OPTION_OF = {name: flag for name, flag, _help in FUND_OPTIONS + ROUND_OPTIONS}
OPTION_OF["reason"] = "--reason"


def _options(specs):
    def decorate(command):
        for name, flag, text in reversed(specs):
            command = click.option(flag, name, default=None, help=text)(command)
        return command
    return decorate


def _run(operation, options: dict | None = None):
    """Run the operation in one transaction; print what went wrong by option (`options`:
    field name → option, the funds' and rounds' by default) and exit 1."""
    with current_app.extensions["sessions"]() as session:
        try:
            result = operation(session)
        except InvalidInput as err:
            session.rollback()
            click.echo(f"FEL: {err.message}", err=True)
            for name, messages in err.errors.items():
                for message in messages:
                    option = (options or {}).get(name) or _option(name)
                    prefix = f"{option}: " if name else ""
                    click.echo(f"  {prefix}{message}", err=True)
            sys.exit(1)
        except DomainError as err:
            session.rollback()
            click.echo(f"FEL: {err.message}", err=True)
            sys.exit(1)
        session.commit()
        return result


def _option(name: str) -> str:
    if name.startswith(rounds.WEIGHT_PREFIX):
        return f"--weight {name.removeprefix(rounds.WEIGHT_PREFIX)}"
    return OPTION_OF.get(name, name)


def _catalogue(session=None):
    """The catalogue of the current process versions, as the database has them."""
    engine = current_app.extensions["engine"]
    if session is not None:
        return engine.current_catalogue(session)
    with current_app.extensions["sessions"]() as session_:
        return engine.current_catalogue(session_)


@click.group("funds", cls=AppGroup, help="Fonder.")
def funds_cli():
    pass


@funds_cli.command("list", help="Lista fonderna och deras omgångar.")
def funds_list():
    with current_app.extensions["read_sessions"]() as session:
        every = funds.list_funds(session)
        if not every:
            click.echo("Det finns inga fonder ännu. Skapa en med `flask funds create`.")
        for fund in every:
            click.echo(f"{fund.id}\t{fund.name}\t{fund.process_id}\t{fund.diarie_prefix}")
            for fund_round in fund.rounds:
                click.echo(f"\tomgång {fund_round.id}\t{fund_round.name}\t"
                           f"{fund_round.opens_on}–{fund_round.closes_on}\t"
                           f"{kronor(fund_round.budget)}")


@funds_cli.command("create", help="Skapa en fond.")
@_options(FUND_OPTIONS)
@click.option("--allow-overlapping-rounds/--no-overlapping-rounds", default=False,
              help="Får fondens omgångar vara öppna samtidigt?")
def funds_create(**values):
    values["allow_overlapping_rounds"] = "ja" if values["allow_overlapping_rounds"] else ""
    fund = _run(lambda session: funds.create_fund(
        session, values, processes=_catalogue(session).processes, actor_id=None,
        config=current_app.config))
    click.echo(f"Fonden {fund.name} är skapad (id {fund.id}).")


@funds_cli.command("edit", help="Ändra en fond (bara de uppgifter som anges).")
@click.argument("fund_id", type=int)
@_options(FUND_OPTIONS)
@click.option("--allow-overlapping-rounds/--no-overlapping-rounds", default=None,
              help="Får fondens omgångar vara öppna samtidigt?")
def funds_edit(fund_id, **given):
    def edit(session):
        fund = funds.get_fund(session, fund_id)
        values = {**funds.fund_values(fund), **{k: v for k, v in given.items() if v is not None}}
        values["allow_overlapping_rounds"] = "ja" if values["allow_overlapping_rounds"] else ""
        return funds.update_fund(session, fund, values, processes=_catalogue(session).processes,
                                 actor_id=None, config=current_app.config)

    fund = _run(edit)
    click.echo(f"Fonden {fund.name} är sparad.")


@click.group("rounds", cls=AppGroup, help="Ansökningsomgångar.")
def rounds_cli():
    pass


@rounds_cli.command("list", help="Lista omgångarna med budget och vad som är kvar.")
@click.option("--fund", "fund_id", type=int, default=None, help="Bara den här fondens.")
def rounds_list(fund_id):
    with current_app.extensions["read_sessions"]() as session:
        every = [r for f in funds.list_funds(session) for r in f.rounds
                 if fund_id in (None, f.id)]
        if not every:
            click.echo("Det finns inga ansökningsomgångar ännu.")
        for fund_round in every:
            ledger = ledger_for(session, fund_round.id)
            click.echo(f"{fund_round.id}\t{fund_round.fund.name}\t{fund_round.name}\t"
                       f"{fund_round.opens_on}–{fund_round.closes_on}\tbudget "
                       f"{kronor(ledger.budget)}\tbundet {kronor(rounds.committed(ledger))}"
                       f"\tkvar {kronor(ledger.remaining)}")


@rounds_cli.command("open", help="Öppna en ansökningsomgång i en fond.")
@click.argument("fund_id", type=int)
@_options(ROUND_OPTIONS)
@click.option("--weight", "weights", multiple=True, metavar="KRITERIUM=VIKT",
              help="Vikt för ett bedömningskriterium i omgången (kan upprepas).")
def rounds_open(fund_id, weights, **values):
    if values["komplettering_days"] is None:
        values["komplettering_days"] = "14"
    values.update(_weight_fields(weights))
    criteria = _criteria_with(weights)
    fund_round = _run(lambda session: rounds.open_round(
        session, funds.get_fund(session, fund_id), values, criteria=criteria,
        today=local_today(), actor_id=None))
    click.echo(f"Omgången {fund_round.name} är öppnad (id {fund_round.id}), "
               f"{fund_round.opens_on}–{fund_round.closes_on}.")


@rounds_cli.command("edit", help="Ändra en omgång (bara de uppgifter som anges; budgeten "
                                  "ändras med `flask rounds budget`).")
@click.argument("round_id", type=int)
@_options([spec for spec in ROUND_OPTIONS if spec[0] != "budget"])
@click.option("--weight", "weights", multiple=True, metavar="KRITERIUM=VIKT",
              help="Vikt för ett bedömningskriterium (tom vikt: formulärets).")
def rounds_edit(round_id, weights, **given):
    criteria = _criteria_with(weights)

    def edit(session):
        current = rounds.round_values(rounds.get_round(session, round_id))
        values = {name: "" if value is None else str(value) for name, value in current.items()}
        values.update({k: v for k, v in given.items() if v is not None})
        values.update(_weight_fields(weights))
        return rounds.update_round(session, round_id, values, criteria=criteria,
                                   today=local_today(), actor_id=None,
                                   review_schema=rounds.review_schema_of(_catalogue().forms))

    fund_round = _run(edit)
    click.echo(f"Omgången {fund_round.name} är sparad.")


def _weight_fields(weights) -> dict:
    return {rounds.WEIGHT_PREFIX + key.strip(): weight.strip()
            for key, _sep, weight in (pair.partition("=") for pair in weights)}


def _criteria_with(weights):
    """The review criteria; exit 1 if a --weight names another."""
    criteria = rounds.review_criteria(_catalogue().forms)
    keys = {c.key for c in criteria}
    unknown = [p for p in weights if p.partition("=")[0].strip() not in keys]
    if unknown:
        click.echo(f"FEL: okänt kriterium i --weight {unknown[0]}; kriterierna är "
                   f"{', '.join(c.key for c in criteria)}.", err=True)
        sys.exit(1)
    return criteria


@rounds_cli.command("budget", help="Ändra en omgångs budget (aldrig under det bundna).")
@click.argument("round_id", type=int)
@click.argument("budget")
@click.option("--reason", required=True, help="Skälet till ändringen.")
def rounds_budget(round_id, budget, reason):
    fund_round = _run(lambda session: rounds.change_budget(
        session, round_id, {"budget": budget, "reason": reason}, actor_id=None))
    click.echo(f"Budgeten för {fund_round.name} är nu {kronor(fund_round.budget)}.")


@rounds_cli.command("close", help="Stäng en öppen omgång i förtid (sista dag blir i dag).")
@click.argument("round_id", type=int)
@click.option("--reason", required=True, help="Skälet till att omgången stängs.")
def rounds_close(round_id, reason):
    fund_round = _run(lambda session: rounds.close_round(
        session, round_id, {"reason": reason}, today=local_today(), actor_id=None))
    click.echo(f"Omgången {fund_round.name} är stängd; sista ansökningsdag "
               f"{fund_round.closes_on}.")
