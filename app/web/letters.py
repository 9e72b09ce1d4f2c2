"""Beslutsbrev: download an issued letter (the stored bytes) and preview a draft letter."""

from flask import Blueprint, current_app

from app.errors import NotFound
from app.grants import applications, permissions
from app.letters.issue import letter_of_decision, proposed_decision
from app.letters.render import letter_filename, preview_letter
from app.web.context import current_user, db, login_required
from app.web.downloads import file_response, stored_bytes

bp = Blueprint("letters", __name__)

# Who may preview a letter before the decision is made.
PREVIEW_ROLES = ("handlaggare", "beslutsfattare", "admin")


@bp.route("/beslut/<int:decision_id>/brev")
@login_required
def download(decision_id: int):
    letter = letter_of_decision(db(), decision_id)
    if letter is None or not permissions.can_view_application(
            db(), current_user(), letter.decision.application):
        raise NotFound("Beslutsbrevet finns inte.")
    data = stored_bytes(letter.storage_key, "beslutsbrev", letter.filename)
    return file_response(data, letter.filename, "application/pdf")


@bp.route("/ansokningar/<int:application_id>/brev/forhandsgranska")
@login_required
def preview(application_id: int):
    user = current_user()
    if not user.has_any_role(*PREVIEW_ROLES):
        raise NotFound("Sidan finns inte.")
    application = applications.get_application(db(), user, application_id)
    data = application.instance.data
    decider = user if user.has_role("beslutsfattare") else None
    pdf = preview_letter(proposed_decision(db(), application, data, decider), application,
                         data, current_app.config)
    return file_response(pdf, letter_filename(application.diarienummer, "Utkast beslut"),
                         "application/pdf", "inline")
