"""Static pages: the accessibility statement and the language switch."""

from flask import Blueprint, redirect, render_template, request, session, url_for

bp = Blueprint("pages", __name__)


@bp.route("/tillganglighet")
def accessibility():
    return render_template("accessibility.html")


@bp.route("/sprak", methods=["POST"])
def language():
    lang = request.form.get("lang", "sv")
    session["lang"] = lang if lang in ("sv", "en") else "sv"
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("tasks.home")
    return redirect(target)
