"""Utkorgen: the latest notifications and whether they went out (officers and admins)."""

from flask import Blueprint
from sqlalchemy import select

from app.notifications.models import SECRET_KINDS, OutboxMessage
from app.web.context import role_required
from app.web.listing import render_list
from app.web.other_lists import outbox_spec

bp = Blueprint("outbox", __name__)


@bp.route("/utkorg")
@role_required("handlaggare", "admin")
def index():
    return render_list(outbox_spec(), select(OutboxMessage), "outbox/index.html",
                       secret_kinds=SECRET_KINDS)
