"""`flask organisations list|create|edit`: the administrator's organisation operations
(app.grants.organisations) from the command line, one transaction per command."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli_funds import _options, _run
from app.grants import organisations
from app.grants.models import ORGANISATION_KINDS, Organisation

ORGANISATION_OPTIONS = [
    ("name", "--name", "Namn."),
    ("kind", "--kind", f"Typ: {', '.join(ORGANISATION_KINDS)}."),
    ("org_number", "--org-number", "Organisationsnummer (NNNNNN-NNNN)."),
    ("cost_centre", "--cost-centre", "Ansvar/kostnadsställe (nämnder: intern överföring)."),
    ("account_kind", "--account-kind", "Kontotyp: bankgiro, plusgiro eller iban."),
    ("account", "--account", "Bankgiro-, plusgiro- eller IBAN-nummer."),
    ("bic", "--bic", "BIC (bara med IBAN)."),
]
OPTION_OF = {name: flag for name, flag, _help in ORGANISATION_OPTIONS}
OPTION_OF["active"] = "--active/--inactive"


@click.group("organisations", cls=AppGroup, help="Organisationer som söker.")
def organisations_cli():
    pass


@organisations_cli.command("list", help="Lista organisationerna med typ, nummer och konto.")
def organisations_list():
    with current_app.extensions["read_sessions"]() as session:
        for org in session.scalars(select(Organisation).order_by(Organisation.name)):
            payee = org.cost_centre or " ".join(filter(None, (org.account_kind, org.account,
                                                             org.bic))) or "-"
            click.echo(f"{org.id}\t{org.name}\t{org.kind}\t{org.org_number or '-'}\t{payee}"
                       f"{'' if org.active else chr(9) + 'inaktiv'}")


@organisations_cli.command("create", help="Skapa en organisation.")
@_options(ORGANISATION_OPTIONS)
@click.option("--active/--inactive", default=True, help="Kan väljas för nya ansökningar.")
def organisations_create(**values):
    values["active"] = "ja" if values["active"] else ""
    organisation = _run(lambda session: organisations.create_organisation(
        session, {k: v or "" for k, v in values.items()}, actor_id=None), OPTION_OF)
    click.echo(f"Organisationen {organisation.name} är skapad (id {organisation.id}).")


@organisations_cli.command("edit", help="Ändra en organisation (bara de uppgifter som anges; "
                                        "\"\" tömmer en uppgift).")
@click.argument("organisation_id", type=int)
@_options(ORGANISATION_OPTIONS)
@click.option("--active/--inactive", default=None, help="Kan väljas för nya ansökningar.")
def organisations_edit(organisation_id, **given):
    def edit(session):
        organisation = organisations.get_organisation(session, organisation_id)
        values = {**organisations.organisation_values(organisation),
                  **{k: v for k, v in given.items() if v is not None}}
        values["active"] = "ja" if values["active"] else ""
        return organisations.update_organisation(
            session, organisation, {k: v or "" for k, v in values.items()}, actor_id=None)

    organisation = _run(edit, OPTION_OF)
    click.echo(f"Organisationen {organisation.name} är sparad.")
