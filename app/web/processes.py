"""Processversioner: deploy a new version (BPMN with its forms) and move running cases."""

from pathlib import PurePath

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.engine.deployment import deploy_files, version_overview
from app.engine.migration import move_instances
from app.errors import InvalidInput
from app.web.context import catalogue, current_user, db, engine, role_required

bp = Blueprint("processes", __name__, url_prefix="/admin/processer")


@bp.route("")
@role_required("admin")
def index(errors: dict | None = None, refused: dict | None = None):
    current = {d.content_hash for d in catalogue().processes.values()}
    return render_template("admin/processes.html", rows=version_overview(db()), current=current,
                           errors=errors or {}, refused=refused or {})


@bp.route("/driftsatt", methods=["POST"])
@role_required("admin")
def deploy():
    files = {PurePath(f.filename).name: f.read()
             for f in request.files.getlist("filer") if f.filename}
    try:
        results = deploy_files(db(), engine().versions, files, engine().operations,
                               actor_id=current_user().id, checks=engine().checks)
    except InvalidInput as err:
        db().rollback()
        return index(errors={"filer": [err.message, *err.errors.get("filer", [])]}), 422
    db().commit()
    for version, created in results:
        message = (_("Ny version %(id)s av %(process)s är driftsatt; nya ärenden startar på den.",
                     id=version.id, process=version.process_id) if created else
                   _("%(process)s är oförändrad (version %(id)s).", id=version.id,
                     process=version.process_id))
        flash(message, "success")
    return redirect(url_for("processes.index"))


@bp.route("/<int:version_id>/flytta", methods=["POST"])
@role_required("admin")
def move(version_id: int):
    field = f"till-{version_id}"
    try:
        target_id = int(request.form.get("till", ""))
    except ValueError:
        return index(errors={field: [_("Välj versionen ärendena ska flyttas till.")]}), 422
    try:
        result = move_instances(db(), engine(), version_id, target_id, actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return index(errors={field: [err.message, *err.errors.get("till", [])]}), 422
    db().commit()
    if result.moved:
        flash(_("%(n)s ärenden flyttades till version %(id)s.", n=len(result.moved), id=target_id),
              "success")
    if result.refused:  # shown with their reasons; 409 when none could move
        return index(refused=result.refused), 200 if result.moved else 409
    return redirect(url_for("processes.index"))
