"""Administration: process versions, the catalogue check and incidents (with retry)."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.engine.incidents import open_incidents, retry_incident
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.specs import check_catalogue
from app.errors import DomainError
from app.grants.applications import applications_by_instance
from app.web.context import catalogue, current_user, db, engine, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@role_required("admin")
def index():
    counts = dict(db().execute(
        select(ProcessInstance.process_version_id, func.count())
        .group_by(ProcessInstance.process_version_id)).all())
    versions = db().scalars(select(ProcessVersion).order_by(
        ProcessVersion.process_id, ProcessVersion.created_at.desc())).all()
    current_catalogue = catalogue()
    current = {d.content_hash for d in current_catalogue.processes.values()}
    problems = check_catalogue(current_catalogue, engine().operations, engine().checks)
    incidents = open_incidents(db())
    cases = applications_by_instance(db(), {i.instance_id for i in incidents if i.instance_id})
    return render_template("admin/index.html", versions=versions, counts=counts,
                           current=current, incidents=incidents, cases=cases, problems=problems,
                           catalogue=current_catalogue)


@bp.route("/incidenter/<int:incident_id>/kor-om", methods=["POST"])
@role_required("admin")
def retry(incident_id: int):
    try:
        retry_incident(db(), engine(), incident_id, actor_id=current_user().id)
        flash(_("Steget kördes om utan fel. Incidenten är åtgärdad."), "success")
    except DomainError as err:
        current_app.logger.warning("retry of incident %s failed: %s", incident_id, err.message)
        flash(err.message, "error")
    return redirect(url_for("admin.index"))
