"""Utkorgen: the latest notifications and whether they went out (officers and admins)."""

from flask import Blueprint, render_template

from app.notifications.models import SECRET_KINDS
from app.notifications.outbox import latest_messages
from app.web.context import db, role_required

bp = Blueprint("outbox", __name__)


@bp.route("/utkorg")
@role_required("handlaggare", "admin")
def index():
    return render_template("outbox/index.html", messages=latest_messages(db(), limit=200),
                           secret_kinds=SECRET_KINDS)
