"""`flask …` commands: parse arguments, call one operation, commit."""

import sys
import threading
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup

from app import cli_funds, worker
from app.config import ROOT
from app.demo import demo_logins, load_demo, load_demo_cases
from app.engine.doctor import open_stuck_incident_count, raise_stuck_incidents
from app.engine.specs import check_catalogue, load_catalogue
from app.engine.timers import run_due_timers
from app.errors import ProcessDefinitionError
from app.formatting import local_today
from app.grants.applications import case_label
from app.notifications.outbox import send_pending
from app.notifications.senders import sender_from_config


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_cli, demo_cli, processes_cli, engine_cli):
        app.cli.add_command(group)
    app.cli.add_command(cli_funds.funds_cli)
    app.cli.add_command(cli_funds.rounds_cli)


def _sessions():
    return current_app.extensions["sessions"]


def alembic_config(connection=None) -> Config:
    """Return the Alembic configuration, bound to a live connection if given."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@click.group("db", cls=AppGroup, help="Databasen.")
def db_cli():
    pass


@db_cli.command("upgrade", help="Kör migreringarna fram till den senaste.")
@click.argument("revision", default="head")
def db_upgrade(revision):
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with current_app.extensions["db_engine"].begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    click.echo(f"Databasen är uppgraderad till {revision}.")


@click.group("demo", cls=AppGroup, help="Demodata.")
def demo_cli():
    pass


@demo_cli.command("load", help="Ladda demodata (skapar bara det som saknas).")
def demo_load():
    with _sessions()() as session:
        created = load_demo(session, local_today())
        session.commit()
        cases = load_demo_cases(session, current_app.extensions["engine"], local_today())
        session.commit()
    click.echo(f"Demodata: {len(created)} nya poster." if created else "Demodata finns redan.")
    if cases:
        click.echo(f"Demoärenden: {cases} ansökningar i olika skeden, skapade genom processen.")


@demo_cli.command("logins", help="Skriv ut demoinloggningarna.")
def demo_logins_cmd():
    click.echo("Inloggningar (användarnamn / lösenord):")
    for username, password, description in demo_logins():
        click.echo(f"  {username:<15} {password:<10} {description}")


@click.group("processes", cls=AppGroup, help="Processkatalogen.")
def processes_cli():
    pass


@processes_cli.command("check", help="Kontrollera processer och formulär.")
def processes_check():
    config = current_app.config
    try:
        catalogue = load_catalogue(Path(config["PROCESSES_DIR"]), Path(config["FORMS_DIR"]))
    except ProcessDefinitionError as err:
        for line in err.message.splitlines():
            click.echo(f"FEL: {line}", err=True)
        sys.exit(1)
    problems = check_catalogue(catalogue, current_app.extensions["engine"].operations)
    for problem in problems:
        click.echo(f"FEL: {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} fel.", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(catalogue.processes)} processer, {len(catalogue.forms)} formulär.")


@click.group("engine", cls=AppGroup, help="Processmotorn.")
def engine_cli():
    pass


@engine_cli.command("run-timers", help="Utlös de timrar som har löpt ut, en gång.")
def engine_run_timers():
    fired = run_due_timers(_sessions(), current_app.extensions["engine"])
    click.echo(f"{fired} ärenden gick vidare.")


@engine_cli.command("send-mail", help="Skicka köade e-postmeddelanden, en gång.")
def engine_send_mail():
    sent, failed = send_pending(_sessions(), sender_from_config(current_app.config))
    click.echo(f"{sent} skickade, {failed} misslyckade.")


@engine_cli.command("doctor", help="Leta efter ärenden som står still (väntar varken på en "
                                   "uppgift, en timer eller ett meddelande) och registrera "
                                   "en incident för varje. Slutkod 1 om den hittade några.")
def engine_doctor():
    with _sessions()() as session:
        incidents = raise_stuck_incidents(session, current_app.extensions["engine"],
                                          describe=case_label)
        session.commit()
        already = open_stuck_incident_count(session) - len(incidents)
    for incident in incidents:
        click.echo(f"Incident {incident.id}: {incident.message}")
    if already:
        click.echo(f"{already} ärenden som står still har redan en öppen incident.")
    if incidents:
        click.echo(f"{len(incidents)} ärenden står still. Se incidenterna under Administration.",
                   err=True)
        sys.exit(1)
    click.echo("Inga nya ärenden står still.")


@engine_cli.command("worker", help="Utlös timrar, skicka e-post och leta efter ärenden som står "
                                   "still, i en loop tills processen stoppas.")
@click.option("--interval", type=float, default=None, help="Sekunder mellan varven.")
def engine_worker(interval):
    interval = interval or current_app.config["TIMER_INTERVAL"]
    click.echo(f"Arbetaren kör var {interval:g}:e sekund. Avsluta med Ctrl+C.")
    stop = threading.Event()
    try:
        worker.run(_sessions(), current_app.extensions["engine"], current_app.config, interval,
                   stop)
    except KeyboardInterrupt:
        stop.set()
