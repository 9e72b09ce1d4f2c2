"""Händelseloggen: the administrator reads the audit trail with filters (app.audit_log)."""

from flask import Blueprint, render_template, request

from app.audit_log import all_events, cases_of, list_events, parse_filter
from app.web.context import db, role_required
from app.web.listing import export
from app.web.other_lists import audit_spec

bp = Blueprint("audit_log", __name__, url_prefix="/admin/handelser")


@bp.route("")
@role_required("admin")
def index():
    wanted, errors = parse_filter(request.args)
    if request.args.get("format") in ("csv", "xlsx") and not errors:
        return export(audit_spec(), all_events(db(), wanted), request.args["format"])
    events, next_before = ([], None) if errors else list_events(db(), wanted)
    return render_template("admin/audit.html", events=events, next_before=next_before,
                           errors=errors, values=request.args,
                           cases=cases_of(db(), events)), 422 if errors else 200
