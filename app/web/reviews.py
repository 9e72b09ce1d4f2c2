"""The reviews of a case side by side (blind: a reviewer sees them after submitting)."""

from flask import Blueprint, render_template
from sqlalchemy import select

from app.accounts.models import User
from app.engine.models import HumanTask
from app.errors import NotFound
from app.grants import applications, permissions
from app.grants.reviews import case_score, criteria_of, rank_of, review_rows, round_ranking
from app.web.context import current_user, db, engine, language, login_required

bp = Blueprint("reviews", __name__)
REVIEW_FORM = "bedomning"


def review_context(application) -> dict | None:
    """What the reviews partial needs, or None when the case has no reviews yet."""
    reviews = application.instance.data.get("alla_bedomningar") or []
    form = engine().catalogue.forms.get(REVIEW_FORM)
    if not reviews or form is None:
        return None
    form = form.in_language(language())
    criteria = criteria_of(form.schema)
    rows = review_rows(criteria, reviews)
    names = dict(db().execute(select(User.username, User.display_name).where(
        User.username.in_([r.reviewer for r in rows]))).all())
    for row in rows:
        row.reviewer = names.get(row.reviewer, row.reviewer)
    ranking = round_ranking(db(), criteria, application.round_id)
    return {"criteria": criteria, "rows": rows, "score": case_score(rows),
            "rank": rank_of(ranking, application.id), "ranked": len(ranking)}


def may_see_reviews(user, application) -> bool:
    """Officers, decision makers and admins; a reviewer only after submitting their own."""
    if user.roles & {"handlaggare", "beslutsfattare", "admin"}:
        return True
    if not user.has_role("bedomare"):
        return False
    own = db().scalars(select(HumanTask.id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.task_name == "bedomning", HumanTask.completed_by_id == user.id)).first()
    return own is not None


@bp.route("/ansokningar/<int:application_id>/bedomningar")
@login_required
def index(application_id: int):
    user = current_user()
    application = db().get(applications.Application, application_id)
    if application is None or not (permissions.is_staff(user) or user.has_role("bedomare")):
        raise NotFound("Sidan finns inte.")
    if not may_see_reviews(user, application):
        raise NotFound("Sidan finns inte.")
    return render_template("applications/reviews.html", application=application,
                           reviews=review_context(application))
