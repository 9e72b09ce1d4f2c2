"""`flask users create|edit|deactivate|activate|invite|list`: the administrator's user
operations (app.accounts.users, app.accounts.tokens), one transaction per command."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.accounts import users
from app.accounts.roles import ROLES
from app.accounts.tokens import invite_user
from app.db import utcnow
from app.errors import DomainError, InvalidInput
from app.grants.models import Organisation

FIELD_OPTIONS = {"username": "--username", "display_name": "--name", "title": "--title",
                 "email": "--email", "organisation_ids": "--organisation", "roles": "--role"}


def register(group: click.Group) -> None:
    """Add the commands to the `flask users` group."""
    for command in (users_create, users_edit, users_deactivate, users_activate, users_invite,
                    users_list):
        group.add_command(command)


def _sessions():
    return current_app.extensions["sessions"]


def _fail(err: DomainError):
    lines = [err.message]
    for name, messages in getattr(err, "errors", {}).items():
        lines += [f"  {FIELD_OPTIONS.get(name, name)}: {message}" for message in messages]
    raise click.ClickException("\n".join(lines))


def _form(session, username, name, title, email, organisations, roles) -> dict:
    """The user form's values; organisations by name (an unknown name: a value the check
    refuses, so the message names --organisation)."""
    names = [name_ for name_ in organisations if name_.strip()]
    found = dict(session.execute(select(Organisation.name, Organisation.id)
                                 .where(Organisation.name.in_(names))).all())
    return {"username": username, "display_name": name, "title": title, "email": email,
            "roles": list(roles), "organisation_ids": [str(found.get(n, "-")) for n in names]}


@click.command("create", help="Skapa en användare utan lösenord och skicka en inbjudan "
                              "(en engångslänk) till e-postadressen.")
@click.argument("username")
@click.option("--name", required=True, help="Namn.")
@click.option("--email", required=True, help="E-postadress (inbjudan skickas hit).")
@click.option("--title", default="", help="Titel.")
@click.option("--role", "roles", multiple=True, required=True,
              help=f"Roll (flera tillåtna): {', '.join(ROLES)}.")
@click.option("--organisation", "organisations", multiple=True,
              help="Organisation användaren söker för (namn; flera tillåtna).")
@with_appcontext
def users_create(username, name, email, title, roles, organisations):
    with _sessions()() as session:
        try:
            user = users.create_user(session, _form(session, username, name, title, email,
                                                    organisations, roles), actor_id=None)
            invite_user(session, user, utcnow(), current_app.extensions["token_settings"],
                        actor_id=None)
        except DomainError as err:
            _fail(err)
        session.commit()
        click.echo(f"Användaren {user.username} är skapad; inbjudan till {user.email} ligger i "
                   "utkorgen.")


@click.command("edit", help="Ändra en användare; utelämnade uppgifter behålls. --role ersätter "
                            "alla roller, --organisation alla organisationer (--organisation \"\" "
                            "för ingen).")
@click.argument("username")
@click.option("--new-username", default=None, help="Nytt användarnamn.")
@click.option("--name", default=None, help="Namn.")
@click.option("--email", default=None, help="E-postadress.")
@click.option("--title", default=None, help="Titel.")
@click.option("--role", "roles", multiple=True, help="Roll (flera tillåtna).")
@click.option("--organisation", "organisations", multiple=True,
              help="Organisation (namn; flera tillåtna; \"\" för ingen).")
@with_appcontext
def users_edit(username, new_username, name, email, title, roles, organisations):
    with _sessions()() as session:
        try:
            user = users.user_named(session, username)
            current = users.user_values(user)
            form = _form(session, new_username or user.username,
                         current["display_name"] if name is None else name,
                         current["title"] if title is None else title,
                         current["email"] if email is None else email,
                         organisations, roles or current["roles"])
            if not organisations:
                form["organisation_ids"] = current["organisation_ids"]
            users.update_user(session, user, form, actor_id=None)
        except DomainError as err:
            _fail(err)
        session.commit()
        click.echo(f"Användaren {user.username} är sparad.")


@click.command("deactivate", help="Inaktivera en användare: inloggningarna avslutas, "
                                  "historiken finns kvar.")
@click.argument("username")
@with_appcontext
def users_deactivate(username):
    with _sessions()() as session:
        try:
            ended = users.deactivate_user(session, users.user_named(session, username),
                                          utcnow())
        except DomainError as err:
            _fail(err)
        session.commit()
    click.echo(f"{username} är inaktiverad; {ended} inloggningar avslutades.")


@click.command("activate", help="Låt en inaktiverad användare logga in igen.")
@click.argument("username")
@with_appcontext
def users_activate(username):
    with _sessions()() as session:
        try:
            users.reactivate_user(session, users.user_named(session, username))
        except DomainError as err:
            _fail(err)
        session.commit()
    click.echo(f"{username} är aktiv igen.")


@click.command("invite", help="Skicka en ny inbjudan (engångslänk för att välja lösenord).")
@click.argument("username")
@with_appcontext
def users_invite(username):
    with _sessions()() as session:
        try:
            user = users.user_named(session, username)
            invite_user(session, user, utcnow(), current_app.extensions["token_settings"],
                        actor_id=None)
        except (DomainError, InvalidInput) as err:
            _fail(err)
        session.commit()
        click.echo(f"Inbjudan till {user.email} ligger i utkorgen.")


@click.command("list", help="Lista användarna (namn, roller, organisation, status).")
@click.option("--role", default="", help="Bara användare med den här rollen.")
@click.option("--all", "show_all", is_flag=True, help="Ta med inaktiverade användare.")
@with_appcontext
def users_list(role, show_all):
    with current_app.extensions["read_sessions"]() as session:
        page = 1
        while True:
            rows, total = users.list_users(session, role=role,
                                           active=None if show_all else True, page=page)
            for user in rows:
                status = "aktiv" if user.active else "inaktiverad"
                if user.active and not user.password_hash:
                    status = "inbjuden"
                organisation = ", ".join(o.name for o in user.organisations) or "-"
                click.echo(f"{user.username:<20} {user.display_name:<30} "
                           f"{','.join(sorted(user.roles)):<30} {organisation:<30} {status}")
            if page * users.PAGE_SIZE >= total:
                break
            page += 1
