"""Referenslistor: the administrator keeps the kommundelar and the åtgärdsplan's problems."""

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.effects import lists
from app.effects.models import REFERENCE_LISTS
from app.errors import InvalidInput, NotFound
from app.web.context import current_user, db, role_required

bp = Blueprint("reference_lists", __name__, url_prefix="/admin/listor")


def list_titles() -> dict[str, str]:
    return {"kommundel": _("Kommundelar"),
            "atgardsplan": _("Problem i lägesbilden och åtgärdsplanen")}


@bp.route("/<list_name>", methods=["GET", "POST"])
@role_required("admin")
def index(list_name: str):
    if list_name not in REFERENCE_LISTS:
        raise NotFound("Listan finns inte.")
    if request.method == "GET":
        return _page(list_name, None, lists.item_values(None))
    try:
        item = lists.create_item(db(), list_name, request.form, actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _page(list_name, None, request.form, err.errors), 422
    db().commit()
    flash(_("%(name)s är tillagd.", name=item.name), "success")
    return redirect(url_for("reference_lists.index", list_name=list_name))


@bp.route("/post/<int:item_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(item_id: int):
    item = lists.get_item(db(), item_id)
    if request.method == "GET":
        return _page(item.list_name, item, lists.item_values(item))
    try:
        lists.update_item(db(), item, request.form, actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _page(item.list_name, item, request.form, err.errors), 422
    db().commit()
    flash(_("%(name)s är sparad.", name=item.name), "success")
    return redirect(url_for("reference_lists.index", list_name=item.list_name))


def _page(list_name: str, item, values: Mapping, errors: Mapping | None = None):
    return render_template("admin/reference_list.html", list_name=list_name,
                           title=list_titles()[list_name], items=lists.list_items(db(), list_name),
                           item=item, values=values, errors=errors or {}, lists=list_titles())
