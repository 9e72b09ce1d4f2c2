"""Administration of the group mapping: the identity provider's groups → roles and
organisations, applied at each single sign-on log-in."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.group_mappings import add_mapping, list_mappings, remove_mapping
from app.accounts.roles import ROLES
from app.errors import InvalidInput
from app.grants.models import Organisation
from app.web.context import current_user, db, role_required

bp = Blueprint("sso_groups", __name__, url_prefix="/admin/sso-grupper")


@bp.route("", methods=["GET", "POST"])
@role_required("admin")
def index():
    typed = {"group_value": "", "role": "", "organisation_id": ""}
    if request.method == "POST":
        typed = {name: request.form.get(name, "")[:300] for name in typed}
        try:
            add_mapping(db(), typed["group_value"], role=typed["role"] or None,
                        organisation_id=_row_id(typed["organisation_id"]),
                        actor_id=current_user().id)
        except InvalidInput as err:
            db().rollback()
            return _page(typed, err.errors), 422
        db().commit()
        flash(_("Kopplingen är sparad. Den gäller från användarnas nästa inloggning."),
              "success")
        return redirect(url_for("sso_groups.index"))
    return _page(typed, {})


@bp.route("/<int:mapping_id>/ta-bort", methods=["POST"])
@role_required("admin")
def remove(mapping_id: int):
    remove_mapping(db(), mapping_id, actor_id=current_user().id)
    db().commit()
    flash(_("Kopplingen är borttagen. Den gäller inte från användarnas nästa inloggning."),
          "success")
    return redirect(url_for("sso_groups.index"))


def _page(typed: dict, errors: dict):
    organisations = db().scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("admin/sso_groups.html", mappings=list_mappings(db()), roles=ROLES,
                           organisations=organisations, typed=typed, errors=errors)


def _row_id(raw: str) -> int | None:
    """Return the chosen organisation's id; a value that is no id names no organisation (0)."""
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0
