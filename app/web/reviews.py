"""The reviews of a case side by side (blind: a reviewer sees them after submitting)."""

from flask import Blueprint, render_template

from app.errors import NotFound
from app.grants import applications, permissions
from app.grants.cases import case_summary
from app.web.context import case_forms, current_user, db, language, login_required

bp = Blueprint("reviews", __name__)


@bp.route("/ansokningar/<int:application_id>/bedomningar")
@login_required
def index(application_id: int):
    user = current_user()
    application = applications.get_application(db(), user, application_id)
    if not permissions.can_see_reviews(db(), user, application):
        raise NotFound("Sidan finns inte.")
    summary = case_summary(db(), user, application, case_forms(application),
                           lang=language())
    return render_template("applications/reviews.html", application=application,
                           reviews=summary.reviews)
