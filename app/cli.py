"""`flask …` commands: parse arguments, call one operation, commit."""

import sys
import threading
from datetime import timedelta
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app import cli_funds, cli_organisations, cli_users, worker
from app.accounts.models import User
from app.accounts.sessions import revoke_user_sessions
from app.accounts.sso_users import link_identity
from app.accounts.users import set_password
from app.backup import BackupError, create_backup, restore_backup
from app.config import ROOT
from app.db import utcnow
from app.db_timeouts import without_timeouts
from app.demo import demo_logins, load_demo, load_demo_cases
from app.demo_funds import load_demo_funds
from app.effects.facts import record_missing_facts
from app.engine.deployment import deploy_files, version_overview
from app.engine.doctor import open_stuck_incident_count, raise_stuck_incidents
from app.engine.migration import move_instances
from app.engine.specs import check_catalogue, load_catalogue
from app.engine.timers import run_due_timers
from app.errors import InvalidInput, NotFound, ProcessDefinitionError
from app.formatting import local_today
from app.grants.applications import case_label
from app.notifications.outbox import send_pending
from app.notifications.senders import sender_from_config
from app.storage import storage_from_config
from app.storage.inventory import check_storage, sweep_storage


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_cli, demo_cli, processes_cli, engine_cli):
        app.cli.add_command(group)
    app.cli.add_command(users_cli)
    cli_users.register(users_cli)
    for command_ in (storage_cli, backup_cmd, restore_cmd):
        app.cli.add_command(command_)
    app.cli.add_command(cli_funds.funds_cli)
    app.cli.add_command(cli_funds.rounds_cli)
    app.cli.add_command(cli_organisations.organisations_cli)


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
    with current_app.extensions["db_engine"].begin() as connection, \
            without_timeouts(connection):  # a migration may rewrite a large table
        command.upgrade(alembic_config(connection), revision)
    click.echo(f"Databasen är uppgraderad till {revision}.")


@db_cli.command("record-facts", help="Skriv in fakta för översikten (kommundelar, åtgärder, "
                "indikatorer) för ärenden som sparades innan översikten fanns.")
def db_record_facts():
    count = record_missing_facts(_sessions())
    click.echo(f"Fakta inskrivna för {count} ärenden.")


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
        funds = load_demo_funds(session, current_app.extensions["engine"], local_today())
        session.commit()
    click.echo(f"Demodata: {len(created)} nya poster." if created else "Demodata finns redan.")
    if cases:
        click.echo(f"Demoärenden: {cases} ansökningar i olika skeden, skapade genom processen.")
    if funds:
        click.echo(f"Fler demofonder: {', '.join(funds)}.")


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
    problems = check_catalogue(catalogue, current_app.extensions["engine"].operations,
                               current_app.extensions["engine"].checks)
    for problem in problems:
        click.echo(f"FEL: {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} fel.", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(catalogue.processes)} processer, {len(catalogue.forms)} formulär.")


@processes_cli.command("deploy", help="Driftsätt en ny version: en BPMN-fil med dess formulär "
                       "(NAMN-schema.json, NAMN-uischema.json), kontrollerad med katalogen.")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def processes_deploy(files):
    engine = current_app.extensions["engine"]
    contents = {f.name: f.read_bytes() for f in files}
    with _sessions()() as session:
        try:
            results = deploy_files(session, engine.versions, contents, engine.operations,
                                   actor_id=None, checks=engine.checks)
        except InvalidInput as err:
            _fail(err)
        session.commit()
    for version, created in results:
        state = "Ny version" if created else "Oförändrad, redan"
        click.echo(f"{state} {version.id}: {version.process_id} ({version.content_hash[:12]})")


@processes_cli.command("versions", help="Visa processversionerna och deras ärenden.")
def processes_versions():
    with _sessions()() as session:
        current = {d.content_hash for d in current_app.extensions["engine"]
                   .current_catalogue(session).processes.values()}
        for version, running, total in version_overview(session):
            mark = "*" if version.content_hash in current else " "
            click.echo(f"{mark} {version.id:>4} {version.process_id:<20} "
                       f"{version.content_hash[:12]} {running:>6} pågående {total:>6} totalt")


@processes_cli.command("move", help="Flytta pågående ärenden från en version till en annan.")
@click.option("--from", "from_id", type=int, required=True, help="Versionen de har nu.")
@click.option("--to", "to_id", type=int, required=True, help="Versionen de ska få.")
def processes_move(from_id, to_id):
    with _sessions()() as session:
        try:
            result = move_instances(session, current_app.extensions["engine"], from_id, to_id,
                                    actor_id=None)
        except (InvalidInput, NotFound) as err:
            _fail(err)
        session.commit()
    click.echo(f"{len(result.moved)} ärenden flyttade till version {to_id}.")
    for instance_id, reason in result.refused.items():
        click.echo(f"EJ FLYTTAD: instans {instance_id}: {reason}", err=True)
    if result.refused:
        sys.exit(1)


def _fail(err) -> None:
    click.echo(f"FEL: {err.message}", err=True)
    for problems in getattr(err, "errors", {}).values():
        for problem in problems:
            click.echo(f"FEL: {problem}", err=True)
    sys.exit(1)


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


@click.group("users", cls=AppGroup, help="Användarkonton.")
def users_cli():
    pass


def _user_named(session, username: str):
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"Användaren {username!r} finns inte.")
    return user


@users_cli.command("set-password", help="Ge en användare ett nytt lösenord; alla användarens "
                                        "inloggningar avslutas.")
@click.argument("username")
@click.password_option("--password", prompt="Nytt lösenord",
                       confirmation_prompt="Upprepa lösenordet")
def users_set_password(username, password):
    with _sessions()() as session:
        user = _user_named(session, username)
        try:
            ended = set_password(session, user, password, utcnow())
        except InvalidInput as err:
            raise click.ClickException(err.message) from err
        session.commit()
    click.echo(f"Nytt lösenord för {username}; {ended} inloggningar avslutades.")


@users_cli.command("logout", help="Avsluta alla en användares inloggningar (på alla enheter).")
@click.argument("username")
def users_logout(username):
    with _sessions()() as session:
        ended = revoke_user_sessions(session, _user_named(session, username), utcnow(),
                                     reason="revoked")
        session.commit()
    click.echo(f"{ended} inloggningar för {username} avslutades.")


@users_cli.command("link-sso", help="Koppla ett befintligt konto till användarens sub hos "
                                    "identitetsleverantören (OIDC_ISSUER), så att första "
                                    "SSO-inloggningen hittar kontot i stället för att skapa ett "
                                    "nytt.")
@click.argument("username")
@click.argument("subject")
def users_link_sso(username, subject):
    issuer = (current_app.config["OIDC_ISSUER"] or "").rstrip("/")
    if not issuer:
        raise click.ClickException("TF_OIDC_ISSUER är inte satt.")
    with _sessions()() as session:
        try:
            link_identity(session, _user_named(session, username), issuer, subject, utcnow())
        except InvalidInput as err:
            raise click.ClickException(err.message) from err
        session.commit()
    click.echo(f"{username} är kopplad till {subject} hos {issuer}.")
# --- stored files, backup and restore ------------------------------------------------------

@click.group("storage", cls=AppGroup, help="Lagrade filer (bilagor, beslutsbrev, batchfiler).")
def storage_cli():
    pass


@storage_cli.command("check", help="Jämför varje rad som namnger en lagrad fil med filen och "
                                   "dess SHA-256 och lista filer som ingen rad namnger. "
                                   "Slutkod 1 om något är fel.")
def storage_check():
    with current_app.extensions["read_sessions"]() as session:
        report = check_storage(session, storage_from_config(current_app.config))
    for row in report.missing:
        click.echo(f"SAKNAS: {row}", err=True)
    for row in report.mismatched:
        click.echo(f"FEL KONTROLLSUMMA: {row}", err=True)
    for entry in report.orphans:
        when = f"{entry.modified_at:%Y-%m-%d %H:%M}"
        click.echo(f"FÖRÄLDRALÖS: {entry.name} ({entry.size} byte, {when} UTC)", err=True)
    click.echo(f"{report.checked} lagrade filer kontrollerade: {len(report.missing)} saknas, "
               f"{len(report.mismatched)} med fel kontrollsumma, {len(report.orphans)} "
               "föräldralösa.")
    if not report.ok:
        sys.exit(1)


@storage_cli.command("sweep", help="Ta bort lagrade filer som ingen rad namnger och som är "
                                   "äldre än STORAGE_SWEEP_HOURS (även avbrutna skrivningar).")
def storage_sweep():
    hours = current_app.config["STORAGE_SWEEP_HOURS"]
    with _sessions()() as session:
        removed = sweep_storage(session, storage_from_config(current_app.config),
                                now=utcnow(), min_age=timedelta(hours=hours))
        session.commit()
    for entry in removed:
        click.echo(f"Borttagen: {entry.name} ({entry.size} byte)")
    click.echo(f"{len(removed)} föräldralösa filer äldre än {hours} timmar borttagna.")


@click.command("backup", help="Säkerhetskopiera databasen och de lagrade filerna till MAPP "
                              "(ny eller tom), med ett manifest av kontrollsummor.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_cmd(directory):
    try:
        summary = create_backup(current_app.extensions["db_engine"],
                                storage_from_config(current_app.config), directory, now=utcnow())
    except BackupError as err:
        click.echo(f"FEL: {err.message}", err=True)
        sys.exit(1)
    click.echo(f"Säkerhetskopia i {summary.directory}: {sum(summary.rows.values())} rader, "
               f"{summary.files} filer, revision {summary.revision or 'ingen'}.")


@click.command("restore", help="Återställ en säkerhetskopia från MAPP till en tom databas "
                               "(migrerad till samma revision) och lagring. Manifestet "
                               "kontrolleras först.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_cmd(directory):
    try:
        summary = restore_backup(current_app.extensions["db_engine"],
                                 storage_from_config(current_app.config), directory)
    except BackupError as err:
        click.echo(f"FEL: {err.message}", err=True)
        sys.exit(1)
    click.echo(f"Återställt: {sum(summary.rows.values())} rader, {summary.files} filer, "
               f"revision {summary.revision or 'ingen'}.")
