"""Static pages: the accessibility statement and the language switch."""

from flask import Blueprint, redirect, render_template, request, session, url_for

from app.web.context import language as page_language

bp = Blueprint("pages", __name__)


@bp.route("/tillganglighet")
def accessibility():
    # The statement is a document of its own in each language (accessibility_en.html).
    return render_template([f"accessibility_{page_language()}.html", "accessibility.html"])


@bp.route("/sprak", methods=["POST"])
def language():
    lang = request.form.get("lang", "sv")
    session["lang"] = lang if lang in ("sv", "en") else "sv"
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("tasks.home")
    return redirect(target)
